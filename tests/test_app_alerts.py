"""Alerts in the app (AppTest): firing rules at the top of the Overview, every rule on the
Alerts page."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from relay_metrics.demo import write_demo_log

from .conftest import REPO

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


@pytest.fixture(autouse=True)
def fresh_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


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
    at.switch_page("pages/8_Alerts.py").run()
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
    at.switch_page("pages/8_Alerts.py").run()
    assert not at.exception
    assert "line 6" in at.code[0].value and "max_pct" in at.code[0].value
