"""Server time of the dashboard on a big log: the first load, and a rerun after a filter change.

    python benchmarks/bench_app.py [--rows 1000000] [--days 30] [--all] [--runs 5]
                                   [--log FILE] [--pages Profit,Growth]

--all picks the whole log in the date picker first (the issue's 10M-row year:
`--rows 10000000 --days 365 --all`).

Runs each page with Streamlit's AppTest (the same script runner the server uses, without a
browser), so the times are the server's: parsing, filtering, figures and building the page.
Prints a Markdown table and the resident memory; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from relay_metrics.app.page import PAGES as APP_PAGES  # noqa: E402 (after the path)

PAGES = [path for path, _, _ in APP_PAGES]  # every page of the app
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "relay-metrics" / "bench"


def demo_log(rows: int, days: int = 30) -> Path:
    """A demo log ending this hour (so the default 30-day window holds it), cached per hour."""
    from relay_metrics.demo import default_end_ms, write_demo_log

    end_ms = default_end_ms()
    path = CACHE / f"app-{rows}-{days}d-{end_ms}" / "relay-calls.ndjson"
    if not path.exists():
        print(f"writing a {rows:,}-row demo log to {path} ...", file=sys.stderr)
        write_demo_log(path, rows, days=days, seed=1, end_ms=end_ms)
    return path


def timed(step) -> float:
    started = time.perf_counter()
    step()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--days", type=int, default=30, help="the demo log's span")
    parser.add_argument("--all", action="store_true", help="pick the whole log's dates before timing")
    parser.add_argument("--log", type=Path, help="an existing log of --rows rows over --days days ending today")
    parser.add_argument("--pages", default="", help="comma-separated parts of page paths to time (default: all)")
    args = parser.parse_args()

    log = args.log or demo_log(args.rows, args.days)
    pages = [page for page in PAGES if not args.pages or any(part in page for part in args.pages.split(","))]
    os.environ["RELAY_METRICS_LOG"] = str(log)
    os.environ["RELAY_METRICS_ALLOW_ANONYMOUS"] = "1"
    os.environ["RELAY_METRICS_CACHE"] = tempfile.mkdtemp(prefix="relay-metrics-bench-app-")  # empty: cold
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    load = os.getloadavg()
    st.cache_resource.clear()
    at = AppTest.from_file(str(REPO / "streamlit_app.py"), default_timeout=600)
    cold = timed(at.run)
    assert not at.exception, at.exception
    st.cache_resource.clear()  # as a restarted server: nothing in memory, the parsed copy on disk
    at = AppTest.from_file(str(REPO / "streamlit_app.py"), default_timeout=600)
    warm = timed(at.run)
    assert not at.exception, at.exception
    print(
        f"\n{args.rows:,} rows, {log.stat().st_size / 1e6:,.0f} MB; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n"
    )
    print("| first view after a start (server time) | ms |\n|---|---:|")
    print(f"| cold: parse + Overview | {cold:,.0f} |\n| warm: the parsed copy + Overview | {warm:,.0f} |")

    if args.all:
        from relay_metrics.demo import default_end_ms
        from relay_metrics.metrics.zones import date_of_ms

        end = date_of_ms(default_end_ms(), "UTC")
        whole = (end - timedelta(days=args.days), end)
        picked = timed(lambda: at.sidebar.date_input(key="dates").set_value(whole).run())
        assert not at.exception, at.exception
        print(f"\nAll dates ({whole[0]} to {whole[1]}) picked: {picked:,.0f} ms (reads the rest of the log)")
    # A tier set a page has not shown yet computes its figures; one it has shown is a lookup
    # (app.results). Both are timed: "new" the first pick of pro and of core on the page,
    # "again" the picks after those.
    print("\n| page | first view ms | tier change, new pick ms | tier change, again ms (median) |")
    print("|---|---:|---:|---:|")
    for page in pages:
        first = timed(lambda page=page: at.switch_page(page).run())
        assert not at.exception, (page, at.exception)
        times = []
        for run in range(max(args.runs, 3)):
            choice = [["pro"], ["core"]][run % 2]
            times.append(timed(lambda choice=choice: at.sidebar.multiselect(key="tiers").set_value(choice).run()))
            assert not at.exception, (page, at.exception)
        new, again = times[:2], times[2:]
        print(f"| {page} | {first:,.0f} | {' / '.join(f'{t:,.0f}' for t in new)} | {statistics.median(again):,.0f} |")
    print(f"\nresident memory: {resident_mb():,.0f} MB now, {peak_mb():,.0f} MB at most")


def resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


if __name__ == "__main__":
    main()
