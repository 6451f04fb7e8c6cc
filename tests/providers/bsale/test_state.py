"""Bsale's state without HTTP: creation with its folios, the SII's answer on the clock, and the store's
edit API (a change is stored back, so it survives the read cache)."""

from __future__ import annotations

import dataclasses

import pytest

from mockserver.core.errors import MockError
from mockserver.core.services.lifecycle import Mode
from mockserver.providers.bsale.render import SII_MESSAGES
from mockserver.providers.bsale.store import Documents
from tests.providers.bsale.conftest import TOKEN, boleta, seed_example
from tests.providers.state import advance, state_of


def test_a_factura_takes_the_next_folio_and_the_sii_answers_on_the_clock() -> None:
    runtime, state = state_of("bsale")
    instance = state.instance(TOKEN)
    doc, created = state.create(instance, seed_example())
    assert created and doc.number == 1 and doc.informed_sii == 1
    again, _ = state.create(instance, seed_example())
    assert again.number == 2
    advance(runtime, 2)
    declared = state.document(instance, doc.id)
    assert (declared.informed_sii, SII_MESSAGES[declared.informed_sii]) == (
        0,
        "Proceso Finalizado Correctamente!",
    )
    assert instance.sii_tracks == {}  # answered: no lifecycle handle is kept


def test_a_refused_document_burns_no_folio_and_creates_no_client() -> None:
    _, state = state_of("bsale")
    instance = state.instance(TOKEN)
    clients = len(instance.catalogue.clients)
    body = seed_example()
    body["details"][0]["quantity"] = -1
    with pytest.raises(MockError, match="invalid quantity"):
        state.create(instance, body)
    assert len(instance.catalogue.clients) == clients
    assert instance.catalogue.document_types[8]["caf"]["lastNumberUsed"] == 0  # type: ignore[index]


def test_tokens_open_separate_companies() -> None:
    _, state = state_of("bsale")
    mine, theirs = state.instance(TOKEN), state.instance("another-token")
    state.create(mine, boleta(1000))
    assert len(mine.documents) == 1 and len(theirs.documents) == 0
    assert mine.cpn_id != theirs.cpn_id


def test_reading_through_poll_document_moves_the_declaration_in_polls_mode() -> None:
    runtime, state = state_of("bsale")
    runtime.lifecycles.set_mode("bsale", "*", Mode.POLLS, polls=1)
    instance = state.instance(TOKEN)
    doc, _ = state.create(instance, boleta(1000))
    assert state.document(instance, doc.id).informed_sii == 1
    assert state.poll_document(instance, doc.id).informed_sii == 0


def test_a_stored_document_cannot_be_changed_in_place_only_through_update() -> None:
    _, state = state_of("bsale")
    instance = state.instance(TOKEN)
    doc, _ = state.create(instance, boleta(1000))
    with pytest.raises(dataclasses.FrozenInstanceError):
        doc.state = 1  # type: ignore[misc]
    instance.documents.update(doc.id, used=True)
    assert instance.documents[doc.id].used


def test_an_update_survives_the_read_cache_letting_the_document_go() -> None:
    _, state = state_of("bsale")
    instance = state.instance(TOKEN)
    docs = [state.create(instance, boleta(1000 + n))[0] for n in range(Documents.HOT + 10)]
    instance.documents.update(docs[0].id, state=1, used=True)
    for doc in docs[1:]:  # more reads than the cache keeps: the first document leaves it
        instance.documents.get(doc.id)
    again = instance.documents[docs[0].id]
    assert (again.state, again.used) == (1, True)
    assert again.amounts == docs[0].amounts and again.details == docs[0].details


def test_documents_are_stored_in_sequence_only() -> None:
    _, state = state_of("bsale")
    instance = state.instance(TOKEN)
    doc, _ = state.create(instance, boleta(1000))
    with pytest.raises(ValueError, match="out of sequence"):
        instance.documents.add(dataclasses.replace(doc, id=doc.id + 5))
