"""Alerts in the app (AppTest): firing rules at the top of the Overview, every rule on the
Alerts page."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from relay_metrics.demo import write_demo_log
from tests.helpers import REPO

pytestmark = pytest.mark.usefixtures("fresh_caches")  # AppTest shares Streamlit's caches

APP = str(REPO / "streamlit_app.py")
FIRING = """
[[rule]]
name = "any waste"
kind = "waste"
days = 7
max_pct = 0

[[rule]]
name = "never"
kind = "stale_log"
minutes = 100000000
"""


@pytest.fixture(scope="module")
def demo_log(tmp_path_factory):
    path = tmp_path_factory.mktemp("alerts-app") / "relay-calls.ndjson"
    write_demo_log(path, rows=10_000, days=14, seed=5)
    return path


def app(log, rules_text: str, tmp_path, monkeypatch) -> AppTest:
    rules = tmp_path / "alerts.toml"
    rules.write_text(rules_text)
    monkeypatch.setenv("RELAY_METRICS_LOG", str(log))
    monkeypatch.setenv("RELAY_METRICS_ALERTS", str(rules))
    return AppTest.from_file(APP, default_timeout=90)


def test_overview_shows_firing_rules_first(demo_log, tmp_path, monkeypatch):
    at = app(demo_log, FIRING, tmp_path, monkeypatch).run()
    assert not at.exception
    assert "1 alert(s) firing" in at.markdown[0].value
    texts = [t.value for t in at.text]
    assert any(t.startswith("any waste · all · ") and "wasted" in t for t in texts)
    assert not any(t.startswith("never") for t in texts)


def test_overview_shows_nothing_when_no_rule_fires(demo_log, tmp_path, monkeypatch):
    at = app(demo_log, FIRING.replace("max_pct = 0", "max_pct = 100"), tmp_path, monkeypatch).run()
    assert not at.exception
    assert not any("firing" in m.value for m in at.markdown)


def test_alerts_page_lists_every_rule(demo_log, tmp_path, monkeypatch):
    at = app(demo_log, FIRING, tmp_path, monkeypatch).run()
    at.switch_page("views/8_Alerts.py").run()
    assert not at.exception
    assert at.title[0].value == "Alerts"
    rules = at.dataframe[0].value.set_index("rule")
    assert list(rules.index) == ["any waste", "never"]
    assert rules.loc["any waste", "firing now"] == 1 and rules.loc["never", "days fired"] == 0
    assert rules.loc["never", "last fired"] == "not in this range"
    assert at.dataframe[1].value["rule"].tolist() == ["any waste"]


def test_a_bad_rules_file_is_said_on_the_alerts_page(demo_log, tmp_path, monkeypatch):
    at = app(demo_log, FIRING.replace("max_pct = 0", "max_pct = -1"), tmp_path, monkeypatch).run()
    assert not at.exception
    at.switch_page("views/8_Alerts.py").run()
    assert not at.exception
    assert "line 6" in at.code[0].value and "max_pct" in at.code[0].value


def test_hostile_log_text_in_firings_stays_text(tmp_path, monkeypatch):
    import time

    evil = "<img src=x onerror=alert(1)>[link](javascript:alert(1))**b**"
    now = int(time.time() * 1000)
    log = tmp_path / "relay-calls.ndjson"
    log.write_text(
        "".join(
            json.dumps({"ts": now - k * 60_000, "install_id": evil, "tier": evil, "model": evil, "status": "error"})
            + "\n"
            for k in range(3)
        )
    )
    rules = '[[rule]]\nname = "unpriced"\nkind = "unpriced"\n\n[[rule]]\nname = "new"\nkind = "new_model"\n'
    at = app(log, rules, tmp_path, monkeypatch).run()
    assert not at.exception
    assert "2 alert(s) firing" in at.markdown[0].value
    assert any(evil in t.value for t in at.text)  # shown literally, as text
    at.switch_page("views/8_Alerts.py").run()
    assert not at.exception
    assert any(evil in t.value for t in at.text)
    rendered = " ".join(str(m.value) for m in [*at.markdown, *at.caption, *at.title, *at.info])
    assert "<img" not in rendered and "javascript:" not in rendered


def test_empty_log_says_so_on_the_alerts_page(tmp_path, monkeypatch):
    log = tmp_path / "relay-calls.ndjson"
    log.write_bytes(b"")
    at = app(log, FIRING, tmp_path, monkeypatch).run()
    assert not at.exception
    at.switch_page("views/8_Alerts.py").run()
    assert not at.exception
    assert any("No calls match" in i.value for i in at.info)


@pytest.mark.parametrize(
    "kind, value, threshold, shown",
    [
        ("tier_margin", 12.34, 20.0, "margin 12.3% (floor 20%)"),
        ("costly_install", 4.56, 3.0, "4.6x what it paid (limit 3x)"),
        ("cost_spike", 1234.5, 40.0, "$1,234.50 in a day (limit $40.00)"),
        ("waste", 22.0, 15.0, "22.0% of cost wasted (limit 15%)"),
        ("unpriced", 1200.0, None, "1,200 calls, no price"),
        ("new_model", 3.0, None, "3 calls, new"),
        ("stale_log", 47.2, 30.0, "newest record 47 min old (limit 30)"),
        ("stale_log", None, 30.0, "no data"),
    ],
)
def test_each_kind_has_a_short_value(kind, value, threshold, shown):
    from relay_metrics.app.alerts_panel import _value
    from relay_metrics.metrics.alerts import Firing

    assert _value(Firing("r", kind, "s", value, threshold, None, 0.0, "m")) == shown


def test_a_new_minute_serves_the_last_result_while_the_next_is_computed():
    # The Overview's alert panel re-evaluates every rule each minute (seconds on 10M rows);
    # a click in a new minute gets the last minute's firings, as of their own moment.
    import threading

    from relay_metrics.app.alerts_panel import _ByMinute

    kept, started, release = _ByMinute(), threading.Event(), threading.Event()
    assert kept.get("k", 60_000, lambda: "first") == (60_000, "first")
    assert kept.get("k", 119_999, lambda: "never") == (60_000, "first")  # the same minute: kept

    def slow():
        started.set()
        release.wait(10)
        return "second"

    assert kept.get("k", 120_000, slow) == (60_000, "first")  # a new minute: served at once
    assert started.wait(10)
    assert kept.get("k", 121_000, lambda: "never") == (60_000, "first")  # one computation at a time
    release.set()
    for _ in range(100):
        if kept.get("k", 121_000, lambda: "never") == (120_000, "second"):
            break
        threading.Event().wait(0.05)
    assert kept.get("k", 121_000, lambda: "never") == (120_000, "second")
    assert kept.get("other", 121_000, lambda: "computed now") == (121_000, "computed now")
