"""Time zones: `zones.local_ms` on 1M timestamps, and `window_ms` for a year of days.

    python benchmarks/bench_zones.py [--rows 1000000] [--runs 5]

The timestamps are uniform over 2026 (both DST switches of a year) in New York, Kathmandu
(+5:45, no DST) and Lord Howe (a half-hour DST). A measurement, not a test: prints a Markdown
table of median times, asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from relay_metrics.metrics.zones import local_ms, window_ms

ZONES = ("America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe")
YEAR_2026_MS = (1_767_225_600_000, 1_798_761_600_000)


def _median_s(run, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    ts = np.random.default_rng(1).uniform(*YEAR_2026_MS, args.rows)
    days = [date(2026, 1, 1) + timedelta(days=d) for d in range(365)]
    print(f"| zone | local_ms, {args.rows:,} rows (ms) | window_ms, 365 days (ms) |")
    print("|---|---:|---:|")
    for zone in ZONES:
        local_ms(ts[:10], zone)  # warm the zone's cache
        rows_s = _median_s(lambda zone=zone: local_ms(ts, zone), args.runs)
        days_s = _median_s(lambda zone=zone: [window_ms(d, d, zone) for d in days], args.runs)
        print(f"| {zone} | {rows_s * 1000:.1f} | {days_s * 1000:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
