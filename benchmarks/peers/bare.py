"""The framework's ceiling: a bare aiohttp app answering each scenario's recorded response, nothing else.

usage: python bare.py PORT STUBS.json [uvloop|asyncio]   (STUBS: a list of {method, path, status,
content_type, body}; the loop: asyncio's own unless uvloop is named, as mockserver's --loop)
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from aiohttp import web


def main() -> None:
    port, stubs = int(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))
    app = web.Application()
    for stub in stubs:

        async def answer(request: web.Request, stub: dict[str, object] = stub) -> web.Response:
            await request.read()
            return web.Response(
                status=int(str(stub["status"])),
                body=str(stub["body"]).encode(),
                content_type=str(stub["content_type"]),
            )

        app.router.add_route(str(stub["method"]), str(stub["path"]), answer)

    async def health(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app.router.add_get("/health", health)
    if sys.argv[3:4] == ["uvloop"]:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    main()
