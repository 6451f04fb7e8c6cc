"""What a web page could make a browser do to the control plane, refused before anything else runs,
with or without an admin token:

- **DNS rebinding.** A page on `evil.com` that rebinds its name to 127.0.0.1 reaches the mock as the
  same origin, so the browser lets it read the answers. The control plane answers only to a `Host` that
  is the mock's own: an IP literal, a single-label name (`localhost`, a Compose service), a `.localhost`,
  `.local` or `.internal` name, a real provider host the mock serves, `--public-url`'s host, `--host`,
  a cluster worker's, or one given with `--allowed-hosts`. None of these can be bought to point at a
  victim's loopback.
- **Cross-site writes.** A form or a `no-cors` fetch needs no preflight when its body is a form, a
  multipart or `text/plain`. A call that changes something must send JSON (an empty body may send
  nothing, as `curl -X POST` does, but never a form's or text's type), and an `Origin` or
  `Sec-Fetch-Site` of another site is refused.
  The demo inbox takes any body (it stands in for a receiver), but not from another site either.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from mockserver.admin.access import RECEIVER
from mockserver.admin.common import AdminError, runtime_of
from mockserver.admin.contract import canonical
from mockserver.core.runtime import Runtime

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
OWN_SITES = frozenset({"same-origin", "none"})  # `none`: typed in the address bar, a bookmark
LOCAL_SUFFIXES = (".localhost", ".local", ".internal")
# what a page may send another site without a preflight, even with an empty body
SIMPLE_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"})


# every control-plane answer: never framed, sniffed, embedded by another site or named in a Referer;
# the dashboard's page widens the policy for its own script and style (`ui.page`)
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class CrossSite(AdminError):
    status = 403


class NotJson(AdminError):
    status = 415


def name_of(host: str) -> str:
    """A `Host` header's name: no port, no brackets, lower case, no trailing dot."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    if host.count(":") == 1:
        host = host.partition(":")[0]
    return host.rstrip(".")


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def own_names(runtime: Runtime) -> set[str]:
    settings = runtime.settings
    names = set(runtime.providers.hosts())
    names |= set(settings.allowed_hosts) | {settings.host}
    names |= {address.rpartition(":")[0] for address in settings.cluster.values()}
    if settings.public_url:
        names.add(urlsplit(settings.public_url).hostname or "")
    return {name_of(n) for n in names if n}


def host_is_own(runtime: Runtime, host: str) -> bool:
    name = name_of(host)
    if _is_ip(name) or (name and "." not in name) or name.endswith(LOCAL_SUFFIXES):
        return True
    for allowed in own_names(runtime):
        if name == allowed or (allowed.startswith("*.") and name.endswith(allowed[1:])):
            return True
    return False


def _other_site(request: web.Request) -> str | None:
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site.lower() not in OWN_SITES:
        return f"Sec-Fetch-Site: {site}"
    origin = request.headers.get("Origin")
    if origin is not None:
        parts = urlsplit(origin)
        if origin == "null" or parts.netloc.lower() != request.headers.get("Host", "").lower():
            return f"Origin: {origin}"
    return None


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or content_type.endswith("+json")


@web.middleware
async def guard(request: web.Request, handler: Any) -> web.StreamResponse:
    host = request.headers.get("Host")
    if host is not None and not host_is_own(runtime_of(request), host):
        raise CrossSite(
            f"the control plane does not answer to Host {name_of(host)!r}: add it with --allowed-hosts "
            "if it is this mock's name"
        )
    if request.method not in SAFE_METHODS:
        other = _other_site(request)
        if other is not None:
            raise CrossSite(f"a control-plane call from another site is refused ({other})")
        simple = "Content-Type" in request.headers and request.content_type in SIMPLE_TYPES
        sends = simple or (request.body_exists and not _is_json(request.content_type))
        if sends and canonical(request) != RECEIVER:
            raise NotJson(
                f"a control-plane call that changes something sends Content-Type: application/json, "
                f"not {request.content_type!r}"
            )
    response: web.StreamResponse = await handler(request)
    return response


async def secure_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
