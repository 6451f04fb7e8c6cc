"""Safe to share, item 10: a secret sent the way a buggy client sends it — in a body the mock cannot
read, as text/plain, with a BOM, in the query, in an odd header, in a repeated field, as a number —
reaches neither the journal, nor an export, nor the state file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Mock
from tests.providers.avenio.conftest import API, emision, token

SECRET = "Zq-Secret-4242"


@pytest.fixture
async def mock(make_mock: Any, tmp_path: Path) -> Mock:
    result: Mock = await make_mock(
        providers=("avenio", "hacienda", "tuimprenta"), state_file=tmp_path / "state.sqlite"
    )
    return result


def _emit_json(secret: str) -> str:
    return json.dumps(emision(passwordSII=secret))


CASES: dict[str, Any] = {
    "trailing-comma": lambda: (_emit_json(SECRET)[:-1] + ",}", "application/json", ""),
    "text-plain": lambda: (_emit_json(SECRET), "text/plain", ""),
    "bom": lambda: ("\ufeff" + _emit_json(SECRET), "application/json", ""),
    "query-string": lambda: (_emit_json("x"), "application/json", f"?passwordSII={SECRET}"),
    "form-sent-as-json": lambda: (f"passwordSII={SECRET}&rutUsuario=1", "application/json", ""),
    "number-password": lambda: (_emit_json("x").replace('"x"', "4242424242"), "application/json", ""),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_a_secret_in_a_malformed_avenio_emission_is_kept_nowhere(
    mock: Mock, tmp_path: Path, case: str
) -> None:
    body, content_type, query = CASES[case]()
    secret = "4242424242" if case == "number-password" else SECRET
    bearer = await token(mock)
    headers = {"Authorization": f"Bearer {bearer}", "Content-Type": content_type}
    answer = await mock.client.post(f"{API}/emitir{query}", data=body.encode(), headers=headers)
    assert answer.status < 500
    await _nowhere(mock, tmp_path, secret)


@pytest.mark.parametrize("header", ["Proxy-Authorization", "Api-Key", "X-Auth-Token", "X-Access-Token"])
async def test_a_credential_in_an_odd_header_is_kept_nowhere(mock: Mock, tmp_path: Path, header: str) -> None:
    answer = await mock.client.post(
        "/tuimprenta/v1/invoices", json={}, headers={"Authorization": "Bearer k", header: f"Bearer {SECRET}"}
    )
    assert answer.status == 422
    await _nowhere(mock, tmp_path, SECRET)


async def test_a_repeated_password_field_is_kept_nowhere(mock: Mock, tmp_path: Path) -> None:
    form = f"grant_type=password&client_id=api-stag&username=u&password={SECRET}&password={SECRET}2"
    answer = await mock.client.post(
        "/hacienda/auth/realms/rut-stag/protocol/openid-connect/token",
        data=form.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status == 200
    await _nowhere(mock, tmp_path, SECRET)


async def _nowhere(mock: Mock, tmp_path: Path, secret: str) -> None:
    journal = await (await mock.client.get("/__admin/requests")).text()
    export = await (await mock.client.get("/__admin/state")).text()
    assert secret not in journal and secret not in export
    for path in tmp_path.iterdir():
        assert secret.encode() not in path.read_bytes(), path.name


async def test_client_secret_digests_are_salted_per_mock_and_survive_an_import(make_mock: Any) -> None:
    import hashlib

    from tests.providers.avenio.conftest import TOKEN

    form = {"grant_type": "client_credentials", "client_id": "ci-job", "client_secret": SECRET}
    first: Mock = await make_mock(providers=("avenio",))
    second: Mock = await make_mock(providers=("avenio",))
    for mock in (first, second):
        assert (await mock.client.post(TOKEN, data=form)).status == 200
    logs = [(await (await m.client.get("/__admin/state")).text()) for m in (first, second)]
    assert hashlib.sha256(SECRET.encode()).hexdigest() not in logs[0] + logs[1]  # no table lookup
    digests = [[w["body"] for w in json.loads(log)["writes"]] for log in logs]
    assert digests[0] != digests[1]  # each mock its own salt
    imported = await second.client.put(
        "/__admin/state", data=logs[0], headers={"Content-Type": "application/json"}
    )
    assert imported.status == 200
    assert (await second.client.post(TOKEN, data=form)).status == 200  # the same secret still opens it
    wrong = await second.client.post(TOKEN, data={**form, "client_secret": "another"})
    assert wrong.status == 401


async def test_a_hacienda_username_keeps_its_first_password_across_a_restart(
    make_mock: Any, tmp_path: Path
) -> None:
    from mockserver.core import persistence

    url = "/hacienda/auth/realms/rut-stag/protocol/openid-connect/token"
    settings = {"providers": ("hacienda",), "state_file": tmp_path / "idp.sqlite"}

    def form(password: str) -> dict[str, str]:
        return {"grant_type": "password", "client_id": "api-stag", "username": "victim", "password": password}

    first: Mock = await make_mock(**settings)
    assert (await first.client.post(url, data=form(SECRET))).status == 200
    stolen = await first.client.post(url, data=form("any-other"))
    assert stolen.status == 401 and (await stolen.json())["error"] == "invalid_grant"
    await first.client.close()
    again: Mock = await make_mock(**settings)
    await persistence.restore(again.runtime)
    assert (await again.client.post(url, data=form("any-other"))).status == 401
    assert (await again.client.post(url, data=form(SECRET))).status == 200
    reset = await again.client.post(
        "/__admin/reset", json={"provider": "hacienda", "tenant": "rut-stag/victim"}
    )
    assert reset.status == 200
    assert (await again.client.post(url, data=form("a-new-one"))).status == 200  # a reset forgets it
