"""The pages, run with Streamlit's AppTest: they render, follow the filters, and keep them."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from relay_metrics.app import alerts_panel
from relay_metrics.demo import write_demo_log
from relay_metrics.ingest.loader import load_log
from relay_metrics.metrics import breakdowns
from relay_metrics.metrics.filters import Filters, apply_filters
from relay_metrics.metrics.zones import today_in, window_ms
from relay_metrics.output import fmt
from tests.helpers import REPO, lines_of, page_files, record

pytestmark = pytest.mark.usefixtures("fresh_caches")  # AppTest shares Streamlit's caches

APP = str(REPO / "streamlit_app.py")
PAGES = page_files()
TIMEOUT = 60


@pytest.fixture(scope="module")
def demo_log(tmp_path_factory):
    """Two weeks of demo data ending this hour, so the default 30-day range holds it all."""
    path = tmp_path_factory.mktemp("app") / "relay-calls.ndjson"
    write_demo_log(path, rows=20_000, days=14, seed=5)
    return path


def app(log, monkeypatch) -> AppTest:
    monkeypatch.setenv("RELAY_METRICS_LOG", str(log))
    # One "now" for the test's alerts: a page seen twice must not differ because the demo
    # log's newest record crossed the 30-minute "log stopped" limit in between.
    now = alerts_panel.now_ms()
    monkeypatch.setattr(alerts_panel, "now_ms", lambda: now)
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


def snapshot(at: AppTest) -> tuple[list, list]:
    """Every metric card and every table a page shows."""
    return [(m.label, m.value, m.delta) for m in at.metric], [t.value for t in at.dataframe]


def test_a_what_if_on_profitability_leaves_every_actual_figure_elsewhere_unchanged(demo_log, monkeypatch):
    from relay_metrics.app.scenario import widget_key

    at = app(demo_log, monkeypatch).run()
    # Plan compares the scenario with the actuals, like Profitability: every other page shows actuals only.
    comparing = ("views/1_Profitability.py", "views/7_Plan.py")
    others = ["views/0_Overview.py", *[p for p in PAGES if p not in comparing]]
    before = {}
    for page_path in others:
        at.switch_page(page_path).run()
        before[page_path] = snapshot(at)
    at.switch_page("views/1_Profitability.py").run()
    actual_cards = [(m.label, m.value) for m in at.metric if not m.label.startswith("What-if")]
    at.number_input(key=widget_key("pro")).set_value(99.0).run()
    assert not at.exception
    # Actual and what-if side by side on Profitability; the actual cards don't move.
    assert [(m.label, m.value) for m in at.metric if not m.label.startswith("What-if")] == actual_cards
    assert metric(at, "What-if revenue") != metric(at, "Revenue")
    assert at.query_params["price"] in ("pro:99", ["pro:99"])  # the scenario is in the link
    for page_path in others:
        at.switch_page(page_path).run()
        assert not at.exception, page_path
        metrics, tables = snapshot(at)
        assert metrics == before[page_path][0], page_path
        assert len(tables) == len(before[page_path][1]), page_path
        for table, earlier in zip(tables, before[page_path][1]):
            pd.testing.assert_frame_equal(table, earlier)
        assert any("what-if scenario is set" in w.value for w in at.warning), page_path
    at.switch_page("views/1_Profitability.py").run()
    assert at.number_input(key=widget_key("pro")).value == 99.0
    at.button(key="whatif_reset").click().run()
    assert not [m for m in at.metric if m.label.startswith("What-if")]
    at.switch_page("views/0_Overview.py").run()
    assert not any("scenario" in w.value for w in at.warning)


def test_a_link_with_a_scenario_opens_the_comparison(demo_log, monkeypatch):
    at = app(demo_log, monkeypatch)
    at.query_params["price"] = ["pro:14.99", "\\ud800x:2"]
    at.run()
    at.switch_page("views/1_Profitability.py").run()
    assert not at.exception
    assert metric(at, "What-if revenue") != metric(at, "Revenue")


def test_margin_figures_equal_the_margin_function(demo_log, monkeypatch):
    from relay_metrics.metrics.pricing import DEFAULT_PRICING, load_pricing
    from relay_metrics.metrics.profit import margins, span_of

    at = app(demo_log, monkeypatch).run()
    today = today_in("UTC")
    since, until = window_ms(today - timedelta(days=29), today, "UTC")
    frame = load_log(demo_log).frame
    expected = margins(frame, load_pricing(DEFAULT_PRICING), span_of(frame, since, until)).total
    assert metric(at, "Margin") == fmt.money(expected["margin_usd"])
    assert metric(at, "Revenue") == fmt.money(expected["revenue_usd"])


@pytest.mark.parametrize("page_path", ["views/0_Overview.py", "views/1_Profitability.py"])
def test_a_status_filter_hides_the_margin_cards(demo_log, monkeypatch, page_path):
    at = app(demo_log, monkeypatch).run()
    at.switch_page(page_path).run()
    at.sidebar.multiselect(key="statuses").set_value(["refused"]).run()
    assert not at.exception
    labels = {m.label for m in at.metric}
    assert not labels & {"Revenue", "Margin", "Margin %"}
    assert labels & {"Total cost", "Cost"}
    assert any("Margins need the status filter(s) cleared" in c.value for c in at.caption)


def test_revenue_and_margin_changes_equal_the_cli_figures_of_both_periods(demo_log, monkeypatch, capsys):
    import json as json_

    from relay_metrics.cli import main
    from relay_metrics.metrics.pricing import DEFAULT_PRICING
    from relay_metrics.metrics.profit import span_of
    from relay_metrics.output import fmt
    from relay_metrics.output.change import change, percent_points

    at = app(demo_log, monkeypatch).run()
    today = today_in("UTC")
    start = today - timedelta(days=6)
    at.sidebar.date_input(key="dates").set_value((start, today)).run()
    assert not at.exception
    since, until = window_ms(start, today, "UTC")
    before = span_of(load_log(demo_log).frame, since, until).previous()

    def cli(since_ms, until_ms) -> dict:
        args = ["margins", str(demo_log), "--pricing", str(DEFAULT_PRICING), "--format", "json"]
        assert main([*args, "--since", str(int(since_ms)), "--until", str(int(until_ms))]) == 0
        return json_.loads(capsys.readouterr().out)["total"]

    now, then = cli(since, until), cli(before.since_ms, before.until_ms)
    assert then["revenue_usd"] > 0  # the demo log has data in both weeks
    cards = {m.label: m for m in at.metric}
    assert cards["Revenue"].value == f"${now['revenue_usd']:,.2f}"
    assert cards["Revenue"].delta == change(now["revenue_usd"], then["revenue_usd"], fmt.money).text
    assert cards["Margin"].delta == change(now["margin_usd"], then["margin_usd"], fmt.money).text
    assert cards["Margin %"].delta == change(now["margin_pct"], then["margin_pct"], percent_points).text
    assert "(" in cards["Margin"].delta and "%" in cards["Margin"].delta  # percent beside the absolute


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
    from relay_metrics.app import alerts_panel, source

    now = time.time() * 1000  # one "now" for both runs: alerts say when they fired, to the minute
    monkeypatch.setattr(alerts_panel, "now_ms", lambda: now)
    at = app(year_log, monkeypatch).run().switch_page(page).run()
    assert not at.exception
    if not page.endswith("Growth.py"):  # Growth reads from the log's start by design: cohorts need it
        partial = source._kept((str(year_log),)).kept.refreshed.loaded.report.window_read
        # 30 days, the 30 before them and the month before those (calls there pay into the
        # previous period): about a quarter of the 400 days, more of the bytes (the log grows).
        assert partial.bytes_skipped > year_log.stat().st_size / 3

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


def test_ten_thousand_tiers_and_a_lone_surrogate_tier_in_margins_and_what_ifs(monkeypatch, tmp_path):
    from relay_metrics.app.prices import EDITABLE_TIERS

    now = int(time.time() * 1000)
    log = tmp_path / "relay-calls.ndjson"
    rows = [
        record(now - 5 * 86_400_000 + i * 30_000, install_id=f"i{i}", tier=f"t{i}", cost_usd=0.01)
        for i in range(10_000)
    ]
    surrogate = '{"ts":' + str(now - 3 * 86_400_000) + ',"install_id":"s","tier":"\\ud800x","cost_usd":5}'
    log.write_bytes(lines_of(*rows, surrogate, record(now - 60_000, install_id="last")))  # "s" pays till then
    at = app(log, monkeypatch)
    at.query_params["price"] = ["\\ud800x:3"]
    at.run()
    at.switch_page("views/1_Profitability.py").run()
    assert not at.exception
    assert len(at.number_input) == EDITABLE_TIERS  # bounded, whatever the log names
    assert metric(at, "What-if revenue") != metric(at, "Revenue")  # the surrogate tier's price applies
    for page_path in ["views/0_Overview.py", "views/2_Tiers.py", "views/4_Installs.py"]:
        at.switch_page(page_path).run()
        assert not at.exception, page_path
