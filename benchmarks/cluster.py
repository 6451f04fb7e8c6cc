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

import wrk
from live import ROOT, free_port, start, stop
from suite import INVOICE, call, ensure_peers

HERE = Path(__file__).resolve().parent
SANDBOXES = 64
CONNECTIONS = 64
KEYS = [f"bench-{n:02d}" for n in range(SANDBOXES)]
BOLETA = {"documentTypeId": 1, "officeId": 1, "details": [{"netUnitValue": 1000, "quantity": 1}]}


def wrk_script(tmp: Path, scenario: str, paths: list[str]) -> Path:
    where = tmp / f"{scenario}-{len(paths)}.lua"
    if scenario == "get":
        return wrk.script(where, method="GET", paths=paths, per_path="access_token", values=KEYS)
    return wrk.script(
        where,
        method="POST",
        paths=paths,
        headers={"Content-Type": "application/json"},
        body=json.dumps(INVOICE),
        unique_header="Idempotency-Key",
        per_path="Authorization",
        values=[f"Bearer {key}" for key in KEYS],
    )


def load(url: str, script: Path, seconds: float, cpu_of: int | None = None) -> dict[str, Any]:
    """One counted run (after a warm-up); `cpu_of`: a pid whose CPU seconds over the run are measured."""
    wrk.run(url, script, connections=CONNECTIONS, seconds=2, warmup=0)  # warm-up, not counted
    before = cpu_seconds(cpu_of) if cpu_of else 0.0
    figures = wrk.run(url, script, connections=CONNECTIONS, seconds=seconds, warmup=0)
    if cpu_of:
        used = cpu_seconds(cpu_of) - before
        figures["balancer_cpu_us_per_request"] = round(used / max(figures["requests"], 1) * 1e6, 1)
    return figures


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
        scenario: load(base, wrk_script(tmp, scenario, paths[scenario]), args.seconds, cpu_of)
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
            s: load(f"http://127.0.0.1:{port}", wrk_script(tmp, s, paths[s]), args.seconds) for s in paths
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
            s: load(f"http://127.0.0.1:{port}", wrk_script(tmp, s, paths[s]), args.seconds) for s in paths
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
