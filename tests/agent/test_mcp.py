"""`mockserver mcp`, driven by the MCP SDK's own clients as a coding agent drives it: over stdio (a
mock of its own in the server's process) and over Streamable HTTP (attached to a shared mock with an
admin token), every tool called with its result checked, the resources read, a whole flow from a
Hacienda comprobante to its signed answer, and what a session without the admin token cannot reach."""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("mcp")

import httpx2
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from mockserver.core.services.keys import load_signing_key
from mockserver.providers.hacienda import sample
from tests.cli.process import ROOT, free_ports, running

TOOLS = {
    "open_sandbox",
    "close_sandbox",
    "reset",
    "list_operations",
    "describe_operation",
    "call_operation",
    "list_requests",
    "read_request",
    "verify_requests",
    "list_entities",
    "download_file",
    "create_clock",
    "move_clock",
    "read_clock",
    "list_event_types",
    "trigger_event",
    "list_deliveries",
    "replay_delivery",
    "add_rule",
    "remove_rule",
    "list_rules",
    "read_coverage",
}
INVOICE = {
    "series": "A",
    "customer": {"name": "Cliente Agente", "tax_id": "J-12345678-4"},
    "items": [{"description": "Servicio", "qty": 1, "unit_price": 100.0}],
}


@contextlib.asynccontextmanager
async def stdio(*args: str) -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "mockserver", "mcp", *args], cwd=str(ROOT)
    )
    with open("/dev/null", "w") as quiet:
        async with stdio_client(params, errlog=quiet) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            yield session


async def ok(session: ClientSession, tool: str, **arguments: Any) -> Any:
    """A tool's structured result; fails on a tool error."""
    result = await session.call_tool(tool, arguments)
    text = result.content[0].text if result.content and hasattr(result.content[0], "text") else ""
    assert not result.is_error, f"{tool}: {text}"
    structured = result.structured_content
    if structured is None:
        return result.content
    return structured["result"] if set(structured) == {"result"} else structured  # the SDK's wrapping


async def refused(session: ClientSession, tool: str, **arguments: Any) -> str:
    """A tool error's message."""
    result = await session.call_tool(tool, arguments)
    assert result.is_error, f"{tool} was not refused: {result.structured_content}"
    message: str = result.content[0].text  # type: ignore[union-attr]
    return message


async def test_the_tools_and_resources_an_agent_finds(tmp_path: Path) -> None:
    async with stdio() as session:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        assert set(tools) == TOOLS
        assert all(t.description and t.input_schema.get("type") == "object" for t in tools.values())
        assert "operation_id" in tools["call_operation"].input_schema["properties"]
        assert "ctx" not in tools["call_operation"].input_schema["properties"]  # the SDK's, not an argument
        uris = {str(r.uri) for r in (await session.list_resources()).resources}
        providers = ("hacienda", "avenio", "bsale", "tupana", "tuimprenta")
        assert uris == {f"mockserver://{kind}/{p}" for kind in ("specs", "facts") for p in providers}
        spec = json.loads((await session.read_resource("mockserver://specs/bsale")).contents[0].text)  # type: ignore[union-attr]
        assert spec["openapi"].startswith("3") and "/v1/documents.json" in spec["paths"]
        quirks = (await session.read_resource("mockserver://facts/hacienda")).contents[0].text  # type: ignore[union-attr]
        assert "| Hacienda |" in quirks and "| all |" in quirks and "| Bsale |" not in quirks
        assert "| hacienda | listing |" in quirks and "| bsale |" not in quirks  # the column in any case
        assert (
            "| bsale, tupana |" in (await session.read_resource("mockserver://facts/tupana")).contents[0].text
        )  # type: ignore[union-attr]
        # bad arguments are tool errors, with what was wrong
        assert "open_sandbox first" in await refused(
            session, "list_requests", sandbox="nobody", provider="bsale"
        )
        assert "no operation" in await refused(
            session, "describe_operation", provider="bsale", operation_id="nope"
        )
        assert "not a provider" in await refused(session, "list_operations", provider="sunat")
        missing = await session.call_tool("open_sandbox", {})
        assert missing.is_error and "name" in missing.content[0].text  # type: ignore[union-attr]
        wrong = await refused(session, "add_rule", provider="bsale", operation="noSuchOperation", status=500)
        assert "noSuchOperation" in wrong  # the control plane's own message


async def test_a_whole_flow_as_an_agent_runs_it(tmp_path: Path) -> None:
    async with stdio() as session:
        box = await ok(session, "open_sandbox", name="agent-flow")
        hacienda = box["providers"]["hacienda"]
        assert hacienda["base_url"].endswith("/hacienda") and hacienda["headers"]["Authorization"]
        ops = await ok(session, "list_operations", provider="hacienda")
        assert {"postRecepcion", "getRecepcion"} <= {o["operationId"] for o in ops["operations"]}
        described = await ok(session, "describe_operation", provider="hacienda", operation_id="postRecepcion")
        assert described["path"] == "/recepcion-sandbox/v1/recepcion" and described["requestBody"]

        # a comprobante submitted through the call tool: procesando in the journal, then aceptado
        doc = sample.Sample()
        body = sample.body(doc, load_signing_key(None, time.time()))
        sent = await ok(
            session,
            "call_operation",
            provider="hacienda",
            operation_id="postRecepcion",
            sandbox="agent-flow",
            body=body,
        )
        assert sent["status"] in (201, 202), sent
        read = {
            "provider": "hacienda",
            "operation_id": "getRecepcion",
            "sandbox": "agent-flow",
            "path_params": {"clave": doc.clave},
        }
        first = await ok(session, "call_operation", **read)
        assert first["status"] == 200 and first["body"]["ind-estado"] in ("recibido", "procesando")
        journal = await ok(session, "list_requests", sandbox="agent-flow", provider="hacienda")
        posted = [e for e in journal["requests"] if e["operation"] == "postRecepcion"]
        assert posted and posted[0]["status"] in (201, 202)
        entry = await ok(
            session, "read_request", request_id=posted[0]["id"], sandbox="agent-flow", provider="hacienda"
        )
        assert (
            entry["path"].endswith("/recepcion")
            and entry["request_headers"]["Authorization"] != hacienda["headers"]["Authorization"]
        )  # masked
        moved = await ok(session, "move_clock", sandbox="agent-flow", advance=120)
        assert moved["clocks"]
        later = await ok(session, "call_operation", **read)
        assert later["body"]["ind-estado"] == "aceptado"
        answer = base64.b64decode(later["body"]["respuesta-xml"])
        assert b"MensajeHacienda" in answer and b"Signature" in answer
        verified = await ok(
            session,
            "verify_requests",
            provider="hacienda",
            sandbox="agent-flow",
            operation="getRecepcion",
            times=2,
        )
        assert verified["ok"] is True
        missed = await ok(
            session,
            "verify_requests",
            provider="hacienda",
            sandbox="agent-flow",
            operation="getComprobantes",
            at_least=1,
        )
        assert missed["ok"] is False  # an answer with the near misses, not an error
        coverage = await ok(session, "read_coverage", provider="hacienda", sandbox="agent-flow")
        assert "postRecepcion" in json.dumps(coverage)

        # a Tu Pana webhook, triggered and delivered, then replayed
        types = await ok(session, "list_event_types", provider="tupana")
        event = types["events"][0]["type"]
        inbox = box["providers"]["tupana"]["base_url"].rsplit("/", 1)[0] + "/__admin/inbox/agent"
        await ok(
            session,
            "trigger_event",
            provider="tupana",
            type=event,
            sandbox="agent-flow",
            fields={"url": inbox},
        )
        await ok(session, "move_clock", sandbox="agent-flow", advance=1)
        deliveries = (await ok(session, "list_deliveries", provider="tupana", sandbox="agent-flow"))[
            "deliveries"
        ]
        assert deliveries and deliveries[0]["event"] == event
        replayed = await ok(
            session,
            "replay_delivery",
            delivery_id=deliveries[0]["id"],
            provider="tupana",
            sandbox="agent-flow",
        )
        assert replayed["event"] == event and replayed["id"] != deliveries[0]["id"]

        # entities and their files: a tuimprenta invoice's PDF as a link, its XML as text
        made = await ok(
            session,
            "call_operation",
            provider="tuimprenta",
            method="POST",
            path="/v1/invoices",
            sandbox="agent-flow",
            body=INVOICE,
        )
        assert made["status"] == 201, made
        listed = await ok(session, "list_entities", provider="tuimprenta", sandbox="agent-flow")
        invoice = next(e for e in listed["entities"] if e["id"] == made["body"]["id"])
        pdf = await session.call_tool(
            "download_file",
            {"provider": "tuimprenta", "file": f"{invoice['id']}.pdf", "sandbox": "agent-flow"},
        )
        assert not pdf.is_error and pdf.content[0].type == "resource_link"
        assert str(pdf.content[0].uri).endswith(f"/__admin/files/tuimprenta/{invoice['id']}.pdf")  # type: ignore[union-attr]
        xml = await session.call_tool(
            "download_file",
            {"provider": "tuimprenta", "file": f"{invoice['id']}.xml", "sandbox": "agent-flow"},
        )
        assert not xml.is_error and xml.content[0].text.lstrip().startswith("<")  # type: ignore[union-attr]

        # rules, clocks and reset
        rule = await ok(
            session,
            "add_rule",
            provider="tuimprenta",
            sandbox="agent-flow",
            operation="createInvoice",
            status=503,
            times=1,
        )
        rules = await ok(session, "list_rules", provider="tuimprenta", sandbox="agent-flow")
        assert [r["id"] for r in rules["rules"]] == [rule["id"]]
        failed = await ok(
            session,
            "call_operation",
            provider="tuimprenta",
            operation_id="createInvoice",
            sandbox="agent-flow",
            body=INVOICE,
        )
        assert failed["status"] == 503
        await ok(
            session,
            "add_rule",
            provider="tuimprenta",
            sandbox="agent-flow",
            operation="listInvoices",
            status=500,
        )
        second = (await ok(session, "list_rules", provider="tuimprenta", sandbox="agent-flow"))["rules"]
        await ok(session, "remove_rule", rule_id=second[0]["id"], provider="tuimprenta", sandbox="agent-flow")
        assert (await ok(session, "list_rules", provider="tuimprenta", sandbox="agent-flow"))["rules"] == []
        clock = await ok(session, "create_clock", name="agent's own", frozen_time=1_700_000_000)
        shown = await ok(session, "read_clock", clock_id=clock["id"])
        assert shown["epoch"] == 1_700_000_000
        await ok(session, "move_clock", clock_id=clock["id"], advance=60)
        assert (await ok(session, "read_clock", clock_id=clock["id"]))["epoch"] == 1_700_000_060
        assert (await ok(session, "read_clock", sandbox="agent-flow"))["frozen"] is False
        await ok(session, "reset", provider="tuimprenta", sandbox="agent-flow")
        assert (await ok(session, "list_entities", provider="tuimprenta", sandbox="agent-flow"))[
            "entities"
        ] == []
        await ok(session, "close_sandbox", name="agent-flow")
        assert "open_sandbox first" in await refused(session, "read_clock", sandbox="agent-flow")


@contextlib.contextmanager
def mcp_http(tmp_path: Path, *args: str) -> Iterator[str]:
    """`mockserver mcp --http` on a free port; its endpoint's URL once it takes connections."""
    port = free_ports()
    with running(["mcp", "--http", str(port), *args], tmp_path / "mcp.log", expect_exit=None):
        deadline = time.monotonic() + 20
        while True:  # the SDK's server has no health URL: it is up once it takes a connection
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/mcp"


def test_a_web_page_cannot_drive_the_http_endpoint(tmp_path: Path) -> None:
    """The HTTP endpoint acts with the mock's powers: a page on another site, or one reached through
    DNS rebinding, must not reach it (the SDK's own Host and Origin checks, on 127.0.0.1)."""
    hello = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "page", "version": "1"},
        },
    }
    kinds = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}

    def post(url: str, **headers: str) -> int:
        sent = {**kinds, **headers}
        request = urllib.request.Request(url, data=json.dumps(hello).encode(), headers=sent, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as refused:
            return int(refused.code)

    with mcp_http(tmp_path) as url:
        assert post(url) == 200  # an agent's client on this machine
        assert post(url, Host="evil.test") == 421  # DNS rebinding: another name for this address
        assert post(url, Origin="http://evil.test") == 403  # a page on another site
        assert post(url, **{"Content-Type": "text/plain"}) == 400  # a form or text a page sends freely


@pytest.fixture
def shared_mock(tmp_path: Path) -> Any:
    port = free_ports()
    flags = ["--port", str(port), "--admin-token", "s3cret-admin-token-for-mcp", "--providers", "tuimprenta"]
    with running(flags, tmp_path / "mock.log", health=f"http://127.0.0.1:{port}/__admin/health"):
        yield f"http://127.0.0.1:{port}"


async def test_over_streamable_http_a_session_reaches_only_what_its_credential_does(
    shared_mock: str, tmp_path: Path
) -> None:
    with mcp_http(tmp_path, "--mockserver-url", shared_mock) as url:
        async with (
            streamable_http_client(url) as (read, write),
            ClientSession(read, write) as one,
            streamable_http_client(url) as (read2, write2),
            ClientSession(read2, write2) as other,
        ):
            await one.initialize()
            await other.initialize()
            assert {t.name for t in (await one.list_tools()).tools} == TOOLS
            await ok(one, "open_sandbox", name="job")
            made = await ok(
                one,
                "call_operation",
                provider="tuimprenta",
                operation_id="createInvoice",
                sandbox="job",
                body=INVOICE,
            )
            assert made["status"] == 201
            mine = await ok(one, "list_entities", provider="tuimprenta", sandbox="job")
            assert [e["id"] for e in mine["entities"]] == [made["body"]["id"]]
            # the other session's sandbox of the same name is its own: it sees nothing of the first
            await ok(other, "open_sandbox", name="job")
            theirs = await ok(other, "list_entities", provider="tuimprenta", sandbox="job")
            assert theirs["entities"] == []
            # without the admin token, whole-mock tools are the control plane's refusal
            assert "401" in await refused(other, "list_requests")
            assert "401" in await refused(other, "list_entities", provider="tuimprenta")
            await ok(other, "reset", provider="tuimprenta", sandbox="job")  # its own sandbox: fine
            again = await ok(one, "list_entities", provider="tuimprenta", sandbox="job")
            assert [e["id"] for e in again["entities"]] == [made["body"]["id"]]  # the first's untouched
        # a session whose client sends the admin token reaches the whole mock
        admin = httpx2.AsyncClient(headers={"X-Mock-Admin-Token": "s3cret-admin-token-for-mcp"}, timeout=30)
        async with (
            admin,
            streamable_http_client(url, http_client=admin) as (read, write),
            ClientSession(read, write) as whole,
        ):
            await whole.initialize()
            everything = await ok(whole, "list_requests", provider="tuimprenta", limit=100)
            assert any(e["operation"] == "createInvoice" for e in everything["requests"])


def test_without_the_extra_the_command_names_it(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    from mockserver import cli

    for name in [n for n in sys.modules if n.partition(".")[0] in ("mcp", "mcp_types")]:
        monkeypatch.setitem(sys.modules, name, None)  # as if not installed: importing it fails
    monkeypatch.delitem(sys.modules, "mockserver.agent", raising=False)
    with pytest.raises(SystemExit) as stopped:
        cli.main(["mcp"])
    assert stopped.value.code == 2
    assert "pip install 'latam-einvoicing-sandbox[mcp]'" in capsys.readouterr().err


async def test_a_mock_that_went_away_is_a_tool_error_that_says_so(tmp_path: Path) -> None:
    port = free_ports()
    flags = ["--port", str(port), "--providers", "bsale"]
    with running(flags, tmp_path / "mock.log", health=f"http://127.0.0.1:{port}/__admin/health") as mock:
        async with stdio("--mockserver-url", f"http://127.0.0.1:{port}") as session:
            await ok(session, "open_sandbox", name="short-lived")
            mock.terminate()
            mock.wait(10)
            message = await refused(session, "list_requests", sandbox="short-lived", provider="bsale")
            assert f"the mock at http://127.0.0.1:{port} cannot be reached" in message
