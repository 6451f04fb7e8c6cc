"""The MCP server's tools and resources: each a thin HTTP call to the mock, made with the credential
of the MCP session that asks (`agent/sessions.py`)."""

from __future__ import annotations

import base64
import inspect
import json
import urllib.parse
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ResourceLink, TextContent

from mockserver.agent.sessions import (
    CURRENT,
    Session,
    Sessions,
    ToolFailed,
    _Current,
    add_resources,
    given,
    operations,
    resolve,
)
from mockserver.client import AdminCallFailed, Client, query_string
from mockserver.sandbox import Sandbox

INSTRUCTIONS = """\
mockserver is a stateful, protocol-faithful sandbox of five Latin-American e-invoicing APIs: Costa
Rica's Hacienda (recepción v1 and its Keycloak), Avenio (Chile, boletas de honorarios), Bsale (Chile),
Tu Pana (Chile) and tuimprenta.digital (Venezuela). Start with open_sandbox: it gives credentials and
base URLs per provider for sandboxes nobody else sees, on a clock of their own. Read a provider's
contract (resource mockserver://specs/<provider>) and its quirks (mockserver://facts/<provider>),
call its operations with call_operation, then look at what the mock saw (list_requests,
verify_requests), what it holds (list_entities, download_file), move time (move_clock) so
asynchronous work completes, and see webhooks (list_deliveries)."""


def build(sessions: Sessions) -> MCPServer:
    """The MCP server: its tools and resources, each call made for the MCP session that asks."""
    server = MCPServer("mockserver", instructions=INSTRUCTIONS)
    session: Any = _Current()

    def tool(fn: Any) -> Any:
        """`fn` as a tool: run for the asking session; a ToolFailed is the agent's tool error, with
        the control plane's own message."""

        def run(ctx: Context, **arguments: Any) -> Any:
            token = CURRENT.set(sessions.of(ctx))
            try:
                return fn(**arguments)
            except (ToolFailed, AdminCallFailed) as failed:  # the control plane's refusal, as it words it
                raise ToolError(str(failed)) from None
            except OSError as unreachable:  # the mock stopped, or the URL was wrong
                raise ToolError(f"the mock at {sessions.url} cannot be reached: {unreachable}") from None
            finally:
                CURRENT.reset(token)

        own = [
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in inspect.signature(fn).parameters.values()
        ]
        ctx = inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)
        run.__signature__ = inspect.Signature([ctx, *own], return_annotation=fn.__annotations__.get("return"))  # type: ignore[attr-defined]
        run.__annotations__ = {**fn.__annotations__, "ctx": Context}
        run.__name__, run.__doc__ = fn.__name__, fn.__doc__
        server.add_tool(run, name=fn.__name__, description=fn.__doc__)
        return fn

    # --- sandboxes -------------------------------------------------------------------------------------

    @tool
    def open_sandbox(name: str) -> dict[str, Any]:
        """Open sandboxes of every provider for `name` (any label, e.g. the feature you are building):
        credentials nobody else has, each provider's base URL, the headers its client sends, and one
        test clock they all follow. Call again with the same name to see them again."""
        box = session.sandboxes.get(name)
        if box is None:
            box = Sandbox(session.client, name, salt=session.salt)
            box.clock.create()
            session.sandboxes[name] = box
        return {
            "name": name,
            "providers": {
                p: {
                    "base_url": box.url(p),
                    "tenant": box.tenant(p),
                    "headers": box.headers(p),
                    "credentials": box.credentials[p],
                }
                for p in box.providers
            },
        }

    @tool
    def close_sandbox(name: str) -> dict[str, Any]:
        """Close a sandbox opened here: its clock goes, with its state, journal and controls."""
        session.box(name).close()
        del session.sandboxes[name]
        return {"closed": name}

    @tool
    def reset(provider: str | None = None, sandbox: str | None = None) -> dict[str, Any]:
        """Empty a sandbox's state, journal and controls (`sandbox` and `provider`), or, with the admin
        token, one provider's or the whole mock's."""
        body = {"provider": provider} if provider else {}  # a sandbox's credential resets its own only
        return dict(session.admin(sandbox, provider, "POST", "/reset", body) or {})

    # --- a provider's API --------------------------------------------------------------------------------

    @tool
    def list_operations(provider: str) -> dict[str, Any]:
        """The operations a provider's API has (operationId, method, path, summary), from its OpenAPI."""
        ops = operations(session.spec(provider))
        return {
            "provider": provider,
            "operations": [
                {"operationId": k, "method": m, "path": p, "summary": op.get("summary", "")}
                for k, (m, p, op) in ops.items()
            ],
        }

    @tool
    def describe_operation(provider: str, operation_id: str) -> dict[str, Any]:
        """What to send to one operation: its path and query parameters and its request body's schema,
        with every reference resolved, and the answers it documents."""
        spec = session.spec(provider)
        found = operations(spec).get(operation_id)
        if found is None:
            raise ToolFailed(f"{provider} has no operation {operation_id!r}: see list_operations")
        method, path, op = found
        return {
            "operationId": operation_id,
            "method": method,
            "path": path,
            "parameters": resolve(spec, op.get("parameters", [])),
            "requestBody": resolve(spec, op.get("requestBody")),
            "responses": sorted(op.get("responses", {})),
        }

    @tool
    def call_operation(
        provider: str,
        operation_id: str | None = None,
        method: str | None = None,
        path: str | None = None,
        sandbox: str | None = None,
        path_params: dict[str, str] | None = None,
        query: dict[str, Any] | None = None,
        body: Any = None,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Call a provider's operation (by operation_id, or method and path under the provider's base
        URL) as `sandbox` (its credential is sent unless `headers` give another) and get the
        provider's exact answer: status, headers and body (JSON, or text). `body` is sent as JSON,
        `form` as a form (token endpoints); see describe_operation for what to send."""
        if operation_id is not None:
            found = operations(session.spec(provider)).get(operation_id)
            if found is None:
                raise ToolFailed(f"{provider} has no operation {operation_id!r}: see list_operations")
            method, path = found[0], found[1]
        if not method or not path:
            raise ToolFailed("give operation_id, or method and path")
        for key, value in (path_params or {}).items():
            path = path.replace(f"{{{key}}}", urllib.parse.quote(str(value), safe=""))
        if "{" in path:
            raise ToolFailed(f"path parameters missing for {path} (path_params)")
        sent = dict(session.box(sandbox).headers(provider)) if sandbox else {}
        sent.update(headers or {})
        data = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
        elif body is not None:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            sent.setdefault("Content-Type", "application/json")
        target = f"/{provider}{path}{query_string(**(query or {}))}"
        status, raw, answer_headers = session.client.exchange(method.upper(), target, data, sent)
        kind = answer_headers.get("Content-Type", "")
        shown: Any
        if "json" in kind:
            shown = json.loads(raw or b"null")
        elif kind.startswith(("text/", "application/xml")) or "xml" in kind:
            shown = raw.decode("utf-8", "replace")
        else:
            shown = {"bytes": len(raw), "base64": base64.b64encode(raw[:65536]).decode()}
        return {"status": status, "headers": answer_headers, "body": shown}

    # --- what the mock saw ------------------------------------------------------------------------------

    @tool
    def list_requests(
        provider: str | None = None,
        sandbox: str | None = None,
        operation: str | None = None,
        status: int | None = None,
        method: str | None = None,
        limit: int = 20,
    ) -> dict[str, Any]:
        """The request journal, newest first (secrets masked): what clients sent and got."""
        q = query_string(provider=provider, operation=operation, status=status, method=method, limit=limit)
        return dict(session.admin(sandbox, provider, "GET", f"/requests{q}"))

    @tool
    def read_request(
        request_id: int, provider: str | None = None, sandbox: str | None = None
    ) -> dict[str, Any]:
        """One journal entry by its id (from list_requests): headers, bodies, status, timing."""
        entries = session.admin(sandbox, provider, "GET", f"/requests{query_string(provider=provider)}")[
            "requests"
        ]
        for entry in entries:
            if entry["id"] == request_id:
                return dict(entry)
        raise ToolFailed(f"no request {request_id} in the journal this credential reads")

    @tool
    def verify_requests(
        provider: str,
        sandbox: str | None = None,
        operation: str | None = None,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        times: int | None = None,
        at_least: int | None = None,
        at_most: int | None = None,
    ) -> dict[str, Any]:
        """Whether the journal holds such calls (times, at_least or at_most), with the near misses when
        it does not."""
        body = given(
            provider=provider,
            operation=operation,
            method=method,
            path=path,
            status=status,
            times=times,
            at_least=at_least,
            at_most=at_most,
        )
        return dict(session.admin(sandbox, provider, "POST", "/verify", body))

    # --- what the mock holds ----------------------------------------------------------------------------

    @tool
    def list_entities(provider: str | None = None, sandbox: str | None = None) -> dict[str, Any]:
        """A sandbox's documents, batches and other entities with their states and files."""
        return dict(session.admin(sandbox, provider, "GET", f"/entities{query_string(provider=provider)}"))

    @tool
    def download_file(provider: str, file: str, sandbox: str | None = None) -> Any:
        """An entity's file by the name list_entities gives (`<id>.pdf`, `<id>.xml`): XML comes back as
        text, a PDF as a link to it."""
        target = f"/__admin/files/{provider}/{urllib.parse.quote(file)}"  # a sandbox's own, by its credential
        sent = session.box(sandbox).control_headers(provider) if sandbox else session.client.admin_headers()
        status, raw, answer_headers = session.client.exchange("GET", target, None, sent)
        if status != 200:
            raise ToolFailed(f"mockserver GET {target} → {status}: {raw[:300].decode('utf-8', 'replace')}")
        kind = answer_headers.get("Content-Type", "")
        if "pdf" in kind:
            link = session.client.base_url + target
            return [
                ResourceLink(
                    type="resource_link", uri=link, name=file, mime_type="application/pdf", size=len(raw)
                )
            ]
        return [TextContent(type="text", text=raw.decode("utf-8", "replace"))]

    # --- time --------------------------------------------------------------------------------------------

    @tool
    def create_clock(name: str, frozen_time: float | None = None, frozen: bool = True) -> dict[str, Any]:
        """A test clock of its own (frozen at `frozen_time`, epoch seconds, else now). A sandbox opened
        here already has one: move it with move_clock(sandbox=…)."""
        body = given(name=name, frozen=frozen, frozen_time=frozen_time)
        return dict(session.admin(None, None, "POST", "/clocks", body))

    @tool
    def move_clock(
        sandbox: str | None = None,
        clock_id: str | None = None,
        advance: float | None = None,
        set: float | None = None,
        freeze: bool | None = None,
        speed: float | None = None,
    ) -> dict[str, Any]:
        """Move a sandbox's clock (or a clock by id): `advance` seconds, `set` to an epoch time,
        `freeze`, `speed`. Work due on it (processing, batches, retries) runs before this answers."""
        change = given(advance=advance, set=set, freeze=freeze, speed=speed)
        if sandbox is not None:
            return {"clocks": session.box(sandbox).clock.move(**change)}
        if clock_id is None:
            raise ToolFailed("name the sandbox whose clock to move, or its clock_id")
        return dict(session.admin(None, None, "POST", f"/clocks/{urllib.parse.quote(clock_id)}", change))

    @tool
    def read_clock(sandbox: str | None = None, clock_id: str | None = None) -> dict[str, Any]:
        """A sandbox's clock (or a clock by id, or every clock this credential made)."""
        if sandbox is not None:
            return dict(session.box(sandbox).clock.now())
        path = f"/clocks/{urllib.parse.quote(clock_id)}" if clock_id else "/clocks"
        return dict(session.admin(None, None, "GET", path))

    # --- events and webhooks -----------------------------------------------------------------------------

    @tool
    def list_event_types(provider: str | None = None) -> dict[str, Any]:
        """The events each provider documents that trigger_event can send, with their fields."""
        return dict(session.admin(None, None, "GET", f"/events{query_string(provider=provider)}"))

    @tool
    def trigger_event(
        provider: str, type: str, sandbox: str | None = None, fields: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Send one of a provider's documented events in a sandbox (see list_event_types)."""
        body = {**(fields or {}), "provider": provider, "type": type}
        return dict(session.admin(sandbox, provider, "POST", "/events", body))

    @tool
    def list_deliveries(provider: str | None = None, sandbox: str | None = None) -> dict[str, Any]:
        """Webhook deliveries: event, URL, state and every attempt with its status."""
        return dict(session.admin(sandbox, provider, "GET", f"/webhooks{query_string(provider=provider)}"))

    @tool
    def replay_delivery(
        delivery_id: str, provider: str | None = None, sandbox: str | None = None
    ) -> dict[str, Any]:
        """Send a delivery again, as a new delivery of the same event."""
        return dict(
            session.admin(sandbox, provider, "POST", f"/webhooks/{urllib.parse.quote(delivery_id)}/replay")
        )

    # --- rules and coverage ------------------------------------------------------------------------------

    @tool
    def add_rule(
        provider: str,
        sandbox: str | None = None,
        operation: str | None = None,
        status: int | None = None,
        error: str | None = None,
        delay_ms: int | None = None,
        times: int | None = None,
        scenario: str | None = None,
    ) -> dict[str, Any]:
        """A fault or scenario rule: the next `times` calls of `operation` answer `status` (in the
        provider's envelope), a named `scenario`, or wait `delay_ms` first."""
        rule = given(
            provider=provider,
            operation=operation,
            status=status,
            error=error,
            delay_ms=delay_ms,
            times=times,
            scenario=scenario,
        )
        return dict(session.admin(sandbox, provider, "POST", "/scenarios", rule))

    @tool
    def remove_rule(rule_id: str, provider: str | None = None, sandbox: str | None = None) -> dict[str, Any]:
        """Remove a rule by its id (from add_rule or list_rules)."""
        return dict(session.admin(sandbox, provider, "DELETE", f"/scenarios/{urllib.parse.quote(rule_id)}"))

    @tool
    def list_rules(provider: str | None = None, sandbox: str | None = None) -> dict[str, Any]:
        """The rules in force, and each provider's catalogue of named scenarios."""
        return dict(session.admin(sandbox, provider, "GET", "/scenarios"))

    @tool
    def read_coverage(provider: str | None = None, sandbox: str | None = None) -> dict[str, Any]:
        """Which operations, statuses and error codes the requests so far reached, and which not."""
        return dict(session.admin(sandbox, provider, "GET", f"/coverage{query_string(provider=provider)}"))

    # --- resources ---------------------------------------------------------------------------------------

    reader = Session(Client(sessions.url))  # the specs are open: one client reads them all
    for name in reader.client.providers:
        add_resources(server, reader, name)
    return server
