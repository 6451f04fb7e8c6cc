"""CPU time per request: the server process's own CPU seconds over the requests wrk got answered.

usage: python benchmarks/cpu_per_request.py TREE[,TREE...] [--scenarios get,create] [--rounds 3]
       [--seconds 5]

Each TREE is a source tree (this one, or a worktree of another commit: `git worktree add /tmp/old
<commit>`). Each round starts a mock from each tree in turn (rate limits off, seeded, as `ab.py`
does) and drives each scenario with wrk as `suite.py` does (one thread, 10 keep-alive connections,
a second of warm-up); the figure is the median over the rounds of the server's user and system CPU
time (from /proc) per answered request, in µs, with its requests per second beside it. On a shared
virtual machine whose speed drifts, the CPU a request costs varies less than how many are answered
in a second; it is what tells two trees, or a tree and a variant of it, apart.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import tempfile
from pathlib import Path

from ab import _started
from live import free_port
from suite import prepare_mockserver, scenario_named, scenario_script

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def measure(tree: Path, name: str, seconds: int, tmp: Path) -> tuple[float, float]:
    """µs of CPU per request and requests per second of one scenario against a mock from `tree`."""
    port = free_port()
    process = _started(tree, port)
    try:
        base = f"http://127.0.0.1:{port}"
        paths = prepare_mockserver(base)
        lua = scenario_script(tmp, scenario_named(name), paths[name])
        wrk = ["wrk", "-t1", "-c10", "-s", str(lua), base]
        subprocess.run([*wrk[:3], "-d1s", *wrk[3:]], capture_output=True, check=True)
        before = cpu_seconds(process.pid)
        out = subprocess.run(
            [*wrk[:3], f"-d{seconds}s", *wrk[3:]], capture_output=True, text=True, check=True
        ).stdout
        spent = cpu_seconds(process.pid) - before
    finally:
        process.terminate()
        process.wait(timeout=15)
    found = re.search(r"(\d+) requests in", out)
    if found is None:
        raise SystemExit(f"wrk's output has no request count:\n{out}")
    rate = float(next(line for line in out.splitlines() if "Requests/sec" in line).split()[-1])
    return spent / int(found.group(1)) * 1e6, rate


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("trees", help="source trees, comma-separated")
    parser.add_argument("--scenarios", default="get,create")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    args = parser.parse_args()
    trees = [Path(t).resolve() for t in args.trees.split(",")]
    names = args.scenarios.split(",")
    runs: dict[tuple[Path, str], list[tuple[float, float]]] = {(t, n): [] for t in trees for n in names}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.rounds):
            for name in names:
                for tree in trees:
                    runs[(tree, name)].append(measure(tree, name, args.seconds, Path(tmp)))
    for name in names:
        for tree in trees:
            cpu = [round(c, 1) for c, _ in runs[(tree, name)]]
            rate = statistics.median(r for _, r in runs[(tree, name)])
            median = statistics.median(cpu)
            print(f"{name:7} {tree}: {median:.1f} µs of CPU a request {sorted(cpu)}, {rate:,.0f} req/s")


if __name__ == "__main__":
    main()
