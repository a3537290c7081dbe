"""Every margin formula on hand-computed cases, and pricing.toml's validation."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from relay_metrics.ingest.loader import load_log
from relay_metrics.metrics.pricing import Pricing, PricingError, TierPrice, parse_pricing
from relay_metrics.metrics.profit import (
    ALL_TIERS,
    DAYS_PER_MONTH,
    Span,
    buckets,
    compare,
    install_economics,
    job_cost_stats,
    job_costs,
    loss_list,
    loss_makers,
    margin_over_time,
    margins,
    month_end_forecast,
    span_of,
    tier_history,
    tiers_by_cost,
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
                status="success",
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


P = DAYS_PER_MONTH
MONTH = P * DAY


def month_span(frame, since=0, until=MONTH):
    """[0, one month]; the log's last record (ts 100 days) lies past it."""
    return span_of(frame, since, until)


@pytest.fixture
def frame_to_100(write_log, frame):
    # The fixture's records plus one far later, so the log does not end inside the range.
    return pd.concat([frame, load_log(write_log(record(ts=100 * DAY, install_id="z", tier="core"))).frame])


def test_one_month_range_by_the_activity_rule(frame_to_100):
    result = margins(frame_to_100, PRICING, month_span(frame_to_100))
    tiers = by_tier(result)
    # "a": core from day 1, pro from day 2 to the range end; "b": pro from day 3.
    paid_pro_months = ((P - 2) + (P - 3)) / P
    assert tiers["pro"]["installs"] == 2 and tiers["pro"]["subscribers"] is None
    assert tiers["pro"]["revenue_usd"] == pytest.approx(10 * paid_pro_months)
    assert tiers["pro"]["cost_usd"] == 23.0
    # break-even: cost / the months its installs were subscribers ("a" from day 1, on core at first)
    assert tiers["pro"]["break_even_price_usd"] == pytest.approx(23 / (((P - 1) + (P - 3)) / P))
    # The log starts on day 1: the range holds P - 1 days of data.
    months = (P - 1) / P
    assert result.days == pytest.approx(P - 1)
    assert tiers["pro"]["cost_per_install_month_usd"] == pytest.approx(23 / 2 / months)
    # configured subscribers: 5 x 30 for every month of log data in the range
    assert tiers["max"]["subscribers"] == 5 and tiers["max"]["installs"] == 1
    assert tiers["max"]["revenue_usd"] == pytest.approx(150 * months)
    assert tiers["max"]["break_even_price_usd"] == pytest.approx(4 / (5 * months))
    assert tiers["core"]["revenue_usd"] == 0 and tiers["core"]["margin_pct"] is None  # free tier: no margin %
    assert tiers["core"]["installs"] == 1  # "a" moved to pro; "z" is after the range
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
    revenue = 10 * paid_pro_months + 150 * months
    assert result.total == pytest.approx(
        {
            "revenue_usd": revenue,
            "cost_usd": 35.5,
            "margin_usd": revenue - 35.5,
            "margin_pct": (revenue - 35.5) / revenue * 100,
        }
    )


def test_the_log_end_bounds_revenue(frame):
    # The log ends on day 7: a range to day 30 counts pro only up to day 7.
    result = margins(frame, PRICING, month_span(frame))
    assert by_tier(result)["pro"]["revenue_usd"] == pytest.approx(10 * (5 + 4) / P)
    assert result.span.until_prime == 7 * DAY and result.days == pytest.approx(6)


def test_by_install_worst_first_with_cost_share(frame_to_100):
    installs = margins(frame_to_100, PRICING, month_span(frame_to_100)).by_install
    assert list(installs["install_id"]) == ["b", "e", "d", "a", "c"]
    b = installs.iloc[0]
    assert b["revenue_usd"] == pytest.approx(10 * (P - 3) / P) and b["cost_usd"] == 20.0
    assert b["cost_share_pct"] == pytest.approx(20 / b["revenue_usd"] * 100)
    assert pd.isna(installs.set_index("install_id").loc["d", "cost_share_pct"])  # pays nothing


def test_loss_list_by_cost_share_puts_the_cheaper_payer_first():
    # Pays 9.99 and costs 40 (400%) comes before pays 24.99 and costs 60 (240%), though it loses less.
    pricing = Pricing("USD", {"pro": TierPrice(9.99), "max": TierPrice(24.99)})
    frame = pd.DataFrame(
        {
            "ts": [0.0, 0.0, MONTH * 2],
            "install_id": pd.Series(["small", "big", "late"], dtype=object),
            "tier": pd.Series(["pro", "max", "pro"], dtype=object),
            "cost_usd": [40.0, 60.0, 0.0],
        }
    )
    result = margins(frame, pricing, span_of(frame, 0, MONTH))
    assert list(loss_list(result)["install_id"]) == ["small", "big"]
    assert list(loss_list(result, by="margin_usd")["install_id"]) == ["big", "small"]
    assert install_economics(result, "small")["cost_share_pct"] == pytest.approx(40 / 9.99 * 100)


def test_tier_filter_keeps_installs_attributed_there(frame_to_100):
    result = margins(frame_to_100, PRICING, month_span(frame_to_100), tiers=("core",))
    assert [r["install_id"] for r in result.to_dict()["by_install"]] == ["d"]  # not "a", who ended on pro
    assert list(result.by_tier["tier"]) == ["core"]  # no unattributed row unless "unknown" is asked for


@pytest.mark.parametrize("tiers", [("pro",), ("max",), ("gold", "pro"), ("unknown",), ("core", "unknown"), ("nope",)])
def test_a_tier_filter_shows_those_tiers_rows_of_the_unfiltered_margins(frame_to_100, tiers):
    # The app narrows every tier's margins to a tier filter instead of computing them again:
    # the rows, installs and totals must be those of the tiers asked for, to the bit.
    every = margins(frame_to_100, PRICING, month_span(frame_to_100))
    narrowed = margins(frame_to_100, PRICING, month_span(frame_to_100), tiers)
    kept = every.by_tier["tier"].isin(list(tiers))
    if "unknown" in tiers:
        kept |= every.by_tier["tier"] == "unattributed"
    expected = every.by_tier[kept].reset_index(drop=True)
    assert narrowed.to_dict()["by_tier"] == [row for row, keep in zip(every.to_dict()["by_tier"], kept) if keep]
    pd.testing.assert_frame_equal(
        narrowed.by_install, every.by_install[every.by_install["tier"].isin(list(tiers))].reset_index(drop=True)
    )
    assert narrowed.total["revenue_usd"] == expected["revenue_usd"].sum()
    assert narrowed.total["cost_usd"] == expected["cost_usd"].sum()
    assert narrowed.unpriced_tiers == tuple(t for t in every.unpriced_tiers if t in tiers)


def test_zero_revenue_everywhere(frame):
    result = margins(frame, Pricing("USD", {}), month_span(frame))
    assert result.total["revenue_usd"] == 0 and result.total["margin_pct"] is None
    assert set(result.unpriced_tiers) == {"pro", "max", "core", "gold"}


def test_what_if_prices_move_every_margin(frame_to_100):
    span = month_span(frame_to_100)
    base = margins(frame_to_100, PRICING, span)
    cheaper = margins(frame_to_100, PRICING.with_prices({"pro": 5.0}), span)
    assert by_tier(cheaper)["pro"]["revenue_usd"] == pytest.approx(by_tier(base)["pro"]["revenue_usd"] / 2)
    assert PRICING.price("pro") == 10.0  # the configured prices are untouched
    table = compare(base, cheaper).set_index("tier")
    assert table.loc["pro", "revenue_actual_usd"] == pytest.approx(by_tier(base)["pro"]["revenue_usd"])
    assert table.loc["pro", "revenue_change_usd"] == pytest.approx(-by_tier(base)["pro"]["revenue_usd"] / 2)
    assert table.loc["all tiers", "margin_change_usd"] == pytest.approx(
        cheaper.total["margin_usd"] - base.total["margin_usd"]
    )


def test_loss_makers(frame_to_100):
    table = loss_makers(margins(frame_to_100, PRICING, month_span(frame_to_100)))
    rows = {r["tier"]: (r["losing"], r["installs"]) for r in table.to_dict(orient="records")}
    assert rows["pro"] == (1, 2) and rows["core"] == (1, 1) and rows["max"] == (0, 1)


def test_previous_period_ends_at_the_same_time_of_day():
    span = Span(10 * DAY, 17 * DAY - 1, 0.0, 16.5 * DAY)  # a week whose last day is half over
    before = span.previous()
    assert (before.since_ms, before.until_ms) == (3 * DAY, 9.5 * DAY)
    assert before.until_prime - before.since_ms == span.until_prime - span.since_ms


def test_margin_over_time_adds_up_to_the_range(frame_to_100):
    span = Span(0, 14 * DAY - 1, 1 * DAY, 100 * DAY)
    periods = buckets(date(1970, 1, 1), date(1970, 1, 14), "UTC")
    assert len(periods) == 14  # under three weeks: per day
    table = margin_over_time(frame_to_100, PRICING, span, periods)
    everything = table[table["tier"] == ALL_TIERS]
    whole = margins(frame_to_100, PRICING, span)
    assert everything["revenue_usd"].sum() == pytest.approx(whole.total["revenue_usd"], rel=1e-6)
    assert everything["cost_usd"].sum() == pytest.approx(whole.total["cost_usd"])
    assert len(everything) == 13  # day 0 is before the log's first record
    assert len(buckets(date(2026, 1, 1), date(2026, 1, 30), "UTC")) == 5  # weeks, the last one shorter


def test_tier_history_names_upgrades_and_downgrades():
    frame = pd.DataFrame(
        {
            "ts": [0.0, DAY, 2 * DAY, 3 * DAY, 4 * DAY],
            "install_id": pd.Series(["a"] * 5, dtype=object),
            "tier": pd.Series([None, "pro", "pro", "max", "pro"], dtype=object),
        }
    )
    history = tier_history(frame, "a", PRICING)
    assert list(history["tier"]) == ["core", "pro", "max", "pro"]
    assert list(history["change"]) == ["first seen", "upgrade", "upgrade", "downgrade"]


def test_ten_thousand_tiers_and_a_lone_surrogate_work(write_log):
    records = [record(ts=i * 60_000, install_id=f"i{i}", tier=f"t{i}", cost_usd=0.01) for i in range(10_000)]
    records.append('{"ts":1,"install_id":"s","tier":"\\ud800x","cost_usd":1}')
    frame = load_log(write_log(*records)).frame
    result = margins(frame, PRICING, span_of(frame, None, None))
    assert len(result.by_tier) == 10_004 and "\ud800x" in set(result.by_tier["tier"])
    editable, rest = tiers_by_cost(result, 12)
    assert editable[0] == "\ud800x" and len(editable) == 12 and len(rest) == 10_004 - 12
    compare(result, margins(frame, PRICING.with_prices({"\ud800x": 3.0}), result.span))


def test_job_costs_join_transcribe_and_analyze(frame):
    jobs = job_costs(frame).set_index("job_id")
    assert jobs.loc["j1", "cost_usd"] == 3.0 and jobs.loc["j1", "calls"] == 2
    assert jobs.loc["j1", "tier"] == "pro" and jobs.loc["j1", "model"] == "g"  # the analyze call's
    assert list(jobs["summary"]) == [True, False, True]  # j2's analyze failed
    stats = job_cost_stats(job_costs(frame), "tier").set_index("tier")
    assert stats.loc["pro", "summary_jobs"] == 1 and stats.loc["pro", "cost_per_summary_job_usd"] == 23.0
    assert stats.loc["pro", "jobs_without_summary"] == 1 and stats.loc["pro", "cost_without_summary_usd"] == 20.0


def test_unit_economics(frame):
    unit = unit_economics(frame, job_costs(frame))
    # every job's cost (3 + 20 + 4) over the jobs that delivered a summary (j1, j3)
    assert unit["jobs"] == 3 and unit["summary_jobs"] == 2 and unit["cost_per_job_usd"] == pytest.approx(27 / 2)
    assert unit["jobs_without_summary"] == 1 and unit["cost_without_summary_usd"] == 20.0
    assert unit["credits_charged"] == 2 and unit["cost_per_credit_usd"] == pytest.approx(35.5 / 2)
    assert unit["error_cost_usd"] == 20.0 and unit["refused_cost_usd"] == 0.5


def test_hardware_only_jobs_at_zero_are_labelled_not_cheap(write_log):
    frame = load_log(
        write_log(
            record(job_id="h", pipeline="transcribe", backend="hardware", status="success"),
            record(job_id="h", pipeline="analyze", backend="hardware", status="success"),
            record(job_id="g", pipeline="analyze", backend="gemini", status="success", cost_usd=0.02),
        )
    ).frame
    jobs = job_costs(frame).set_index("job_id")
    assert bool(jobs.loc["h", "hardware_only"]) and not bool(jobs.loc["g", "hardware_only"])
    unit = unit_economics(frame, job_costs(frame))
    assert unit["hardware_only_jobs"] == 1 and unit["p50_job_cost_usd"] == 0.02


def test_month_end_forecast(frame_to_100):
    result = margins(frame_to_100, PRICING, Span(0, 10 * DAY, 0, 100 * DAY))
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


@pytest.mark.parametrize("tiers", [None, ("pro",), ("core", "unknown")])
def test_each_period_of_margin_over_time_is_that_periods_own_margins(tmp_path, tiers):
    # margin_over_time passes each period only the calls that reach into it; the figures
    # must be those of margins() over the period with every call, to the bit.
    from datetime import timedelta

    from relay_metrics.demo import write_demo_log
    from relay_metrics.metrics.profit import span_of
    from relay_metrics.metrics.zones import window_ms

    path = tmp_path / "relay-calls.ndjson"
    write_demo_log(path, 6_000, 120, seed=11, end_ms=1_767_225_600_000)
    frame = load_log(path).frame
    end = date(2025, 12, 31)
    periods = buckets(end - timedelta(days=89), end, "UTC")
    span = span_of(frame, *window_ms(end - timedelta(days=89), end, "UTC"), None)
    table = margin_over_time(frame, PRICING, span, periods, tiers)
    for first, since_ms, until_ms in periods:
        own = margins(
            frame, PRICING, Span(since_ms, min(until_ms, span.until_ms), span.oldest_ts, span.newest_ts), tiers
        )
        row = table[(table["period"] == first) & (table["tier"] == ALL_TIERS)].iloc[0]
        assert [row[k] for k in ("revenue_usd", "cost_usd", "margin_usd")] == [
            own.total[k] for k in ("revenue_usd", "cost_usd", "margin_usd")
        ]
