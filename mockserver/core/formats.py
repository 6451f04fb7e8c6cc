"""JSON as clients send it, read strictly, and JSON Schema formats as the specs use them: jsonschema's
own checks plus the mock's `rut`, `rif`, and `uri` and `date-time` (which jsonschema checks only with
optional packages installed)."""

from __future__ import annotations

import functools
import json
import math
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mockserver.core.kit import rif, rut

if TYPE_CHECKING:  # jsonschema is imported on the first validation it is asked for: ~40 ms and 3 MB
    from jsonschema import FormatChecker


INTEGER_LIMIT = 2**63  # what a 64-bit backend holds; a real API refuses a number beyond it
NUMBER_LIMIT = 1e15  # a decimal past 15 digits before the point: no amount, quantity or rate is one

UNSAFE_TEXT = re.compile("[\x00\ud800-\udfff]")


class OutOfRange(ValueError):
    """NaN, Infinity, 1e400, 1e308 or an integer past 64 bits: JSON that no real backend can hold."""


class Unsafe(ValueError):
    """A NUL or an unpaired surrogate: text that cannot be written back out as UTF-8, XML or a header."""


def _no_constant(name: str) -> Any:
    raise OutOfRange(name)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or abs(value) >= NUMBER_LIMIT:
        raise OutOfRange(text)
    return value


def _bounded(text: str) -> int:
    if len(text) > 20 or not -INTEGER_LIMIT <= (value := int(text)) < INTEGER_LIMIT:
        raise OutOfRange(text)
    return value


def loads(text: str | bytes) -> Any:
    """`json.loads` that refuses what a client's backend could not hold (OutOfRange), text that cannot
    be written out again (Unsafe) and nesting past the interpreter's stack, each a ValueError. Every
    JSON the mock takes from outside (a provider's body, a control-plane body, an inbox delivery) is
    read here, so no handler ever sees such a value."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")  # UnicodeDecodeError is a ValueError
    try:
        data = json.loads(text, parse_constant=_no_constant, parse_float=_finite, parse_int=_bounded)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    if "\\u" in text and _holds_unsafe(data):  # only an escape writes a NUL or a lone surrogate
        raise Unsafe("a NUL or an unpaired surrogate")
    return data


def _holds_unsafe(data: Any) -> bool:
    if isinstance(data, str):
        return unsafe_text(data)
    if isinstance(data, dict):
        return any(_holds_unsafe(k) or _holds_unsafe(v) for k, v in data.items())
    if isinstance(data, list):
        return any(_holds_unsafe(v) for v in data)
    return False


def unsafe_text(value: str) -> bool:
    """Whether a decoded string (a query, a form field, a header) holds a NUL or a lone surrogate."""
    return UNSAFE_TEXT.search(value) is not None


ABSOLUTE_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s\x00-\x1f\x7f]+")  # RFC 3986: scheme ":" rest


RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str) or not RFC3339.fullmatch(value):
        return not isinstance(value, str)
    try:
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:  # month 13, hour 25, …
        return False
    return True


def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if ABSOLUTE_URI.fullmatch(value) is None:
        return False
    try:
        parts = urlsplit(value)  # an unclosed [IPv6 literal, a port that is not a number
        parts.port  # noqa: B018
    except ValueError:
        return False
    return True


@functools.cache
def formats() -> FormatChecker:
    """jsonschema's format checks with the mock's own: `rut`, `rif`, and `uri` and `date-time`, which
    jsonschema checks only with optional packages installed."""
    from jsonschema import FormatChecker

    checker = FormatChecker()
    checker.checks("rut")(rut.is_valid)
    checker.checks("rif")(lambda value: not isinstance(value, str) or rif.problem(value) != "format")
    checker.checks("uri")(_is_uri)
    checker.checks("date-time")(_is_date_time)
    return checker


def conforms(value: Any, name: str) -> bool:
    return formats().conforms(value, name)
