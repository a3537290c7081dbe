"""Readable at a glance, in the real app: no metric clipped at 1400 px, every page usable on a
phone (390x844: the sidebar opens, no heading is covered, key columns come first), and CSV
downloads that don't rerun the page. Also re-takes the README's screenshots (docs/screenshots)."""

from __future__ import annotations

import re

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg

from tests.helpers import REPO, page_urls, settle

PAGES = page_urls()

pytestmark = pytest.mark.browser

DOCS = REPO / "docs" / "screenshots"

CLIPPED_METRICS = """() => [...document.querySelectorAll('[data-testid="stMetricValue"]')]
    .filter(v => [v, ...v.querySelectorAll('*')].some(e => e.scrollWidth > e.clientWidth + 1))
    .map(v => v.innerText)"""

# Each heading's text, scrolled into view, must show the heading itself at its left, middle and
# right end: nothing (a toolbar, the app's header) on top of it.
COVERED_HEADINGS = """() => [...document.querySelectorAll('[data-testid="stMain"] h1, [data-testid="stMain"] h2, [data-testid="stMain"] h3')]
    .filter(h => h.innerText.trim())
    .filter(h => {
        h.scrollIntoView({block: 'center'});
        const range = document.createRange();
        range.selectNodeContents(h);
        const r = range.getBoundingClientRect();
        return [0.05, 0.5, 0.95].some(x => {
            const top = document.elementFromPoint(r.left + r.width * x, r.top + r.height / 2);
            return !(top && (h === top || h.contains(top)));
        });
    })
    .map(h => h.innerText)"""


def open_page(tab, url: str, title: str) -> None:
    tab.goto(f"{url}/{PAGES[title]}")
    settle(tab)
    assert tab.locator("h1").first.inner_text() == title
    assert tab.locator('[data-testid="stException"]').count() == 0


@pytest.mark.parametrize("title", list(PAGES))
def test_no_metric_is_clipped_at_1400_px(server, browser, title):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    try:
        open_page(tab, server, title)
        tab.wait_for_timeout(500)  # fonts and layout settle after the run ends
        assert tab.evaluate(CLIPPED_METRICS) == []
        # The README's screenshot: the whole page, as tall as its content.
        height = tab.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
        tab.set_viewport_size({"width": 1400, "height": min(max(height, 1000), 4000)})
        settle(tab)
        tab.wait_for_timeout(1000)  # charts redraw at the new size
        DOCS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(DOCS / f"{title.lower().replace(' ', '-')}.png"))
    finally:
        context.close()


@pytest.mark.parametrize("title", list(PAGES))
def test_every_page_works_on_a_phone(server, browser, title):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    tab = context.new_page()
    try:
        open_page(tab, server, title)
        assert tab.evaluate(CLIPPED_METRICS) == []
        # A table's toolbar shows when it is touched; it must not cover the heading above it.
        tables = tab.locator('[data-testid="stDataFrame"]')
        if tables.count():
            tables.first.scroll_into_view_if_needed()
            tables.first.tap()
            tab.wait_for_timeout(300)
            assert tab.evaluate(COVERED_HEADINGS) == []
        assert tab.evaluate(COVERED_HEADINGS) == []
        # The sidebar starts closed on a phone; its button opens it and its links work.
        sidebar = tab.locator('[data-testid="stSidebar"]')
        tab.locator(
            '[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapsedControl"] button'
        ).first.click()
        link = sidebar.get_by_role("link", name="Tiers" if title != "Tiers" else "Overview")
        link.wait_for(state="visible", timeout=10_000)
        assert sidebar.get_by_role("combobox").first.is_visible() or sidebar.locator("input").first.is_visible()
        link.click()
        settle(tab)
        assert tab.locator("h1").first.inner_text() in ("Tiers", "Overview")
    finally:
        context.close()


def test_download_does_not_rerun_the_page_and_repeated_clicks_all_get_the_file(server, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    tab = context.new_page()
    reruns = []

    def watch(ws):
        def sent(payload):
            if isinstance(payload, bytes):
                message = BackMsg.FromString(payload)
                if message.WhichOneof("type") == "rerun_script":
                    reruns.append(message)

        ws.on("framesent", sent)

    tab.on("websocket", watch)
    try:
        open_page(tab, server, "Tiers")
        reruns.clear()
        button = tab.get_by_role("button", name=re.compile("Download CSV"))
        files = []
        for _ in range(3):  # as fast as a person double-clicks
            with tab.expect_download(timeout=30_000) as download:
                button.click()
            files.append(download.value.path().read_bytes())
        assert all(f.startswith(b"\xef\xbb\xbftier,") for f in files)
        assert files[0] == files[1] == files[2]
        tab.wait_for_timeout(1000)
        assert reruns == []
    finally:
        context.close()
