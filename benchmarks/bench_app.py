"""Server time of the dashboard on a big log: the first load, and a rerun after a filter change.

    python benchmarks/bench_app.py [--rows 1000000] [--runs 5]

Runs each page with Streamlit's AppTest (the same script runner the server uses, without a
browser), so the times are the server's: parsing, filtering, figures and building the page.
Prints a Markdown table; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PAGES = [
    "views/0_Overview.py",
    "views/1_Profitability.py",
    "views/2_Tiers.py",
    "views/3_Models.py",
    "views/4_Installs.py",
    "views/5_Traffic.py",
    "views/6_Data_quality.py",
]
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "relay-metrics" / "bench"


def demo_log(rows: int) -> Path:
    """A demo log ending this hour (so the default 30-day window holds it), cached per hour."""
    from relay_metrics.demo import default_end_ms, write_demo_log

    end_ms = default_end_ms()
    path = CACHE / f"app-{rows}-30d-{end_ms}" / "relay-calls.ndjson"
    if not path.exists():
        print(f"writing a {rows:,}-row demo log to {path} ...", file=sys.stderr)
        write_demo_log(path, rows, days=30, seed=1, end_ms=end_ms)
    return path


def timed(step) -> float:
    started = time.perf_counter()
    step()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    log = demo_log(args.rows)
    os.environ["RELAY_METRICS_LOG"] = str(log)
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_resource.clear()
    at = AppTest.from_file(str(REPO / "streamlit_app.py"), default_timeout=600)
    first = timed(at.run)
    assert not at.exception, at.exception
    print(f"\n{args.rows:,} rows, {log.stat().st_size / 1e6:,.0f} MB\n")
    print(f"| first load (parse + Overview) | {first:,.0f} ms |\n|---|---|")

    print("\n| page | rerun after a tier change, median ms | min ms | max ms |")
    print("|---|---:|---:|---:|")
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        times = []
        for run in range(args.runs):
            choice = [["pro"], ["core"]][run % 2]
            times.append(timed(lambda choice=choice: at.sidebar.multiselect(key="tiers").set_value(choice).run()))
            assert not at.exception, (page, at.exception)
        print(f"| {page} | {statistics.median(times):,.0f} | {min(times):,.0f} | {max(times):,.0f} |")


if __name__ == "__main__":
    main()
