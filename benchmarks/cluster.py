"""Scale-out: the suite's GET and create from 64 sandboxes at once, through HAProxy to 1 and 2 workers,
beside one worker without HAProxy, a bare aiohttp app and WireMock answering the same bytes, in one run.

usage: python benchmarks/cluster.py [--quick] [--seconds 10] [--json PATH]

wrk (Debian's) drives every server the same way: one thread, 64 keep-alive connections, each request
taking the next of 64 sandboxes' credentials (a Lua script), 2 s of warm-up then the counted run.
  get     Bsale `GET /v1/documents/{id}.json`, 64 instances with one stored document each
  create  tuimprenta `POST /v1/invoices`, 64 API keys, a new Idempotency-Key per request
HAProxy's own CPU per request is its utime + stime over the counted run (from /proc) divided by the
requests served. The projection multiplies out from the figures of this run (see `projection`).
WireMock (the npm package's jar on the machine's Java) is installed as suite.py installs it; --quick
leaves it out and runs 1 s each (a smoke test: fails on errors, never on time).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from live import ROOT, free_port, start, stop
from suite import INVOICE, call, ensure_peers

HERE = Path(__file__).resolve().parent
SANDBOXES = 64
CONNECTIONS = 64
KEYS = [f"bench-{n:02d}" for n in range(SANDBOXES)]
BOLETA = {"documentTypeId": 1, "officeId": 1, "details": [{"netUnitValue": 1000, "quantity": 1}]}
SCRIPT = """
local keys = {%(keys)s}
local paths = {%(paths)s}
local n, serial = 0, 0
request = function()
  n = n %% #keys + 1
  serial = serial + 1
  local headers = {}
  %(headers)s
  return wrk.format("%(method)s", paths[n], headers, %(body)s)
end
"""


def lua_list(items: list[str]) -> str:
    return ",".join(json.dumps(i) for i in items)


def wrk_script(tmp: Path, scenario: str, paths: list[str]) -> Path:
    if scenario == "get":
        headers, method, body = 'headers["access_token"] = keys[n]', "GET", "nil"
    else:
        headers = (
            'headers["Authorization"] = "Bearer " .. keys[n]\n'
            '  headers["Content-Type"] = "application/json"\n'
            '  headers["Idempotency-Key"] = string.format("00000000-0000-4000-8000-%012d", serial)'
        )
        method, body = "POST", json.dumps(json.dumps(INVOICE))
    text = SCRIPT % {
        "keys": lua_list(KEYS),
        "paths": lua_list(paths),
        "headers": headers,
        "method": method,
        "body": body,
    }
    path = tmp / f"{scenario}-{len(paths)}.lua"
    path.write_text(text)
    return path


def wrk(url: str, script: Path, seconds: float, cpu_of: int | None = None) -> dict[str, Any]:
    """One counted run (after a warm-up); `cpu_of`: a pid whose CPU seconds over the run are measured."""
    base = ["wrk", "-t1", f"-c{CONNECTIONS}", "--latency", "-s", str(script), url]
    subprocess.run([*base[:1], "-d2s", *base[1:]], capture_output=True, check=True)  # warm-up
    before = cpu_seconds(cpu_of) if cpu_of else 0.0
    out = subprocess.run([*base[:1], f"-d{seconds}s", *base[1:]], capture_output=True, text=True, check=True)
    used = cpu_seconds(cpu_of) - before if cpu_of else None
    text = out.stdout
    requests = int(re.search(r"(\d+) requests in", text).group(1))  # type: ignore[union-attr]
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    figures: dict[str, Any] = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),  # type: ignore[union-attr]
        "requests": requests,
        "errors": errors,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "p99_ms": latency(text, "99%"),
    }
    if used is not None:
        figures["balancer_cpu_us_per_request"] = round(used / max(requests, 1) * 1e6, 1)
    if figures["errors"] or figures["non2xx"]:
        raise SystemExit(f"{url}: errors under load: {figures}\n{text}")
    return figures


def latency(text: str, which: str) -> float:
    found = re.search(rf"{re.escape(which)}\s+([\d.]+)(us|ms|s)", text)
    if not found:
        return 0.0
    value, unit = float(found.group(1)), found.group(2)
    return round(value / 1000 if unit == "us" else value * 1000 if unit == "s" else value, 2)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def prepare(base: str) -> dict[str, list[str]]:
    """A stored document in each of 64 Bsale instances; answers each scenario's paths, by key."""
    paths = []
    for key in KEYS:
        made = call(f"{base}/bsale/v1/documents.json", "POST", BOLETA, {"access_token": key})
        paths.append(f"/bsale/v1/documents/{made['id']}.json")
    return {"get": paths, "create": ["/tuimprenta/v1/invoices"] * SANDBOXES}


@contextmanager
def workers(count: int, tmp: Path) -> Iterator[list[str]]:
    ports = [free_port() for _ in range(count)]
    peers = ",".join(f"w{n}=127.0.0.1:{p}" for n, p in enumerate(ports, start=1))
    started = []
    try:
        for n, port in enumerate(ports, start=1):
            command = [sys.executable, "-m", "mockserver", "--port", str(port), "--rate-limits", "off"]
            command += ["--log-level", "warning", "--cluster", peers, "--seed", str(n)]
            process, _ = start(command, f"http://127.0.0.1:{port}/__admin/health")
            started.append(process)
        yield [f"w{n}=127.0.0.1:{p}" for n, p in enumerate(ports, start=1)]
    finally:
        for process in started:
            stop(process)


@contextmanager
def balancer(addresses: list[str], tmp: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    config = tmp / f"haproxy-{len(addresses)}.cfg"
    argv = [sys.executable, "-m", "mockserver", "cluster", "haproxy-config", "--workers", ",".join(addresses)]
    made = subprocess.run(
        [*argv, "--port", str(port), "--host", "127.0.0.1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    config.write_text(made.stdout)
    process, _ = start(["haproxy", "-db", "-f", str(config)], f"http://127.0.0.1:{port}/__admin/health")
    try:
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        stop(process)


def run(base: str, tmp: Path, args: argparse.Namespace, cpu_of: int | None = None) -> dict[str, Any]:
    paths = prepare(base)
    return {
        scenario: wrk(base, wrk_script(tmp, scenario, paths[scenario]), args.seconds, cpu_of)
        for scenario in ("get", "create")
    }


def peers(tmp: Path, args: argparse.Namespace, recorded: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The bare aiohttp app and WireMock, answering what a worker answered, at the same paths."""
    out: dict[str, Any] = {}
    stubs = tmp / "stubs.json"
    stubs.write_text(json.dumps(list(recorded.values())))
    paths = {"get": [recorded["get"]["path"]] * SANDBOXES, "create": [recorded["create"]["path"]] * SANDBOXES}
    port = free_port()
    process, _ = start(
        [sys.executable, str(HERE / "peers" / "bare.py"), str(port), str(stubs)],
        f"http://127.0.0.1:{port}/health",
    )
    try:
        out["bare_aiohttp"] = {
            s: wrk(f"http://127.0.0.1:{port}", wrk_script(tmp, s, paths[s]), args.seconds) for s in paths
        }
    finally:
        stop(process)
    if args.quick:
        return out
    where = ensure_peers(["wiremock"])
    port = free_port()
    command = ["node", str(where / "node_modules" / "wiremock" / "index.js"), "--port", str(port)]
    (tmp / "wiremock").mkdir(exist_ok=True)
    command += ["--disable-banner", "--root-dir", str(tmp / "wiremock"), "--no-request-journal"]
    process, _ = start(command, f"http://127.0.0.1:{port}/__admin/health", timeout=90, any_status=True)
    try:
        for stub in recorded.values():
            mapping = {
                "request": {"method": stub["method"], "urlPath": stub["path"]},
                "response": {"status": stub["status"], "headers": {"Content-Type": stub["content_type"]}},
            }
            mapping["response"]["body"] = stub["body"]
            call(f"http://127.0.0.1:{port}/__admin/mappings", "POST", mapping)
        out["wiremock"] = {
            s: wrk(f"http://127.0.0.1:{port}", wrk_script(tmp, s, paths[s]), args.seconds) for s in paths
        }
    finally:
        stop(process)
    return out


def record(base: str) -> dict[str, dict[str, Any]]:
    """What one worker answers to the GET and the create, for the peers to answer with."""
    import urllib.request

    made = call(f"{base}/bsale/v1/documents.json", "POST", BOLETA, {"access_token": "record"})
    get = f"/bsale/v1/documents/{made['id']}.json"
    answers = {}
    for name, method, path, headers, body in (
        ("get", "GET", get, {"access_token": "record"}, None),
        ("create", "POST", "/tuimprenta/v1/invoices", {"Authorization": "Bearer record"}, INVOICE),
    ):
        data = json.dumps(body).encode() if body else None
        request = urllib.request.Request(
            base + path, data=data, method=method, headers={**headers, "Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            answers[name] = {
                "method": method,
                "path": path,
                "status": response.status,
                "content_type": response.headers.get_content_type(),
                "body": response.read().decode(),
            }
    return answers


def projection(results: dict[str, Any]) -> dict[str, Any]:
    """N workers on M machines, from this run's figures: a worker with a core of its own serves what one
    worker direct served here, and HAProxy spends its measured CPU per request, so each HAProxy thread
    (a core, `--threads`) carries 1e6 / that many requests a second. The cluster serves the smaller of
    N x worker and threads x HAProxy's per-core rate; the rows are M machines of 8 cores, one core of
    each kept for HAProxy (threads = M). It leaves out what this run cannot see: the network between
    machines, and a load generator of its own."""
    out = {}
    for scenario in ("get", "create"):
        worker = results["servers"]["one_worker_direct"][scenario]["rps"]
        cost = results["servers"]["haproxy_2_workers"][scenario]["balancer_cpu_us_per_request"]
        per_core = 1e6 / cost
        rows = {}
        for machines in (1, 4, 16):
            n = machines * 7
            rows[f"{machines} x 8 cores: {n} workers, HAProxy --threads {machines}"] = {
                "workers_rps": round(n * worker),
                "haproxy_rps": round(machines * per_core),
                "cluster_rps": round(min(n * worker, machines * per_core)),
            }
        out[scenario] = {"worker_rps": worker, "haproxy_cpu_us_per_request": cost, "rows": rows}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.quick:
        args.seconds = 1
    for tool in ("wrk", "haproxy"):
        if shutil.which(tool) is None:
            raise SystemExit(f"cluster.py needs {tool}: apt-get install {tool}")
    results: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load": f"wrk -t1 -c{CONNECTIONS}, {SANDBOXES} sandboxes in turn, 2 s warm-up, "
        f"{args.seconds:g} s counted",
        "servers": {},
    }
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        with workers(1, tmp) as one:
            base = "http://" + one[0].split("=")[1]
            recorded = record(base)
            results["servers"]["one_worker_direct"] = run(base, tmp, args)
        for count in (1, 2):
            with workers(count, tmp) as addresses, balancer(addresses, tmp) as (url, pid):
                time.sleep(0.2)
                results["servers"][f"haproxy_{count}_workers"] = run(url, tmp, args, cpu_of=pid)
        results["servers"].update(peers(tmp, args, recorded))
    direct = results["servers"]["one_worker_direct"]
    results["ratios"] = {
        scenario: {
            name: round(figures[scenario]["rps"] / direct[scenario]["rps"], 2)
            for name, figures in results["servers"].items()
        }
        for scenario in ("get", "create")
    }
    results["targets"] = {
        f"{s}: 2 workers through HAProxy >= 1.3x one worker direct": results["ratios"][s]["haproxy_2_workers"]
        >= 1.3
        for s in ("get", "create")
    }
    results["projection"] = projection(results)
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
