"""The real app in headless Debian Chromium: pages render, charts draw, filters work and
survive page switches and copied links. Screenshots land in test-artifacts/screenshots/."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from relay_metrics.demo import write_demo_log

from .conftest import REPO

pytestmark = pytest.mark.browser

ARTIFACTS = REPO / "test-artifacts" / "screenshots"
PAGES = {
    "Overview": "",
    "Profitability": "Profitability",
    "Tiers": "Tiers",
    "Models": "Models",
    "Installs": "Installs",
    "Traffic": "Traffic",
    "Data quality": "Data_quality",
}
# As the machine's own probe found: without these, Chromium keeps calling out to a network
# that isn't there.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    found = shutil.which("chromium")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is required on CI (scripts/test installs it)")
        pytest.skip("chromium not installed (apt-get install chromium)")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(log: Path, tmp: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "RELAY_METRICS_LOG": str(log)}
    output = open(tmp / f"streamlit-{port}.log", "wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "streamlit_app.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=REPO,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return process, url
        except OSError:
            time.sleep(0.3)
        if process.poll() is not None:
            break
    process.kill()
    pytest.fail("streamlit did not start: " + (tmp / f"streamlit-{port}.log").read_text()[-2000:])


def serve(log: Path, tmp: Path):
    """Yield the URL of the app running on `log`, for a fixture's lifetime."""
    process, url = start_app(log, tmp)
    yield url
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    log = tmp / "relay-calls.ndjson"
    write_demo_log(log, rows=30_000, days=20, seed=11)
    yield from serve(log, tmp)


@pytest.fixture(scope="module")
def browser():
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    yield tab
    context.close()


def settle(tab, timeout_s: float = 60) -> None:
    """Wait for Streamlit to finish the current run: a title, nothing running, no skeletons,
    twice in a row half a second apart (a run can start just after a check)."""
    tab.wait_for_selector('[data-testid="stApp"]', timeout=30_000)
    done = (
        "() => !!document.querySelector('[data-testid=\"stMainBlockContainer\"] h1')"
        " && !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && !document.querySelector('[data-testid=\"stSkeleton\"]')"
    )
    deadline, calm = time.monotonic() + timeout_s, 0
    while calm < 2:
        if time.monotonic() > deadline:
            raise AssertionError("the page did not finish running")
        calm = calm + 1 if tab.evaluate(done) else 0
        tab.wait_for_timeout(500)


def metric_value(tab, label: str) -> str:
    card = tab.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return card.locator('[data-testid="stMetricValue"]').inner_text()


def choose_tier(tab, tier: str) -> None:
    box = tab.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(has_text="Tiers")
    box.locator("input").click()
    tab.get_by_role("option", name=tier, exact=True).click()
    tab.keyboard.press("Escape")


def screenshot(tab, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("title", list(PAGES))
def test_each_page_renders_with_its_charts(server, page, title):
    page.goto(f"{server}/{PAGES[title]}")
    settle(page)
    assert page.locator("h1").first.inner_text() == title
    assert page.locator('[data-testid="stException"]').count() == 0
    if title != "Data quality":
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
