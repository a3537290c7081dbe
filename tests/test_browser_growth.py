"""The Growth page in headless Debian Chromium: it renders its four charts, drawn, and no error."""

from __future__ import annotations

import pytest

from tests.helpers import screenshot, settle

pytestmark = pytest.mark.browser


def test_growth_page_renders_its_charts(server, page):
    page.goto(f"{server}/Growth")
    settle(page)
    assert page.locator("h1").first.inner_text() == "Growth"
    assert page.locator('[data-testid="stException"]').count() == 0
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    charts.first.wait_for(timeout=30_000)
    assert charts.count() == 4
    drawn = page.locator('[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg.marks')
    drawn.nth(3).wait_for(timeout=30_000)
    for index in range(4):
        box = drawn.nth(index).bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100
    assert "MRR (estimated)" in page.locator('[data-testid="stMetric"]').first.inner_text()
    screenshot(page, "growth")
