"""Venezuelan RIF: `L-NNNNNNNN-D` with its check digit, and the JSON Schema format `rif`."""

from __future__ import annotations

import re

LETTERS = {"V": 1, "E": 2, "J": 3, "P": 4, "G": 5}
WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)
_RIF = re.compile(r"^([VEJPG])-?(\d{8})-?(\d)$", re.IGNORECASE)


def check_digit(letter: str, digits: str) -> int:
    total = LETTERS[letter.upper()] * 4 + sum(int(d) * w for d, w in zip(digits, WEIGHTS, strict=True))
    rest = total % 11
    return 0 if rest in (0, 1) else 11 - rest


def problem(text: str) -> str | None:
    """Why a RIF is not valid (format or check digit), or None."""
    match = _RIF.match(text.strip())
    if not match:
        return "format"
    letter, digits, given = match.groups()
    return None if check_digit(letter, digits) == int(given) else "check_digit"


def normalize(text: str) -> str:
    match = _RIF.match(text.strip())
    if not match:
        raise ValueError(f"not a RIF: {text!r}")
    letter, digits, given = match.groups()
    return f"{letter.upper()}-{digits}-{given}"
