"""Our `summary --all --format json` against the relay's own module, on the same demo log.

    python benchmarks/bench_load.py [--rows 1000000] [--runs 3]

Builds the demo log once and caches it outside the repo (keyed by rows, days, seed and a fixed
end time, so every run measures the same bytes). Each tool then runs `--runs` times as a child
process, alternating so load spikes hit both; wall time is the median, peak memory the largest
max RSS of the child itself (from wait4, not the whole process group). Both must report the same
number of calls. Ours runs twice over: cold (an empty cache folder each run: it parses the log
and keeps a parsed copy, see ingest.cache) and warm (starting from the copy an earlier run kept).
Finally a fresh child times the phases of our side: a parse, and a read of the warm copy.

A measurement, not a test: nothing here fails on a slow run. The load average is printed with
the table because another process on the machine skews both columns.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REFERENCE_MODULE = Path(os.environ.get("RELAY_REFERENCE", REPO.parent / "shared" / "reference" / "audit-log.mjs"))
DRIVER = REPO / "tests" / "reference_driver.mjs"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "relay-metrics" / "bench"

DAYS = 30
SEED = 1
END_MS = 1_767_225_600_000  # 2026-01-01T00:00Z: fixed, so the cached log never depends on today

# The targets: our time and peak memory as a share of the reference's; a warm start
# (the log's parsed copy kept by an earlier run, see ingest.cache) within WARM_TIME_TARGET.
TIME_TARGET = 0.2
WARM_TIME_TARGET = 0.1
MEMORY_TARGET = 1.0
COLD, WARM, REFERENCE = "relay-metrics, cold (parse, keep a copy)", "relay-metrics, warm (the copy)", "reference (node)"


class BenchError(Exception):
    """Something the benchmark needs is missing or disagrees; the message is for the user."""


@dataclass(frozen=True)
class Run:
    wall_s: float
    peak_mb: float
    stdout: bytes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="records in the demo log (default 1000000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per tool (default 3)")
    parser.add_argument("--phases", metavar="LOG", help=argparse.SUPPRESS)  # the child that times our phases
    args = parser.parse_args(argv)
    if args.rows < 1 or args.runs < 1:
        parser.error("--rows and --runs must be at least 1")
    sys.path.insert(0, str(REPO))  # run as a script, the repo itself is not on the path
    if args.phases:
        print(json.dumps(phases(Path(args.phases))))
        return 0
    try:
        node = find_node()
        log = demo_log(args.rows)
        load_before = os.getloadavg()  # our own runs raise it, so take it first
        results, breakdown = compare(log, node, args.runs)
    except BenchError as exc:
        print(f"bench_load: error: {exc}", file=sys.stderr)
        return 1
    print_report(log, args.rows, results, breakdown, load_before)
    return 0


def find_node() -> str:
    node = shutil.which("node")
    if node is None:
        raise BenchError("node is not on PATH; the reference runs with node (install Node.js 18+)")
    if not REFERENCE_MODULE.exists():
        raise BenchError(f"reference module not found: {REFERENCE_MODULE} (set RELAY_REFERENCE)")
    return node


def demo_log(rows: int) -> Path:
    """The cached demo log, built on first use; its directory is what the reference driver reads."""
    directory = CACHE / f"rows{rows}-days{DAYS}-seed{SEED}-end{END_MS}"
    path = directory / "relay-calls.ndjson"
    if not path.exists():
        print(f"building {rows} rows into {path} (once) ...", file=sys.stderr)
        from relay_metrics.demo import write_demo_log  # writes to a temporary name, then renames

        write_demo_log(path, rows, DAYS, SEED, END_MS)
    return path


def compare(log: Path, node: str, runs: int) -> tuple[dict[str, list[Run]], dict[str, float]]:
    """Each tool's runs, and the phases of ours (timed in a fresh child, with the warm copy)."""
    ours = [sys.executable, "-m", "relay_metrics", "summary", str(log), "--all", "--format", "json"]
    commands = {
        COLD: ours,  # each run with an empty cache folder of its own
        WARM: ours,  # each run with the copy the priming run below kept
        REFERENCE: [node, str(DRIVER), str(REFERENCE_MODULE), str(log.parent), "all", "all"],
    }
    with open(log, "rb") as warm:  # both tools then read the file from the page cache
        while warm.read(1 << 24):
            pass
    results: dict[str, list[Run]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory(prefix="relay-metrics-bench-cache-") as folder:
        primed = Path(folder) / "warm"
        measure(ours, {"RELAY_METRICS_CACHE": str(primed)})
        for run in range(runs):
            for name, command in commands.items():
                cache = primed if name == WARM else Path(folder) / f"cold-{run}"
                results[name].append(measure(command, {"RELAY_METRICS_CACHE": str(cache)}))
        phases_child = [sys.executable, __file__, "--phases", str(log)]
        breakdown = json.loads(measure(phases_child, {"RELAY_METRICS_CACHE": str(primed)}).stdout)
    calls = {name: json.loads(runs_[-1].stdout)["summary"]["calls"] for name, runs_ in results.items()}
    if len(set(calls.values())) != 1:
        raise BenchError(f"the tools disagree on summary.calls: {calls}")
    return results, breakdown


def measure(command: list[str], env: dict[str, str] | None = None) -> Run:
    """Run `command` to completion: wall time, the child's own peak RSS, and its stdout."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=err, cwd=REPO, env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here; Popen must not wait again
        if child.returncode != 0:
            err.seek(0)
            raise BenchError(
                f"{' '.join(command[:3])} ... exited {child.returncode}: {err.read().decode(errors='replace')[-2000:]}"
            )
        out.seek(0)
        return Run(wall, usage.ru_maxrss / 1024, out.read())  # Linux reports ru_maxrss in KiB


def phases(log: Path) -> dict[str, float]:
    """Seconds per phase of our summary, in this (fresh) process: a cold one (parse), then
    what a warm one does instead (the parsed copy in $RELAY_METRICS_CACHE, as the CLI reads it)."""
    start = time.perf_counter()
    import pandas  # noqa: F401
    import pyarrow
    import pyarrow.json  # noqa: F401

    imported = time.perf_counter()
    from relay_metrics.ingest.cache import load_cached
    from relay_metrics.ingest.loader import load_log
    from relay_metrics.metrics.figures import aggregate

    ours = time.perf_counter()
    load_cached([str(log)])  # first, as in a fresh warm run: nothing appended, restored not parsed
    warm = time.perf_counter()
    frame = load_log(log).frame
    loaded = time.perf_counter()
    aggregate(frame)
    done = time.perf_counter()
    return {
        "import pandas + pyarrow": imported - start,
        "import relay_metrics": ours - imported,
        "load_log": loaded - warm,
        "aggregate": done - loaded,
        "warm: the parsed copy read instead of load_log": warm - ours,
    }


def print_report(
    log: Path, rows: int, results: dict[str, list[Run]], breakdown: dict[str, float], load_before: tuple[float, ...]
) -> None:
    load = ", ".join(f"{x:.2f}" for x in load_before)
    runs = len(next(iter(results.values())))
    print(
        f"{rows:,} rows, {log.stat().st_size / 1e6:.0f} MB, {os.cpu_count()} CPUs, "
        f"median of {runs} runs, load average before the runs {load}\n"
    )
    if load_before[0] > 0.5:
        print("(The machine was busy before the runs: both tools are slower than when idle.)\n")
    reference = results[REFERENCE]
    ref_wall = statistics.median(r.wall_s for r in reference)
    ref_peak = max(r.peak_mb for r in reference)
    print("| tool | wall s | peak MB | time vs reference | memory vs reference |")
    print("|---|---:|---:|---:|---:|")
    for name, measured in results.items():
        wall = statistics.median(r.wall_s for r in measured)
        peak = max(r.peak_mb for r in measured)
        time_ratio, memory_ratio = wall / ref_wall, peak / ref_peak
        if name == REFERENCE:
            print(f"| {name} | {wall:.2f} | {peak:.0f} | 1.00x | 1.00x |")
            continue
        time_mark = "PASS" if time_ratio <= (WARM_TIME_TARGET if name == WARM else TIME_TARGET) else "MISS"
        memory_mark = "PASS" if memory_ratio <= MEMORY_TARGET else "MISS"
        print(
            f"| {name} | {wall:.2f} | {peak:.0f} | {time_ratio:.2f}x ({time_mark}) | {memory_ratio:.2f}x ({memory_mark}) |"
        )
    print(
        f"\nTargets: time <= {TIME_TARGET}x cold and <= {WARM_TIME_TARGET}x warm, and peak memory "
        f"<= {MEMORY_TARGET}x the reference's.\n"
    )
    print("Our phases, in one fresh process:\n")
    print("| phase | s |")
    print("|---|---:|")
    for phase, seconds in breakdown.items():
        print(f"| {phase} | {seconds:.2f} |")


if __name__ == "__main__":
    sys.exit(main())
