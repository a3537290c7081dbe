"""Scale: refreshing a growing log, reading a window of a big one, and the cold 1M-row load.

    python benchmarks/bench_scale.py [--runs 3] [--rows 1000000] [--new-lines 10000]
                                     [--big-rows 10000000] [--days 365] [--skip-big]

1. Refresh: the first --rows lines of a (--rows + --new-lines)-row demo log are copied to a
   fresh file; `LiveLog.refresh()` reads it (cold), the last --new-lines lines are appended in
   one write and `refresh()` runs again (incremental). Target: refresh <= 5% of the cold read.
2. Window: `load_log` of a --big-rows, --days-day log, whole and for its last 7 days (no
   until), each in a fresh process. Target: the window's load time <= 10% of the whole's.
   Skipped with --skip-big.
3. Cold load: `load_log` and `summary --all` of the --rows-row log of section 1, against the
   3.42 s / 410 MB that bench_load.py printed for `summary --all` on 1,000,000 rows.

Every measurement is a child process, run --runs times (alternating where two are compared):
times are medians, peak memory the largest max RSS of the child itself (wait4). Demo logs have
a fixed end time, are written by a child too (Linux starts a child's peak-memory count at its
parent's size, so this process must stay small) and are cached outside the repo, in
$XDG_CACHE_HOME/relay-metrics/bench (default ~/.cache). Each log is read through once before
its runs, so "cold" means a fresh process that has parsed nothing, not a cold disk.

A measurement, not a test: prints Markdown tables with the targets, asserts nothing. A quick run:
--rows 100000 --new-lines 1000 --big-rows 300000 --runs 1.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from itertools import islice
from pathlib import Path
from typing import Any

# Run as a script, so benchmarks/ is on the path: the foundation benchmark's cache and child runner.
from bench_load import CACHE, BenchError, Run, measure

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # for the children, which import relay_metrics

SEED = 1
END_MS = 1_790_000_000_000  # fixed, so the cached logs never depend on today
REFRESH_DAYS = 30  # the span of the section 1 log, as in bench_load.py
DAY_MS = 86_400_000
WINDOW_MS = 7 * DAY_MS
APP_REACH = 1.5  # the app reads back this times the days it needs (ui/source.py _floor)

# The targets, and the figure of the earlier (foundation) benchmark.
REFRESH_TARGET = 0.05
WINDOW_TARGET = 0.10
EARLIER_ROWS, EARLIER_S, EARLIER_MB = 1_000_000, 3.42, 410
NOISE = 0.05  # run-to-run spread on this machine: a figure within it of the earlier one has not regressed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (default 3)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the log refreshed and loaded cold")
    parser.add_argument("--new-lines", type=int, default=10_000, help="lines appended before the refresh")
    parser.add_argument("--big-rows", type=int, default=10_000_000, help="rows of the log a window is read from")
    parser.add_argument("--days", type=int, default=365, help="days the big log spans (default 365)")
    parser.add_argument("--skip-big", action="store_true", help="skip the window section (and its big log)")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # a measured child: JSON of what to do
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(CHILDREN[json.loads(args.child)["do"]](**json.loads(args.child))))
        return 0
    if min(args.runs, args.rows, args.new_lines, args.big_rows, args.days) < 1:
        parser.error("--runs, --rows, --new-lines, --big-rows and --days must be at least 1")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())  # before our own runs raise it
    try:
        full = demo_log(args.rows + args.new_lines, REFRESH_DAYS)
        first = first_lines(full, args.rows)
        print(
            f"{os.cpu_count()} CPUs, load average before the runs {load}; times are medians of "
            f"{args.runs} run{'s' * (args.runs > 1)}, peak MB the largest of them."
        )
        refresh_section(full, first, args.rows, args.new_lines, args.runs)
        if not args.skip_big:
            window_section(demo_log(args.big_rows, args.days), args.big_rows, args.days, args.runs)
        cold_section(first, args.rows, args.runs)
    except BenchError as exc:
        print(f"bench_scale: error: {exc}", file=sys.stderr)
        return 1
    return 0


# --- the logs -------------------------------------------------------------------------------


def demo_log(rows: int, days: int) -> Path:
    path = CACHE / f"scale-rows{rows}-days{days}-seed{SEED}-end{END_MS}" / "relay-calls.ndjson"
    if not path.exists():  # the demo writes a temporary name and renames it: never half a log
        print(f"writing a {rows:,}-row, {days}-day demo log (once) ...", file=sys.stderr)
        measure(
            [
                sys.executable,
                "-m",
                "relay_metrics",
                "demo",
                "--rows",
                str(rows),
                "--days",
                str(days),
                "--seed",
                str(SEED),
                "--end-ms",
                str(END_MS),
                "--out",
                str(path),
                "--force",
            ]
        )
    return path


def first_lines(full: Path, rows: int) -> Path:
    """The first `rows` lines of `full`, as a log of their own (cached beside it)."""
    path = full.parent.with_name(f"{full.parent.name}-first{rows}") / full.name
    if not path.exists():
        child({"do": "first", "full": str(full), "out": str(path), "rows": rows})
    return path


def warm(path: Path) -> None:
    """Read the file through so the runs find it in the page cache (with a small buffer: this
    process's size is where its children's peak memory starts)."""
    buffer = bytearray(1 << 20)
    with open(path, "rb", buffering=0) as stream:
        while stream.readinto(buffer):
            pass


def child(task: dict) -> tuple[Run, dict]:
    run = measure([sys.executable, __file__, "--child", json.dumps(task)])
    return run, json.loads(run.stdout)


# --- the sections ---------------------------------------------------------------------------


def refresh_section(full: Path, first: Path, rows: int, new_lines: int, runs: int) -> None:
    warm(full)
    results = [child({"do": "refresh", "full": str(full), "first": str(first)}) for _ in range(runs)]
    cold = statistics.median(r["cold_s"] for _, r in results)
    refresh = statistics.median(r["refresh_s"] for _, r in results)
    appended = results[0][1]["bytes"]
    wrong = [
        f"rows {r['rows_before']:,} -> {r['rows_after']:,}, bytes_parsed {r['bytes_parsed']:,} of {r['bytes']:,}"
        for _, r in results
        if r["rows_after"] - r["rows_before"] != new_lines or r["bytes_parsed"] != r["bytes"]
    ]
    share = refresh / cold
    print(f"\n### 1. Refresh: {new_lines:,} lines appended to a {rows:,}-row log\n")
    print("| `LiveLog.refresh()` | s |\n|---|---:|")
    print(f"| cold: {rows:,} rows ({size(first)}) | {secs(cold)} |")
    print(f"| incremental: {new_lines:,} lines ({size(appended)}) appended | {secs(refresh)} |")
    print(f"| **refresh / cold** (target <= {REFRESH_TARGET:.0%}) | **{share:.1%} {mark(share <= REFRESH_TARGET)}** |")
    print(
        f"\nChild peak {max(run.peak_mb for run, _ in results):,.0f} MB. "
        + (
            f"Every run: the frame grew by exactly {new_lines:,} rows and bytes_parsed = the {appended:,} bytes appended."
            if not wrong
            else f"WRONG: {'; '.join(wrong)} (expected +{new_lines:,} rows, every appended byte)."
        )
    )


def window_section(big: Path, rows: int, days: int, runs: int) -> None:
    since = END_MS - WINDOW_MS
    warm(big)
    whole, window = [], []
    for _ in range(runs):  # alternating, so a load spike hits both
        whole.append(child({"do": "load", "log": str(big), "count_since": since}))
        window.append(child({"do": "load", "log": str(big), "since": since}))
    a, b = summarized(whole), summarized(window)
    last = window[-1][1]
    expected = whole[-1][1]["rows_since"]
    share = b["load_s"] / a["load_s"]
    print(f"\n### 2. Window: the last 7 days of a {rows:,}-row, {days}-day log ({size(big)})\n")
    print("| `load_log`, fresh process | load s | wall s | peak MB | rows | read / skipped | fell back |")
    print("|---|---:|---:|---:|---:|---|---|")
    print(
        f"| whole log | {secs(a['load_s'])} | {secs(a['wall_s'])} | {a['peak_mb']:,.0f} | {whole[-1][1]['rows']:,} "
        f"| {size(big.stat().st_size)} / 0 | - |"
    )
    print(
        f"| `since` = end - 7 days | {secs(b['load_s'])} | {secs(b['wall_s'])} | {b['peak_mb']:,.0f} | {last['rows']:,} "
        f"| {size(last['bytes_read'])} / {size(last['bytes_skipped'])} | {last['fell_back'] or 'no'} |"
    )
    print(
        f"| **window / whole** (target <= {WINDOW_TARGET:.0%} of the load time) | **{share:.1%} "
        f"{mark(share <= WINDOW_TARGET)}** | {b['wall_s'] / a['wall_s']:.1%} | {b['peak_mb'] / a['peak_mb']:.1%} | | | |"
    )
    for days_shown in (7, 30):  # the app's live log for an N-day range ending now
        floor = END_MS - APP_REACH * 2 * days_shown * DAY_MS
        results = [child({"do": "app", "log": str(big), "since": floor}) for _ in range(runs)]
        app, read = summarized(results), results[-1][1]
        print(
            f"| app, {days_shown}-day range: `LiveLog` from {APP_REACH * 2 * days_shown:.0f} days back | {secs(app['load_s'])} "
            f"| {secs(app['wall_s'])} | {app['peak_mb']:,.0f} | {read['rows']:,} "
            f"| {size(read['bytes_read'])} / {size(read['bytes_skipped'])} | {app['load_s'] / a['load_s']:.1%} of whole's time |"
        )
    same = all(r["rows"] == expected for _, r in window)
    print(
        f"\nThe app reads back twice the range (the Overview compares with the period before), and half again "
        f"so a slightly wider range needs no new read: {APP_REACH * 2:.0f}x the range's days."
    )
    print(
        f"\nLoad s is timed inside the child around the call; wall s includes starting Python and the imports. "
        f"The window's rows {'equal' if same else 'DIFFER FROM'} the whole read's {expected:,} rows with ts >= since; "
        f"largest ts disorder seen {last['max_disorder_ms'] / 1000:,.1f} s."
    )


def cold_section(first: Path, rows: int, runs: int) -> None:
    warm(first)
    loads: list[tuple[Run, dict]] = []
    summaries: list[tuple[Run, dict]] = []
    for _ in range(runs):
        loads.append(child({"do": "load", "log": str(first)}))
        summaries.append(
            (measure([sys.executable, "-m", "relay_metrics", "summary", str(first), "--all", "--format", "json"]), {})
        )
    a, s = summarized(loads), summarized(summaries)
    comparable = rows == EARLIER_ROWS
    print(f"\n### 3. Cold load of the {rows:,}-row log ({size(first)})\n")
    print(
        f"| fresh process | load s | wall s | peak MB | vs {EARLIER_S} s / {EARLIER_MB} MB (bench_load.py), "
        f"{NOISE:.0%} allowed for noise |"
    )
    print("|---|---:|---:|---:|---|")
    for name, m in (("`load_log`", a), ("`summary --all --format json`", s)):
        held = m["wall_s"] <= EARLIER_S * (1 + NOISE) and m["peak_mb"] <= EARLIER_MB * (1 + NOISE)
        verdict = ("no regression" if held else "REGRESSED") if comparable else f"n/a at {rows:,} rows"
        load_s = secs(m["load_s"]) if "load_s" in m else "-"
        print(f"| {name} | {load_s} | {secs(m['wall_s'])} | {m['peak_mb']:,.0f} | {verdict} |")
    print(
        f"\nThe earlier figure is the wall time and peak of `summary --all` on {EARLIER_ROWS:,} rows "
        f"(a log of its own, same shape); `load_log` alone does less."
    )


def summarized(results: list[tuple[Run, dict]]) -> dict[str, float]:
    out = {
        "wall_s": statistics.median(run.wall_s for run, _ in results),
        "peak_mb": max(run.peak_mb for run, _ in results),
    }
    if all("load_s" in r for _, r in results):
        out["load_s"] = statistics.median(r["load_s"] for _, r in results)
    return out


def mark(met: bool) -> str:
    return "met" if met else "MISSED"


def secs(seconds: float) -> str:
    return f"{seconds:.3f}" if seconds < 1 else f"{seconds:.2f}"


def size(path_or_bytes: Path | int) -> str:
    n = path_or_bytes.stat().st_size if isinstance(path_or_bytes, Path) else path_or_bytes
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.1f} MB"


# --- the children: each prints one JSON object ----------------------------------------------


def child_first(full: str, out: str, rows: int, **_) -> dict:
    out_path = Path(out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f"{out_path.name}.tmp-{os.getpid()}")
    with open(full, "rb") as source, open(tmp, "wb") as target:
        lines = 0
        for line in islice(source, rows):
            target.write(line)
            lines += 1
    if lines != rows:
        tmp.unlink()
        raise SystemExit(f"{full} has {lines:,} lines, not {rows:,}")
    os.replace(tmp, out_path)
    return {"lines": lines}


def child_refresh(full: str, first: str, **_) -> dict:
    from relay_metrics.ingest.live import LiveLog

    CACHE.mkdir(parents=True, exist_ok=True)  # beside the logs: the same disk, not a tmpfs
    with tempfile.TemporaryDirectory(prefix="refresh-", dir=CACHE) as directory:
        log = Path(directory) / "relay-calls.ndjson"
        shutil.copyfile(first, log)
        with open(full, "rb") as source:
            source.seek(os.path.getsize(first))
            tail = source.read()
        live = LiveLog(Path(directory))
        started = time.perf_counter()
        before = live.refresh()
        cold = time.perf_counter() - started
        with open(log, "ab") as out:
            out.write(tail)
        started = time.perf_counter()
        after = live.refresh()
        refresh = time.perf_counter() - started
        return {
            "cold_s": cold,
            "refresh_s": refresh,
            "bytes": len(tail),
            "bytes_parsed": live.bytes_parsed,
            "rows_before": len(before.frame),
            "rows_after": len(after.frame),
        }


def child_load(log: str, since: float | None = None, count_since: float | None = None, **_) -> dict:
    from relay_metrics.ingest.loader import load_log

    started = time.perf_counter()
    loaded = load_log(log, since_ms=since)
    out: dict[str, Any] = {
        "load_s": time.perf_counter() - started,
        "rows": len(loaded.frame),
        "max_disorder_ms": loaded.report.max_disorder_ms,
    }
    read = loaded.report.window_read
    if read is not None:
        out.update(
            bytes_read=read.bytes_read,
            bytes_skipped=read.bytes_skipped,
            files_skipped=len(read.files_skipped),
            fell_back=read.fell_back,
        )
    if count_since is not None:  # after the timing: what the window must hold
        out["rows_since"] = int((loaded.frame["ts"] >= count_since).sum())
    return out


def child_app(log: str, since: float, **_) -> dict:
    from relay_metrics.ingest.live import LiveLog

    started = time.perf_counter()
    loaded = LiveLog(log, since).refresh()
    read = loaded.report.window_read
    assert read is not None  # a LiveLog given a since reads a window first
    return {
        "load_s": time.perf_counter() - started,
        "rows": len(loaded.frame),
        "bytes_read": read.bytes_read,
        "bytes_skipped": read.bytes_skipped,
    }


CHILDREN: dict[str, Callable[..., dict]] = {
    "first": child_first,
    "refresh": child_refresh,
    "load": child_load,
    "app": child_app,
}

if __name__ == "__main__":
    sys.exit(main())
