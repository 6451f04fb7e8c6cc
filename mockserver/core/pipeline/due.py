"""Due timers run before the request, so a read sees every transition whose time has come."""

from __future__ import annotations

from aiohttp import web

from mockserver.core.pipeline.call import Call, Next


async def due(call: Call, next: Next) -> web.StreamResponse:
    call.runtime.scheduler.run_due()
    return await next(call)
