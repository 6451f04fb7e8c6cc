"""The dashboard: `/__admin/ui`, a plain page for demos and for looking at what a run did.

The page is a shell (`GET /__admin/ui`, open, holding no data); its panels are HTML rendered here
(`GET /__admin/ui/panels`, authorised like every control call) and fetched by the page's small script,
again whenever the event stream says something happened. So the one renderer is this module, nothing
is built or downloaded, and the admin token never travels in a URL: opened as `/__admin/ui#token=…`,
the script keeps it in the tab's session storage and sends it as a header. `GET /__admin/entities` is
the panels' entity list as JSON.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web

from mockserver.admin import ui_assets
from mockserver.admin.access import sandbox_of
from mockserver.admin.common import AdminError, check_keys, check_provider, reply, runtime_of
from mockserver.core.pipeline.call import origin_of
from mockserver.core.runtime import Runtime
from mockserver.core.services.lifecycle import Mode

REQUESTS_SHOWN = 30
DELIVERIES_SHOWN = 20
MODES = [m.value for m in Mode]


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _when(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _scope(request: web.Request, q: Any = None) -> tuple[str | None, str | None]:
    q = request.query if q is None else q
    check_keys(q, ("provider", "tenant"), "dashboard filter")
    check_provider(runtime_of(request), q.get("provider") or None, required=False)
    return sandbox_of(request, q.get("provider") or None, q.get("tenant") or None)


def entity_list(request: web.Request, provider: str | None, tenant: str | None) -> list[dict[str, Any]]:
    runtime, out = runtime_of(request), list[dict[str, Any]]()
    for pr in runtime.providers.values():
        if provider in (None, pr.name) and pr.provider.entities is not None:
            base = origin_of(runtime, request) + pr.provider.mount
            out.extend({"provider": pr.name, **e} for e in pr.provider.entities(pr, tenant, base))
    return out


async def entities(request: web.Request) -> web.Response:
    provider, tenant = _scope(request)
    return reply({"entities": entity_list(request, provider, tenant)})


async def page(request: web.Request) -> web.Response:
    runtime = runtime_of(request)
    options = "".join(f'<option value="{_e(p)}">{_e(p)}</option>' for p in runtime.providers)
    body = ui_assets.PAGE.format(style=ui_assets.STYLE, script=ui_assets.SCRIPT, providers=options)
    headers = {"Cache-Control": "no-store", "Content-Security-Policy": ui_assets.POLICY}
    return web.Response(text=body, content_type="text/html", headers=headers)


async def panels(request: web.Request) -> web.Response:
    """`?part=live` (requests, entities, deliveries, inboxes) or `?part=controls`, for the view's scope."""
    part = request.query.get("part", "live")
    if part not in ("live", "controls"):
        raise AdminError("part must be live or controls")
    query = {k: v for k, v in request.query.items() if k != "part"}
    provider, tenant = _scope(request, query)
    runtime = runtime_of(request)
    if part == "controls":
        parts = [_controls(runtime, provider, tenant)]
    else:
        parts = [
            _requests(runtime, provider, tenant),
            _entities(entity_list(request, provider, tenant)),
            _deliveries(runtime, provider, tenant),
            _inboxes(runtime) if provider is None else "",
        ]
    return web.Response(text="".join(parts), content_type="text/html", headers={"Cache-Control": "no-store"})


def _section(ident: str, title: str, inner: str) -> str:
    heading = f'<h2 id="{ident}-h">{title}</h2>'
    return f'<section id="{ident}" aria-labelledby="{ident}-h">{heading}{inner}</section>'


def _details(key: str, summary: str, *blocks: str) -> str:
    """A row that opens on click or Enter, with a key so it stays open across a refresh."""
    return f'<details data-key="{_e(key)}"><summary>{summary}</summary>{"".join(blocks)}</details>'


def _pre(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=2, default=str)
    return f"<pre>{_e(text)}</pre>"


def _requests(runtime: Runtime, provider: str | None, tenant: str | None) -> str:
    rows = []
    for entry in runtime.journal.query(provider=provider, tenant=tenant, limit=REQUESTS_SHOWN):
        shown = entry.as_json()
        detail = {
            k: shown[k]
            for k in ("query", "request_headers", "request_body", "response_headers", "response_body")
        }
        scenario = f" · {_e(entry.scenario)}" if entry.scenario else ""
        facts = f"{_e(entry.provider)} · {_e(entry.operation)} · {entry.duration_ms:g} ms{scenario}"
        summary = (
            f'<span class="status {"ok" if entry.status < 400 else "bad"}">{entry.status}</span> '
            f"<b>{_e(entry.method)}</b> {_e(entry.path)} "
            f"<span class=muted>{facts} · {_e(entry.tenant)} · {_when(entry.at)}</span>"
        )
        rows.append(f'<li class="request">{_details(f"r{entry.id}", summary, _pre(detail))}</li>')
    inner = f"<ol class=rows>{''.join(rows)}</ol>" if rows else "<p class=muted>No request yet.</p>"
    return _section("requests", "Requests", inner)


def _entities(found: list[dict[str, Any]]) -> str:
    rows = []
    for e in found:
        links = " ".join(
            f'<a href="{_e(url)}" target="_blank" rel="noopener">{kind.upper()}</a>'
            for kind, url in e.get("links", {}).items()
        )
        cells = [
            _e(e["provider"]),
            _e(e["kind"]),
            f"<code>{_e(e.get('label') or e['id'])}</code>",
            f'<span class="state" data-entity="{_e(e["provider"])}:{_e(e["id"])}">{_e(e["state"])}</span>',
            links,
            f"<span class=muted>{_e(e['tenant'])}</span>",
        ]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    names = ("provider", "kind", "id", "state", "files", "sandbox")
    head = "<tr>" + "".join(f"<th>{n}</th>" for n in names) + "</tr>"
    inner = f"<table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>" if rows else ""
    return _section("entities", "Entities", inner or "<p class=muted>Nothing made yet.</p>")


def _deliveries(runtime: Runtime, provider: str | None, tenant: str | None) -> str:
    rows = []
    for d in list(reversed(runtime.webhooks.list(provider, tenant)))[:DELIVERIES_SHOWN]:
        attempts = "".join(
            f"<li>#{a.number} {_when(a.at)} → {_e(a.status if a.status is not None else a.error)}</li>"
            for a in d.attempts
        )
        summary = (
            f'<span class="state">{_e(d.state)}</span> <b>{_e(d.event)}</b> → {_e(d.url)} '
            f"<span class=muted>{_e(d.provider)} · {len(d.attempts)} attempt(s)</span>"
        )
        opened = _details(
            f"d{d.id}",
            summary,
            f"<ol class=attempts>{attempts}</ol>",
            _pre(d.sent_headers),
            _pre(d.body.decode("utf-8", "replace")),
        )
        replay = f'<button type=button data-post="/__admin/webhooks/{quote(d.id)}/replay">Replay</button>'
        rows.append(f'<li class="delivery">{opened}{replay}</li>')
    inner = f"<ol class=rows>{''.join(rows)}</ol>" if rows else "<p class=muted>No webhook sent yet.</p>"
    return _section("deliveries", "Webhook deliveries", inner)


def _inboxes(runtime: Runtime) -> str:
    rows = []
    for name, box in runtime.inboxes.items():
        body = box[-1].get("body") if box else None
        summary = f"<b>{_e(name)}</b> <span class=muted>{len(box)} message(s)</span>"
        rows.append(f"<li>{_details(f'i{name}', summary, _pre(body))}</li>")
    inner = f"<ul class=rows>{''.join(rows)}</ul>" if rows else "<p class=muted>No inbox yet.</p>"
    return _section("inboxes", "Inboxes", inner)


def _options(pairs: list[tuple[str, str]]) -> str:
    return "".join(f'<option value="{_e(value)}">{_e(label)}</option>' for value, label in pairs)


def _form(action: str, legend: str, fields: str, button: str) -> str:
    done = f"<button>{button}</button><output aria-live=polite></output>"
    return f'<form data-action="{action}"><fieldset><legend>{legend}</legend>{fields}{done}</fieldset></form>'


def _controls(runtime: Runtime, provider: str | None, tenant: str | None) -> str:
    now = runtime.clock.own_now()
    held = runtime.testclocks
    shown = [  # a view of one sandbox lists the clocks that drive it or that it made, no other's
        c
        for c in held.clocks.values()
        if tenant is None or (provider, tenant) in held.sandboxes(c.id) or c.owner == (provider, tenant)
    ]
    clocks = [("", f"the mock's clock · {runtime.clock.snapshot()['now']}")] + [
        (c.id, f"{c.name} · {c.snapshot(now)['now']}") for c in shown
    ]
    providers = [provider] if provider else list(runtime.providers)
    events = [(t, f"{p}: {t}") for p in providers for t in runtime.providers[p].spec.webhooks]
    scope = (
        {"format": "table"}
        | ({"provider": provider} if provider else {})
        | ({"tenant": tenant} if tenant else {})
    )
    who = (
        f"<label>provider <select name=provider>{_options([(p, p) for p in providers])}</select></label>"
        f'<label>sandbox <input name=tenant value="{_e(tenant or "")}" '
        'placeholder="a credential or its label"></label>'
    )
    clock = (
        f"<label>clock <select name=clock>{_options(clocks)}</select></label>"
        "<label>advance (seconds) <input name=advance type=number value=60 min=0 step=any></label>"
    )
    modes = f"<label>mode <select name=mode>{_options([(m, m) for m in MODES])}</select></label>"
    rule = (
        '<label>operation <input name=operation placeholder="createInvoice" required></label>'
        "<label>status <input name=status type=number value=503 min=100 max=599></label>"
    )
    trigger = (
        f"<label>event <select name=type>{_options(events)}</select></label>"
        '<label>also to URL <input name=url placeholder="http://127.0.0.1:8080/__admin/inbox/demo"></label>'
    )
    forms = [
        _form("clock", "Clock", clock, "Advance"),
        _form("/__admin/lifecycle", "Lifecycle mode", who + modes, "Set mode"),
        _form("/__admin/scenarios", "Scenario rule", who + rule, "Add rule"),
        _form("/__admin/events", "Trigger an event", who + trigger, "Trigger"),
        _form("reset", "Reset a sandbox", who, "Reset"),
        f'<p><a href="/__admin/coverage?{_e(urlencode(scope))}" data-fetch>Coverage of this view</a></p>',
        "<pre id=coverage></pre>",
    ]
    return _section("controls", "Controls", "".join(forms))


async def entity_file(request: web.Request) -> web.Response:
    """`/__admin/files/{provider}/{id}.{pdf|xml}?tenant=`: a file its provider serves only with a
    credential, for the dashboard's links (a sandbox's credential reaches its own only)."""
    runtime = runtime_of(request)
    check_keys(request.query, ("tenant",), "file parameter")
    name = request.match_info["provider"]
    check_provider(runtime, name)
    provider, tenant = sandbox_of(request, name, request.query.get("tenant"))
    ident, _, extension = request.match_info["file"].rpartition(".")
    pr = runtime.providers[str(provider)]
    made = (
        pr.provider.entity_file(pr, tenant, ident, extension) if pr.provider.entity_file and tenant else None
    )
    if made is None:
        return reply({"error": f"no file {request.match_info['file']} in that sandbox"}, 404)
    return web.Response(body=made[1], content_type=made[0])


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/files/{provider}/{file}", entity_file)
    router.add_get("/ui", page)
    router.add_get("/ui/panels", panels)
    router.add_get("/entities", entities)
