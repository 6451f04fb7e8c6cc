"""Command line and environment → `Settings`: every flag is also MOCKSERVER_<FLAG>."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from typing import Any, NoReturn

from mockserver import __version__
from mockserver.arguments import (
    allowlist,
    base_url,
    cluster_workers,
    existing_dir,
    host_name,
    option_type,
    parse_rate_limits,
    port_number,
    positive_int,
    provider_list,
    provider_port_map,
    seconds,
    signing_key_path,
    state_file_path,
    whole_number,
)
from mockserver.core.listings import PROVIDERS
from mockserver.core.runtime import listing_of
from mockserver.logs import FORMATS
from mockserver.settings import ALL_PROVIDERS, LOOPS, Settings

ENV_PREFIX = "MOCKSERVER_"


def _env(name: str) -> str | None:
    return os.environ.get(ENV_PREFIX + name.upper().replace("-", "_"))


class Parser(argparse.ArgumentParser):
    """argparse with one line per mistake (no usage dump) and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"mockserver: {message} (mockserver --help lists every flag)\n")


def build_parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="mockserver",
        description="A protocol-faithful sandbox of Latin-American e-invoicing APIs: Costa Rica's Hacienda, "
        "Avenio, Tu Pana and Bsale (Chile), and tuimprenta.digital (Venezuela).",
        epilog="Every flag can also be set as an environment variable: --log-level → MOCKSERVER_LOG_LEVEL.",
    )

    def add(flag: str, group: Any = p, **kw: Any) -> None:
        env = _env(flag.lstrip("-"))
        if env is not None:
            kw["default"] = env  # a string default goes through `type` as if given on the command line
        kw["help"] = kw.get("help", "") + f" [{ENV_PREFIX}{flag.lstrip('-').upper().replace('-', '_')}]"
        group.add_argument(flag, **kw)

    p.add_argument("--version", action="version", version=f"mockserver {__version__}")
    serving = p.add_argument_group("serving")
    add(
        "--host",
        serving,
        type=host_name,
        default="127.0.0.1",
        metavar="ADDRESS",
        help="address to listen on (default 127.0.0.1; the image listens on 0.0.0.0)",
    )
    add("--port", serving, type=port_number, default=8080, help="port to listen on (default 8080)")
    add(
        "--providers",
        serving,
        type=provider_list,
        default=ALL_PROVIDERS,
        metavar="NAME,…",
        help=f"providers to serve (default all: {','.join(ALL_PROVIDERS)})",
    )
    add(
        "--public-url",
        serving,
        type=base_url,
        default=None,
        metavar="URL",
        help="base URL clients reach the mock at, for absolute links (default: the request's Host)",
    )
    add(
        "--provider-ports",
        serving,
        type=provider_port_map,
        default={},
        metavar="NAME=PORT,…",
        help="also serve providers alone, at the root, on their own ports: hacienda=9001,bsale=9002",
    )
    serving.add_argument(
        "--port-per-provider",
        action="store_true",
        default=(_env("port-per-provider") or "").lower() in ("1", "true", "yes"),
        help="also serve each provider alone on --port+1, +2, … in the order of --providers",
    )
    add(
        "--cluster",
        serving,
        type=cluster_workers,
        default={},
        metavar="NAME=HOST:PORT,…",
        help="this mock is a worker of a cluster (set by `mockserver cluster`): every worker, itself "
        "included, for control-plane calls that act on the whole cluster",
    )
    serving.add_argument(
        "--tls",
        action="store_true",
        default=(_env("tls") or "").lower() in ("1", "true", "yes"),
        help="serve https with a self-signed certificate for localhost and the providers' real hosts",
    )
    add(
        "--tls-dir",
        serving,
        type=existing_dir,
        default=None,
        metavar="DIR",
        help="where --tls writes cert.pem and key.pem (default: a new temporary directory)",
    )
    add(
        "--loop",
        serving,
        type=str,
        choices=LOOPS,
        default="auto",
        help="event loop: uvloop where it is installed (auto, the default), or asyncio's own",
    )
    behaviour = p.add_argument_group("behaviour")
    add(
        "--seed",
        behaviour,
        type=whole_number,
        default=None,
        metavar="N",
        help="seed for ids and generated data: the same seed, the same run (default: random, shown at start)",
    )
    add(
        "--rate-limits",
        behaviour,
        type=parse_rate_limits,
        default={},
        metavar="SPEC",
        help="sandbox (the providers' own limits, default), off, or Nx; per provider: hacienda=off,*=10x",
    )
    add(
        "--lifecycle",
        behaviour,
        default="timed",
        choices=["timed", "immediate", "manual"],
        help="how asynchronous work advances: timed on the clock (default), immediate, or manual",
    )
    add(
        "--signing-key",
        behaviour,
        type=signing_key_path,
        default=None,
        metavar="PEM",
        help="RSA private key that signs JWTs, XML and links (default: one the mock makes, kept in the "
        "state file; `test`: the public test key, reproducible but unsafe on a shared mock)",
    )
    add(
        "--admin-token",
        behaviour,
        default=None,
        metavar="TOKEN",
        help="what the control plane asks for (X-Mock-Admin-Token, or Authorization: Bearer); default: "
        "nothing on loopback, a random token shown at start on any other address; `off`: nothing (unsafe "
        "beyond loopback)",
    )
    add(
        "--header-timeout",
        behaviour,
        type=seconds,
        default=15.0,
        metavar="SECONDS",
        help="a connection that has not sent a whole request head within this time, or stays idle this "
        "long between requests, is closed (default 15; 0: never)",
    )
    add(
        "--callback-allowlist",
        behaviour,
        type=allowlist,
        default=(),
        metavar="HOST,…",
        help="hosts, *.suffix, IPs or CIDRs webhooks may go to (default: any but link-local and metadata)",
    )
    add(
        "--allowed-hosts",
        behaviour,
        type=allowlist,
        default=(),
        metavar="NAME,…",
        help="host names (or *.suffix) the control plane answers to besides loopback names, IPs, "
        "single-label names, the real provider hosts and --public-url's (e.g. mock.ci.example.com)",
    )
    strict_env = (_env("strict") or "").lower() in ("1", "true", "yes")
    behaviour.add_argument(
        "--strict",
        action="store_true",
        default=strict_env,
        help="check every response against the spec; log and record mismatches",
    )
    state = p.add_argument_group("state and logs")
    add(
        "--state-file",
        state,
        type=state_file_path,
        default=None,
        metavar="PATH",
        help="keep all state in this SQLite file, every write durable before its answer (default: in memory, "
        "lost at exit)",
    )
    add(
        "--fixtures",
        state,
        type=existing_dir,
        default=None,
        metavar="DIR",
        help="seed an empty state with the requests in this directory's <provider>*.yaml|json files",
    )
    add(
        "--journal-size",
        state,
        type=positive_int,
        default=1000,
        metavar="N",
        help="requests kept in the journal (default 1000)",
    )
    add(
        "--log-level",
        state,
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="default info: one line per request",
    )
    add(
        "--log-format",
        state,
        default="auto",
        choices=FORMATS,
        help="text (readable), json (JSON lines with timestamps), or auto: text on a terminal, else json",
    )
    for name in PROVIDERS:
        provider = listing_of(name)  # without loading its package
        group = p.add_argument_group(provider.title)
        for option in provider.options:
            flag = f"--{name}-{option.name.replace('_', '-')}"
            add(
                flag,
                group,
                type=option_type(option),
                default=option.default,
                choices=option.choices,
                help=option.help + (f" (default {option.default})" if option.default is not None else ""),
                dest=f"opt__{name}__{option.name}",
                metavar="SECONDS" if option.type is float else "N" if option.type is int else "VALUE",
            )
    return p


def settings_from_args(argv: Sequence[str] | None = None) -> Settings:
    parser = build_parser()
    args = parser.parse_args(argv)
    providers = args.providers
    stray = [name for name in args.provider_ports if name not in providers]
    if stray:
        parser.error(f"--provider-ports names {', '.join(stray)}, not among --providers")
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
        log_format=args.log_format,
        rate_limits=args.rate_limits,
        lifecycle=args.lifecycle,
        journal_size=args.journal_size,
        signing_key=args.signing_key,
        admin_token=args.admin_token,
        header_timeout=args.header_timeout,
        public_url=args.public_url,
        provider_ports=args.provider_ports
        or ({name: args.port + 1 + n for n, name in enumerate(providers)} if args.port_per_provider else {}),
        callback_allowlist=args.callback_allowlist,
        allowed_hosts=args.allowed_hosts,
        tls=bool(args.tls),
        tls_dir=args.tls_dir,
        provider_options=options,
        strict=bool(args.strict),
        state_file=args.state_file,
        fixtures=args.fixtures,
        cluster=args.cluster,
        loop=args.loop,
    )
