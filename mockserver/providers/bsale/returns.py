"""Returns: a sale document given back makes its electronic credit note (61), in one of Bsale's three
modes; an annulment undoes a return with the debit note (56) that reverses the credit note."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aiohttp import web

from mockserver.core.errors import Kind, MockError
from mockserver.core.pipeline import Call
from mockserver.core.plugin import json_response
from mockserver.providers.bsale import calls, stocks
from mockserver.providers.bsale.catalogue import DocumentType, find
from mockserver.providers.bsale.creation import LIQUIDATION, RETURN, SALE
from mockserver.providers.bsale.documents import Detail, Document, Return
from mockserver.providers.bsale.instance import Instance
from mockserver.providers.bsale.lines import decimal, error
from mockserver.providers.bsale.render import Renderer

if TYPE_CHECKING:
    from mockserver.providers.bsale.state import BsaleState

NO_REFERENCE = "the json does not have reference document"
BAD_DETAIL = "invalid reference detail"
# the SII's CodRef: why a note references its document
ANNULS, FIXES_TEXT, FIXES_AMOUNTS = "1", "2", "3"
DEBIT_NOTE = "56"
RETURN_FILTERS: dict[str, Callable[[Return], str]] = {
    "code": lambda r: r.code,
    "officeid": lambda r: str(r.office_id),
    "referencedocumentid": lambda r: str(r.reference_document_id),
    "creditnoteid": lambda r: str(r.credit_note_id),
}


def _given_back(instance: Instance, body: dict[str, Any]) -> Document:
    original = instance.documents.get(body.get("referenceDocumentId"))
    if original is None or original.state != 0:
        raise error(NO_REFERENCE)
    if instance.catalogue.document_types[original.document_type_id]["use"] not in (SALE, LIQUIDATION):
        raise error(NO_REFERENCE)  # a credit note is not given back: its annulment is
    if not original.electronic:
        raise error(NO_REFERENCE)  # an electronic credit note references an electronic document
    return original


def _lines(instance: Instance, original: Document, body: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """The credit note's lines (as documents.json takes them, by `detailId`) and its CodRef.

    Quantities: each line gives back `quantity` units at what they were sold for, never more than the
    line has left. Price adjustment: each line takes `unitValue` (net) off each unit it sold, never
    more than the unit's price. Text correction: every line of the document at zero."""
    by_id = {d.id: d for d in original.details}
    if body.get("editTexts"):
        return [_line(d, d.quantity, Decimal(0)) for d in original.details], FIXES_TEXT
    out, whole = [], not body.get("priceAdjustment")
    given_back: dict[int, Decimal] = {}
    for given in body["details"]:
        source = by_id.get(given["documentDetailId"])
        if source is None:
            raise error(BAD_DETAIL)
        if body.get("priceAdjustment"):
            unit = decimal(given.get("unitValue", 0), "invalid unitValue")
            if not 0 < unit <= Decimal(str(source.net_unit_value)):
                raise error("invalid unitValue")
            out.append({**_line(source, source.quantity, unit), "comment": given.get("comment") or ""})
            continue
        quantity = decimal(given.get("quantity", 0), "invalid quantity")
        given_back[source.id] = given_back.get(source.id, Decimal(0)) + quantity
        left = Decimal(str(source.quantity)) - Decimal(str(instance.returned.get(source.id, 0)))
        if quantity <= 0 or given_back[source.id] > left:
            raise error("invalid quantity")
        out.append({"detailId": source.id, "quantity": float(quantity)})
    whole = whole and all(
        given_back.get(d.id, 0) + Decimal(str(instance.returned.get(d.id, 0))) == Decimal(str(d.quantity))
        for d in original.details
    )
    return out, ANNULS if whole else FIXES_AMOUNTS


def _line(source: Detail, quantity: float, unit: Decimal) -> dict[str, Any]:
    return {"detailId": source.id, "quantity": quantity, "netUnitValue": float(unit), "discount": 0}


def create_return(
    state: BsaleState, instance: Instance, body: dict[str, Any], scenario: str | None
) -> Return:
    original = _given_back(instance, body)
    if body.get("priceAdjustment") and body.get("editTexts"):
        raise error("priceAdjustment and editTexts can not be used together")
    lines, code_ref = _lines(instance, original, body)
    motive = str(body.get("motive") or "Devolución")
    note_body: dict[str, Any] = {
        **{k: body[k] for k in ("documentTypeId", "codeSii", "emissionDate", "expirationDate") if k in body},
        **{k: body[k] for k in ("declareSii", "client", "clientId", "payments") if k in body},
        "officeId": body.get("officeId", original.office_id),
        "priceListId": original.price_list_id,
        "coinId": original.coin_id,
        "details": lines,
        "references": [_reference_to(original, motive)],
    }
    credit, _ = state.create(
        instance,
        note_body,
        scenario,
        uses=(RETURN,),
        code_ref=code_ref,
        zero_lines=bool(body.get("editTexts")),
        default_payment=False,
    )
    # --- the credit note exists: what it gives back is counted, and dispatched goods go back ----------
    restock = original.shipping_id is not None and code_ref in (ANNULS, FIXES_AMOUNTS)
    returned, sold = [], {d.id: d for d in original.details}
    for given, made in zip(lines, credit.details, strict=True):
        source = sold[given["detailId"]]  # the lines given back are the original's own
        quantity = given["quantity"] if code_ref != FIXES_TEXT and "netUnitValue" not in given else 0
        instance.returned[source.id] = instance.returned.get(source.id, 0) + quantity
        back = restock and quantity > 0 and source.variant_id is not None
        if back:
            variant = instance.catalogue.variants[source.variant_id]  # type: ignore[index]
            stocks.move(state, instance, variant, credit.office_id, quantity)
        returned.append(
            {
                "id": instance.next_id("return_details"),
                "detail_id": source.id,
                "credit_detail_id": made.id,
                "quantity": quantity,
                "unit_value": given.get("netUnitValue", source.net_unit_value),
                "restocked": quantity if back else 0,
                "variant_id": source.variant_id,
            }
        )
    now = int(state.clock.now())
    ident = instance.next_id("returns")
    made_return = Return(
        id=ident,
        code=f"{now}{ident % 100:02d}",
        date=credit.emission_date,
        motive=motive,
        type=int(body.get("type", 0)),
        price_adjustment=int(bool(body.get("priceAdjustment"))),
        edit_texts=int(bool(body.get("editTexts"))),
        amount=credit.amounts["totalAmount"],
        office_id=credit.office_id,
        user_id=credit.user_id,
        reference_document_id=original.id,
        credit_note_id=credit.id,
        lines=returned,
    )
    instance.returns[ident] = made_return
    state.notify(instance, "return", "post", ident, credit.office_id, path=f"/v1/returns/{ident}.json")
    return made_return


def _reference_to(doc: Document, reason: str) -> dict[str, Any]:
    return {
        "number": doc.number,
        "referenceDate": doc.emission_date,
        "reason": reason,
        "codeSii": doc.code_sii,
    }


def _debit_type(instance: Instance, body: dict[str, Any]) -> DocumentType:
    types = instance.catalogue.document_types
    if "documentTypeId" in body:
        found = find(types, body["documentTypeId"])
    else:
        code = str(body.get("codeSii", DEBIT_NOTE))
        found = next((t for t in types.values() if t["codeSii"] == code and t["state"] == 0), None)
    if found is None or found["state"] != 0 or found["codeSii"] != DEBIT_NOTE:
        raise error("invalid documentType")
    return found


def annul(
    state: BsaleState, instance: Instance, made: Return, body: dict[str, Any], scenario: str | None
) -> dict[str, Any]:
    """The debit note that reverses the return's credit note: the same lines, referencing it with
    CodRef 1; the goods the return put back leave again."""
    if made.annulment is not None:
        raise error("the return has already been annulled")
    credit = instance.documents[made.credit_note_id]
    if body.get("referenceDocumentId", credit.id) != credit.id:
        raise error(NO_REFERENCE)
    debit_type = _debit_type(instance, body)
    note_body: dict[str, Any] = {
        **{k: body[k] for k in ("emissionDate", "expirationDate", "declareSii") if k in body},
        "documentTypeId": debit_type["id"],
        "officeId": made.office_id,
        "priceListId": credit.price_list_id,
        "coinId": credit.coin_id,
        "details": [
            {
                "detailId": d.id,
                "quantity": d.quantity,
                "netUnitValue": d.net_unit_value,
                "discount": d.discount,
            }
            for d in credit.details
        ],
        "references": [_reference_to(credit, "Anula nota de crédito")],
    }
    if credit.client_id is not None:
        note_body["clientId"] = credit.client_id
    debit, _ = state.create(
        instance,
        note_body,
        scenario,
        uses=(debit_type["use"],),
        code_ref=ANNULS,
        zero_lines=bool(made.edit_texts),
        default_payment=False,
    )
    for line in made.lines:
        instance.returned[line["detail_id"]] -= line["quantity"]
        if line["restocked"]:
            variant = instance.catalogue.variants[line["variant_id"]]
            stocks.move(state, instance, variant, made.office_id, -line["restocked"])
    made.annulment = {
        "id": instance.next_id("annulments"),
        "date": debit.emission_date,
        "amount": debit.amounts["totalAmount"],
        "debit_note_id": debit.id,
        "user_id": debit.user_id,
    }
    state.notify(instance, "return", "put", made.id, made.office_id, path=f"/v1/returns/{made.id}.json")
    return made.annulment


# --- rendering -------------------------------------------------------------------------------------------


def render_return(renderer: Renderer, made: Return) -> dict[str, Any]:
    path = f"returns/{made.id}"
    out: dict[str, Any] = {
        "href": renderer.href(path),
        "id": made.id,
        "code": made.code,
        "returnDate": made.date,
        "motive": made.motive,
        "type": made.type,
        "priceAdjustment": made.price_adjustment,
        "editTexts": made.edit_texts,
        "amount": made.amount,
        "office": renderer.stub("offices", made.office_id),
        "user": renderer.stub("users", made.user_id),
        "reference_document": renderer.document_stub(made.reference_document_id, "reference_document"),
        "credit_note": renderer.document_stub(made.credit_note_id, "credit_note"),
        "details": renderer.collection(
            "details", f"{path}/details", lambda: [render_line(renderer, made, x) for x in made.lines]
        ),
    }
    if made.annulment is not None:
        out["annulment"] = {
            "href": renderer.href(f"{path}/annulments/{made.annulment['id']}"),
            "id": str(made.annulment["id"]),
        }
    return out


def render_line(renderer: Renderer, made: Return, line: dict[str, Any]) -> dict[str, Any]:
    return {
        "href": renderer.href(f"returns/{made.id}/details/{line['id']}"),
        "id": line["id"],
        "quantity": line["quantity"],
        "unitValue": line["unit_value"],
        "quantityDevStock": line["restocked"],
        "variant": renderer.stub("variants", line["variant_id"]),
        "document_detail": {
            "href": renderer.href(f"documents/{made.reference_document_id}/details/{line['detail_id']}"),
            "id": str(line["detail_id"]),
        },
        "credit_note_detail": {
            "href": renderer.href(f"documents/{made.credit_note_id}/details/{line['credit_detail_id']}"),
            "id": str(line["credit_detail_id"]),
        },
    }


def render_annulment(renderer: Renderer, made: Return) -> dict[str, Any]:
    annulment = made.annulment
    assert annulment is not None
    return {
        "href": renderer.href(f"returns/{made.id}/annulments/{annulment['id']}"),
        "id": annulment["id"],
        "annulmentDate": annulment["date"],
        "amount": annulment["amount"],
        "office": renderer.stub("offices", made.office_id),
        "user": renderer.stub("users", annulment["user_id"]),
        "return": {"href": renderer.href(f"returns/{made.id}"), "id": str(made.id)},
        "debit_note": renderer.document_stub(annulment["debit_note_id"], "debit_note"),
    }


# --- handlers --------------------------------------------------------------------------------------------


RETURNS = calls.Records(
    "returns",
    "return",
    lambda instance: instance.returns,
    RETURN_FILTERS,
    create_return,
    render_return,
    render_line,
)


async def create_annulment(call: Call) -> web.StreamResponse:
    made = RETURNS.one(call)
    annul(calls.state_of(call), calls.instance_of(call), made, call.body or {}, call.scenario)
    return json_response(render_annulment(calls.renderer_of(call), made), status=201)


async def get_annulment(call: Call) -> web.StreamResponse:
    made = RETURNS.one(call)
    if made.annulment is None or made.annulment["id"] != call.path["itemId"]:
        raise MockError(Kind.NOT_FOUND, "annulment not found")
    return json_response(render_annulment(calls.renderer_of(call), made))
