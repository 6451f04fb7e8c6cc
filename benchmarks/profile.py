"""Where a request's time goes: py-spy samples a live mockserver while wrk drives one scenario of the
suite (get, list, create or token), and each sample is counted as the handler's (a frame of a
provider's code), the chain's (any other frame of mockserver's: the pipeline's steps and the
services they call), aiohttp's and the event loop's (no frame of mockserver's at all), or the worker
threads' (the pool that signs tokens, beside the loop).

usage: python benchmarks/profile.py [get|list|create|token ...] [--seconds 8] [--loop uvloop] [--top 25]
       [--json PATH]

Needs py-spy (pip install py-spy) and the right to trace a child process (as root, or with
kernel.yama.ptrace_scope 0). The shares are of the server's samples; py-spy's own pauses slow the
server a little, so the request rate during a profile is not a throughput figure.
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import wrk
from live import free_port, start, stop
from suite import SCENARIOS, prepare_mockserver, scenario_named, scenario_script, signing_key

MOCK = "mockserver/"
PROVIDERS = "mockserver/providers/"
ROOTS = ("mockserver/__main__.py", "mockserver/cli.py")  # what started the loop, under every sample


def _file(frame: str) -> str:
    """The file of a py-spy frame, `function (path/file.py:line)`, as the package names it."""
    where = frame.rpartition(" (")[2].rpartition(":")[0]
    return where[where.rfind(MOCK) :] if MOCK in where else where


def _ours(path: str) -> bool:
    return path.startswith(MOCK) and path not in ROOTS


def owner(stack: list[str]) -> str:
    """Whose a sample is: a worker thread's (the token signatures), the handler's, the chain's or
    aiohttp's (frames root first, file in each)."""
    files = [_file(frame) for frame in stack]
    if any(f.endswith("concurrent/futures/thread.py") for f in files):
        return "worker threads"
    if any(f.startswith(PROVIDERS) for f in files):
        return "handler"
    if any(_ours(f) for f in files):
        return "chain"
    return "aiohttp"


def leaf_function(stack: list[str]) -> str:
    """The innermost frame of mockserver's own in a sample (the function that spent it, or called out)."""
    for frame in reversed(stack):
        if _ours(_file(frame)):
            return f"{frame.partition(' (')[0]} ({_file(frame)})"
    return "(aiohttp and the loop)"


def profile(name: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "mockserver", "--port", str(port), "--rate-limits", "off"]
    command += ["--log-level", "warning", "--seed", "1", "--loop", args.loop, "--signing-key", str(args.key)]
    process, _ = start(command, f"{base}/__admin/health")
    try:
        paths = prepare_mockserver(base)
        lua = scenario_script(tmp, scenario_named(name), paths[name])
        raw = Path(args.keep_raw or tmp) / f"{name}.txt"
        spy = subprocess.Popen(
            [
                *(args.py_spy, "record", "--pid", str(process.pid), "--format", "raw", "--rate", "400"),
                *("--duration", str(int(args.seconds)), "--output", str(raw), "--nonblocking"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        time.sleep(0.5)  # py-spy attached before the load begins
        figures = wrk.run(base, lua, connections=10, seconds=args.seconds - 1, warmup=0)
        _, errors = spy.communicate(timeout=args.seconds + 30)
        if spy.returncode:
            raise SystemExit(f"py-spy failed: {errors.decode(errors='replace')}")
    finally:
        stop(process)
    shares: collections.Counter[str] = collections.Counter()
    functions: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack_text, _, count_text = line.rpartition(" ")
        stack = stack_text.split(";")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        shares[owner(stack)] += count
        functions[leaf_function(stack)] += count
    return {
        "scenario": name,
        "requests_per_second_while_sampled": figures["rps"],
        "samples": total,
        "share": {k: round(v / total, 3) for k, v in shares.most_common()},
        "top": [[f, round(c / total, 3)] for f, c in functions.most_common(args.top)],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    names = [s.name for s in SCENARIOS]
    parser.add_argument("scenarios", nargs="*", default=["get", "create"], choices=names)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--loop", default="uvloop", choices=("uvloop", "asyncio"))
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep-raw", type=Path, help="keep py-spy's raw samples in this directory")
    args = parser.parse_args()
    args.py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(args.py_spy).exists():
        raise SystemExit("profile.py needs py-spy: pip install py-spy")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        args.key = signing_key(tmp)
        results = [profile(name, args, tmp) for name in args.scenarios]
    text = json.dumps({"loop": args.loop, "profiles": results}, indent=2)
    if args.json:
        args.json.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
