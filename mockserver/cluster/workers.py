"""A cluster's workers as the flags name them: `host:port,…` or `name=host:port,…`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mockserver.core.services import shards

HOST = re.compile(r"[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]")  # a name, an IPv4 address or a bracketed IPv6 one


@dataclass(frozen=True)
class Worker:
    name: str
    address: str  # host:port


def parse_workers(text: str) -> list[Worker]:
    """`host:port,…` (named w1, w2, … in order) or `name=host:port,…`."""
    workers = []
    for n, item in enumerate(filter(None, (i.strip() for i in text.split(","))), start=1):
        name, _, address = item.rpartition("=")
        host, _, port = address.rpartition(":")
        if not HOST.fullmatch(host) or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{item!r} is not host:port (or name=host:port)")
        if name and not shards.VALID.fullmatch(name):
            raise ValueError(f"{name!r}: a worker's name is letters, digits, - and _")
        workers.append(Worker(name or f"w{n}", address))
    if not workers:
        raise ValueError("no workers: give host:port,…")
    names = [w.name for w in workers]
    if len(set(names)) != len(names):
        raise ValueError("two workers have the same name")
    return workers
