"""JSON Schema formats as the specs use them: jsonschema's own checks plus the mock's `rut`, `rif`, and
`uri` and `date-time` (which jsonschema checks only with optional packages installed)."""

from __future__ import annotations

import functools
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mockserver.core.kit import rif, rut

if TYPE_CHECKING:  # jsonschema is imported on the first validation it is asked for: ~40 ms and 3 MB
    from jsonschema import FormatChecker


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


@functools.cache
def formats() -> FormatChecker:
    """jsonschema's format checks with the mock's own: `rut`, `rif`, and `uri` and `date-time`, which
    jsonschema checks only with optional packages installed."""
    from jsonschema import FormatChecker

    checker = FormatChecker()
    checker.checks("rut")(rut.is_valid)
    checker.checks("rif")(lambda value: not isinstance(value, str) or rif.problem(value) != "format")
    checker.checks("uri")(
        lambda value: not isinstance(value, str) or ABSOLUTE_URI.fullmatch(value) is not None
    )
    checker.checks("date-time")(_is_date_time)
    return checker


def conforms(value: Any, name: str) -> bool:
    return formats().conforms(value, name)
