"""The pages, run with Streamlit's AppTest: they render, follow the filters, and keep them."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from relay_metrics.demo import write_demo_log
from relay_metrics.ingest.loader import load_log
from relay_metrics.metrics import breakdowns
from relay_metrics.metrics.filters import Filters, apply_filters
from relay_metrics.metrics.zones import today_in, window_ms

from .conftest import REPO, lines_of, record

APP = str(REPO / "streamlit_app.py")
PAGES = [
    "views/1_Profitability.py",
    "views/2_Tiers.py",
    "views/3_Models.py",
    "views/4_Installs.py",
    "views/5_Traffic.py",
    "views/6_Data_quality.py",
]
TIMEOUT = 60


@pytest.fixture(autouse=True)
def fresh_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(scope="module")
def demo_log(tmp_path_factory):
    """Two weeks of demo data ending this hour, so the default 30-day range holds it all."""
    path = tmp_path_factory.mktemp("app") / "relay-calls.ndjson"
    write_demo_log(path, rows=20_000, days=14, seed=5)
    return path


def app(log, monkeypatch) -> AppTest:
    monkeypatch.setenv("RELAY_METRICS_LOG", str(log))
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_overview_renders_with_figures_of_the_default_window(demo_log, monkeypatch):
    at = app(demo_log, monkeypatch).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Overview"]
    frame = load_log(demo_log).frame
    zone_today = today_in("UTC")
    since, until = window_ms(zone_today - timedelta(days=29), zone_today, "UTC")
    expected = breakdowns.overview(apply_filters(frame, Filters(since, until)))
    assert metric(at, "Calls") == f"{expected['calls']:,}"
    assert metric(at, "Total cost") == f"${expected['total_cost_usd']:,.2f}"
    assert len(at.get("vega_lite_chart")) == 2


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_demo_data(demo_log, monkeypatch, page):
    at = app(demo_log, monkeypatch).run()
    at.switch_page(page).run()
    assert not at.exception
    assert at.title and at.dataframe


def test_tier_filter_changes_the_figures_to_the_figures_functions_output(demo_log, monkeypatch):
    at = app(demo_log, monkeypatch).run()
    before = metric(at, "Calls")
    at.sidebar.multiselect(key="tiers").set_value(["pro"]).run()
    assert not at.exception
    frame = load_log(demo_log).frame
    today = today_in("UTC")
    since, until = window_ms(today - timedelta(days=29), today, "UTC")
    expected = breakdowns.overview(apply_filters(frame, Filters(since, until, tier=("pro",))))
    assert metric(at, "Calls") == f"{expected['calls']:,}" != before
    assert metric(at, "Total cost") == f"${expected['total_cost_usd']:,.2f}"


def test_date_range_changes_the_figures(demo_log, monkeypatch):
    at = app(demo_log, monkeypatch).run()
    today = today_in("UTC")
    start, end = today - timedelta(days=3), today - timedelta(days=2)
    at.sidebar.date_input(key="dates").set_value((start, end)).run()
    assert not at.exception
    since, until = window_ms(start, end, "UTC")
    expected = breakdowns.overview(apply_filters(load_log(demo_log).frame, Filters(since, until)))
    assert metric(at, "Calls") == f"{expected['calls']:,}"


def test_half_picked_range_keeps_the_previous_one(demo_log, monkeypatch):
    at = app(demo_log, monkeypatch).run()
    calls = metric(at, "Calls")
    at.sidebar.date_input(key="dates").set_value((today_in("UTC"),)).run()
    assert not at.exception
    assert metric(at, "Calls") == calls
    assert any("Pick an end date" in c.value for c in at.sidebar.caption)


def test_switching_pages_keeps_the_filters(demo_log, monkeypatch):
    at = app(demo_log, monkeypatch).run()
    at.sidebar.multiselect(key="tiers").set_value(["max"]).run()
    at.sidebar.selectbox(key="tz").set_value("America/New_York").run()
    at.switch_page("views/2_Tiers.py").run()
    assert not at.exception
    assert at.sidebar.multiselect(key="tiers").value == ["max"]
    assert at.sidebar.selectbox(key="tz").value == "America/New_York"
    tiers = at.dataframe[0].value
    assert list(tiers["tier"]) == ["max"]
    at.switch_page("views/0_Overview.py").run()
    assert at.sidebar.multiselect(key="tiers").value == ["max"]


def test_link_values_open_the_same_view_and_bad_ones_fall_back(demo_log, monkeypatch):
    at = app(demo_log, monkeypatch)
    at.query_params["tiers"] = ["pro", "platinum"]
    at.query_params["tz"] = "Mars/Olympus_Mons"
    at.run()
    assert not at.exception
    assert at.sidebar.multiselect(key="tiers").value == ["pro"]
    assert at.sidebar.selectbox(key="tz").value == "UTC"
    assert any("reset" in c.value and "time zone" in c.value for c in at.caption)


def test_demo_data_when_nothing_is_configured(monkeypatch, tmp_path):
    monkeypatch.delenv("RELAY_METRICS_LOG", raising=False)
    monkeypatch.setattr("relay_metrics.app.source.DEFAULT_LOG", str(tmp_path / "absent.ndjson"))
    monkeypatch.setattr("relay_metrics.app.source.DEMO_ROWS", 5_000)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert any("built-in demo data" in i.value for i in at.info)


@pytest.mark.parametrize(
    ("content", "expect"),
    [
        (b"", "No calls match"),
        (b'not json\n[1,2]\n{"ts":"x"}\n\xff\n', "No calls match"),
    ],
    ids=["empty log", "only malformed lines"],
)
def test_empty_and_malformed_logs(monkeypatch, tmp_path, content, expect):
    log = tmp_path / "relay-calls.ndjson"
    log.write_bytes(content)
    for page in [None, *PAGES]:
        at = app(log, monkeypatch).run()
        if page:
            at.switch_page(page).run()
        assert not at.exception, page
        assert any(expect in i.value for i in at.info), page


def test_data_quality_page_shows_rejections_of_a_malformed_log(monkeypatch, tmp_path):
    log = tmp_path / "relay-calls.ndjson"
    log.write_bytes(b'not json\n[1,2]\n{"ts":1,"cost_usd":"x"}\n{"ts":2')
    at = app(log, monkeypatch).run()
    at.switch_page("views/6_Data_quality.py").run()
    assert not at.exception
    assert metric(at, "Rejected") == "2" and metric(at, "Pending") == "1" and metric(at, "Records") == "1"
    reasons = at.dataframe[0].value
    assert dict(zip(reasons["reason"], reasons["lines"])) == {"invalid JSON": 1, "not an object": 1}


def test_missing_log_is_a_message_not_a_traceback(monkeypatch, tmp_path):
    at = app(tmp_path / "nope" / "relay-calls.ndjson", monkeypatch).run()
    assert not at.exception
    assert any("can't be read" in e.value for e in at.sidebar.error)
    assert "not found" in at.sidebar.code[0].value
    assert not at.metric


def test_hostile_strings_are_data_not_markup(monkeypatch, tmp_path):
    today = today_in("UTC")
    ts = int((date.toordinal(today) - date(1970, 1, 1).toordinal()) * 86_400_000)
    evil = "<img src=x onerror=alert(1)>[link](javascript:alert(1))\\ud800"
    log = tmp_path / "relay-calls.ndjson"
    log.write_text(f'{{"ts":{ts},"install_id":"{evil}","model":"{evil}","status":"error","error":"=HYPERLINK(1)"}}\n')
    at = app(log, monkeypatch).run()
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, page
    rendered = " ".join(str(m.value) for m in [*at.markdown, *at.caption, *at.title, *at.info])
    assert "<img" not in rendered and "javascript:" not in rendered


def margin_total(at: AppTest) -> str:
    return metric(at, "Margin")


def test_profitability_page_and_what_if_prices(demo_log, monkeypatch):
    at = app(demo_log, monkeypatch).run()
    at.switch_page("views/1_Profitability.py").run()
    assert not at.exception
    before = margin_total(at)
    at.number_input(key="whatif:pro").set_value(99.0).run()
    assert not at.exception
    after = margin_total(at)
    assert after != before
    at.switch_page("views/0_Overview.py").run()  # the what-if prices hold on the Overview too
    assert metric(at, "Margin") == after
    at.switch_page("views/1_Profitability.py").run()
    assert at.number_input(key="whatif:pro").value == 99.0
    at.button(key="whatif_reset").click().run()
    assert margin_total(at) == before


def test_margin_figures_equal_the_margin_function(demo_log, monkeypatch):
    from relay_metrics.metrics.pricing import DEFAULT_PRICING, load_pricing
    from relay_metrics.metrics.profit import margins

    at = app(demo_log, monkeypatch).run()
    today = today_in("UTC")
    since, until = window_ms(today - timedelta(days=29), today, "UTC")
    in_range = apply_filters(load_log(demo_log).frame, Filters(since, until))
    expected = margins(in_range, load_pricing(DEFAULT_PRICING), 30).total
    assert metric(at, "Margin") == f"${expected['margin_usd']:,.2f}"
    assert metric(at, "Revenue") == f"${expected['revenue_usd']:,.2f}"


def test_bad_pricing_file_keeps_the_cost_pages(demo_log, monkeypatch, tmp_path):
    bad = tmp_path / "pricing.toml"
    bad.write_text("[tiers.pro]\nprice_per_month = -3\n")
    monkeypatch.setenv("RELAY_METRICS_PRICING", str(bad))
    at = app(demo_log, monkeypatch).run()
    assert not at.exception and metric(at, "Calls")
    at.switch_page("views/1_Profitability.py").run()
    assert not at.exception
    assert "line 2" in at.code[0].value and "price_per_month" in at.code[0].value
    assert not [m for m in at.metric if m.label == "Margin"]


@pytest.fixture(scope="module")
def year_log(tmp_path_factory):
    """400 days of demo data ending this hour: the default 30 days are a small part of it."""
    path = tmp_path_factory.mktemp("year") / "relay-calls.ndjson"
    write_demo_log(path, rows=80_000, days=400, seed=9)
    return path


def assert_shows_the_same(at: AppTest, other: AppTest, metrics: bool = True) -> None:
    """The same metrics and the same tables, cell for cell."""
    if metrics:
        assert [(m.label, m.value, m.delta) for m in at.metric] == [(m.label, m.value, m.delta) for m in other.metric]
    assert len(at.dataframe) == len(other.dataframe)
    for table, other_table in zip(at.dataframe, other.dataframe):
        pd.testing.assert_frame_equal(table.value, other_table.value)


@pytest.mark.parametrize("page", ["views/0_Overview.py", *PAGES])
def test_a_recent_range_reads_only_recent_lines_and_shows_what_a_full_read_shows(year_log, monkeypatch, page):
    from relay_metrics.app import source

    at = app(year_log, monkeypatch).run().switch_page(page).run()
    partial = source._kept((str(year_log),)).kept.refreshed.loaded.report.window_read
    assert partial.bytes_skipped > year_log.stat().st_size / 2 and not at.exception

    st.cache_resource.clear()
    monkeypatch.setattr(source, "_floor", lambda since_ms, until_ms: None)  # read every line
    full = app(year_log, monkeypatch).run().switch_page(page).run()
    assert source._kept((str(year_log),)).kept.refreshed.loaded.report.window_read is None
    # Data quality's cards count the lines read, by design; its tables are of the range's calls.
    assert_shows_the_same(at, full, metrics=not page.endswith("Data_quality.py"))


def test_picking_older_dates_reads_back_that_far(year_log, monkeypatch):
    from relay_metrics.app import source

    at = app(year_log, monkeypatch).run()
    floor = source._kept((str(year_log),)).kept.floor
    start, end = today_in("UTC") - timedelta(days=200), today_in("UTC") - timedelta(days=190)
    at.sidebar.date_input(key="dates").set_value((start, end)).run()
    assert not at.exception
    assert source._kept((str(year_log),)).kept.floor < floor
    since, until = window_ms(start, end, "UTC")
    expected = breakdowns.overview(apply_filters(load_log(year_log).frame, Filters(since, until)))
    assert metric(at, "Calls") == f"{expected['calls']:,}" != "0"
    at.switch_page("views/6_Data_quality.py").run()
    assert any("were not read" in c.value for c in at.caption)


def test_the_all_preset_reads_the_whole_log(year_log, monkeypatch):
    from relay_metrics.app import source

    at = app(year_log, monkeypatch).run()
    assert metric(at, "Calls") != f"{len(load_log(year_log).frame):,}"
    at.sidebar.button_group(key="preset").set_value("All").run()
    assert not at.exception
    assert metric(at, "Calls") == f"{len(load_log(year_log).frame):,}"
    assert source._kept((str(year_log),)).kept.refreshed.loaded.report.window_read.bytes_skipped == 0


def test_data_quality_says_when_the_log_was_too_out_of_order_to_read_in_part(monkeypatch, tmp_path):
    path = tmp_path / "relay-calls.ndjson"
    write_demo_log(path, rows=20_000, days=120, seed=3)
    with open(path, "ab") as f:  # a record written 100 days after its call began
        f.write(lines_of(record(ts=time.time() * 1000 - 100 * 86_400_000, install_id="late")))
    at = app(path, monkeypatch).run()
    at.switch_page("views/6_Data_quality.py").run()
    assert not at.exception
    assert [i.value for i in at.info] == [
        "The log is more out of order than a partial read can trust, so every line was read."
    ]
    assert metric(at, "Lines") == "20,001"
