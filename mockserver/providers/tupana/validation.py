"""A batch's documents checked before emission (with or without the API's defaults), and the document
each one becomes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from mockserver.core.kit import rut
from mockserver.providers.tupana import amounts, entities
from mockserver.providers.tupana.models import (
    BOLETAS,
    DTE_TYPES,
    ISSUER_FIELDS,
    NEEDS_REFERENCES,
    RECEIVER_FIELDS,
    RECEIVER_REJECTED,
    RECEIVER_SII_DOWN,
    Batch,
    Document,
)


def _problem(index: int, field_name: str, code: str, message: str) -> dict[str, Any]:
    return {"document_index": index, "field": field_name, "code": code, "message": message}


def validate(
    given: dict[str, Any],
    index: int,
    *,
    companies: Mapping[str, dict[str, Any]],
    has_credential: Callable[[str], bool],
    today: date,
    use_defaults: bool,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    """Problems (the document cannot be issued), warnings (it can, with what the API filled in) and the
    document as it will be issued. `companies`: the key's enrolled companies by id; `has_credential`:
    whether one has an active SII credential."""
    problems: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    doc = {k: v for k, v in given.items()}
    dte_type = str((given.get("dte_type") or {}).get("code", ""))
    if dte_type not in DTE_TYPES:
        problems.append(
            _problem(index, "dte_type.code", "invalid_dte_type", f"Unknown DTE type {dte_type!r}")
        )
    issuer = dict(given.get("document_issuer") or {})
    receiver = dict(given.get("document_receiver") or {})
    company = None
    if not rut.is_valid(issuer.get("rut", "")) or rut.parse(str(issuer.get("rut", ""))) is None:
        problems.append(_problem(index, "document_issuer.rut", "invalid_rut", "The issuer RUT is not valid"))
    else:
        issuer["rut"] = rut.normalize(issuer["rut"])
        company = companies.get(entities.entity_id(issuer["rut"]))
        if company is None:
            problems.append(
                _problem(
                    index,
                    "document_issuer.rut",
                    "company_not_enrolled",
                    f"{issuer['rut']} is not enrolled under this API key: create a credential",
                )
            )
        elif not has_credential(company["id"]):
            problems.append(
                _problem(
                    index,
                    "document_issuer.rut",
                    "no_active_credentials",
                    f"{issuer['rut']} has no active SII credential",
                )
            )
    if dte_type not in BOLETAS and not receiver.get("rut"):
        problems.append(_problem(index, "document_receiver.rut", "required", "The receiver RUT is required"))
    elif receiver.get("rut"):
        if not rut.is_valid(receiver["rut"]) or rut.parse(str(receiver["rut"])) is None:
            problems.append(
                _problem(index, "document_receiver.rut", "invalid_rut", "The receiver RUT is not valid")
            )
        else:
            receiver["rut"] = rut.normalize(receiver["rut"])
    details = given.get("details") or []
    if not details:
        problems.append(_problem(index, "details", "required", "At least one detail is required"))
    for n, item in enumerate(details):
        if not item.get("item_name"):
            problems.append(_problem(index, f"details.{n}.item_name", "required", "item_name is required"))
        if float(item.get("quantity", 0) or 0) <= 0:
            problems.append(
                _problem(index, f"details.{n}.quantity", "invalid_amount", "quantity must be positive")
            )
        price = item.get("gross_unit_price", item.get("unit_price"))
        if price is None or float(price) < 0:
            problems.append(
                _problem(
                    index,
                    f"details.{n}.unit_price",
                    "invalid_amount",
                    "unit_price (or gross_unit_price for boletas) must be zero or more",
                )
            )
        if "gross_unit_price" in item and dte_type not in BOLETAS:
            problems.append(
                _problem(
                    index,
                    f"details.{n}.gross_unit_price",
                    "gross_price_not_allowed",
                    "gross_unit_price is only for boletas (39, 41); use the net unit_price",
                )
            )
    if dte_type in NEEDS_REFERENCES and not given.get("references"):
        problems.append(
            _problem(
                index,
                "references",
                "references_required",
                f"A {DTE_TYPES[dte_type].lower()} must reference the document it modifies",
            )
        )
    header = dict(given.get("header") or {})

    def fill(target: dict[str, Any], prefix: str, name: str, value: Any) -> None:
        if target.get(name) in (None, "") and value not in (None, ""):
            target[name] = value
            warnings.append(
                {
                    "document_index": index,
                    "field": f"{prefix}.{name}",
                    "code": "default_applied",
                    "message": f"{prefix}.{name} was filled from the master entity",
                    "suggestion": None,
                }
            )

    if use_defaults and company is not None:
        address = next((a for a in company["addresses"] if a["id"] == issuer.get("address_id")), None)
        address = address or next(a for a in company["addresses"] if a["is_main"])
        activity = next((a for a in company["activities"] if a["code"] == issuer.get("activity_code")), None)
        activity = activity or company["activities"][0] if company["activities"] else None
        fill(issuer, "document_issuer", "business_name", company["name"])
        fill(issuer, "document_issuer", "email", company["email"])
        fill(issuer, "document_issuer", "business_activity", activity["name"] if activity else None)
        fill(issuer, "document_issuer", "activity_code", activity["code"] if activity else None)
        for key in ("address", "district", "city", "sii_branch_code"):
            fill(issuer, "document_issuer", key, address[key])
        if receiver.get("rut") and "rut" not in {p["field"].split(".")[-1] for p in problems}:
            other = entities.lookup(receiver["rut"])
            main = next(a for a in other["addresses"] if a["is_main"])
            fill(receiver, "document_receiver", "business_name", other["name"])
            fill(
                receiver,
                "document_receiver",
                "business_activity",
                other["activities"][0]["name"] if other["activities"] else None,
            )
            for key in ("address", "district", "city"):
                fill(receiver, "document_receiver", key, main[key])
        fill(header, "header", "payment_method", "1")
        if not doc.get("date_issued"):
            doc["date_issued"] = today.isoformat()
            warnings.append(
                {
                    "document_index": index,
                    "field": "date_issued",
                    "code": "default_applied",
                    "message": "date_issued was set to today (Chile)",
                    "suggestion": None,
                }
            )
    elif not problems:
        missing = [f"document_issuer.{k}" for k in ISSUER_FIELDS if not issuer.get(k)]
        if dte_type not in BOLETAS:
            missing += [f"document_receiver.{k}" for k in RECEIVER_FIELDS if not receiver.get(k)]
        for name in missing:
            problems.append(
                _problem(
                    index, name, "required", f"{name} is required (or send X-Use-Defaults: true to fill it)"
                )
            )
    date_issued = doc.get("date_issued") or today.isoformat()
    try:
        date.fromisoformat(date_issued)
    except ValueError:
        problems.append(_problem(index, "date_issued", "invalid_date", "date_issued must be YYYY-MM-DD"))
    doc.update(
        dte_type=dte_type,
        document_issuer=issuer,
        document_receiver=receiver,
        header=header,
        date_issued=date_issued,
    )
    return problems, warnings, doc


def build_document(
    document_id: str,
    now: float,
    batch: Batch,
    index: int,
    prepared: dict[str, Any],
    problems: list[dict[str, Any]],
    base_url: str,
) -> Document:
    dte_type = prepared["dte_type"] if prepared["dte_type"] in DTE_TYPES else "33"
    receiver = prepared["document_receiver"]
    outcome = "success"
    if receiver.get("rut") == RECEIVER_REJECTED:
        outcome = "rejected"
    elif receiver.get("rut") == RECEIVER_SII_DOWN:
        outcome = "temporary_error"
    try:
        totals = amounts.totals(dte_type, prepared.get("details") or [])
    except (KeyError, ValueError, ArithmeticError):
        totals = amounts.Totals(0, 0, 0, 0, [])
    sender = prepared["document_issuer"]
    return Document(
        id=document_id,
        batch_id=batch.id,
        index=index,
        dte_type=dte_type,
        sender_id=entities.entity_id(sender["rut"])
        if sender.get("rut")
        and not any(p["field"] == "document_issuer.rut" and p["code"] == "invalid_rut" for p in problems)
        else "",
        sender=sender,
        receiver=receiver,
        receiver_id=entities.entity_id(receiver["rut"])
        if receiver.get("rut") and rut.is_valid(receiver["rut"])
        else None,
        date_issued=prepared["date_issued"],
        header=prepared["header"],
        references=prepared.get("references") or [],
        totals=totals,
        json_param=prepared.get("json_param"),
        additional_info=prepared.get("additional_info"),
        is_draft=batch.is_draft,
        problems=problems,
        planned_outcome=outcome,
        created_at=now,
        updated_at=now,
        base_url=base_url,
    )
