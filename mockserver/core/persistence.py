"""State that outlives the process: the write log (`pipeline.record` keeps it), replayed to rebuild.

The mock is deterministic given its writes, their mock times and the ids seed: each request reseeds
the ids from its own token and each timer from its own key. So the write log in `Store` is the
whole state: a restart, an import and a fixtures directory all replay writes through the same
pipeline, on loopback (`core/services/loopback.py` sends them), with the clock frozen at each write's
time. Webhooks are not sent during a replay; their recorded outcomes are put back and whatever was
still pending is sent afterwards.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mockserver.core.runtime import Runtime
from mockserver.core.services.loopback import Loopback
from mockserver.core.services.store import Write
from mockserver.core.services.webhooks import Attempt
from mockserver.core.validation import violations

log = logging.getLogger("mockserver.persistence")

REPLAY = "X-Mock-Replay"  # "<token> <secret>": only replays this process sends carry the secret
REPLAY_BASE_HEADER = "X-Mock-Replay-Base"
TENANT_HEADER = "X-Mock-Replay-Tenant"  # kept in a fixture's write: it stands for credentials
FORMAT = "mockserver-state/1"
READS = frozenset({"GET", "HEAD", "OPTIONS"})
# control-plane writes that change nothing a replay needs
NOT_RECORDED = ("/__admin/state", "/__admin/verify")


def open_store(runtime: Runtime) -> None:
    """Take the ids root and the boot count from the store, so ids stay unique and repeatable."""
    store = runtime.store
    base = store.meta("base")
    if base is None:
        store.set_meta("base", runtime.ids.base)
    else:
        runtime.ids.base = int(base)
    runtime.boot = int(store.meta("boot") or 0) + 1
    store.set_meta("boot", runtime.boot)


async def replay(runtime: Runtime, writes: Sequence[Write], *, record: bool = False) -> list[int]:
    """Run writes through a private copy of the app, each at its mock time; answers their statuses.
    `record`: append them to the store as they run (imports and fixtures; a restart already has them)."""
    from aiohttp.test_utils import TestServer  # only a replay needs it: not loaded at start

    if runtime.app_factory is None:
        raise RuntimeError("a replay needs the app: create_app(runtime=...) sets runtime.app_factory")
    app = runtime.app_factory(runtime)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server(access_log=None)  # the journal step logs each replayed write, marked
    runtime.webhooks.muted = True
    was_frozen = runtime.clock.frozen
    statuses = []
    client = Loopback("127.0.0.1", server.port or 0)
    try:
        for write in writes:
            runtime.clock.freeze(write.at)
            runtime.scheduler.run_due()
            headers = [*write.headers, (REPLAY, f"{write.token} {runtime.replay_secret}")]
            if write.base:
                headers.append((REPLAY_BASE_HEADER, write.base))
            mount = runtime.providers[write.provider].provider.mount if write.provider else ""
            statuses.append(await client.request(write.method, mount + write.target, headers, write.body))
            if record:
                runtime.store.append(write, runtime.clock.state())
    finally:
        client.close()
        runtime.webhooks.muted = False
        if not was_frozen:
            runtime.clock.unfreeze()  # it runs on from the last write's time (a restore puts back the rest)
        await server.close()
    return statuses


def settle_deliveries(runtime: Runtime, outcomes: dict[str, tuple[str, list[dict[str, Any]]]]) -> None:
    """Put back what happened to each webhook; send again whatever was not delivered yet."""
    hooks = runtime.webhooks
    for delivery in hooks.deliveries.values():
        if delivery.id in outcomes:
            seen = len(delivery.attempts)  # a snapshot's deliveries come with the attempts it had seen
            delivery.state, attempts = outcomes[delivery.id]
            delivery.attempts = [Attempt(**a) for a in attempts]
            observer = hooks.observers.get(delivery.provider)
            for attempt in delivery.attempts[seen:] if observer else ():
                observer(delivery, attempt)  # type: ignore[misc]
        if delivery.state == "pending":
            last = delivery.attempts[-1] if delivery.attempts else None
            due = last.at + delivery.policy.delay(last.number) if last else delivery.created_at
            with runtime.testclocks.entered(delivery.provider, delivery.tenant):  # due on its clock
                hooks.plan(delivery, due)


async def restore(runtime: Runtime) -> int:
    """At start: rebuild everything from the store, from its snapshot on if it has a good one; answers
    how many writes the state holds (those of the snapshot and those replayed after it)."""
    snapshot = runtime.snapshots.load() if runtime.snapshots else 0
    writes = runtime.store.writes(after=snapshot)
    if not writes and not snapshot:
        return 0
    if writes:
        await replay(runtime, writes)
    settle_deliveries(runtime, runtime.store.deliveries())
    clock = runtime.store.meta("clock")
    if clock:
        runtime.clock.restore(clock)
    runtime.scheduler.run_due()
    return runtime.store.count()


def export(runtime: Runtime, sandbox: tuple[str | None, str | None] | None = None) -> dict[str, Any]:
    """Every write and delivery outcome; for a `(provider, tenant)` sandbox only the writes it made
    (its provider calls and its own control-plane calls) and the deliveries of its events."""
    writes = runtime.store.writes()
    deliveries = runtime.store.deliveries()
    if sandbox is not None:
        provider, tenant = sandbox
        writes = [w for w in writes if _made_by(w, provider, tenant)]
        known = runtime.webhooks.deliveries
        deliveries = {
            i: o
            for i, o in deliveries.items()
            if i in known and (known[i].provider, known[i].tenant) == (provider, tenant)
        }
    # the whole mock's export carries what makes its ids and digests its secrets; a sandbox's does not:
    # the seed predicts every sandbox's tokens and ids, the salt opens the log's client-secret digests
    secrets = (
        {"seed": runtime.ids.base, "secret_salt": runtime.secret_salt().hex()} if sandbox is None else {}
    )
    return {
        "format": FORMAT,
        **secrets,
        "clock": runtime.clock.state(),
        "writes": [w.as_json() for w in writes],
        "deliveries": {i: {"state": s, "attempts": a} for i, (s, a) in deliveries.items()},
    }


def _made_by(write: Write, provider: str | None, tenant: str | None) -> bool:
    """A provider call of the sandbox, or a control-plane call limited to it (X-Mock-Provider)."""
    headers = dict(write.headers)
    return headers.get(TENANT_HEADER) == tenant and provider in (
        write.provider,
        headers.get("X-Mock-Provider"),
    )


async def import_state(runtime: Runtime, data: Any) -> int:
    """Replace everything with an export: reset, replay its writes, put back deliveries and the clock."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f'not a mockserver export: the body needs "format": "{FORMAT}"')
    try:
        writes = [Write.from_json(w) for w in data.get("writes", [])]
        outcomes = {i: (d["state"], d["attempts"]) for i, d in data.get("deliveries", {}).items()}
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"malformed export: {error}") from None
    unknown = sorted({w.provider for w in writes if w.provider and w.provider not in runtime.providers})
    if unknown:
        raise ValueError(f"the export has writes for providers not running here: {', '.join(unknown)}")
    salt = data.get("secret_salt")
    if isinstance(salt, str) and re.fullmatch(r"[0-9a-f]{32}", salt):
        runtime.set_secret_salt(salt)  # before the states are made again: they digest with it
    runtime.reset_everything()
    runtime.store.clear()
    runtime.ids.base = int(data.get("seed", runtime.ids.base))
    runtime.store.set_meta("base", runtime.ids.base)
    await replay(runtime, writes, record=True)
    for delivery_id, (state, attempts) in outcomes.items():
        runtime.store.record_delivery(delivery_id, state, attempts)
    settle_deliveries(runtime, outcomes)
    if data.get("clock"):
        runtime.clock.restore(data["clock"])
        runtime.store.set_meta("clock", data["clock"])
    runtime.scheduler.run_due()
    return len(writes)


# --- fixtures: requests in files, checked against the specs, then replayed -----------------------


class FixtureError(Exception):
    """A fixtures file names an unknown operation or a body its spec refuses: start-up stops."""


def load_fixtures(runtime: Runtime, directory: Path) -> list[Write]:
    """Every `<provider>[-anything].{yaml,yml,json}` in `directory`, in name order: a list of
    `{method, path, query?, headers?, tenant?, body?}`; `tenant` stands in for credentials."""
    import yaml  # fixtures only

    files = sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
    if not files:
        raise FixtureError(f"{directory}: no .yaml, .yml or .json fixtures files")
    loaded: list[Write] = []
    for path in files:
        provider = re.split(r"[-.]", path.name, maxsplit=1)[0]
        pr = runtime.providers.get(provider)
        if pr is None:
            raise FixtureError(
                f"{path.name}: {provider!r} is not a running provider (file names start with one)"
            )
        try:
            items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        except (OSError, yaml.YAMLError) as error:
            raise FixtureError(f"{path.name}: {error}") from None
        if not isinstance(items, list):
            raise FixtureError(f"{path.name}: expected a list of requests")
        for index, item in enumerate(items):
            loaded.append(_fixture_request(runtime, pr.name, f"{path.name}[{index}]", item))
    return loaded


def _fixture_request(runtime: Runtime, provider: str, where: str, item: Any) -> Write:
    if not isinstance(item, dict) or "path" not in item:
        raise FixtureError(f"{where}: each request needs at least a path (and a method, POST by default)")
    method = str(item.get("method", "POST")).upper()
    path = str(item["path"])
    spec = runtime.providers[provider].spec
    op = next(
        (
            o
            for o in spec.operations.values()
            if o.method == method and any(_route_matches(route, path) for route in o.routes)
        ),
        None,
    )
    if op is None:
        raise FixtureError(f"{where}: {spec.path} has no operation for {method} {path}")
    body = item.get("body")
    headers = {str(k): str(v) for k, v in (item.get("headers") or {}).items()}
    raw = b""
    if body is not None:
        validator = op.bodies.get("application/json")
        if validator is None:
            raise FixtureError(f"{where}: {op.id} takes no JSON body ({', '.join(op.bodies) or 'none'})")
        problems = violations(validator, body, "body")
        if problems:
            first = problems[0]
            raise FixtureError(f"{where}: {op.id} refuses the body: {first.field or 'body'}: {first.message}")
        raw = json.dumps(body, ensure_ascii=False).encode()
        headers.setdefault("Content-Type", "application/json")
    query = item.get("query") or {}
    target = path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
    if item.get("tenant"):
        headers[TENANT_HEADER] = runtime.providers[provider].tenant_name(str(item["tenant"]))  # no raw keys
    return Write("", 0.0, provider, method, target, None, list(headers.items()), raw)


def _route_matches(route: str, path: str) -> bool:
    pattern = re.sub(r"\\{[^}]*\\}", "[^/]+", re.escape(route.rstrip("/")))
    return re.fullmatch(pattern + "/?", path) is not None


async def apply_fixtures(runtime: Runtime, fixtures: Sequence[Write]) -> list[int]:
    """Run fixtures requests now, recorded like any write; a failed one stops start-up with its answer."""
    now = runtime.clock.now()
    writes = [dataclasses.replace(f, token=runtime.next_token(), at=now) for f in fixtures]
    statuses = await replay(runtime, writes, record=True)
    failed = [(w, s) for w, s in zip(writes, statuses, strict=True) if not 200 <= s < 300]
    if failed:
        w, s = failed[0]
        raise FixtureError(f"fixture {w.method} {w.target} ({w.provider}) was answered {s}")
    return statuses
