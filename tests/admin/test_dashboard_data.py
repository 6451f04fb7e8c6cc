"""What the dashboard shows, over plain HTTP: the shell holds no data and is open, its panels and the
entity list are authorised like every control call (a sandbox's credential sees its own only), and
`GET /` points a browser at it."""

from __future__ import annotations

from tests.conftest import Mock, MockFactory
from tests.providers.bsale.conftest import Bsale, boleta
from tests.providers.hacienda.conftest import login
from tests.providers.tuimprenta.conftest import KEY, Tuimprenta

OTHER = "ti_test_another_ci_job_000000000001"


async def test_the_home_page_links_the_dashboard_and_each_spec(mock: Mock) -> None:
    response = await mock.client.get("/")
    assert response.status == 200 and response.content_type == "text/html"
    page = await response.text()
    assert 'href="/__admin/ui"' in page and 'href="/bsale/openapi.yaml"' in page


async def test_entities_list_each_sandboxs_work_with_its_files(make_mock: MockFactory) -> None:
    mock: Mock = await make_mock(providers=("bsale", "tuimprenta"))
    invoice = await Tuimprenta(mock).invoice()
    await Tuimprenta(mock, OTHER).invoice()
    document = await Bsale(mock).create(boleta(1000))
    found = (await (await mock.client.get("/__admin/entities")).json())["entities"]
    ours = next(e for e in found if e["id"] == invoice["id"])
    assert (ours["provider"], ours["kind"], ours["state"], ours["label"]) == (
        "tuimprenta",
        "invoice",
        "issued",
        f"{invoice['series']}-1",
    )
    pdf = next(e for e in found if e["provider"] == "bsale" and e["id"] == str(document["id"]))["links"][
        "pdf"
    ]
    served = await mock.client.get(pdf.split(str(mock.client.server.port), 1)[1])
    assert (await served.read()).startswith(b"%PDF-")
    own = {"Authorization": f"Bearer {KEY}", "X-Mock-Provider": "tuimprenta"}
    mine = (await (await mock.client.get("/__admin/entities", headers=own)).json())["entities"]
    assert [e["id"] for e in mine] == [invoice["id"]]


async def test_the_shell_is_open_and_the_panels_are_authorised(make_mock: MockFactory) -> None:
    mock: Mock = await make_mock(providers=("tuimprenta",), admin_token="s3cret")
    shell = await mock.client.get("/__admin/ui")
    assert shell.status == 200 and "invoice" not in (await shell.text())
    assert (await mock.client.get("/__admin/ui/panels")).status == 401
    await Tuimprenta(mock).invoice()
    token = {"X-Mock-Admin-Token": "s3cret"}
    live = await (await mock.client.get("/__admin/ui/panels?part=live", headers=token)).text()
    assert "createInvoice" in live and "Bearer ***" in live and KEY not in live
    controls = await (await mock.client.get("/__admin/ui/panels?part=controls", headers=token)).text()
    assert "invoice.issued" in controls and 'data-action="/__admin/events"' in controls
    assert (await mock.client.get("/__admin/ui/panels?part=nope", headers=token)).status == 400
    assert (await mock.client.get("/__admin/ui/panels?provder=x", headers=token)).status == 400


async def test_files_a_provider_serves_only_with_a_credential_open_from_the_dashboard(
    make_mock: MockFactory,
) -> None:
    mock: Mock = await make_mock(providers=("tuimprenta",))
    invoice = await Tuimprenta(mock).invoice()
    found = (await (await mock.client.get("/__admin/entities")).json())["entities"]
    links = next(e for e in found if e["id"] == invoice["id"])["links"]
    pdf = await mock.client.get(links["pdf"])
    assert pdf.content_type == "application/pdf" and (await pdf.read()).startswith(b"%PDF-")
    xml = await mock.client.get(links["xml"])
    assert xml.content_type == "application/xml"
    theirs = {"Authorization": f"Bearer {OTHER}", "X-Mock-Provider": "tuimprenta"}
    assert (await mock.client.get(links["pdf"], headers=theirs)).status == 403  # not its sandbox
    missing = links["pdf"].replace(invoice["id"], "inv_nope")
    assert (await mock.client.get(missing)).status == 404


async def test_a_request_shows_its_answer_with_the_secrets_in_it_masked(make_mock: MockFactory) -> None:
    mock: Mock = await make_mock(providers=("hacienda", "tuimprenta"))
    invoice = await Tuimprenta(mock).invoice()
    await login(mock)
    entries = (await (await mock.client.get("/__admin/requests")).json())["requests"]
    made = next(e for e in entries if e["operation"] == "createInvoice")
    assert made["response_body"]["id"] == invoice["id"]  # the answer, as JSON
    token = next(e for e in entries if e["path"].endswith("/openid-connect/token"))
    shown = token["response_body"]
    assert shown["access_token"] == shown["refresh_token"] == "***" and shown["expires_in"] == 300
    pdf = await Tuimprenta(mock).call("GET", f"/invoices/{invoice['id']}/pdf")
    assert pdf.status == 200
    entries = (await (await mock.client.get("/__admin/requests?operation=getInvoicePdf")).json())["requests"]
    assert entries[0]["response_body"].endswith("bytes of application/pdf")  # a file by its size


async def test_a_sandboxs_view_lists_only_its_own_test_clocks(make_mock: MockFactory) -> None:
    mock: Mock = await make_mock(providers=("tuimprenta",))
    mine = {"name": "mine", "sandboxes": [{"provider": "tuimprenta", "tenant": KEY}]}
    theirs = {"name": "theirs-secret-name", "sandboxes": [{"provider": "tuimprenta", "tenant": OTHER}]}
    for body in (mine, theirs):
        assert (await mock.client.post("/__admin/clocks", json=body)).status == 201
    own = {"Authorization": f"Bearer {KEY}", "X-Mock-Provider": "tuimprenta"}
    controls = await (await mock.client.get("/__admin/ui/panels?part=controls", headers=own)).text()
    assert "mine ·" in controls and "theirs-secret-name" not in controls
    everything = await (await mock.client.get("/__admin/ui/panels?part=controls")).text()
    assert "theirs-secret-name" in everything
