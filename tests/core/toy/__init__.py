"""A toy provider that exercises the platform's pipeline without any real provider's quirks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aiohttp import web

from mockserver.core.errors import Kind, MockError, status_of
from mockserver.core.pipeline import Call
from mockserver.core.plugin import Principal, Provider, Unsupported


class ToyAuth:
    async def authenticate(self, request: web.Request, op: Any) -> Principal:
        key = request.headers.get("X-Key")
        if not key:
            raise MockError(Kind.UNAUTHORIZED, "no key")
        return Principal(key)

    def peek_tenant(self, request: web.Request) -> str | None:
        return request.headers.get("X-Key")


class ToyErrors:
    def render(self, error: MockError, request: web.Request) -> web.Response:
        return web.json_response(
            {"error": error.code or error.kind.value, "message": error.message},
            status=status_of(error),
            headers=error.headers,
        )


class ToyState:
    def __init__(self, pr: Any) -> None:
        self.ids = pr.runtime.ids
        self.made: dict[str, list[dict[str, Any]]] = {}


async def create_thing(call: Call) -> web.StreamResponse:
    state: ToyState = call.state
    thing = {**call.body, "id": state.ids.uuid()}
    state.made.setdefault(call.tenant, []).append(thing)
    return web.Response(status=201, body=json.dumps(thing), content_type="application/json")


PROVIDER = Provider(
    name="toy",
    title="toy",
    mount="/toy",
    hosts=("toy.example",),
    operations={"createThing": create_thing, "deleteThing": Unsupported("toys are forever")},
    errors=ToyErrors(),
    make_state=ToyState,
    auth=ToyAuth(),
    spec_file=Path(__file__).parent / "openapi.yaml",
)
