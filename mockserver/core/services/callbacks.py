"""Which callback URLs the mock will call: an allowlist, and never link-local or cloud-metadata addresses."""

from __future__ import annotations

import ipaddress
import posixpath
import socket
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

from aiohttp.abc import AbstractResolver

METADATA_HOSTS = {"metadata", "metadata.google.internal", "metadata.azure.internal", "instance-data"}
LINK_LOCAL = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10"))
CONTROL_PLANE = "/__admin"
DEMO_RECEIVER = "/__admin/inbox/"


def blocked_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Link-local (cloud metadata lives there), in any of its spellings: IPv4-mapped or IPv4-compatible
    IPv6 included."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or (
            ipaddress.IPv4Address(int(address) & 0xFFFFFFFF) if int(address) >> 32 == 0 else None
        )
        if embedded is not None and blocked_address(embedded):
            return True
    return any(address in network for network in LINK_LOCAL)


class GuardedResolver(AbstractResolver):
    """An aiohttp resolver that refuses to connect to a blocked address, whatever name or spelling led
    to it (a DNS name that resolves there, `0xa9fea9fe`, a decimal integer…): the addresses actually
    connected to are checked, on every attempt."""

    def __init__(self) -> None:
        from aiohttp.resolver import DefaultResolver

        self._inner = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[Any]:
        found = await self._inner.resolve(host, port, family)
        allowed = [a for a in found if not blocked_address(ipaddress.ip_address(a["host"]))]
        if not allowed:
            raise OSError(f"refused: {host} resolves to a link-local or cloud metadata address")
        return allowed

    async def close(self) -> None:
        await self._inner.close()


def control_plane_path(url: str) -> bool:
    """Whether the URL names a control-plane path other than the demo inbox: as the mock would route it
    (percent-decoded once, dot segments and repeated slashes resolved), whatever host it names, since any
    host (an IP's many spellings, a DNS name) may lead back to the mock."""
    try:
        path = posixpath.normpath("/" + unquote(urlsplit(url).path))
    except ValueError:  # not a URL at all: nothing will be sent to it
        return False
    path = "/" + path.lstrip("/")
    if path != CONTROL_PLANE and not path.startswith(CONTROL_PLANE + "/"):
        return False
    return not (path.startswith(DEMO_RECEIVER) and len(path) > len(DEMO_RECEIVER))


def guard(allowlist: Sequence[str]) -> Callable[[str], str | None]:
    """A function URL → reason it is refused (None when allowed). Entries: host, *.suffix, IP or CIDR."""
    networks = []
    names = []
    for entry in allowlist:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.append(entry.lower())

    def check(url: str) -> str | None:
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError:
            host = ""
        if not host or parts.scheme not in ("http", "https"):
            return f"refused: {url!r} is not an http(s) URL"
        if control_plane_path(url):
            return f"refused: {url!r} is the mock's control plane; only {DEMO_RECEIVER}<name> takes them"
        try:
            address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
        except ValueError:
            address = None
        if host in METADATA_HOSTS or (address is not None and blocked_address(address)):
            return f"refused: {host} is a link-local or cloud metadata address"
        if not allowlist:
            return None
        if address is not None and any(address in n for n in networks):
            return None
        if any(host == n or (n.startswith("*.") and host.endswith(n[1:])) for n in names):
            return None
        return f"refused: {host} is not in the callback allowlist"

    return check
