"""A page added to the app is behind the gate without doing anything for it; filters stay small
however many tiers a log invents (issue 11)."""

from __future__ import annotations

import shutil
import time

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from relay_metrics.app import page
from relay_metrics.app.access import Throttle
from relay_metrics.app.sidebar import MAX_LISTED
from tests.helpers import REPO, record

# A page as someone might add it in a hurry: no page.start(), so no gate of its own.
CARELESS_PAGE = 'import streamlit as st\nst.title("Extra")\nst.text("SECRET-EXTRA")\n'


@pytest.fixture(autouse=True)
def fresh_caches(monkeypatch):
    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setattr("relay_metrics.app.auth.THROTTLE", Throttle())
    monkeypatch.delenv("RELAY_METRICS_ALLOW_ANONYMOUS", raising=False)
    monkeypatch.delenv("RELAY_METRICS_PASSWORD", raising=False)
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def app_with_extra_page(tmp_path, write_log, monkeypatch):
    """A copy of the app with one more page, registered the way a new page is (PAGES)."""
    shutil.copy(REPO / "streamlit_app.py", tmp_path / "streamlit_app.py")
    shutil.copytree(REPO / "views", tmp_path / "views")
    (tmp_path / "views" / "7_Extra.py").write_text(CARELESS_PAGE)
    monkeypatch.setattr(page, "PAGES", (*page.PAGES, ("views/7_Extra.py", "Extra", ":material/star:")))
    log = write_log(record(ts=int(time.time() * 1000) - 3_600_000, tier="pro", cost_usd=1.0))
    monkeypatch.setenv("RELAY_METRICS_LOG", str(log))
    return str(tmp_path / "streamlit_app.py")


def texts(at: AppTest) -> str:
    return " ".join(str(e.value) for e in [*at.title, *at.text, *at.markdown])


def test_a_new_page_is_gated_without_calling_start(app_with_extra_page, monkeypatch):
    monkeypatch.setenv("RELAY_METRICS_PASSWORD", "hunter2")
    at = AppTest.from_file(app_with_extra_page, default_timeout=60).run()
    with pytest.raises(ValueError, match=r"Known pages: \['relay-metrics'\]"):
        at.switch_page("views/7_Extra.py")
    at.run()
    assert not at.exception and "SECRET-EXTRA" not in texts(at)
    # The same page opens once the password is given: the test page itself works.
    at.text_input[0].input("hunter2")
    at.button[0].click().run()
    at.switch_page("views/7_Extra.py").run()
    assert not at.exception and "SECRET-EXTRA" in texts(at)


def test_a_new_page_stays_closed_when_exposed_without_a_password(app_with_extra_page):
    from streamlit import config

    previous = config.get_option("server.address")
    config.set_option("server.address", "0.0.0.0")
    try:
        at = AppTest.from_file(app_with_extra_page, default_timeout=60).run()
        with pytest.raises(ValueError, match=r"Known pages"):
            at.switch_page("views/7_Extra.py")
        assert "SECRET-EXTRA" not in texts(at)
    finally:
        config.set_option("server.address", previous)


def test_filters_list_the_top_tiers_by_cost_and_take_others_by_name(write_log, monkeypatch):
    now = int(time.time() * 1000) - 3_600_000
    tiers = [f"tier-{n:04d}" for n in range(MAX_LISTED * 4)]
    # Cost grows with n: the last MAX_LISTED tiers are the top ones.
    log = write_log(*[record(ts=now - n, tier=tier, cost_usd=n / 100) for n, tier in enumerate(tiers)])
    monkeypatch.setenv("RELAY_METRICS_LOG", str(log))
    at = AppTest.from_file(str(REPO / "streamlit_app.py"), default_timeout=60)
    at.query_params["tiers"] = ["tier-0003"]  # far from the top, as a copied link may hold
    at.run()
    assert not at.exception
    widget = at.sidebar.multiselect(key="tiers")
    assert len(widget.options) == MAX_LISTED + 1  # the top ones, and the one picked
    assert set(tiers[-MAX_LISTED:]) <= set(widget.options) and "tier-0000" not in widget.options
    assert widget.value == ["tier-0003"]
    assert next(m.value for m in at.metric if m.label == "Calls") == "1"
