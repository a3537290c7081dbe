"""The Growth page with AppTest: it renders, its MRR is growth_of's, it follows the tier
filter, it says where revenue comes from, and a bad billing export is an error box."""

from __future__ import annotations

from datetime import timedelta

import pytest
from streamlit.testing.v1 import AppTest

from relay_metrics.demo import write_demo_log
from relay_metrics.ingest.loader import load_log
from relay_metrics.metrics.growth import growth_of
from relay_metrics.metrics.pricing import load_pricing
from relay_metrics.metrics.zones import today_in, window_ms
from tests.helpers import REPO

pytestmark = pytest.mark.usefixtures("fresh_caches")  # AppTest shares Streamlit's caches

APP = str(REPO / "streamlit_app.py")
GROWTH = "views/9_Growth.py"
PRICING = (
    "[tiers.core]\nprice_per_month = 0.0\n[tiers.pro]\nprice_per_month = 9.99\n[tiers.max]\nprice_per_month = 24.99\n"
)


@pytest.fixture(scope="module")
def demo_log(tmp_path_factory):
    path = tmp_path_factory.mktemp("growth") / "relay-calls.ndjson"
    write_demo_log(path, rows=8_000, days=45, seed=3)
    return path


def growth_page(monkeypatch, log, pricing_path) -> AppTest:
    monkeypatch.setenv("RELAY_METRICS_LOG", str(log))
    monkeypatch.setenv("RELAY_METRICS_PRICING", str(pricing_path))
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page(GROWTH).run()
    assert not at.exception
    return at


def pricing_file(tmp_path, billing: str | None = None):
    path = tmp_path / "pricing.toml"
    text = PRICING
    if billing is not None:
        (tmp_path / "billing.csv").write_text(billing)
        text += '[billing]\nfile = "billing.csv"\n'
    path.write_text(text)
    return path


def expected(log, pricing_path, tiers=None):
    today = today_in("UTC")
    since, until = window_ms(today - timedelta(days=29), today, "UTC")
    return growth_of(load_log(log).frame, load_pricing(pricing_path), None, since, until, tiers)


def mrr_card(at: AppTest) -> tuple[str, str]:
    card = next(m for m in at.metric if m.label.startswith("MRR ("))
    return card.label, card.value


def test_growth_page_shows_growth_of_mrr_with_its_charts_and_tables(demo_log, monkeypatch, tmp_path):
    pricing = pricing_file(tmp_path)
    at = growth_page(monkeypatch, demo_log, pricing)
    assert [t.value for t in at.title] == ["Growth"]
    want = expected(demo_log, pricing)
    last = want.mrr.iloc[-1]
    assert mrr_card(at) == ("MRR (estimated)", f"${last['mrr_usd']:,.2f}")
    assert len(at.get("vega_lite_chart")) == 4  # MRR by tier, revenue vs cost, waterfall, retention
    tables = [df.value for df in at.dataframe]
    movements = next(t for t in tables if "MRR_at_start_usd" in t.columns)
    assert list(movements["month"]) == list(want.movements["month"])
    assert any("paid_back" in t.columns for t in tables)


def test_growth_page_follows_the_tier_filter(demo_log, monkeypatch, tmp_path):
    pricing = pricing_file(tmp_path)
    at = growth_page(monkeypatch, demo_log, pricing)
    everyone = mrr_card(at)[1]
    at.sidebar.multiselect(key="tiers").set_value(["max"]).run()
    assert not at.exception
    want = expected(demo_log, pricing, ("max",)).mrr.iloc[-1]
    assert mrr_card(at)[1] == f"${want['mrr_usd']:,.2f}" != everyone


def test_revenue_from_billing_is_labelled_and_data_quality_lists_unmatched(demo_log, monkeypatch, tmp_path):
    some_install = str(load_log(demo_log).frame["install_id"].dropna().iloc[-1])
    billing = f"install_id,tier,amount,interval,start,end\n{some_install},pro,9.99,month,2020-01-01,\nnobody,max,240,year,2020-01-01,\n"
    pricing = pricing_file(tmp_path, billing)
    at = growth_page(monkeypatch, demo_log, pricing)
    label, value = mrr_card(at)
    assert label == "MRR (from billing)" and value == "$29.99"  # 9.99 + 240 / 12
    assert any("from billing" in c.value for c in at.caption)
    at.switch_page("views/6_Data_quality.py").run()
    assert not at.exception
    assert any(h.value == "Billing export" for h in at.subheader)
    tables = [df.value for df in at.dataframe]
    unmatched_rows = next(t for t in tables if "line" in t.columns)
    assert list(unmatched_rows["install_id"]) == ["nobody"]
    unbilled = next(t for t in tables if list(t.columns) == ["install_id"])
    assert some_install not in set(unbilled["install_id"]) and len(unbilled) > 0


def test_a_bad_billing_export_is_an_error_box_naming_line_and_column(demo_log, monkeypatch, tmp_path):
    billing = (
        "install_id,tier,amount,interval,start,end\na,pro,9.99,month,2026-01-01,\nb,pro,9.99,fortnight,2026-01-01,\n"
    )
    pricing = pricing_file(tmp_path, billing)
    at = growth_page(monkeypatch, demo_log, pricing)
    assert at.error and "billing export" in at.error[0].value
    assert any("line 3, column 'interval'" in c.value for c in at.code)
    assert mrr_card(at)[0] == "MRR (estimated)"
