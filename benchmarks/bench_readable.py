"""Clipped metrics on a big log, in the real app: the 1400x1000 check of
tests/test_browser_readable.py, on a 1M-row demo log (too slow for CI).

    python benchmarks/bench_readable.py [--rows 1000000] [--log PATH]

Starts the app on the log, opens every page in headless Debian chromium at 1400x1000 and
prints, per page, how long it took to finish and which metric values are clipped (their text
wider than their box). Asserts nothing; exits 1 if any metric is clipped.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> int:
    from playwright.sync_api import sync_playwright

    from benchmarks.bench_app import demo_log
    from tests.helpers import CHROMIUM_ARGS, chromium_path, settle, start_app
    from tests.test_browser import PAGES
    from tests.test_browser_readable import CLIPPED_METRICS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--log", type=Path, help="a log to use instead of a generated demo log")
    args = parser.parse_args()
    log = args.log or demo_log(args.rows)
    clipped_anywhere = False
    with tempfile.TemporaryDirectory() as tmp:
        process, url = start_app(log, Path(tmp))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
                tab = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                print(f"log: {log}\n\n| page | seconds to finish | clipped metrics |\n|---|---:|---|")
                for title, path in PAGES.items():
                    started = time.perf_counter()
                    tab.goto(f"{url}/{path}")
                    settle(tab, timeout_s=600)
                    seconds = time.perf_counter() - started
                    tab.wait_for_timeout(500)
                    clipped = tab.evaluate(CLIPPED_METRICS)
                    clipped_anywhere |= bool(clipped)
                    print(f"| {title} | {seconds:.1f} | {', '.join(clipped) or 'none'} |", flush=True)
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=30)
    return 1 if clipped_anywhere else 0


if __name__ == "__main__":
    sys.exit(main())
