"""What the event stream adds to a request when nobody reads it: one `Stream.publish` of a request
event (the journal entry's view made lazily), timed in a loop beside `Journal.record` alone.

usage: python benchmarks/stream_publish.py [--times 200000]
"""

from __future__ import annotations

import argparse
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mockserver.core.services.journal import Entry, Journal
from mockserver.core.services.stream import Stream


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--times", type=int, default=200_000)
    times = parser.parse_args().times
    entry = Entry(
        1, 0.0, "bsale", "getDocument", "key-0", "GET", "/bsale/v1/documents/1.json", {}, 200, 1.0, {}
    )
    stream, journal = Stream(), Journal()
    published = timeit.timeit(
        lambda: stream.publish("request", "bsale", "key-0", 0.0, entry.as_json), number=times
    )
    recorded = timeit.timeit(lambda: journal.record(entry), number=times)
    print(f"Stream.publish, nobody subscribed: {published / times * 1e9:.0f} ns a request")
    print(f"Journal.record alone: {recorded / times * 1e9:.0f} ns a request")


if __name__ == "__main__":
    main()
