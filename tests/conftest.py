"""Shared fixtures: small logs written on the fly (the repo ships no data files)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import settings

from relay_metrics.demo import write_demo_log
from relay_metrics.ingest.loader import load_log
from tests.helpers import CHROMIUM_ARGS, REFERENCE_MODULE, T0, H, chromium_path, lines_of, record, serve

# Hypothesis: the full example counts by default (CI); HYPOTHESIS_PROFILE=dev runs a tenth of
# them for a quick local loop. Tests size their counts with helpers.examples(n).
settings.register_profile("ci", max_examples=100, print_blob=True)
settings.register_profile("dev", max_examples=10)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True, scope="session")
def private_parse_cache(tmp_path_factory):
    """The CLI and the app keep parsed copies of logs (ingest.cache): the tests' go to a folder
    of their own, never the user's cache, and apps started by tests inherit it."""
    patch = pytest.MonkeyPatch()
    patch.setenv("RELAY_METRICS_CACHE", str(tmp_path_factory.mktemp("parse-cache")))
    yield
    patch.undo()


@pytest.fixture(autouse=True)
def fresh_parse_cache(private_parse_cache, tmp_path_factory, monkeypatch):
    """Each test starts without parsed copies: what one test read never makes another's warm."""
    monkeypatch.setenv("RELAY_METRICS_CACHE", str(tmp_path_factory.mktemp("parse-cache")))


@pytest.fixture(autouse=True)
def fresh_alert_results(monkeypatch):
    """Each test starts without alert results kept in this process: a result from an earlier
    test's minute would be served while this minute's is computed, and a revisit of the page
    would then show other "last fired" times than the first visit (alerts_panel._ByMinute)."""
    alerts_panel = sys.modules.get("relay_metrics.app.alerts_panel")
    if alerts_panel is None:  # not imported yet: it will start empty (domain tests never import it)
        return
    monkeypatch.setattr(alerts_panel, "_FIRING", alerts_panel._ByMinute())
    monkeypatch.setattr(alerts_panel, "_OVER_RANGE", alerts_panel._ByMinute())


@pytest.fixture
def write_log(tmp_path):
    """write_log(*items, name=...) -> path of a log file holding those lines."""

    def write(*items, name="relay-calls.ndjson", raw: bytes | None = None) -> Path:
        path = tmp_path / name
        path.write_bytes(raw if raw is not None else lines_of(*items))
        return path

    return write


@pytest.fixture(scope="session")
def node() -> str | None:
    """The node binary, or None; on CI a missing node is a failure, not a skip."""
    found = shutil.which("node")
    if found is None and os.environ.get("CI"):
        pytest.fail("node is required on CI for the reference parity tests")
    if found is None:
        pytest.skip("node not installed")
    if not REFERENCE_MODULE.exists():
        pytest.fail(f"reference module missing: {REFERENCE_MODULE}")
    return found


@pytest.fixture
def small(write_log):
    """Five hand-made records covering upgrades, missing and empty keys, and a string cost."""
    path = write_log(
        record(
            ts=T0 + 1 * H,
            install_id="a",
            tier="core",
            model="m1",
            pipeline="transcribe",
            backend="gemini",
            status="success",
            cost_usd=0.10,
            duration_ms=1000,
            input_tokens=100,
            output_tokens=10,
            job_id="j1",
        ),
        record(
            ts=T0 + 2 * H,
            install_id="a",
            tier="pro",
            model="m1",
            pipeline="analyze",
            backend="gemini",
            status="success",
            cost_usd=0.30,
            duration_ms=3000,
            input_tokens=50,
            thinking_tokens=7,
            job_id="j1",
        ),
        record(
            ts=T0 + 2 * H,
            install_id="b",
            model="m2",
            pipeline="transcribe",
            backend="hardware",
            status="error",
            error="boom",
            duration_ms=500,
            job_id="",
        ),
        record(ts=T0 + 5 * H, tier="", model="", status="refused"),  # no install id, empty tier and model
        record(ts=T0 + 3 * H, install_id="b", tier="max", model="m2", status="success", cost_usd="0.5"),  # string cost
    )
    return load_log(path).frame


@pytest.fixture(scope="module")
def browser():
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app serving a 20-day demo log, for a test module's browser tests."""
    tmp = tmp_path_factory.mktemp("browser")
    log = tmp / "relay-calls.ndjson"
    write_demo_log(log, rows=30_000, days=20, seed=11)
    yield from serve(log, tmp)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def fresh_caches():
    """Streamlit's caches emptied around an AppTest: they outlive a test otherwise."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()
