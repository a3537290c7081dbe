"""Demo generation speed: `write_demo_log` of --rows rows (formerly a timed test: 100k < 10 s).

    python benchmarks/bench_demo.py [--rows 100000] [--runs 3]

A measurement, not a test: prints the median time and rows per second, asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from relay_metrics.demo import write_demo_log

END_MS = 1_790_000_000_000  # fixed, so every run writes the same log


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.runs):
            start = time.perf_counter()
            write_demo_log(Path(tmp) / "relay-calls.ndjson", args.rows, 30, 7, END_MS)
            times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(
        f"write_demo_log: {args.rows:,} rows, 30 days: {median:.2f} s median of {args.runs} ({args.rows / median:,.0f} rows/s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
