"""What the tests share that is not a fixture: records and log bytes, frame comparisons, the
app's pages, and running the real app for a browser. Test modules import this, never each
other (fixtures live in conftest.py)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings

REPO = Path(__file__).resolve().parent.parent
REFERENCE_MODULE = Path(os.environ.get("RELAY_REFERENCE", REPO.parent / "shared" / "reference" / "audit-log.mjs"))
T0 = 1_767_225_600_000  # 2026-01-01T00:00Z, hour 0
H = 3_600_000


def examples(full: int) -> int:
    """A property test's example count: `full` under the default profile (max_examples 100, as
    CI runs), scaled down under HYPOTHESIS_PROFILE=dev (see conftest)."""
    default = settings.default
    assert default is not None  # hypothesis loads a profile when imported
    return max(3, full * default.max_examples // 100)


# --- records and logs ---------------------------------------------------------------------


def record(ts=1_767_225_600_000, **fields) -> dict:
    """One log record; ts defaults to 2026-01-01T00:00:00Z."""
    return {"ts": ts, **fields}


def lines_of(*items) -> bytes:
    """Log bytes from records (dicts, written as JSON.stringify would) and raw str/bytes lines."""
    out = []
    for item in items:
        if isinstance(item, dict):
            out.append(json.dumps(item, separators=(",", ":")).encode())
        elif isinstance(item, str):
            out.append(item.encode())
        else:
            out.append(item)
    return b"".join(line + b"\n" for line in out)


def write_lines(path: Path, *items) -> Path:
    """A log file at `path` holding these records and raw lines (see lines_of)."""
    path.write_bytes(lines_of(*items))
    return path


# --- frames and reports -------------------------------------------------------------------


STRING_COLUMNS = ("install_id", "tier", "pipeline", "backend", "model", "status", "job_id", "error")


def assert_same_frame(got, expected) -> None:
    """Equal records in equal order; categories compared by value, not by their order."""
    as_object = {name: object for name in STRING_COLUMNS}
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True).astype(as_object),
        expected.reset_index(drop=True).astype(as_object),
        check_categorical=False,
    )


def comparable_report(report) -> dict:
    """A report as a dict, without the names of the (temporary) files it came from."""
    out = report.to_dict()
    del out["files"]
    for sample in out["samples"] + out["pending_lines"]:
        del sample["file"]
    return out


# --- the app's pages ----------------------------------------------------------------------


def page_files() -> list[str]:
    """Every page's file after the Overview (the router's default), as the app lists them."""
    from relay_metrics.app.page import PAGES

    return [path for path, _, _ in PAGES[1:]]


def page_urls() -> dict[str, str]:
    """Each page's title -> its URL path ("" for the Overview; else its file name without the
    number, as st.navigation names it)."""
    from relay_metrics.app.page import PAGES

    return {label: "" if i == 0 else Path(path).stem.split("_", 1)[1] for i, (path, label, _) in enumerate(PAGES)}


# --- the real app, for a browser ----------------------------------------------------------

ARTIFACTS = REPO / "test-artifacts" / "screenshots"
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
            "relay_metrics.app.serve",  # as scripts/run starts it
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
