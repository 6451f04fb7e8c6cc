"""`mockserver cluster …`: run a cluster on this machine, print the balancer's config for one elsewhere,
or write the signing key its workers share."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from mockserver.arguments import host_name, port_number, positive_int, provider_list
from mockserver.cluster import haproxy, supervisor
from mockserver.cluster.workers import Worker, parse_workers
from mockserver.logs import configure
from mockserver.settings import ALL_PROVIDERS

USAGE = """mockserver cluster --workers N [--port 8080] [--host 127.0.0.1] [--state-dir DIR] [-- worker flags]
       mockserver cluster haproxy-config --workers host:port,… [--port 8080] [--host ADDRESS]
       mockserver cluster keygen PATH"""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"mockserver cluster: {message}\n")


def workers_list(text: str) -> list[Worker]:
    try:
        return parse_workers(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def main(argv: Sequence[str]) -> NoReturn:
    args = list(argv)
    worker_args: list[str] = []
    if "--" in args:
        at = args.index("--")
        args, worker_args = args[:at], args[at + 1 :]
    if args[:1] == ["haproxy-config"]:
        p = Parser(prog="mockserver cluster haproxy-config", usage=USAGE)
        p.add_argument("--workers", type=workers_list, required=True, metavar="HOST:PORT,…")
        p.add_argument("--port", type=port_number, default=8080)
        p.add_argument(
            "--host", type=host_name, default=None, metavar="ADDRESS", help="default: every address"
        )
        p.add_argument("--providers", type=provider_list, default=ALL_PROVIDERS)
        p.add_argument(
            "--stats-port", type=port_number, default=None, help="HAProxy's stats page on loopback"
        )
        p.add_argument(
            "--configmap", default=None, metavar="NAME", help="as a Kubernetes ConfigMap of that name"
        )
        p.add_argument(
            "--resolvers",
            action="store_true",
            help="workers named by DNS (Compose, Kubernetes): resolved at run time",
        )
        o = p.parse_args(args[1:])
        text = haproxy.generated(
            o.workers,
            providers=o.providers,
            port=o.port,
            host=o.host or "",
            stats_port=o.stats_port,
            resolvers=o.resolvers,
        )
        sys.stdout.write(haproxy.configmap(o.configmap, text) if o.configmap else text)
        raise SystemExit(0)
    if args[:1] == ["keygen"]:
        p = Parser(prog="mockserver cluster keygen", usage=USAGE)
        p.add_argument("path", type=Path, help="`-`: print it")
        o = p.parse_args(args[1:])
        supervisor.write_key(o.path)
        raise SystemExit(0)
    p = Parser(prog="mockserver cluster", usage=USAGE)
    p.add_argument("--workers", type=positive_int, required=True, metavar="N")
    p.add_argument("--port", type=port_number, default=8080)
    p.add_argument("--host", type=host_name, default="127.0.0.1")
    p.add_argument("--state-dir", type=Path, default=None, metavar="DIR")
    p.add_argument("--admin-token", default=None, metavar="TOKEN")
    p.add_argument("--providers", type=provider_list, default=ALL_PROVIDERS)
    o = p.parse_args(args)
    if supervisor.haproxy_missing():
        p.exit(2, supervisor.INSTALL + "\n")
    if o.port + o.workers > 65535:
        p.error(f"--port {o.port} leaves no room for {o.workers} workers on the ports after it")
    configure("info", "auto")
    workers = [Worker(f"w{n}", f"127.0.0.1:{o.port + n}") for n in range(1, o.workers + 1)]
    cluster = supervisor.Cluster(
        workers=workers,
        directory=supervisor.state_directory(o.state_dir),
        port=o.port,
        host=o.host,
        providers=o.providers,
        worker_args=worker_args,
        admin_token=supervisor.admin_token_for(o.host, o.admin_token),
    )
    raise SystemExit(cluster.run())
