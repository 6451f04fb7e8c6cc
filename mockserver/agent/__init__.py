"""`mockserver mcp`: a Model Context Protocol server, so a coding agent drives the sandbox as a
developer does (the `[mcp]` extra: the official `mcp` SDK).

    mockserver mcp                                  # stdio, with a mock of its own in this process
    mockserver mcp --mockserver-url URL [--admin-token T]   # stdio, attached to a running mock
    mockserver mcp --http 8765 [--mockserver-url URL]       # Streamable HTTP on 127.0.0.1:8765/mcp

Every tool is a thin call to the mock over HTTP, its control plane or a provider's API, made with the
session's credential: the admin token when it has one (a mock of its own needs none on loopback), or
the credential of a sandbox it opened (`open_sandbox`), which reaches that sandbox only, as it does
through HTTP. So a tool can read or change nothing that credential could not, and a refusal comes
back as a tool error with the control plane's own message. Sandboxes are made from the name given
and a salt of this session, so another session that opens the same name gets sandboxes of its own.

Streamable HTTP runs on the SDK's own server (Starlette and uvicorn) beside the mock rather than
under `/__admin/mcp`: the SDK's transport is an ASGI application, and serving it from aiohttp would
need a second server loop or an ASGI bridge inside the mock's request path.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence

from mockserver.agent.server import build
from mockserver.agent.sessions import Sessions


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="mockserver mcp", description=__doc__.split("\n\n")[0])
    parser.add_argument("--mockserver-url", help="a running mock to attach to (default: one in this process)")
    parser.add_argument("--admin-token", help="the mock's admin token, for whole-mock tools (a shared mock)")
    parser.add_argument(
        "--http", type=int, metavar="PORT", help="serve Streamable HTTP on 127.0.0.1:PORT/mcp"
    )
    args = parser.parse_args(argv)
    inprocess = None
    url = args.mockserver_url
    if url is None:
        from mockserver.inprocess import InProcessServer
        from mockserver.settings import Settings

        logging.getLogger("mockserver").setLevel(logging.WARNING)  # stdio is the agent's: logs stay quiet
        inprocess = InProcessServer(Settings(host="127.0.0.1", lifecycle="timed"))
        inprocess.start()
        url = inprocess.base_url
    try:
        server = build(Sessions(url, args.admin_token))
        if args.http is not None:
            server.run("streamable-http", host="127.0.0.1", port=args.http)
        else:
            server.run("stdio")
    finally:
        if inprocess is not None:
            inprocess.stop()
