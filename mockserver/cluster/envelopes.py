"""Each provider's 503, as its own error renderer writes it, for the balancer to answer with while a
worker is down: asked of a mock in this process through a scenario rule, so the balancer's answer and
the mock's own 503 can never drift apart."""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass

from mockserver.core.runtime import load_provider
from mockserver.core.specs import load_spec
from mockserver.settings import Settings

RETRY_AFTER = 5  # seconds: about what a worker takes to restart and replay its tail
MESSAGE = "The worker holding this sandbox is restarting; retry shortly"
ADMIN_MESSAGE = "the worker holding this sandbox is restarting; retry shortly"


# what the balancer writes itself, or what differs from one answer to the next (ids)
PER_ANSWER = {
    "content-type",
    "content-length",
    "date",
    "server",
    "connection",
    "retry-after",
    "x-correlation-id",
    "x-request-id",
}


@dataclass(frozen=True)
class Answer:
    """An error answer as the balancer repeats it: its content type, body and provider headers."""

    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...]


def admin_answer() -> Answer:
    return Answer("application/json; charset=utf-8", json.dumps({"error": ADMIN_MESSAGE}).encode(), ())


def provider_answers(providers: Sequence[str]) -> dict[str, Answer]:
    from mockserver.inprocess import InProcessServer  # a mock of its own: started only to ask it

    # seeded: the ids in an envelope (a trace id) are the same on every run, so the config is too
    settings = Settings(providers=tuple(providers), admin_token="off", rate_limits={"*": None}, seed=1)
    server = InProcessServer(settings)
    quiet = logging.getLogger("mockserver.access")
    level = quiet.level
    quiet.setLevel(logging.WARNING)  # its requests are not the cluster's
    server.start()
    try:
        answers = {}
        for name in providers:
            rule = {"provider": name, "status": 503, "message": MESSAGE, "retry_after": RETRY_AFTER}
            _call(server.base_url + "/__admin/scenarios", "POST", json.dumps(rule).encode())
            provider = load_provider(name)
            ops = list(load_spec(provider.spec_path).operations.values())
            op = next((o for o in ops if o.secured), ops[0])  # the API's own envelope, not its IdP's
            path = re.sub(r"\{[^}]+\}", "x", (op.prefixes[0].rstrip("/") if op.prefixes else "") + op.path)
            answers[name] = _call(f"{server.base_url}{provider.mount}{path}", op.method.upper(), None)
        return answers
    finally:
        server.stop()
        quiet.setLevel(level)


def _call(url: str, method: str, body: bytes | None) -> Answer:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Answer(response.headers.get("Content-Type", ""), response.read(), ())
    except urllib.error.HTTPError as error:
        kept = tuple((k, v) for k, v in error.headers.items() if k.lower() not in PER_ANSWER)
        return Answer(error.headers.get("Content-Type", ""), error.read(), kept)
