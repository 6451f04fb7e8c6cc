"""Chile's regions and comunas by CUT code, from fixtures/avenio/cut.json (IDE Chile's DPA)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from mockserver.paths import FIXTURES


@cache
def table() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "avenio" / "cut.json").read_text(encoding="utf-8"))
    return data


def region_name(code: int) -> str | None:
    name: str | None = table()["regiones"].get(str(code))
    return name


def comuna(code: int) -> dict[str, Any] | None:
    found: dict[str, Any] | None = table()["comunas"].get(str(code))
    return found
