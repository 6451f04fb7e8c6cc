"""Chilean RUT: modulo-11 check digit, parsing and the JSON Schema format `rut`."""

from __future__ import annotations

import re

_RUT = re.compile(r"^(\d{1,3}(?:\.?\d{3}){0,2})-?([\dkK])$")


def check_digit(number: int) -> str:
    total, factor = 0, 2
    for digit in reversed(str(number)):
        total += int(digit) * factor
        factor = 2 if factor == 7 else factor + 1
    rest = 11 - total % 11
    return {11: "0", 10: "K"}.get(rest, str(rest))


def parse(text: str) -> tuple[int, str] | None:
    """`11.111.111-1`, `11111111-1` or `111111111` → (11111111, "1"); None if malformed."""
    match = _RUT.match(text.strip())
    if not match:
        return None
    return int(match.group(1).replace(".", "")), match.group(2).upper()


def is_valid(text: object) -> bool:
    if not isinstance(text, str):
        return True  # not a string: the schema's `type` reports it
    parsed = parse(text)
    return parsed is not None and parsed[0] > 0 and check_digit(parsed[0]) == parsed[1]


def normalize(text: str) -> str:
    """The canonical `12345678-5` form."""
    parsed = parse(text)
    if parsed is None:
        raise ValueError(f"not a RUT: {text!r}")
    return f"{parsed[0]}-{parsed[1]}"


def with_check_digit(number: int) -> str:
    return f"{number}-{check_digit(number)}"
