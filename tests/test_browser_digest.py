"""The HTML digest in headless Debian Chromium: it opens, and its chart images are drawn."""

from __future__ import annotations

import pytest

from relay_metrics.cli import main
from relay_metrics.demo import write_demo_log
from tests.helpers import ARTIFACTS, CHROMIUM_ARGS, chromium_path

pytestmark = pytest.mark.browser

END_MS = 1_767_225_600_000  # 2026-01-01T00:00Z


def test_html_digest_shows_its_charts(tmp_path):
    log, digest = tmp_path / "relay-calls.ndjson", tmp_path / "digest.html"
    write_demo_log(log, rows=20_000, days=40, seed=7, end_ms=END_MS)
    assert main(["report", str(log), "--period", "week", "--until", str(END_MS), "--out", str(digest)]) == 0
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page(viewport={"width": 1200, "height": 900})
            tab.goto(digest.as_uri())
            assert tab.locator("h1").inner_text().startswith("relay-metrics digest: 2025-12-25")
            for chart in ("#daily-chart", "#tier-chart"):
                image = tab.locator(chart)
                image.scroll_into_view_if_needed()
                size = image.evaluate("img => [img.complete, img.naturalWidth, img.naturalHeight]")
                assert size[0] and size[1] > 300 and size[2] > 150, (chart, size)
            assert tab.locator("table").count() >= 3
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(ARTIFACTS / "digest.png"), full_page=True)
        finally:
            browser.close()
