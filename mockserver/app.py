"""`create_app(settings)`: every provider under its mount and its real hosts, plus the control plane."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import html
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from mockserver.admin import add_admin_routes
from mockserver.core.dispatch import DISPATCH, Dispatcher, Table, entry, serve_ahead
from mockserver.core.pipeline import VIOLATIONS
from mockserver.core.routing import build_provider_table
from mockserver.core.runtime import RUNTIME, Runtime
from mockserver.settings import Settings

log = logging.getLogger("mockserver")


def create_app(
    settings: Settings | None = None, *, runtime: Runtime | None = None, background: bool = True
) -> web.Application:
    """`background`: run the clock's timers and webhook delivery (a replay drives them itself)."""
    settings = settings or Settings()
    runtime = runtime or Runtime.build(settings)
    if settings.state_file and runtime.snapshots is None:
        from mockserver.core.snapshots import Snapshots  # only with a state file: it loads pickle

        path = settings.state_file.with_name(f"{settings.state_file.name}-snapshot")
        runtime.snapshots = Snapshots(runtime, path)
    # a replay (restart, import, fixtures) runs the writes through a private app made the same way
    runtime.app_factory = _replay_app
    app = web.Application(client_max_size=settings.max_body_bytes, middlewares=[entry])
    app[RUNTIME] = runtime
    app[VIOLATIONS] = runtime.violations
    add_admin_routes(app)
    # provider requests are routed by the dispatcher, ahead of aiohttp's router (the control plane's)
    dispatcher = app[DISPATCH] = Dispatcher()
    for name, listing in runtime.providers.listings.items():
        mount = listing.mount
        # the provider and its tables are made on its first request (at its mount or one of its hosts)
        dispatcher.defer(listing, functools.partial(_tables, runtime, name))
        # a provider request aiohttp's router does see (one that asks `Expect: 100-continue`) resolves
        # to a catch-all per mount in one dictionary lookup, where a miss would cost it a 404 made anew
        app.router.add_route("*", mount, _routed)
        app.router.add_route("*", mount + "/{path:.*}", _routed)
    app.router.add_get("/", _home)
    if background:
        app.cleanup_ctx.append(_background)
    app.on_shutdown.append(_end_streams)
    serve_ahead(app)
    return app


async def _home(request: web.Request) -> web.Response:
    """`GET /`: where things are, for a person who opens the mock in a browser."""
    runtime = request.config_dict[RUNTIME]
    rows = "".join(
        f'<li><a href="{listing.mount}/openapi.yaml">{html.escape(listing.title)}</a> '
        f"at <code>{listing.mount}</code></li>"
        for listing in runtime.providers.listings.values()
    )
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>mockserver</title></head>'
        '<body style="font: 18px/1.5 system-ui, sans-serif; max-width: 50rem; margin: 2rem auto">'
        f'<h1>mockserver</h1><p><a href="/__admin/ui">Open the dashboard</a></p><ul>{rows}</ul>'
        '<p><a href="/__admin/health">Health</a></p></body></html>'
    )
    return web.Response(text=page, content_type="text/html")


async def _end_streams(app: web.Application) -> None:
    """Readers of the event stream are let go before the server waits for open requests to end."""
    app[RUNTIME].stream.close()


async def _routed(request: web.Request) -> web.StreamResponse:
    raise RuntimeError("a provider's requests are answered by the dispatcher's routes")


def _tables(runtime: Runtime, name: str) -> tuple[Table, Table | None]:
    """A provider's table at its mount and, when it has real hosts, the one every path there goes to
    (except the control plane's)."""
    pr = runtime.providers[name]
    mount = pr.provider.mount
    return build_provider_table(pr, mount), build_provider_table(pr, "") if pr.provider.hosts else None


def _replay_app(runtime: Runtime) -> web.Application:
    return create_app(runtime.settings, runtime=runtime, background=False)


def create_provider_port_app(runtime: Runtime, name: str) -> web.Application:
    """A provider alone on its own port, at the root of the URL space as on its real host."""
    app = web.Application(client_max_size=runtime.settings.max_body_bytes, middlewares=[entry])
    app[DISPATCH] = Dispatcher(everything=build_provider_table(runtime.providers[name], ""))
    app[RUNTIME] = runtime
    app[VIOLATIONS] = runtime.violations
    add_admin_routes(app)
    app.on_shutdown.append(_end_streams)  # the stream is served here too
    serve_ahead(app)
    return app


async def _background(app: web.Application) -> AsyncIterator[None]:
    runtime = app[RUNTIME]
    await runtime.webhooks.start()
    tasks = [asyncio.create_task(runtime.scheduler.run_forever(), name="mockserver-scheduler")]
    if runtime.snapshots:
        tasks.append(asyncio.create_task(runtime.snapshots.run_when_idle(), name="mockserver-snapshots"))
    yield
    for task in tasks:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await runtime.webhooks.stop()
    if runtime.snapshots:
        runtime.snapshots.close()  # a clean stop restarts without replaying anything
