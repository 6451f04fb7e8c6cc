"""A document type's CAF, the folios the SII granted it: its state, and how many are left."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mockserver.core.errors import Kind, MockError
from mockserver.core.pipeline import Call
from mockserver.core.plugin import json_response
from mockserver.providers.bsale.catalogue import DocumentType
from mockserver.providers.bsale.catalogue import find as find_record
from mockserver.providers.bsale.instance import Instance


def _instance(call: Call) -> Instance:
    """The caller's instance to read (a token that never wrote reads the seed, making nothing)."""
    instance: Instance = call.state.instance(call.tenant, create=False)
    return instance


def _caf_view(doc_type: DocumentType, now: float) -> dict[str, Any]:
    caf = doc_type["caf"]
    assert caf is not None  # only types with a CAF are shown
    return {
        **caf,
        "numbersAvailable": caf["endNumber"] - max(caf["lastNumberUsed"], caf["startNumber"] - 1),
        "expired": int(caf["expirationDate"] < now),
    }


def _document_type(call: Call) -> DocumentType:
    """The type `documenttypeid` or `codesii` names (the first of that code with a CAF)."""
    instance = _instance(call)
    doc_type: DocumentType | None
    if "documenttypeid" in call.query:
        doc_type = find_record(instance.catalogue.document_types, call.query["documenttypeid"])
    else:
        doc_type = next(
            (
                t
                for t in instance.catalogue.document_types.values()
                if t["codeSii"] == call.query.get("codesii") and t.get("caf")
            ),
            None,
        )
    if doc_type is None:
        raise MockError(Kind.VALIDATION, "invalid documentType")
    return doc_type


async def get_document_type_caf(call: Call) -> web.StreamResponse:
    doc_type = _document_type(call)
    if not doc_type.get("caf"):
        raise MockError(Kind.NOT_FOUND, "the document type has no CAF")
    return json_response(_caf_view(doc_type, call.provider.runtime.clock.now()))


async def get_document_type_numbers_available(call: Call) -> web.StreamResponse:
    doc_type = _document_type(call)
    caf = doc_type.get("caf")
    if not caf:
        return json_response({"numbers_available": 0, "last": 0})
    return json_response(
        {"numbers_available": _caf_view(doc_type, 0)["numbersAvailable"], "last": caf["endNumber"]}
    )
