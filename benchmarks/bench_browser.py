"""What a founder feels in the browser: each click timed from the action until the page is settled.

    python benchmarks/bench_browser.py [--rows 1000000] [--runs 5]

Serves the app (as tests/helpers.py does) on a demo log of --rows records over 30 days, opens
it in the same headless Debian Chromium the tests use at 1400x1000, and times, median of
--runs: a tier change (Overview and Profitability), a date preset, a page switch, a what-if
price change on Profitability, and a new session on the warm server, both as a new tab of the
same browser (its HTTP cache warm, as when a founder opens the app again) and as a new browser
with an empty cache (which also parses Streamlit's scripts). Then the server is
restarted twice to time the first view after a start: with an empty parse cache (cold) and
with the cache the first start left (warm).

"Settled" is watched in the page itself every few milliseconds: a title, no running indicator,
no skeleton, no stale (greyed) element, and every chart drawn (a canvas or svg inside each Vega
chart); an interaction starts at the first press of a pointer or key the page sees (not when
the driver starts moving to the element) and ends when that has held for QUIET_MS after the
run it started. Prints a
Markdown table with the load average; asserts nothing.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.helpers import CHROMIUM_ARGS, start_app  # noqa: E402

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "relay-metrics" / "bench"
VIEWPORT = {"width": 1400, "height": 1000}
QUIET_MS = 600  # settled this long after a run: done (a run can start just after a check)
START_MS = 3000  # an action that shows no run at all within this long: done when settled

WATCH = """
() => {
  if (window.__rm) return;
  const settled = () => {
    const title = document.querySelector('[data-testid="stMainBlockContainer"] h1');
    if (!title || (window.__rm_title && !title.textContent.includes(window.__rm_title))) return false;
    if (document.querySelector('[data-testid="stStatusWidget"], [data-testid="stSkeleton"], [data-stale="true"]'))
      return false;
    for (const chart of document.querySelectorAll('[data-testid="stVegaLiteChart"]'))
      if (!chart.querySelector('canvas, svg.marks')) return false;
    return true;
  };
  window.__rm = {settled: settled(), at: performance.now(), changes: 0, inputs: []};
  // The user's action itself (the press of a pointer or key), not the driver's approach to it.
  for (const kind of ['pointerdown', 'keydown'])
    window.addEventListener(kind, () => window.__rm.inputs.push(performance.now()), true);
  setInterval(() => {
    const now = settled();
    if (now !== window.__rm.settled) {
      window.__rm.settled = now;
      window.__rm.at = performance.now();
      window.__rm.changes += 1;
    }
  }, 5);
}
"""


def demo_log(rows: int) -> Path:
    """A demo log ending this hour (so the default 30-day window holds it), kept per hour."""
    from relay_metrics.demo import default_end_ms, write_demo_log

    end_ms = default_end_ms()
    path = CACHE / f"app-{rows}-30d-{end_ms}" / "relay-calls.ndjson"
    if not path.exists():
        print(f"writing a {rows:,}-row demo log to {path} ...", file=sys.stderr)
        write_demo_log(path, rows, days=30, seed=1, end_ms=end_ms)
    return path


def timed(tab, action, title: str | None = None) -> float:
    """Milliseconds from the action until the page has settled after the run it started (and
    shows `title`, for a page switch)."""
    tab.evaluate(WATCH)
    tab.evaluate("title => { window.__rm_title = title; }", title)
    before = tab.evaluate("window.__rm.changes")
    started = tab.evaluate("performance.now()")
    action()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # (a page that never settles: NaN, said below the table)
        state = tab.evaluate("({...window.__rm, now: performance.now()})")
        quiet = state["now"] - state["at"]
        if state["settled"] and quiet >= QUIET_MS and (state["changes"] > before or state["now"] - started >= START_MS):
            pressed = min([t for t in state["inputs"] if t >= started] or [started])
            return max(state["at"] - pressed, 0.0) if state["changes"] > before else 0.0
        tab.wait_for_timeout(20)
    print("warning: the page did not settle in 120 s", file=sys.stderr)
    return math.nan


def settled(tab) -> None:
    timed(tab, lambda: None)


def new_session(browser, url: str) -> tuple[BrowserContext, float]:
    """A fresh browser context (empty HTTP cache) opening the app: ms until its first view is settled."""
    context = browser.new_context(viewport=VIEWPORT)
    return context, first_view(context.new_page(), url)


def first_view(tab, url: str) -> float:
    """ms from the tab's navigation to the app until its first view is settled."""
    tab.add_init_script(f"({WATCH})()")  # watching from the navigation's start
    tab.goto(url)
    tab.wait_for_selector('[data-testid="stMainBlockContainer"] h1', timeout=600_000)
    while True:
        state = tab.evaluate("({...window.__rm, now: performance.now()})")
        if state["settled"] and state["now"] - state["at"] >= QUIET_MS:
            break
        tab.wait_for_timeout(20)
    return state["at"]  # performance.now() counts from the navigation's start


def sidebar(tab):
    return tab.locator('[data-testid="stSidebar"]')


def tiers_box(tab):
    return sidebar(tab).locator('[data-testid="stMultiSelect"]').filter(has_text="Tiers")


def tier_changes(tab, runs: int) -> list[float]:
    """Alternately pick "pro" and clear it again (the clock starts at the box's click)."""
    times = []
    for run in range(runs):
        if run % 2 == 0:
            tiers_box(tab).locator("input").click()
            option = tab.get_by_role("option", name="pro", exact=True)
            times.append(timed(tab, option.click))
            tab.keyboard.press("Escape")
        else:
            times.append(timed(tab, lambda: _unpick(tab)))
    if runs % 2:
        _unpick(tab)
        settled(tab)
    return times


def _unpick(tab) -> None:
    """Backspace in the box removes the last chip, as a user would."""
    tiers_box(tab).locator("input").click()
    tab.keyboard.press("Backspace")
    tab.keyboard.press("Escape")


def presets(tab, runs: int) -> list[float]:
    """Alternately 7d and 30d."""
    times = []
    for run in range(runs):
        name = ["7d", "30d"][run % 2]
        button = sidebar(tab).locator('[data-testid="stButtonGroup"] button').filter(has_text=name).first
        times.append(timed(tab, button.click))
    if runs % 2:
        sidebar(tab).locator('[data-testid="stButtonGroup"] button').filter(has_text="30d").first.click()
        settled(tab)
    return times


def page_switches(tab, runs: int) -> list[tuple[str, float]]:
    """From page to page through the sidebar's links."""
    times = []
    for run in range(runs):
        title = ["Profitability", "Tiers", "Models", "Traffic", "Overview"][run % 5]
        link = sidebar(tab).get_by_role("link", name=title, exact=True)
        times.append((title, timed(tab, link.click, title)))
    return times


def what_if_changes(tab, runs: int) -> list[float]:
    """The first what-if price on Profitability, up by 1 and back."""
    field = tab.locator('[data-testid="stNumberInput"] input').first
    field.scroll_into_view_if_needed()
    base = float(field.input_value())
    times = []
    for run in range(runs):
        value = base + 1 if run % 2 == 0 else base

        def change(value=value):
            field.fill(f"{value:.2f}")
            field.press("Enter")

        times.append(timed(tab, change))
    return times


def row(name: str, times: list[float]) -> str:
    times = [t for t in times if not math.isnan(t)] or [math.nan]
    return f"| {name} | {statistics.median(times):,.0f} | {min(times):,.0f} | {max(times):,.0f} | {len(times)} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-restarts", action="store_true", help="skip the cold and warm server starts")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    log = demo_log(args.rows)
    tmp = Path(tempfile.mkdtemp(prefix="relay-metrics-bench-browser-"))
    os.environ["RELAY_METRICS_ALLOW_ANONYMOUS"] = "1"
    os.environ["RELAY_METRICS_CACHE"] = str(tmp / "parse-cache")  # starts empty: the first start is cold
    load = os.getloadavg()
    lines = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        process, url = start_app(log, tmp)
        try:
            context, first = new_session(browser, url)
            lines.append(row("first view after a server start, cold (parse)", [first]))
            tab = context.pages[0]
            lines.append(row("tier change, Overview", tier_changes(tab, args.runs)))
            lines.append(row("date preset, Overview", presets(tab, args.runs)))
            switches = page_switches(tab, args.runs)
            lines.append(row("page switch", [t for _, t in switches]))
            sidebar(tab).get_by_role("link", name="Profitability", exact=True).click()
            settled(tab)
            lines.append(row("tier change, Profitability", tier_changes(tab, args.runs)))
            lines.append(row("what-if price, Profitability", what_if_changes(tab, args.runs)))
            tabs = []  # a founder opening the app again: a new tab, the browser's cache warm
            for _ in range(args.runs):
                new_tab = context.new_page()
                tabs.append(first_view(new_tab, url))
                new_tab.close()
            lines.append(row("new session (new tab), warm server", tabs))
            context.close()
            sessions = []
            for _ in range(args.runs):
                other, took = new_session(browser, url)
                sessions.append(took)
                other.close()
            lines.append(row("new session (new browser, empty cache), warm server", sessions))
        finally:
            process.terminate()
            process.wait(timeout=30)
        if not args.no_restarts:
            process, url = start_app(log, tmp)
            try:
                context, warm = new_session(browser, url)
                context.close()
                lines.append(row("first view after a server start, warm (parse cache)", [warm]))
            finally:
                process.terminate()
                process.wait(timeout=30)
        browser.close()
    print(f"\n{args.rows:,} rows over 30 days ({log.stat().st_size / 1e6:,.0f} MB), Chromium at 1400x1000")
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; after: {os.getloadavg()[0]:.2f}\n")
    print("| interaction | median ms | min ms | max ms | runs |\n|---|---:|---:|---:|---:|")
    print("\n".join(lines))
    print("\nPage switches: " + ", ".join(f"{title} {took:,.0f}" for title, took in switches) + " ms")


if __name__ == "__main__":
    main()
