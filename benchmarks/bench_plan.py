"""How long a Plan takes: learning rates and re-running a 30-day range under a scenario.

    python benchmarks/bench_plan.py [--rows 300000] [--days 90] [--runs 3]

Prints the median seconds of each step on a demo log (the app's built-in demo size by default).
The page caches a plan per scenario, so this is what one lever change costs."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from relay_metrics.demo import write_demo_log
from relay_metrics.ingest.loader import load_log
from relay_metrics.metrics import plan
from relay_metrics.metrics.pricing import DEFAULT_PRICING, load_pricing
from relay_metrics.metrics.rates import learn_rates
from relay_metrics.metrics.scenario import Scenario, Swap

SCENARIO = Scenario(
    {"pro": 14.99}, {"core": 20}, (Swap("gemini-3-flash-preview", "gemini-2.5-flash-lite", "core", "analyze"),)
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "relay-calls.ndjson"
        write_demo_log(path, args.rows, args.days, seed=1)
        frame = load_log(path).frame
    pricing = load_pricing(DEFAULT_PRICING)
    newest = float(frame["ts"].max())
    since = newest - 30 * 86_400_000
    context = frame[frame["ts"] >= plan.context_since(since)]
    span = plan.Range(since, newest, float(frame["ts"].min()))
    in_range = context[context["ts"] >= since]
    calls = plan.prepare(context, pricing, span)
    steps = {
        "learn rates (30 days)": lambda: learn_rates(in_range, pricing),
        "prepare (once per range)": lambda: plan.prepare(context, pricing, span),
        "simulate: no levers": lambda: plan.simulate(calls, Scenario()),
        "simulate: cap only": lambda: plan.simulate(calls, Scenario(caps={"core": 20})),
        "simulate: price + cap + swap": lambda: plan.simulate(calls, SCENARIO),
    }
    print(f"{args.rows:,} rows over {args.days} days; context {len(context):,} rows, range {len(in_range):,}")
    for name, step in steps.items():
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            step()
            times.append(time.perf_counter() - started)
        print(f"{name:28s} {statistics.median(times) * 1000:8.0f} ms")


if __name__ == "__main__":
    main()
