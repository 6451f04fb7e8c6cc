"""GET /comprobantes and /comprobantes/{clave}: order, filters, 200 vs 206, notes that reference."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from mockserver.providers.hacienda import sample
from tests.providers.hacienda.conftest import API, Hacienda


async def _list(h: Hacienda, query: str = "") -> tuple[int, dict[str, str], list[dict[str, object]]]:
    response = await h.mock.client.get(f"{API}/comprobantes{query}", headers=h.headers)
    return response.status, dict(response.headers), await response.json()


async def test_list_is_newest_first_with_accept_range(hacienda: Hacienda) -> None:
    base = sample.Sample().fecha
    for n in (1, 2, 3):
        await hacienda.submit(sample.Sample(numero=n, fecha=base + timedelta(hours=n)))
    status, headers, items = await _list(hacienda)
    assert status == 200
    assert headers["Accept-Range"] == "resource 50"
    assert "Content-Range" not in headers
    assert [item["clave"][31:41] for item in items] == ["0000000003", "0000000002", "0000000001"]
    assert items[0]["emisor"] == {
        "tipoIdentificacion": "02",
        "numeroIdentificacion": "3101123456",
        "nombre": "Razón Social S.A.",
    }


async def test_offset_and_limit_page_with_206_and_content_range(hacienda: Hacienda) -> None:
    for n in range(1, 6):
        await hacienda.submit(sample.Sample(numero=n))
    status, headers, items = await _list(hacienda, "?offset=1&limit=2")
    assert status == 206
    assert headers["Content-Range"] == "1-2/5"
    assert len(items) == 2
    status, _, items = await _list(hacienda, "?offset=0&limit=50")
    assert status == 200
    assert len(items) == 5


async def test_limit_is_capped_at_50_and_bad_values_return_400(hacienda: Hacienda) -> None:
    status, _, _ = await _list(hacienda, "?limit=500")
    assert status == 200
    response = await hacienda.mock.client.get(f"{API}/comprobantes?offset=abc", headers=hacienda.headers)
    assert response.status == 400
    assert "offset" in response.headers["X-Error-Cause"]


async def test_emisor_and_receptor_filters_use_type_plus_padded_number(hacienda: Hacienda) -> None:
    await hacienda.submit(sample.Sample(numero=1))
    await hacienda.submit(sample.Sample(numero=2, receptor_tipo="02", receptor_numero="3101741788"))
    _, _, items = await _list(hacienda, "?emisor=02003101123456")
    assert len(items) == 2
    _, _, items = await _list(hacienda, "?receptor=02003101741788")
    assert [i["receptor"]["numeroIdentificacion"] for i in items] == ["3101741788"]
    _, _, items = await _list(hacienda, "?emisor=01000000000001")
    assert items == []


async def test_comprobante_lists_the_credit_and_debit_notes_that_reference_it(hacienda: Hacienda) -> None:
    factura = sample.Sample(numero=1)
    await hacienda.submit(factura)
    nota_credito = sample.Sample(tipo="03", numero=1, references=[("01", factura.clave)])
    nota_debito = sample.Sample(tipo="02", numero=1, references=[("01", factura.clave)])
    await hacienda.submit(nota_credito)
    await hacienda.submit(nota_debito)
    response = await hacienda.mock.client.get(f"{API}/comprobantes/{factura.clave}", headers=hacienda.headers)
    assert response.status == 200
    body = await response.json()
    assert body["notasCredito"] == [{"clave": nota_credito.clave, "fecha": "2026-11-21T10:30:00-06:00"}]
    assert body["notasDebito"] == [{"clave": nota_debito.clave, "fecha": "2026-11-21T10:30:00-06:00"}]


async def test_tiquete_without_receptor_is_listed_with_an_empty_receptor(hacienda: Hacienda) -> None:
    await hacienda.submit(sample.Sample(tipo="04", receptor_numero=None))
    _, _, items = await _list(hacienda)
    assert items[0]["receptor"] == {"tipoIdentificacion": "", "numeroIdentificacion": "", "nombre": ""}


async def test_unknown_comprobante_returns_404_with_error_cause(hacienda: Hacienda) -> None:
    clave = sample.Sample(numero=77).clave
    response = await hacienda.mock.client.get(f"{API}/comprobantes/{clave}", headers=hacienda.headers)
    assert response.status == 404
    assert response.headers["X-Error-Cause"] == f"No existe el recurso con Clave = [{clave}]"


async def test_content_range_is_offset_limit_count_as_the_seed_words_it_and_last_is_a_switch(
    make_mock: Any,
) -> None:
    from tests.providers.hacienda.conftest import login

    for options, expected in (({}, "0-2/3"), ({"hacienda": {"content_range": "last"}}, "0-1/3")):
        mock = await make_mock(providers=("hacienda",), provider_options=options)
        hacienda = Hacienda(mock, (await login(mock))["access_token"])
        for n in range(1, 4):
            await hacienda.submit(sample.Sample(numero=n))
        status, headers, _ = await _list(hacienda, "?offset=0&limit=2")
        assert (status, headers["Content-Range"]) == (206, expected)
