"""A log full of hostile strings, in the real app: no element is injected, no script runs,
the text is shown literally, and CSV downloads neutralise formulas."""

from __future__ import annotations

import json
import time

import pytest

from tests.helpers import page_urls, screenshot, serve, settle

PAGES = page_urls()

pytestmark = pytest.mark.browser

PAYLOADS = [
    "<script>window.__pwned='script'</script>",
    "<img src=x onerror=\"window.__pwned='img'\">",
    "[click me](javascript:window.__pwned='link')",
    "![pic](x\" onerror=\"window.__pwned='md-img')",
    "<svg onload=\"window.__pwned='svg'\"></svg>",
    '=HYPERLINK("http://evil.example","x")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\u202eevil\u202c",
    "**bold** _it_ `code` <b>b</b>",
]


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    now = int(time.time() * 1000)
    lines = []
    for i, payload in enumerate(PAYLOADS):
        for j in range(3):
            lines.append(
                json.dumps(
                    {
                        "ts": now - (i * 3 + j) * 60_000,
                        "install_id": payload,
                        "tier": payload if j == 0 else "pro",
                        "model": payload,
                        "pipeline": "analyze",
                        "backend": "gemini",
                        "status": "error",
                        "error": payload,
                        "cost_usd": 0.01 * (i + 1),
                        "duration_ms": 1000,
                        "job_id": f"job-{i}",
                    }
                )
            )
    lines.append('{"ts": "' + PAYLOADS[0] + '"}')  # a rejected line, shown as a sample
    path = tmp / "relay-calls.ndjson"
    path.write_text("\n".join(lines) + "\n" + '{"ts":1,"install_id":"' + PAYLOADS[1].replace('"', '\\"'))  # pending
    yield from serve(path, tmp)


def assert_nothing_injected(tab) -> None:
    assert tab.evaluate("() => window.__pwned") is None
    injected = tab.evaluate(
        """() => ({
            img: document.querySelectorAll('img[src="x"]').length,
            svg: [...document.querySelectorAll('svg[onload]')].length,
            links: [...document.querySelectorAll('a[href^="javascript:"]')].length,
            scripts: [...document.querySelectorAll('script')].filter(s => s.textContent.includes('__pwned')).length,
            bold: [...document.querySelectorAll('strong, b')].filter(b => b.textContent.trim() === 'bold' || b.textContent === 'b').length,
        })"""
    )
    assert injected == {"img": 0, "svg": 0, "links": 0, "scripts": 0, "bold": 0}


@pytest.mark.parametrize("title", list(PAGES))
def test_no_page_injects_or_runs_anything(hostile_server, browser, title):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        tab = context.new_page()
        tab.goto(f"{hostile_server}/{PAGES[title]}")
        settle(tab)
        tab.wait_for_timeout(1500)  # let charts and tables finish drawing
        assert tab.locator('[data-testid="stException"]').count() == 0
        assert_nothing_injected(tab)
        screenshot(tab, f"hostile-{title.lower().replace(' ', '-')}")
    finally:
        context.close()


def test_text_is_shown_literally_and_csv_is_neutralised(hostile_server, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    try:
        tab = context.new_page()
        tab.goto(f"{hostile_server}/Data_quality")
        settle(tab)
        code = " ".join(tab.locator("pre").all_inner_texts())
        assert PAYLOADS[1].replace('"', '\\"')[:30] in code  # the pending line, as typed
        with tab.expect_download() as download:
            tab.locator('[data-testid="stDownloadButton"]').filter(has_text="Download CSV").last.click()
        content = open(download.value.path(), encoding="utf-8-sig").read()
        assert "'=HYPERLINK" in content and "'@SUM" in content
        assert "\n=HYPERLINK" not in content and ",=HYPERLINK" not in content

        tab.goto(f"{hostile_server}/Installs")
        settle(tab)
        box = tab.locator('[data-testid="stSelectbox"]').filter(has_text="Install").first
        picked = (
            box.text_content()
            + " "
            + " ".join(box.locator("input").evaluate_all("els => els.map(e => e.value + ' ' + e.placeholder)"))
        )
        assert any(payload[:20] in picked for payload in PAYLOADS), picked
        assert_nothing_injected(tab)
    finally:
        context.close()
