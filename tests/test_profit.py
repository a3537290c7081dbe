"""Every margin formula on hand-computed cases, and pricing.toml's validation."""

from __future__ import annotations

from datetime import date

import pytest

from relay_metrics.ingest.loader import load_log
from relay_metrics.metrics.pricing import Pricing, PricingError, TierPrice, parse_pricing
from relay_metrics.metrics.profit import (
    DAYS_PER_MONTH,
    job_cost_stats,
    job_costs,
    loss_makers,
    margins,
    month_end_forecast,
    unit_economics,
)
from tests.helpers import record

DAY = 86_400_000
PRICING = Pricing("USD", {"core": TierPrice(0.0), "pro": TierPrice(10.0), "max": TierPrice(30.0, subscribers=5)})


@pytest.fixture
def frame(write_log):
    return load_log(
        write_log(
            # "a" upgrades core -> pro inside the range: attributed wholly to pro
            record(
                ts=1 * DAY, install_id="a", tier="core", cost_usd=1.0, job_id="j1", pipeline="transcribe", model="t"
            ),
            record(
                ts=2 * DAY,
                install_id="a",
                tier="pro",
                cost_usd=2.0,
                job_id="j1",
                pipeline="analyze",
                model="g",
                credit_charged=1,
            ),
            record(
                ts=3 * DAY,
                install_id="b",
                tier="pro",
                cost_usd=20.0,
                status="error",
                job_id="j2",
                pipeline="analyze",
                model="g",
            ),
            record(
                ts=4 * DAY,
                install_id="c",
                tier="max",
                cost_usd=4.0,
                status="success",
                credit_charged=1,
                job_id="j3",
                pipeline="analyze",
                model="p",
            ),
            record(ts=5 * DAY, install_id="d", tier="core", cost_usd=0.5, status="refused"),
            record(ts=6 * DAY, tier="pro", cost_usd=7.0),  # no install id: unattributed
            record(ts=7 * DAY, install_id="e", tier="gold", cost_usd=1.0),  # a tier the pricing doesn't know
        )
    ).frame


def by_tier(result):
    return {row["tier"]: row for row in result.to_dict()["by_tier"]}


def test_thirty_day_range(frame):
    days = 30.4375  # exactly one month, so revenue is the monthly price
    result = margins(frame, PRICING, days)
    tiers = by_tier(result)
    assert tiers["pro"] == {
        "tier": "pro",
        "installs": 2,
        "subscribers": None,
        "revenue_usd": 20.0,
        "cost_usd": 23.0,
        "margin_usd": -3.0,
        "margin_pct": -15.0,
        "cost_per_install_month_usd": 11.5,
        "break_even_price_usd": 11.5,
    }
    # configured subscribers drive revenue and break-even, installs drive cost per install
    assert tiers["max"]["subscribers"] == 5 and tiers["max"]["installs"] == 1
    assert tiers["max"]["revenue_usd"] == 150.0 and tiers["max"]["break_even_price_usd"] == pytest.approx(0.8)
    assert tiers["max"]["cost_per_install_month_usd"] == 4.0
    assert tiers["core"]["revenue_usd"] == 0 and tiers["core"]["margin_pct"] is None  # free tier: no margin %
    assert tiers["core"]["installs"] == 1  # "a" moved to pro
    assert tiers["gold"]["revenue_usd"] == 0 and result.unpriced_tiers == ("gold",)
    assert tiers["unattributed"] == {
        "tier": "unattributed",
        "installs": 0,
        "subscribers": None,
        "revenue_usd": 0.0,
        "cost_usd": 7.0,
        "margin_usd": -7.0,
        "margin_pct": None,
        "cost_per_install_month_usd": None,
        "break_even_price_usd": None,
    }
    assert result.total == {
        "revenue_usd": 170.0,
        "cost_usd": 35.5,
        "margin_usd": 134.5,
        "margin_pct": pytest.approx(134.5 / 170 * 100),
    }


@pytest.mark.parametrize("days", [1, 0.5, 91.3125, 365.25])
def test_revenue_is_prorated_by_days(frame, days):
    tiers = by_tier(margins(frame, PRICING, days))
    months = days / DAYS_PER_MONTH
    assert tiers["pro"]["revenue_usd"] == pytest.approx(2 * 10 * months)
    assert tiers["pro"]["cost_per_install_month_usd"] == pytest.approx(23 / 2 / months)
    assert tiers["max"]["revenue_usd"] == pytest.approx(5 * 30 * months)


def test_by_install_worst_first(frame):
    installs = margins(frame, PRICING, DAYS_PER_MONTH).to_dict()["by_install"]
    assert [r["install_id"] for r in installs] == ["b", "e", "d", "a", "c"]
    assert installs[0] == {"install_id": "b", "tier": "pro", "revenue_usd": 10.0, "cost_usd": 20.0, "margin_usd": -10.0}


def test_tier_filter_keeps_installs_attributed_there(frame):
    result = margins(frame, PRICING, DAYS_PER_MONTH, tiers=("core",))
    assert [r["install_id"] for r in result.to_dict()["by_install"]] == ["d"]  # not "a", who ended on pro
    assert list(result.by_tier["tier"]) == ["core"]  # no unattributed row unless "unknown" is asked for


def test_zero_revenue_everywhere(frame):
    result = margins(frame, Pricing("USD", {}), 10)
    assert result.total["revenue_usd"] == 0 and result.total["margin_pct"] is None
    assert set(result.unpriced_tiers) == {"pro", "max", "core", "gold"}


def test_what_if_prices_move_every_margin(frame):
    base = margins(frame, PRICING, DAYS_PER_MONTH)
    cheaper = margins(frame, PRICING.with_prices({"pro": 5.0}), DAYS_PER_MONTH)
    assert by_tier(cheaper)["pro"]["revenue_usd"] == 10.0
    assert cheaper.total["margin_usd"] == base.total["margin_usd"] - 10.0
    assert PRICING.price("pro") == 10.0  # the configured prices are untouched


def test_loss_makers(frame):
    table = loss_makers(margins(frame, PRICING, DAYS_PER_MONTH))
    rows = {r["tier"]: (r["losing"], r["installs"]) for r in table.to_dict(orient="records")}
    assert rows["pro"] == (1, 2) and rows["core"] == (1, 1) and rows["max"] == (0, 1)


def test_job_costs_join_transcribe_and_analyze(frame):
    jobs = job_costs(frame).set_index("job_id")
    assert jobs.loc["j1", "cost_usd"] == 3.0 and jobs.loc["j1", "calls"] == 2
    assert jobs.loc["j1", "tier"] == "pro" and jobs.loc["j1", "model"] == "g"  # the analyze call's
    stats = job_cost_stats(job_costs(frame), "tier").set_index("tier")
    assert stats.loc["pro", "jobs"] == 2 and stats.loc["pro", "cost_per_job_usd"] == 11.5
    assert stats.loc["pro", "p50_cost_usd"] == 11.5


def test_unit_economics(frame):
    unit = unit_economics(frame, job_costs(frame))
    assert unit["jobs"] == 3 and unit["cost_per_job_usd"] == pytest.approx(27 / 3)
    assert unit["credits_charged"] == 2 and unit["cost_per_credit_usd"] == pytest.approx(35.5 / 2)
    assert unit["error_cost_usd"] == 20.0 and unit["refused_cost_usd"] == 0.5


def test_month_end_forecast(frame):
    result = margins(frame, PRICING, 10)
    forecast = month_end_forecast(result, date(2026, 2, 14))
    assert forecast["days_in_month"] == 28 and forecast["month"] == "2026-02"
    assert forecast["cost_usd"] == pytest.approx(35.5 / 10 * 28)
    assert forecast["revenue_usd"] == pytest.approx(result.total["revenue_usd"] / 10 * 28)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("currency = \n", "not valid TOML"),
        (
            'currency = "USD"\n[tiers.pro]\nprice_per_month = -1\n',
            "line 3: tiers.pro.price_per_month must be a number >= 0",
        ),
        ("[tiers.pro]\nprice_per_month = 5\nprize = 3\n", "line 3: unknown key 'prize' in [tiers.pro]"),
        ("[tiers.pro]\nsubscribers = 3\n", "line 1: [tiers.pro] needs price_per_month"),
        (
            "[tiers.pro]\nprice_per_month = 5\nsubscribers = 2.5\n",
            "line 3: tiers.pro.subscribers must be a whole number",
        ),
        ('[tiers.pro]\nprice_per_month = "5"\n', "line 2: tiers.pro.price_per_month must be a number"),
        ('currency = "dollars"\n', "line 1: currency must be a three-letter code"),
        ('colour = "red"\n', "line 1: unknown key 'colour'"),
        ("[tiers.max]\nprice_per_month = 1\ncredits_per_month = -4\n", "line 3: tiers.max.credits_per_month"),
    ],
)
def test_bad_pricing_files_name_the_key_and_line(text, message):
    with pytest.raises(PricingError) as caught:
        parse_pricing(text, "pricing.toml")
    assert message in str(caught.value)


def test_shipped_pricing_file_is_valid():
    from relay_metrics.metrics.pricing import DEFAULT_PRICING, load_pricing

    pricing = load_pricing(DEFAULT_PRICING)
    assert set(pricing.tiers) >= {"core", "pro", "max"}
    assert "EXAMPLE" in DEFAULT_PRICING.read_text()
