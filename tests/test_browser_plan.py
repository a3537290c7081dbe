"""The Plan page in headless Chromium: a linked scenario renders beside the actuals, with its
chart drawn. Its screenshot is the README's (docs/screenshots/plan.png)."""

from __future__ import annotations

import urllib.parse

import pytest

from relay_metrics.demo import write_demo_log
from tests.helpers import REPO, screenshot, serve, settle

pytestmark = pytest.mark.browser

DOCS = REPO / "docs" / "screenshots"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser-plan")
    log = tmp / "relay-calls.ndjson"
    write_demo_log(log, rows=30_000, days=20, seed=11)
    yield from serve(log, tmp)


def test_plan_renders_a_linked_scenario_beside_the_actuals(server, browser):
    # Streamlit scrolls inside its main block, so a full-page screenshot is one viewport: make it tall.
    context = browser.new_context(viewport={"width": 1400, "height": 2600})
    try:
        check_plan(server, context.new_page())
    finally:
        context.close()


def check_plan(server: str, page) -> None:
    query = urllib.parse.urlencode(
        [
            ("price", "pro:14.99"),
            ("cap", "core:20"),
            ("swap", '["core", "analyze", "gemini-3-flash-preview", "gemini-2.5-flash-lite"]'),
        ]
    )
    page.goto(f"{server}/Plan?{query}")
    settle(page)
    assert page.locator("h1").first.inner_text() == "Plan"
    assert page.locator('[data-testid="stException"]').count() == 0
    drawn = page.locator('[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg.marks')
    drawn.first.wait_for(timeout=30_000)
    box = drawn.first.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert "gemini-3-flash-preview -> gemini-2.5-flash-lite (core / analyze)" in text
    assert "Caps (scenario)" in text and "Model rates (estimated" in text
    assert "Actual (measured)" in text and "Scenario (what-if)" in text
    assert page.locator('[data-testid="stMetric"]').filter(has_text="Revenue").count() == 2
    # The scenario is still in the URL after the page ran.
    assert "cap=core%3A20" in page.url or "cap=core:20" in page.url
    screenshot(page, "plan")
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS / "plan.png"), full_page=True)
