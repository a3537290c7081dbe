"""Big logs: a 5,000,000-row log through every page, one install with 1,000,000 calls, and the
server's memory with one and with five browser sessions.

    python benchmarks/bench_big.py [--rows 5000000] [--sessions 5]

Each measurement runs in a child process so its wall time and peak memory are its own.
Logs are cached outside the repository. Prints a Markdown table; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from relay_metrics.app.page import PAGES as APP_PAGES  # noqa: E402 (after the path)

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "relay-metrics" / "bench"
PAGES = [path for path, _, _ in APP_PAGES]  # every page of the app

ALL_PAGES = """
import os, sys, time
sys.path.insert(0, {repo!r})
from streamlit.testing.v1 import AppTest
started = time.perf_counter()
at = AppTest.from_file({app!r}, default_timeout=1800).run()
first = time.perf_counter() - started
assert not at.exception, at.exception
times = {{}}
for page in {pages!r}[1:]:
    t = time.perf_counter(); at.switch_page(page).run(); times[page] = time.perf_counter() - t
    assert not at.exception, (page, at.exception)
print("first", first, *[f"{{p}}={{s:.2f}}" for p, s in times.items()])
"""


def run_measured(args: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB and stdout of one child process."""
    started = time.perf_counter()
    process = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO, env={**os.environ, **(env or {})}
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    assert process.stdout is not None and process.stderr is not None  # both are PIPEs
    out, err = process.stdout.read().decode(), process.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{args[:4]} failed:\n{err[-3000:]}")
    return wall, usage.ru_maxrss / 1024, out


def demo_log(rows: int, days: int) -> Path:
    # Written by a child process: Linux starts a child's peak-memory count at its parent's
    # size, so this process must stay small for the measurements of its children to be theirs.
    end_ms = int(time.time() * 1000) // 3_600_000 * 3_600_000
    path = CACHE / f"big-{rows}-{days}d-{end_ms}" / "relay-calls.ndjson"
    if not path.exists():
        print(f"writing a {rows:,}-row demo log ...", file=sys.stderr)
        subprocess.run(
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
                "3",
                "--end-ms",
                str(end_ms),
                "--out",
                str(path),
            ],
            cwd=REPO,
            check=True,
        )
    return path


def whale_log(calls: int) -> Path:
    path = CACHE / f"whale-{calls}" / "relay-calls.ndjson"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        now = int(time.time() * 1000)
        with open(path, "w") as out:
            for i in range(calls):
                out.write(
                    json.dumps(
                        {
                            "ts": now - i * 1000,
                            "install_id": "whale",
                            "tier": "max",
                            "model": "m",
                            "status": "success",
                            "cost_usd": 0.001,
                            "duration_ms": 900,
                            "job_id": f"j{i // 2}",
                        },
                        separators=(",", ":"),
                    )
                    + "\n"
                )
    return path


def server_memory(log: Path, sessions: int) -> tuple[float, float]:
    """The server's resident MB after one session, and after `sessions` more at once."""
    from playwright.sync_api import sync_playwright

    from tests.helpers import CHROMIUM_ARGS, settle, start_app  # the tests' own way to run it

    tmp = CACHE / "server"
    tmp.mkdir(parents=True, exist_ok=True)
    process, url = start_app(log, tmp)

    def rss() -> float:
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{process.pid}/status").read_text().splitlines())
        return int(fields["VmRSS"].split()[0]) / 1024

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
            first = browser.new_page()
            first.goto(url)
            settle(first, timeout_s=600)
            one = rss()
            tabs = [browser.new_context().new_page() for _ in range(sessions)]
            for tab in tabs:
                tab.goto(url)
            for tab in tabs:
                settle(tab, timeout_s=600)
            many = rss()
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
    return one, many


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--whale", type=int, default=1_000_000)
    parser.add_argument("--sessions", type=int, default=5)
    args = parser.parse_args()

    big = demo_log(args.rows, args.days)
    print("\n| measurement | wall s | peak MB |\n|---|---:|---:|")
    wall, peak, _ = run_measured(
        [sys.executable, "-m", "relay_metrics", "summary", str(big), "--all", "--format", "json"]
    )
    print(f"| `summary --all` on {args.rows:,} rows ({big.stat().st_size / 1e9:.2f} GB) | {wall:.1f} | {peak:,.0f} |")
    script = ALL_PAGES.format(repo=str(REPO), app=str(REPO / "streamlit_app.py"), pages=PAGES)
    wall, peak, out = run_measured([sys.executable, "-c", script], env={"RELAY_METRICS_LOG": str(big)})
    print(f"| every page rendered (AppTest) on {args.rows:,} rows | {wall:.1f} | {peak:,.0f} |")
    print(f"\n    {out.strip()}\n", file=sys.stderr)

    whale = whale_log(args.whale)
    wall, peak, out = run_measured(
        [sys.executable, "-m", "relay_metrics", "summary", str(whale), "--all", "--format", "json"]
    )
    calls = json.loads(out)["by_install"][0]["calls"]
    print(f"| one install with {calls:,} calls, `summary --all` | {wall:.1f} | {peak:,.0f} |")

    demo_1m = demo_log(1_000_000, 30)
    one, many = server_memory(demo_1m, args.sessions)
    print("\n| server on 1,000,000 rows | resident MB |\n|---|---:|")
    print(f"| one browser session | {one:,.0f} |")
    print(f"| {args.sessions} more sessions at once | {many:,.0f} |")


if __name__ == "__main__":
    main()
