"""What one stored Bsale document costs in memory, and where: tracemalloc around `bsale_scale`'s population.

usage: python benchmarks/bsale_memory.py [--documents 5000] [--top 12] [--held]

Warms up with 200 documents, then measures the growth while `--documents` more are created through
the mock's own creation path (the same mix as `bsale_scale.py`), with the SII's answers in (the mock
clock is moved past `--bsale-sii-delay`, so pending declarations are not counted; `--held` counts
them, each electronic document's declaration still pending). Prints the bytes per document and the
source lines that hold the most of them.
"""

from __future__ import annotations

import argparse
import gc
import tracemalloc

from bsale_scale import populate

from mockserver.app import create_app
from mockserver.core.runtime import RUNTIME
from mockserver.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--documents", type=int, default=5000)
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument(
        "--held", action="store_true", help="measure with every SII declaration still pending (none settled)"
    )
    args = parser.parse_args()
    app = create_app(Settings(providers=("bsale",), rate_limits={"*": None}, log_level="warning"))
    runtime = app[RUNTIME]

    def settle() -> None:
        runtime.clock.advance(60)
        runtime.scheduler.run_due()
        gc.collect()

    populate(app, 200)
    settle()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    populate(app, args.documents, held=args.held)
    if args.held:
        gc.collect()
    else:
        settle()
    stats = tracemalloc.take_snapshot().compare_to(before, "lineno")
    total = sum(s.size_diff for s in stats)
    print(f"{total / args.documents:.0f} bytes per document")
    for s in stats[: args.top]:
        print(f"{s.size_diff / args.documents:6.0f}  {s.traceback[0]}")


if __name__ == "__main__":
    main()
