"""The `mockserver` command: check the flags (`options`), start every port, print where things are, and
serve until SIGINT or SIGTERM; any start-up failure is one line and exit code 2."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from aiohttp import http_exceptions, web

from mockserver import __version__
from mockserver.core import persistence
from mockserver.core.runtime import Runtime, guessable
from mockserver.logs import configure
from mockserver.options import settings_from_args
from mockserver.settings import Settings


async def serve(settings: Settings) -> None:
    # signals first: a container stopped while starting still shuts down cleanly
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    from mockserver.app import create_app, create_provider_port_app

    app = create_app(settings)
    _raise_descriptor_limit()
    timeout = settings.header_timeout
    runners = [web.AppRunner(app, access_log=None, handle_signals=False, keepalive_timeout=timeout)]
    from mockserver.core.runtime import RUNTIME

    runtime = app[RUNTIME]
    await _load_state(runtime)
    for name in settings.provider_ports:
        port_app = create_provider_port_app(runtime, name)
        runners.append(web.AppRunner(port_app, access_log=None, keepalive_timeout=timeout))
    ports = [settings.port, *settings.provider_ports.values()]
    context = None
    if settings.tls:
        hosts = runtime.providers.hosts()
        directory = settings.tls_dir or Path(tempfile.mkdtemp(prefix="mockserver-tls-"))
        from mockserver.core.services import tls  # only with --tls: it loads cryptography

        cert, key = tls.self_signed(directory, hosts, runtime.clock.now())
        context = tls.server_context(cert, key)
        logging.getLogger("mockserver").info("https with the self-signed certificate %s", cert)
    for runner, port in zip(runners, ports, strict=True):
        await runner.setup()
        site = web.TCPSite(runner, settings.host, port, shutdown_timeout=5, ssl_context=context)
        try:
            await site.start()
        except OSError as error:
            for started in runners:
                await started.cleanup()
            reason = os.strerror(error.errno) if error.errno else str(error)
            raise StartupError(f"cannot listen on {settings.host}:{port}: {reason.lower()}") from None
    _banner(runtime, "https" if settings.tls else "http")
    # what start-up made (modules, specs, the state a restart loaded) lives as long as the mock: kept out
    # of the collections of cycles, whose full runs would walk all of it again as the state grows
    gc.freeze()
    await stop.wait()
    for runner in reversed(runners):
        await runner.cleanup()
    runtime.store.close()  # its last writes checkpointed into the file, not left to the exit's finalizers


async def _load_state(runtime: Runtime) -> None:
    """Before the first port opens: replay the state file, or seed an empty state from --fixtures."""
    say = logging.getLogger("mockserver").info
    settings = runtime.settings
    persistence.open_store(runtime)
    if settings.state_file:
        try:
            restored = await persistence.restore(runtime)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
            # a valid SQLite file whose rows mockserver never wrote: said in one line, never a traceback
            raise StartupError(
                f"cannot start: --state-file {settings.state_file} holds what mockserver never writes "
                f"({type(error).__name__}: {error}); the file is left as it is"
            ) from None
        say("restored %d writes from %s", restored, settings.state_file)
    if settings.fixtures and runtime.store.count() == 0:
        try:
            fixtures = persistence.load_fixtures(runtime, settings.fixtures)
            await persistence.apply_fixtures(runtime, fixtures)
        except (OSError, persistence.FixtureError) as error:
            raise StartupError(f"--fixtures: {error}") from None
        say("seeded %d requests from %s", len(fixtures), settings.fixtures)


def _one_line_for_bad_http(record: logging.LogRecord) -> bool:
    """aiohttp answers a malformed request (a NUL in a header, a broken request line) with 400 itself
    and logs a traceback; one line says as much."""
    error = record.exc_info[1] if record.exc_info else None
    if isinstance(error, http_exceptions.HttpProcessingError):
        record.msg, record.args = (
            "refused a malformed HTTP request: %s",
            (" ".join(str(error).split())[:200],),
        )
        record.exc_info = record.exc_text = None
        record.levelno, record.levelname = logging.INFO, "INFO"
    return True


LOOPBACK = ("127.0.0.1", "::1", "localhost")


def _raise_descriptor_limit() -> None:
    """Up to the hard limit: at the usual soft 1,024, a thousand idle sockets would lock everyone out."""
    try:
        import resource
    except ImportError:  # not on Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft != resource.RLIM_INFINITY and soft < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, 1 << 20), hard))


class StartupError(Exception):
    """Why the mock cannot start, in one line for the user (exit code 2)."""


def _banner(runtime: Runtime, scheme: str) -> None:
    """Where everything is: each provider's base URL, the control plane, the seed, where state lives."""
    settings, say = runtime.settings, logging.getLogger("mockserver").info
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    base = f"{scheme}://{host}:{settings.port}"
    loop = type(asyncio.get_running_loop()).__module__.partition(".")[0]  # "uvloop" or "asyncio"
    say("mockserver %s listening on %s://%s:%d (%s)", __version__, scheme, settings.host, settings.port, loop)
    for name, listing in runtime.providers.listings.items():
        alone = settings.provider_ports.get(name)
        extra = f" (alone on {scheme}://{host}:{alone})" if alone else ""
        say("  %-10s %s%s%s", name, base, listing.mount, extra)
    say("  %-10s %s/__admin (health: %s/__admin/health)", "control", base, base)
    if runtime.admin_token is not None and not settings.admin_token:  # made now: the user must be told
        say("  %-10s %s (X-Mock-Admin-Token; set --admin-token to choose it)", "admin", runtime.admin_token)
    elif runtime.admin_token is not None and guessable(runtime.admin_token):
        logging.getLogger("mockserver").warning(
            "the admin token is one anyone could guess: choose a long random one (openssl rand -hex 24)"
        )
    elif runtime.admin_token is None and settings.admin_token == "off" and settings.host not in LOOPBACK:
        logging.getLogger("mockserver").warning(
            "the control plane is open to anyone who reaches %s (--admin-token off)", settings.host
        )
    seed = (
        f"--seed {settings.seed}"
        if settings.seed is not None
        else f"random: rerun with --seed {runtime.ids.base}"
    )
    say("  %-10s %s", "seed", seed)
    where = f"{settings.state_file} (SQLite)" if settings.state_file else "in memory, lost at exit"
    say("  %-10s %s", "state", where)


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["forward"]:  # `mockserver forward --to URL`: a running mock's webhooks, here
        from mockserver.forward import main as forward

        forward(args[1:])
    if args[:1] == ["mcp"]:  # `mockserver mcp`: an MCP server for coding agents (mockserver.agent)
        try:
            from mockserver.agent import main as mcp
        except ModuleNotFoundError as missing:
            if (missing.name or "").partition(".")[0] not in ("mcp", "mcp_types"):
                raise
            _fail("the MCP server needs the mcp extra: pip install 'latam-einvoicing-sandbox[mcp]'")
        mcp(args[1:])
        raise SystemExit(0)
    if args[:1] == ["cluster"]:  # `mockserver cluster …`: workers behind HAProxy (mockserver.cluster)
        from mockserver.cluster.cli import main as cluster

        cluster(args[1:])
    settings = settings_from_args(args)
    configure(settings.log_level, settings.log_format)
    logging.getLogger("aiohttp.server").addFilter(_one_line_for_bad_http)
    try:
        with asyncio.Runner(loop_factory=loop_factory(settings.loop)) as runner:
            runner.run(serve(settings))
    except StartupError as error:
        _fail(str(error))
    except (OSError, ValueError, sqlite3.Error) as error:  # a key, a state file, a port the system refused
        _fail(f"cannot start: {error}")


def loop_factory(choice: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop where it is installed (`auto`) or asked for, else asyncio's own (None)."""
    if choice == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            _fail("--loop uvloop: uvloop is not installed (pip install uvloop; not on Windows)")
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def _fail(message: str) -> NoReturn:
    print(f"mockserver: {message}", file=sys.stderr)
    raise SystemExit(2)
