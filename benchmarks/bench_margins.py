"""Margins by the activity revenue rule: what the app does on a first view, on a price or
tier change (the cached activity reused), and for the margin-over-time chart; plus 10,000
distinct tiers (a hostile log).

    python benchmarks/bench_margins.py [--rows 500000] [--days 60] [--tiers 10000]

A measurement, not a test: prints a Markdown table, asserts nothing. Targets: a price or tier
change well under a second; 10,000 tiers in seconds, not minutes.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's package

from relay_metrics.demo import write_demo_log
from relay_metrics.ingest.loader import load_log
from relay_metrics.metrics import profit
from relay_metrics.metrics.pricing import DEFAULT_PRICING, load_pricing
from relay_metrics.metrics.zones import date_of_ms, window_ms

END_MS = 1_764_597_600_000  # fixed, so runs compare
T = TypeVar("T")


def timed(rows: list[tuple[str, float]], name: str, work: Callable[[], T]) -> T:
    started = time.perf_counter()
    result = work()
    rows.append((name, time.perf_counter() - started))
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--tiers", type=int, default=10_000)
    args = parser.parse_args()
    pricing = load_pricing(DEFAULT_PRICING)
    rows: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        demo = Path(folder) / "demo.ndjson"
        write_demo_log(demo, args.rows, args.days, 1, END_MS)
        frame = load_log(demo).frame
        end = date_of_ms(END_MS, "UTC")
        start = end - timedelta(days=29)
        span = profit.span_of(frame, *window_ms(start, end, "UTC"))
        found = timed(rows, f"activity, {args.rows:,} rows (first view; cached)", lambda: profit.activity(frame, span))
        timed(rows, "margins_of (a price or tier change)", lambda: profit.margins_of(found, pricing))
        timed(
            rows,
            "margin_over_time, 30 days per week",
            lambda: profit.margin_over_time(
                frame, pricing, span, profit.buckets(start, end, "UTC"), covered=found.covered
            ),
        )

        many = Path(folder) / "tiers.ndjson"
        with many.open("w") as out:
            for i in range(args.tiers):
                record = {"ts": END_MS - i * 60_000, "install_id": f"i{i}", "tier": f"t{i}", "cost_usd": 0.01}
                out.write(json.dumps(record) + "\n")
        wide = load_log(many).frame
        wide_span = profit.span_of(wide, None, None)
        actual = timed(rows, f"margins, {args.tiers:,} tiers", lambda: profit.margins(wide, pricing, wide_span))
        what_if = profit.margins(wide, pricing.with_prices({"t1": 5.0}), wide_span)
        timed(rows, f"compare actual / what-if, {args.tiers:,} tiers", lambda: profit.compare(actual, what_if))
        timed(rows, f"loss_makers, {args.tiers:,} tiers", lambda: profit.loss_makers(actual))
        day = date_of_ms(END_MS, "UTC")
        timed(
            rows,
            f"margin_over_time, {args.tiers:,} tiers, 7 days",
            lambda: profit.margin_over_time(
                wide, pricing, wide_span, profit.buckets(day - timedelta(days=6), day, "UTC")
            ),
        )
    print("| step | seconds |\n|---|---|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.3f} |")


if __name__ == "__main__":
    main()
