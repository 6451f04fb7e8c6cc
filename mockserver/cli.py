"""Command line: `mockserver --host --port --providers ...`; every flag also as MOCKSERVER_<FLAG>."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiohttp import http_exceptions, web

from mockserver.core import persistence
from mockserver.core.runtime import PROVIDERS, Runtime, load_provider
from mockserver.settings import ALL_PROVIDERS, Settings

ENV_PREFIX = "MOCKSERVER_"


def _env(name: str) -> str | None:
    return os.environ.get(ENV_PREFIX + name.upper().replace("-", "_"))


def _pairs(text: str, what: str) -> dict[str, str]:
    """`a=1,b=2` → {"a": "1", "b": "2"}; a bare value applies to every provider ("*")."""
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        if not sep:
            name, value = "*", name
        out[name.strip()] = value.strip()
    if not out:
        raise argparse.ArgumentTypeError(f"empty {what}")
    return out


def parse_rate_limits(text: str) -> dict[str, float | None]:
    """`sandbox` (default), `off`, or a factor like `10x`; per provider as `hacienda=off,*=10x`."""
    out: dict[str, float | None] = {}
    for name, value in _pairs(text, "rate limit spec").items():
        if value in ("off", "none", "0"):
            out[name] = None
        elif value in ("sandbox", "default", "on", "1x", "1"):
            out[name] = 1.0
        else:
            try:
                out[name] = float(value.rstrip("x"))
            except ValueError:
                raise argparse.ArgumentTypeError(
                    f"bad rate limit {value!r}: use sandbox, off or Nx"
                ) from None
    return out


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mockserver",
        description="A protocol-faithful sandbox of Latin-American e-invoicing APIs.",
        epilog="Every flag can also be set as an environment variable: --log-level → MOCKSERVER_LOG_LEVEL.",
    )

    def add(flag: str, **kw: Any) -> None:
        env = _env(flag.lstrip("-"))
        if env is not None:
            kw["default"] = kw["type"](env) if "type" in kw else env
        p.add_argument(flag, **kw)

    add("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0 in Docker)")
    add("--port", type=int, default=8080, help="port to listen on (default 8080)")
    add(
        "--providers",
        default=",".join(ALL_PROVIDERS),
        help=f"comma list (default all: {','.join(ALL_PROVIDERS)})",
    )
    add("--seed", type=int, default=None, help="seed for ids and fake data: the same seed, the same run")
    add("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    add(
        "--rate-limits",
        type=parse_rate_limits,
        default={},
        help="sandbox (the providers' own limits, default), off, or Nx; per provider: hacienda=off,*=10x",
    )
    add(
        "--lifecycle",
        default="timed",
        choices=["timed", "immediate", "manual"],
        help="how asynchronous work advances (default timed, on the clock)",
    )
    add("--journal-size", type=int, default=1000, help="requests kept in the journal (default 1000)")
    add("--signing-key", type=Path, default=None, help="PEM RSA key for JWTs and XML signatures")
    add("--public-url", default=None, help="base URL clients use, for absolute links (default: the Host)")
    p.add_argument(
        "--port-per-provider",
        action="store_true",
        default=(_env("port-per-provider") or "").lower() in ("1", "true", "yes"),
        help="also serve each provider alone on --port+1, +2, … in the order of --providers",
    )
    p.add_argument(
        "--tls",
        action="store_true",
        default=(_env("tls") or "").lower() in ("1", "true", "yes"),
        help="serve https with a self-signed certificate for localhost and the providers' real hosts",
    )
    add(
        "--tls-dir",
        type=Path,
        default=None,
        help="where --tls writes cert.pem and key.pem (default: a temp dir)",
    )
    add(
        "--state-file",
        type=Path,
        default=None,
        help="keep all state in this SQLite file: every write durable before its answer (default: memory)",
    )
    add(
        "--fixtures",
        type=Path,
        default=None,
        help="seed an empty state with the requests in this directory's <provider>*.yaml|json files",
    )
    add(
        "--callback-allowlist",
        type=lambda t: tuple(p.strip() for p in t.split(",") if p.strip()),
        default=(),
        help="hosts, *.suffix, IPs or CIDRs webhooks may go to (default: any but link-local and metadata)",
    )
    add(
        "--provider-ports",
        type=lambda t: {k: int(v) for k, v in _pairs(t, "ports").items()},
        default={},
        help="also serve providers alone on their own ports: hacienda=9001,...",
    )
    strict_env = (_env("strict") or "").lower() in ("1", "true", "yes")
    p.add_argument(
        "--strict",
        action="store_true",
        default=strict_env,
        help="check every response against the spec; log and record mismatches",
    )
    for name in PROVIDERS:
        for option in load_provider(name).options:
            flag = f"--{name}-{option.name.replace('_', '-')}"
            add(
                flag,
                type=option.type,
                default=option.default,
                choices=option.choices,
                help=option.help,
                dest=f"opt__{name}__{option.name}",
            )
    return p


def settings_from_args(argv: Sequence[str] | None = None) -> Settings:
    args = build_parser().parse_args(argv)
    providers = tuple(p.strip() for p in args.providers.split(",") if p.strip())
    unknown = [p for p in providers if p not in PROVIDERS]
    if unknown:
        raise SystemExit(
            f"mockserver: unknown provider(s) {', '.join(unknown)}; known: {', '.join(PROVIDERS)}"
        )
    options: dict[str, dict[str, Any]] = {}
    for key, value in vars(args).items():
        if key.startswith("opt__"):
            _, provider, name = key.split("__", 2)
            options.setdefault(provider, {})[name] = value
    return Settings(
        host=args.host,
        port=args.port,
        providers=providers,
        seed=args.seed,
        log_level=args.log_level,
        rate_limits=args.rate_limits,
        lifecycle=args.lifecycle,
        journal_size=args.journal_size,
        signing_key=args.signing_key,
        public_url=args.public_url,
        provider_ports=args.provider_ports
        or ({name: args.port + 1 + n for n, name in enumerate(providers)} if args.port_per_provider else {}),
        callback_allowlist=args.callback_allowlist,
        tls=bool(args.tls),
        tls_dir=args.tls_dir,
        provider_options=options,
        strict=bool(args.strict),
        state_file=args.state_file,
        fixtures=args.fixtures,
    )


async def serve(settings: Settings) -> None:
    # signals first: a container stopped while starting still shuts down cleanly
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    from mockserver.app import create_app, create_provider_port_app

    app = create_app(settings)
    runners = [web.AppRunner(app, access_log=None, handle_signals=False)]
    from mockserver.core.runtime import RUNTIME

    runtime = app[RUNTIME]
    await _load_state(runtime)
    for name in settings.provider_ports:
        if name not in runtime.providers:
            raise SystemExit(f"mockserver: --provider-ports names {name!r}, which is not enabled")
        runners.append(web.AppRunner(create_provider_port_app(runtime, name), access_log=None))
    ports = [settings.port, *settings.provider_ports.values()]
    context = None
    if settings.tls:
        hosts = [h for pr in runtime.providers.values() for h in pr.provider.hosts]
        directory = settings.tls_dir or Path(tempfile.mkdtemp(prefix="mockserver-tls-"))
        from mockserver.core.services import tls  # only with --tls: it loads cryptography

        cert, key = tls.self_signed(directory, hosts, runtime.clock.now())
        context = tls.server_context(cert, key)
        logging.getLogger("mockserver").info("https with the self-signed certificate %s", cert)
    for runner, port in zip(runners, ports, strict=True):
        await runner.setup()
        await web.TCPSite(runner, settings.host, port, shutdown_timeout=5, ssl_context=context).start()
    scheme = "https" if settings.tls else "http"
    logging.getLogger("mockserver").info(
        "listening on %s://%s:%d with %s", scheme, settings.host, settings.port, ", ".join(runtime.providers)
    )
    for name, port in settings.provider_ports.items():
        logging.getLogger("mockserver").info("%s alone on %s://%s:%d", name, scheme, settings.host, port)
    await stop.wait()
    for runner in reversed(runners):
        await runner.cleanup()


async def _load_state(runtime: Runtime) -> None:
    """Before the first port opens: replay the state file, or seed an empty state from --fixtures."""
    say = logging.getLogger("mockserver").info
    settings = runtime.settings
    persistence.open_store(runtime)
    if settings.state_file:
        say("restored %d writes from %s", await persistence.restore(runtime), settings.state_file)
    if settings.fixtures and runtime.store.count() == 0:
        try:
            fixtures = persistence.load_fixtures(runtime, settings.fixtures)
            await persistence.apply_fixtures(runtime, fixtures)
        except (OSError, persistence.FixtureError) as error:
            raise SystemExit(f"mockserver: --fixtures: {error}") from None
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


def main(argv: Sequence[str] | None = None) -> None:
    settings = settings_from_args(argv)
    logging.basicConfig(level=settings.log_level.upper(), stream=sys.stdout, format="%(message)s")
    logging.getLogger("aiohttp.server").addFilter(_one_line_for_bad_http)
    asyncio.run(serve(settings))
