"""Hacienda's state without HTTP: intake, the lifecycle on the clock, polls by handle, per-user sandboxes."""

from __future__ import annotations

import pytest

from mockserver.core.errors import MockError
from mockserver.core.services.lifecycle import Mode
from mockserver.providers.hacienda import sample
from tests.providers.state import advance, state_of

USER = "rut-stag/cpj-3-101-123456@stag.comprobanteselectronicos.go.cr"


def test_a_comprobante_moves_recibido_procesando_aceptado_on_the_clock() -> None:
    runtime, state = state_of("hacienda")
    doc = state.receive(USER, sample.body(sample.Sample(), runtime.keys))
    assert doc.estado == "recibido"
    advance(runtime, 1)
    assert state.get(USER, doc.key).estado == "procesando"
    advance(runtime, 2)
    assert state.get(USER, doc.key).estado == "aceptado"
    assert state.get(USER, doc.key).respuesta_xml is not None


def test_the_same_clave_twice_is_refused_and_another_user_does_not_see_it() -> None:
    runtime, state = state_of("hacienda")
    body = sample.body(sample.Sample(), runtime.keys)
    doc = state.receive(USER, body)
    with pytest.raises(MockError, match="ya fue recibido anteriormente"):
        state.receive(USER, body)
    with pytest.raises(MockError, match="No existe el recurso"):
        state.get("rut-stag/someone-else", doc.key)


def test_in_polls_mode_each_read_through_poll_moves_it_a_step() -> None:
    runtime, state = state_of("hacienda")
    runtime.lifecycles.set_mode("hacienda", "*", Mode.POLLS, polls=1)
    doc = state.receive(USER, sample.body(sample.Sample(security_code="00000003"), runtime.keys))
    assert state.get(USER, doc.key).estado == "recibido"  # a plain read does not count
    assert state.poll(USER, doc.key).estado == "procesando"
    assert state.poll(USER, doc.key).estado == "rechazado"
