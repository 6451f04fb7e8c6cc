"""The body, read and decoded once (JSON, a form, multipart, text) for every later step: scenario
rules match on it, validation checks it, idempotency and the write log keep it without its secrets.
Nothing is checked against the schema here, and problems are kept, not raised: validation reports
them after authentication, as before."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from mockserver.core import formats
from mockserver.core.pipeline.call import Call, Next
from mockserver.core.services import multipart
from mockserver.core.specs import Operation
from mockserver.core.validation import Violation


async def body(call: Call, next: Next) -> web.StreamResponse:
    op = call.op
    assert op is not None  # on the chains of operations only
    if call.request.body_exists or op.bodies:
        raw = await call.read()
        if raw is not None:
            call.body, call.body_problems = _decode(call, op, raw)
            if call.secret_rules:
                call.kept_body()  # now, from the body as sent: a handler may change what it was given
    return await next(call)


def _unreadable(english: str, spanish: str, keyword: str = "json") -> Violation:
    return Violation("body", "", english, keyword, spanish=spanish)


def _unsafe() -> Violation:
    return Violation(
        "body",
        "",
        "The body holds a NUL or an unpaired surrogate",
        "json",
        spanish="El cuerpo contiene un NUL o un sustituto sin pareja",
    )


def _decode(call: Call, op: Operation, raw: bytes) -> tuple[Any, list[Violation]]:
    content_type = call.request.content_type
    if not raw:
        if op.body_required:
            return None, [
                Violation(
                    "body", "", "A request body is required", "required", spanish="El cuerpo es requerido"
                )
            ]
        return None, []
    validator = op.bodies.get(content_type)
    if validator is None:
        if not op.bodies:
            return None, []
        expected = ", ".join(op.bodies)
        return None, [
            Violation(
                "body",
                "",
                f"Content-Type {content_type!r} is not accepted; use {expected}",
                "content-type",
                spanish=f"No se acepta Content-Type {content_type!r}; use {expected}",
            )
        ]
    if content_type == "multipart/form-data":
        try:
            form = multipart.parse(call.request.headers.get("Content-Type", ""), raw)
        except multipart.MultipartError as error:
            return None, [Violation("body", "", str(error), "content-type")]
        call.decoded = True
        return form, []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, [
            Violation(
                "body", "", "The body is not valid UTF-8", "encoding", spanish="El cuerpo no es UTF-8 válido"
            )
        ]
    data: Any
    if content_type == "application/x-www-form-urlencoded":
        data = dict(parse_qsl(text, keep_blank_values=True))
        if any(formats.unsafe_text(k) or formats.unsafe_text(v) for k, v in data.items()):
            return None, [_unsafe()]
    elif content_type.endswith("json"):
        try:
            data = formats.loads(text)
        except formats.OutOfRange:
            return None, [
                Violation(
                    "body",
                    "",
                    "A number in the body is out of range",
                    "json",
                    spanish="Un número del cuerpo está fuera de rango",
                )
            ]
        except formats.Unsafe:
            # a lone surrogate cannot be written back out as UTF-8, a NUL not into XML or a header
            return None, [_unsafe()]
        except (ValueError, RecursionError):
            return None, [
                Violation(
                    "body", "", "The body is not valid JSON", "json", spanish="El cuerpo no es JSON válido"
                )
            ]
        call.json = data
    else:
        data = text
    call.decoded = True
    return data, []
