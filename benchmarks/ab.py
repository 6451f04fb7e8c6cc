"""A/B: one suite scenario against two source trees, alternately, on this machine.

usage: python benchmarks/ab.py OLD_TREE NEW_TREE [--scenarios get,list] [--rounds 3] [--seconds 4]

OLD_TREE is a checkout of the commit to compare with (`git worktree add /tmp/old <commit>`), NEW_TREE
this one. Each round starts a mock from each tree in turn (rate limits off, seeded) and drives each
scenario with wrk as `suite.py` does (one thread, 10 keep-alive connections, a second of warm-up);
the figure is the median of the rounds' requests per second. Alternating the trees within minutes is
what makes two runs comparable on a machine whose speed drifts by a fifth over a day.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from live import free_port
from suite import prepare_mockserver, scenario_named, scenario_script


def _started(tree: Path, port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "mockserver", "--port", str(port), "--rate-limits", "off"]
    command += ["--log-level", "warning", "--seed", "1"]
    env = dict(os.environ, PYTHONPATH=str(tree))  # the tree's own package, not the installed one
    process = subprocess.Popen(
        command,
        cwd=tree,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    for _ in range(200):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/__admin/health"):
                return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit(f"the mock from {tree} did not start")


def _rate(lua: Path, url: str, seconds: int) -> float:
    subprocess.run(["wrk", "-t1", "-c10", "-d1s", "-s", str(lua), url], capture_output=True, check=True)
    out = subprocess.run(
        ["wrk", "-t1", "-c10", f"-d{seconds}s", "-s", str(lua), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(next(line for line in out.splitlines() if "Requests/sec" in line).split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--scenarios", default="get,list")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=4)
    args = parser.parse_args()
    names = args.scenarios.split(",")
    trees = {"old": args.old.resolve(), "new": args.new.resolve()}
    rates: dict[str, dict[str, list[float]]] = {t: {n: [] for n in names} for t in trees}
    scripts = Path(tempfile.mkdtemp(prefix="ab-"))
    for _ in range(args.rounds):
        for label, tree in trees.items():
            port = free_port()
            process = _started(tree, port)
            try:
                base = f"http://127.0.0.1:{port}"
                paths = prepare_mockserver(base)
                for name in names:
                    lua = scenario_script(scripts, scenario_named(name), paths[name])
                    rates[label][name].append(_rate(lua, base + paths[name], args.seconds))
            finally:
                process.terminate()
                process.wait()
    for name in names:
        old, new = statistics.median(rates["old"][name]), statistics.median(rates["new"][name])
        print(f"{name}: old {old:,.0f} new {new:,.0f} req/s ({new / old:.2f}x); runs {rates}")


if __name__ == "__main__":
    main()
