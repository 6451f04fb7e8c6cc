"""wrk (Debian's) as the benchmarks drive it: a Lua script per scenario, one counted run after a warm-up,
its text report read back into figures. One thread of wrk serves a bare aiohttp app faster than
that app can answer, so the server, not the generator, is what a figure measures."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

SCRIPT = """
local paths = {%(paths)s}
local values = {%(values)s}
local n, serial = 0, 0
request = function()
  n = n %% #paths + 1
  serial = serial + 1
  local headers = {%(headers)s}
  %(per_request)s
  return wrk.format(%(method)s, paths[n], headers, %(body)s)
end
"""


def lua(value: str) -> str:
    return json.dumps(value)  # a JSON string is a Lua string literal for the ASCII the scripts use


def script(
    where: Path,
    *,
    method: str,
    paths: list[str],
    headers: dict[str, str] | None = None,
    body: str | None = None,
    unique_header: str | None = None,
    per_path: str | None = None,
    values: list[str] | None = None,
) -> Path:
    """A request per call, cycling through `paths`: `unique_header` gets a new UUID-shaped value each
    time (an idempotency key), `per_path` the value of `values` that goes with the path."""
    lines = []
    if unique_header:
        lines.append(
            f'headers[{lua(unique_header)}] = string.format("00000000-0000-4000-8000-%012d", serial)'
        )
    if per_path:
        lines.append(f"headers[{lua(per_path)}] = values[n]")
    text = SCRIPT % {
        "paths": ",".join(lua(p) for p in paths),
        "values": ",".join(lua(v) for v in values or []),
        "headers": ",".join(f"[{lua(k)}] = {lua(v)}" for k, v in (headers or {}).items()),
        "per_request": "\n  ".join(lines),
        "method": lua(method),
        "body": lua(body) if body is not None else "nil",
    }
    where.write_text(text)
    return where


def available() -> bool:
    return shutil.which("wrk") is not None


def run(
    url: str,
    lua_script: Path,
    *,
    connections: int,
    seconds: float,
    warmup: float = 2,
    any_status: bool = False,
) -> dict[str, Any]:
    """One counted run after a warm-up; raises SystemExit on any error, or non-2xx answer unless
    `any_status`."""
    base = ["wrk", "-t1", f"-c{connections}", "--latency", "-s", str(lua_script), url]
    if warmup:
        _wrk(base, warmup)
    text = _wrk(base, seconds)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    figures: dict[str, Any] = {
        "rps": float(_found(r"Requests/sec:\s+([\d.]+)", text)),
        "requests": int(_found(r"(\d+) requests in", text)),
        "errors": sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", text)),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "p50_ms": latency(text, "50%"),
        "p99_ms": latency(text, "99%"),
    }
    if figures["errors"] or (figures["non2xx"] and not any_status):
        raise SystemExit(f"{url}: errors under load: {figures}\n{text}")
    return figures


def _wrk(base: list[str], seconds: float) -> str:
    # wrk reads whole seconds only ("-d0.5s" is refused), so a fraction rounds up to the next second
    duration = f"-d{max(1, math.ceil(seconds))}s"
    out = subprocess.run([*base[:1], duration, *base[1:]], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"wrk failed ({out.returncode}): {out.stderr or out.stdout}")
    return out.stdout


def _found(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    if match is None:
        raise SystemExit(f"wrk printed no {pattern!r}:\n{text}")
    return match.group(1)


def latency(text: str, which: str) -> float:
    found = re.search(rf"{re.escape(which)}\s+([\d.]+)(us|ms|s)\b", text)
    if not found:
        return 0.0
    value, unit = float(found.group(1)), found.group(2)
    return round(value / 1000 if unit == "us" else value * 1000 if unit == "s" else value, 3)
