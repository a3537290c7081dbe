"""Server time of every page on a hostile log: 10,000 invented tiers, 100,000 installs.

    python benchmarks/bench_hostile.py [--rows 200000] [--tiers 10000] [--installs 100000] [--surrogate]

Runs each page with Streamlit's AppTest (the server's script runner, no browser) and prints
seconds per page and whether it raised; asserts nothing. --surrogate adds a tier holding a lone
surrogate (every page must render it).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from relay_metrics.app.page import PAGES as APP_PAGES  # noqa: E402 (after the path)

PAGES = [path for path, _, _ in APP_PAGES]  # every page, the new ones too


def write_hostile_log(path: Path, rows: int, tiers: int, installs: int, surrogate: bool) -> None:
    rng = random.Random(7)
    now = int(time.time() * 1000)
    with open(path, "w", encoding="utf-8") as out:
        for n in range(rows):
            tier = f"tier-{n % tiers:05d}" if n < tiers or rng.random() < 0.5 else rng.choice(["core", "pro", "max"])
            record = {
                "ts": now - rng.randrange(20 * 86_400_000),
                "install_id": f"install-{n % installs:06d}",
                "tier": tier,
                "model": rng.choice(["gpt-a", "gpt-b", "claude-c"]),
                "pipeline": "summary",
                "backend": "openai",
                "status": rng.choice(["ok", "ok", "ok", "error"]),
                "cost_usd": rng.random() / 100,
                "duration_ms": rng.randrange(100, 5000),
            }
            out.write(json.dumps(record, separators=(",", ":")) + "\n")
        if surrogate:
            out.write('{"ts":' + str(now - 1000) + ',"tier":"\\ud800x","install_id":"i-s","cost_usd":0.01}\n')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--tiers", type=int, default=10_000)
    parser.add_argument("--installs", type=int, default=100_000)
    parser.add_argument("--surrogate", action="store_true")
    parser.add_argument("--skip", action="append", default=[], help="a page file to leave out (repeatable)")
    args = parser.parse_args()
    from streamlit.testing.v1 import AppTest

    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "relay-calls.ndjson"
        write_hostile_log(log, args.rows, args.tiers, args.installs, args.surrogate)
        os.environ["RELAY_METRICS_LOG"] = str(log)
        os.chdir(REPO)
        print(f"| page ({args.rows:,} rows, {args.tiers:,} tiers, {args.installs:,} installs) | seconds | error |")
        print("|---|---:|---|")
        at = AppTest.from_file(str(REPO / "streamlit_app.py"), default_timeout=600).run()  # reads the log once
        for page in [p for p in PAGES if p not in args.skip]:
            started = time.perf_counter()
            at.switch_page(page).run()
            seconds = time.perf_counter() - started
            error = at.exception[0].value.splitlines()[0][:60] if at.exception else ""
            print(f"| {page} | {seconds:.2f} | {error} |", flush=True)


if __name__ == "__main__":
    main()
