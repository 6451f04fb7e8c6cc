"""The MCP server's sessions: the mock each talks to, its credential and the sandboxes it opened, and
what the tools read from a provider's spec and fact sheet."""

from __future__ import annotations

import contextvars
import json
import secrets
import urllib.parse
from typing import Any

from mcp.server.mcpserver import Context

from mockserver.client import Client
from mockserver.paths import ROOT
from mockserver.sandbox import Sandbox


class Session:
    """The mock this MCP server talks to and the sandboxes opened through it."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.salt = secrets.token_hex(8)
        self.sandboxes: dict[str, Sandbox] = {}
        self._specs: dict[str, dict[str, Any]] = {}

    def box(self, name: str) -> Sandbox:
        found = self.sandboxes.get(name)
        if found is None:
            opened = ", ".join(self.sandboxes) or "none yet"
            raise ToolFailed(
                f"no sandbox {name!r} is open in this session (open: {opened}); open_sandbox first"
            )
        return found

    def admin(
        self, sandbox: str | None, provider: str | None, method: str, path: str, body: Any = None
    ) -> Any:
        """A control-plane call: as the sandbox's credential when one is named, else as the session."""
        if sandbox is None:
            return self.client.admin(method, path, body)
        if provider is None:
            raise ToolFailed("name the provider whose sandbox this is (provider)")
        try:
            return self.box(sandbox).admin(provider, method, path, body)
        except KeyError as unknown:  # a provider this mock does not serve
            raise ToolFailed(str(unknown.args[0])) from None

    def spec(self, provider: str) -> dict[str, Any]:
        if provider not in self._specs:
            status, raw = self.client.send("GET", f"/{provider}/openapi.json", None, {})
            if status != 200:
                raise ToolFailed(
                    f"{provider!r} is not a provider this mock serves: {', '.join(self.client.providers)}"
                )
            self._specs[provider] = json.loads(raw)
        return self._specs[provider]


class ToolFailed(Exception):
    """A tool's refusal: the agent sees its message as the tool's error."""


def given(**fields: Any) -> dict[str, Any]:
    """The fields of a control-plane body that were given (None: left out, as the control plane's
    defaults apply)."""
    return {k: v for k, v in fields.items() if v is not None}


def resolve(spec: dict[str, Any], node: Any, depth: int = 0) -> Any:
    """`node` with its `$ref`s replaced by what they name, to a depth an agent can read."""
    if depth > 12:
        return node
    if isinstance(node, dict):
        if "$ref" in node and isinstance(node["$ref"], str) and node["$ref"].startswith("#/"):
            target: Any = spec
            for part in node["$ref"][2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]  # JSON Pointer's escapes
            return resolve(spec, target, depth + 1)
        return {k: resolve(spec, v, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(spec, v, depth + 1) for v in node]
    return node


def operations(spec: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """Each operation by its id: method, path under the provider's mount, the operation."""
    found = {}
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            if isinstance(op, dict) and "operationId" in op:
                servers = op.get("servers") or item.get("servers") or spec.get("servers") or [{"url": "/"}]
                found[op["operationId"]] = (method.upper(), server_path(servers[0]) + path, op)
    return found


def server_path(server: dict[str, Any]) -> str:
    """The path of a spec's server URL (`/v1`, `/recepcion-sandbox/v1`): where its paths sit under
    the provider's mount; a variable takes its sandbox value where it has one."""
    url = str(server["url"])
    for name, variable in server.get("variables", {}).items():
        sandbox = [v for v in variable.get("enum", []) if "sandbox" in v]
        url = url.replace(f"{{{name}}}", sandbox[0] if sandbox else variable.get("default", ""))
    return urllib.parse.urlsplit(url).path.rstrip("/")


def facts(provider: str) -> str:
    """The README's "Features and limitations" rows for a provider and for all: its quirks and the
    mock's choices where the sources are silent. The first column names the providers a row is about
    (`hacienda`, `Tu Pana`, `bsale, tupana`, `all`)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.partition("## Features and limitations")[2].partition("\n## ")[0]

    def about(line: str) -> set[str]:
        first = line.split("|")[1] if line.startswith("| ") else ""
        return {name.replace(" ", "").lower() for name in first.split(",")}

    rows = [line for line in table.splitlines() if about(line) & {provider, "all"}]
    header = (
        f"# {provider}: features, quirks and limitations of the mock\n\n"
        "| provider | topic | what it does | source |\n|---|---|---|---|\n"
    )
    return header + "\n".join(rows) + "\n"


class Sessions:
    """A `Session` per MCP session: over stdio the one, with the token given at start; over HTTP one
    for each MCP session id, with the admin token its client sends (`X-Mock-Admin-Token`), if any."""

    KEPT = 100  # HTTP sessions remembered; past that the oldest is forgotten (its sandboxes stay)

    def __init__(self, url: str, admin_token: str | None) -> None:
        self.url, self.admin_token = url, admin_token
        self._by_id: dict[str | None, Session] = {}  # by MCP session id (None: stdio's one session)

    def of(self, ctx: Context) -> Session:
        headers = ctx.headers
        ident = headers.get("mcp-session-id") if headers is not None else None
        found = self._by_id.get(ident)
        if found is None:
            token = headers.get("x-mock-admin-token") if headers is not None else self.admin_token
            found = self._by_id[ident] = Session(Client(self.url, admin_token=token))
            while len(self._by_id) > self.KEPT:
                del self._by_id[next(iter(self._by_id))]
        return found


CURRENT: contextvars.ContextVar[Session] = contextvars.ContextVar("mcp_session")


class _Current:
    """The session of the MCP request being answered (each tool call sets it)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(CURRENT.get(), name)


def add_resources(server: Any, session: Session, provider: str) -> None:
    """A provider's OpenAPI document and its fact sheet, as resources an agent reads first."""

    def spec() -> str:
        return json.dumps(session.spec(provider), ensure_ascii=False, indent=1)

    def quirks() -> str:
        return facts(provider)

    server.resource(
        f"mockserver://specs/{provider}",
        name=f"{provider}-openapi",
        mime_type="application/json",
        description=f"{provider}'s OpenAPI document, as the mock serves it and checks requests against it",
    )(spec)
    server.resource(
        f"mockserver://facts/{provider}",
        name=f"{provider}-facts",
        mime_type="text/markdown",
        description=f"{provider}: its quirks, exact behaviours, and where the mock chose or falls short",
    )(quirks)
