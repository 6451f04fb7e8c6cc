"""What real clients send, on all five providers: JSON null for a field they do not give, several
missing fields at once. Each answer is in the provider's envelope and language, names each field by
itself, and carries no jsonschema or Python wording."""

from __future__ import annotations

import re
from typing import Any

import pytest

from mockserver.providers.hacienda import sample
from mockserver.providers.tupana.entities import entity_id
from tests.conftest import Mock, MockFactory
from tests.providers.avenio.conftest import Avenio, emision
from tests.providers.avenio.conftest import token as avenio_token
from tests.providers.bsale.conftest import Bsale, boleta
from tests.providers.hacienda.conftest import Hacienda, login
from tests.providers.tuimprenta.conftest import Tuimprenta, invoice_body
from tests.providers.tupana.conftest import ISSUER, Tupana, factura

# what jsonschema and Python say: none of it may reach a client
FOREIGN = re.compile(
    r"None|is not of type|is a required property|should be non-empty|does not match|Traceback"
)


@pytest.fixture
async def mock(make_mock: MockFactory) -> Mock:
    result: Mock = await make_mock()
    return result


def _clean(text: str) -> None:
    assert not FOREIGN.search(text), text


async def test_null_in_an_optional_field_is_taken_as_not_given_on_every_provider(mock: Mock) -> None:
    ti = Tuimprenta(mock)
    made = await ti.ok(
        "POST", "/invoices", 201, json=invoice_body(metadata=None, issue_date=None, notes=None)
    )
    assert made["metadata"] in (None, {}) and made["issue_date"]

    bsale = Bsale(mock)
    document = await bsale.create(boleta(1000, client=None, emissionDate=None, salesId=None))
    assert document["id"]

    avenio = Avenio(mock, await avenio_token(mock))
    response = await avenio.post("emitir", emision(callbackUrl=None, emisor=None))
    assert response.status == 202, await response.text()

    hacienda = Hacienda(mock, (await login(mock))["access_token"])
    payload = hacienda.body(sample.Sample())
    payload["callbackUrl"] = None
    payload["consecutivoReceptor"] = None
    response = await hacienda.post(payload)
    assert response.status == 201, response.headers.get("X-Error-Cause")

    tupana = Tupana(mock)
    await tupana.enrol()
    response = await tupana.batch([factura(payment_method=None)], callback_url=None)
    assert response.status in (200, 201, 202), await response.text()


async def test_null_in_a_required_field_is_that_field_missing_in_the_providers_words(mock: Mock) -> None:
    response = await Tuimprenta(mock).call("POST", "/invoices", json=invoice_body(series=None))
    error = (await response.json())["error"]
    assert (response.status, error["field"], error["message"]) == (
        422,
        "series",
        "El campo series es requerido",
    )

    hacienda = Hacienda(mock, (await login(mock))["access_token"])
    response = await hacienda.post({**hacienda.body(sample.Sample()), "fecha": None})
    assert response.status == 400
    assert response.headers["X-Error-Cause"] == "El campo fecha es requerido"


async def test_each_missing_field_is_named_by_itself(mock: Mock) -> None:
    avenio = Avenio(mock, await avenio_token(mock))
    body = {k: v for k, v in emision().items() if k not in ("fechaEmision", "receptor", "prestaciones")}
    response = await avenio.post("emitir", body)
    text = await response.text()
    _clean(text)
    details = (await response.json())["error"]["details"]
    assert response.status == 422
    assert sorted(d["field"] for d in details) == ["fechaEmision", "prestaciones", "receptor"]
    assert {d["message"] for d in details} == {
        f"{f} is required" for f in ("fechaEmision", "prestaciones", "receptor")
    }

    tupana = Tupana(mock)
    await tupana.enrol()
    response = await tupana.call("POST", "/webhooks/", json={"master_entity_id": entity_id(ISSUER)})
    text = await response.text()
    _clean(text)
    error = (await response.json())["error"]
    assert (response.status, error["code"], error["param"]) == (422, "validation_error", "url")
    assert [e["param"] for e in error["errors"]] == ["url", "events"]


@pytest.mark.parametrize(
    ("provider", "send"),
    [
        ("bsale", {"details": "x"}),
        ("tuimprenta", {"items": "x"}),
        ("avenio", {"prestaciones": "x"}),
        ("hacienda", {"emisor": "x"}),
        ("tupana", {"documents": "x"}),
    ],
)
async def test_a_wrong_type_is_said_in_words_not_in_jsonschemas(mock: Mock, provider: str, send: Any) -> None:
    if provider == "bsale":
        response = await Bsale(mock).post({**boleta(1000), **send})
        said = (await response.json())["error"]
        assert said == "details must be a list"
    elif provider == "tuimprenta":
        response = await Tuimprenta(mock).call("POST", "/invoices", json=invoice_body(**send))
        said = (await response.json())["error"]["message"]
        assert said == "El campo items debe ser una lista"
    elif provider == "avenio":
        avenio = Avenio(mock, await avenio_token(mock))
        response = await avenio.post("emitir", emision(**send))
        said = await response.text()
        assert (await response.json())["error"]["details"][0]["message"] == "prestaciones must be a list"
    elif provider == "hacienda":
        hacienda = Hacienda(mock, (await login(mock))["access_token"])
        response = await hacienda.post({**hacienda.body(sample.Sample()), **send})
        said = response.headers["X-Error-Cause"]
        assert said == "El campo emisor debe ser un objeto"
    else:
        tupana = Tupana(mock)
        response = await tupana.call(
            "POST", "/documents/batch/", json=send, headers={"Idempotency-Key": "k1"}
        )
        said = await response.text()
        assert (await response.json())["error"]["message"] == "documents must be a list"
    _clean(said)
