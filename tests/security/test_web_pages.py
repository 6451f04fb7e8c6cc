"""What a web page the developer visits can make a browser send to a loopback mock: nothing that
changes it, and, through DNS rebinding, nothing that reads it (hostile-inputs issue, round two)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Mock
from tests.providers.tuimprenta.conftest import invoice_body

JSON = {"Content-Type": "application/json"}


@pytest.fixture
async def mock(make_mock: Any) -> Mock:
    result: Mock = await make_mock(providers=("bsale", "tuimprenta"), allowed_hosts=("mock.ci.example.com",))
    return result


async def _rules(mock: Mock) -> list[Any]:
    return (await (await mock.client.get("/__admin/scenarios")).json())["rules"]


@pytest.mark.parametrize(
    "host", ["evil.example.com", "evil.example.com:8080", "127.0.0.1.nip.io", "rebind.attacker.test:80"]
)
async def test_a_control_call_under_another_host_name_is_refused(mock: Mock, host: str) -> None:
    for method, path in [("GET", "/__admin/state"), ("GET", "/__admin/requests"), ("GET", "/__admin/ui")]:
        refused = await mock.client.request(method, path, headers={"Host": host})
        assert refused.status == 403, path
        assert "--allowed-hosts" in (await refused.json())["error"]
    reset = await mock.client.post("/__admin/reset", json={}, headers={"Host": host})
    assert reset.status == 403


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1:8080", "localhost", "[::1]:8080", "mockserver:8080", "app.localhost", "mock.ci.example.com",
     "api.bsale.io", "10.0.0.7:8080"],
)  # fmt: skip
async def test_the_mocks_own_names_reach_the_control_plane(mock: Mock, host: str) -> None:
    response = await mock.client.get("/__admin/requests", headers={"Host": host})
    assert response.status == 200, await response.text()


async def test_an_empty_form_post_cannot_reset_the_mock(mock: Mock) -> None:
    made = await mock.client.post(
        "/tuimprenta/v1/invoices",
        json=invoice_body(),
                                  headers={"Authorization": "Bearer k"})  # fmt: skip
    for headers in (
        {"Content-Type": "application/x-www-form-urlencoded"},
        {"Content-Type": "multipart/form-data; boundary=x"},
        {"Content-Type": "text/plain"},
    ):
        refused = await mock.client.post("/__admin/reset", data=b"", headers=headers)
        assert refused.status == 415, headers
    listed = await mock.client.get("/tuimprenta/v1/invoices", headers={"Authorization": "Bearer k"})
    assert made.status == 201 and len((await listed.json())["data"]) == 1


async def test_a_text_plain_json_body_adds_no_rule(mock: Mock) -> None:
    body = b'{"provider": "bsale", "status": 500}'
    refused = await mock.client.post("/__admin/scenarios", data=body, headers={"Content-Type": "text/plain"})
    assert refused.status == 415 and "application/json" in (await refused.json())["error"]
    assert await _rules(mock) == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example.com"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
async def test_a_json_call_from_another_site_is_refused_even_with_the_token(
    make_mock: Any, headers: dict[str, str]
) -> None:
    mock: Mock = await make_mock(providers=("bsale",), admin_token="a-long-token-nobody-guesses-1234")
    sent = {**JSON, **headers, "X-Mock-Admin-Token": "a-long-token-nobody-guesses-1234"}
    refused = await mock.client.post(
        "/__admin/scenarios", json={"provider": "bsale", "status": 500}, headers=sent
    )
    assert refused.status == 403 and "another site" in (await refused.json())["error"]
    own = {"X-Mock-Admin-Token": "a-long-token-nobody-guesses-1234"}
    assert (await (await mock.client.get("/__admin/scenarios", headers=own)).json())["rules"] == []


async def test_the_dashboards_own_calls_still_work(mock: Mock) -> None:
    host = f"127.0.0.1:{mock.client.port}"
    same = {**JSON, "Origin": f"http://{host}", "Sec-Fetch-Site": "same-origin", "Host": host}
    made = await mock.client.post(
        "/__admin/scenarios", json={"provider": "bsale", "status": 503}, headers=same
    )
    assert made.status == 201
    bare = await mock.client.post("/__admin/webhooks/pause")  # curl -X POST: no body, no type
    assert bare.status == 200


async def test_the_demo_inbox_takes_any_body_but_not_from_another_site(mock: Mock) -> None:
    taken = await mock.client.post("/__admin/inbox/demo", data=b"a=1", headers={"Content-Type": "text/plain"})
    assert taken.status == 200
    refused = await mock.client.post(
        "/__admin/inbox/demo", data=b"a=1", headers={"Origin": "https://evil.example.com"}
    )
    assert refused.status == 403


async def test_every_control_answer_carries_the_headers_that_keep_pages_out(mock: Mock) -> None:
    for path in ("/__admin/ui", "/__admin/requests", "/__admin/ui/panels?part=live", "/__admin/nothing-here"):
        response = await mock.client.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    page = await mock.client.get("/__admin/ui")
    policy = page.headers["Content-Security-Policy"]
    assert (
        "script-src 'sha256-" in policy and "unsafe-inline" not in policy and "default-src 'none'" in policy
    )


async def test_a_refusal_shown_by_the_dashboard_is_text_not_markup(mock: Mock) -> None:
    from mockserver.admin import ui_assets

    assert "${await r.text()}</" not in ui_assets.SCRIPT  # a refusal's words never become HTML
    hostile = "<img src=x onerror=alert(1)>"
    refused = await mock.client.get("/__admin/ui/panels", params={"part": "live", "provider": hostile})
    assert refused.status == 400 and refused.content_type == "application/json"
    panels = await mock.client.get("/__admin/ui/panels", params={"part": "controls", "tenant": hostile,
                                                                   "provider": "bsale"})  # fmt: skip
    assert "<img" not in await panels.text()
