"""`check` (every example rule) against `summary` on the same 1M-row demo log.

    python benchmarks/bench_check.py [--rows 1000000] [--runs 3]

The demo log is built once and cached outside the repo (as bench_load does), ending at a fixed
moment; `check --at` that moment and `summary --since/--until` its last 30 days read the same
file. Each command runs `--runs` times as a child process, alternating; wall time is the median.
Then a fresh child times check's phases (read, log facts, rules). A measurement, not a test:
nothing fails on a slow run; the load average is printed because other processes skew it.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "relay-metrics" / "bench"
DAYS = 30
SEED = 1
END_MS = 1_767_225_600_000  # 2026-01-01T00:00Z, as bench_load: the cached log is shared


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="records in the demo log (default 1000000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per command (default 3)")
    parser.add_argument("--phases", metavar="LOG", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    if args.phases:
        print(json.dumps(phases(Path(args.phases))))
        return 0
    log = demo_log(args.rows)
    load_before = os.getloadavg()
    since = str(END_MS - DAYS * 86_400_000)
    commands = {
        "summary (last 30 days)": ["summary", str(log), "--since", since, "--until", str(END_MS), "--format", "json"],
        "summary --all": ["summary", str(log), "--all", "--format", "json"],
        "check (example rules)": ["check", str(log), "--at", str(END_MS), "--format", "json"],
    }
    with open(log, "rb") as warm:  # every command then reads from the page cache
        while warm.read(1 << 24):
            pass
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, command in commands.items():
            times[name].append(run([sys.executable, "-m", "relay_metrics", *command]))
    breakdown = json.loads(
        subprocess.run(
            [sys.executable, __file__, "--phases", str(log)], capture_output=True, check=True, cwd=REPO
        ).stdout
    )
    print(f"log: {log} ({args.rows:,} rows, {log.stat().st_size / 1e6:,.0f} MB); load average before {load_before}")
    print(f"{'command':<26} {'median s':>9} {'runs':>30}")
    for name, values in times.items():
        print(f"{name:<26} {statistics.median(values):>9.2f} {', '.join(f'{v:.2f}' for v in values):>30}")
    ratio = statistics.median(times["check (example rules)"]) / statistics.median(times["summary (last 30 days)"])
    print(f"check / summary (last 30 days): {ratio:.2f}")
    print("check's phases (s): " + ", ".join(f"{k} {v:.2f}" for k, v in breakdown.items()))
    return 0


def demo_log(rows: int) -> Path:
    path = CACHE / f"rows{rows}-days{DAYS}-seed{SEED}-end{END_MS}" / "relay-calls.ndjson"
    if not path.exists():
        print(f"building {rows} rows into {path} (once) ...", file=sys.stderr)
        from relay_metrics.demo import write_demo_log

        write_demo_log(path, rows, DAYS, SEED, END_MS)
    return path


def run(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, cwd=REPO)
    wall = time.perf_counter() - start
    if done.returncode not in (0, 3):  # 3: check found something firing
        raise SystemExit(f"{' '.join(command[3:5])} exited {done.returncode}: {done.stderr.decode()[-2000:]}")
    return wall


def phases(log: Path) -> dict[str, float]:
    marks = {"start": time.perf_counter()}
    from relay_metrics.ingest.loader import load_log
    from relay_metrics.metrics.alerts import DEFAULT_ALERTS, evaluate, load_rules, log_facts, lookback_ms
    from relay_metrics.metrics.pricing import DEFAULT_PRICING, load_pricing

    rules, pricing = load_rules(DEFAULT_ALERTS), load_pricing(DEFAULT_PRICING)
    marks["imports"] = time.perf_counter()
    frame = load_log([str(log)], END_MS - lookback_ms(rules), END_MS).frame
    marks["read"] = time.perf_counter()
    facts = log_facts(frame)
    marks["log facts"] = time.perf_counter()
    evaluate(rules, facts, pricing, END_MS)
    marks["rules"] = time.perf_counter()
    names = list(marks)
    return {name: marks[name] - marks[previous] for previous, name in itertools.pairwise(names)}


if __name__ == "__main__":
    sys.exit(main())
