"""In headless Chromium: a what-if scenario from a link shows on Profitability beside the
actual figures, and other pages show actuals with a banner leading back to it."""

from __future__ import annotations

import urllib.parse

import pytest

from tests.helpers import REPO, metric_value, screenshot, settle

pytestmark = pytest.mark.browser


def test_profitability_with_a_scenario_shows_actual_and_what_if_side_by_side(server, page):
    link = urllib.parse.urlencode({"price": "pro:14.99"})
    page.goto(f"{server}/Profitability?{link}")
    settle(page)
    what_if = metric_value(page, "What-if revenue")
    actual = metric_value(page, "Revenue")
    assert what_if.startswith("$") and actual.startswith("$") and what_if != actual
    section = page.locator('[data-testid="stMetric"]').filter(has_text="What-if revenue").first
    section.scroll_into_view_if_needed()
    assert page.get_by_text("Actual revenue:").first.is_visible()
    # The comparison table is drawn beside the editor.
    assert page.locator('[data-testid="stDataFrame"]').count() >= 5
    screenshot(page, "profitability-scenario")
    page.screenshot(path=str(REPO / "docs" / "screenshots" / "profitability-scenario.png"), full_page=True)  # README

    page.goto(f"{server}/?{link}")
    settle(page)
    assert page.get_by_text("A what-if scenario is set").first.is_visible()
    assert metric_value(page, "Revenue") == actual  # the Overview shows actuals
    page.get_by_text("Compare prices on Profitability").first.click()
    settle(page)
    assert metric_value(page, "What-if revenue") == what_if
    assert "price=pro" in page.url
