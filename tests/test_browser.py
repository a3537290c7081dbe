"""The real app in headless Debian Chromium: pages render, charts draw, filters work and
survive page switches and copied links. Screenshots land in test-artifacts/screenshots/."""

from __future__ import annotations

import re

import pytest

from tests.helpers import choose_tier, metric_value, page_urls, screenshot, settle

PAGES = page_urls()

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("title", list(PAGES))
def test_each_page_renders_with_its_charts(server, page, title):
    page.goto(f"{server}/{PAGES[title]}")
    settle(page)
    assert page.locator("h1").first.inner_text() == title
    assert page.locator('[data-testid="stException"]').count() == 0
    if title not in ("Data quality", "Alerts"):  # pages of tables only
        charts = page.locator('[data-testid="stVegaLiteChart"]')
        charts.first.wait_for(timeout=30_000)
        # Vega draws into a canvas (or svg); a drawn chart has a real size.
        drawn = page.locator('[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg.marks')
        drawn.first.wait_for(timeout=30_000)
        box = drawn.first.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100
    screenshot(page, title.lower().replace(" ", "-"))


def test_filter_change_survives_page_switch_and_copied_link(server, browser, page):
    page.goto(server)
    settle(page)
    all_calls = metric_value(page, "Calls")
    choose_tier(page, "pro")
    page.wait_for_function(
        "(before) => { const v = document.querySelector('[data-testid=\"stMetricValue\"]'); return v && v.innerText !== before; }",
        arg=all_calls,
        timeout=30_000,
    )
    settle(page)
    pro_calls = metric_value(page, "Calls")
    assert pro_calls != all_calls
    assert re.search(r"[?&]tiers=pro\b", page.url)

    page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Tiers").click()
    page.wait_for_url(re.compile(r"/Tiers"), timeout=30_000)
    settle(page)
    chips = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(has_text="Tiers")
    assert "pro" in chips.inner_text()
    assert re.search(r"[?&]tiers=pro\b", page.url)
    screenshot(page, "tiers-filtered-pro")

    page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Overview").click()
    settle(page)
    assert metric_value(page, "Calls") == pro_calls

    fresh = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        copy = fresh.new_page()
        copy.goto(page.url)
        settle(copy)
        assert metric_value(copy, "Calls") == pro_calls
    finally:
        fresh.close()
