"""Growth on hand-built logs: each movement kind, month boundaries, reactivation, the MRR
bridge; a property test checks the bridge and every day's MRR against a direct reading of the
activity rule on generated logs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relay_metrics.ingest.loader import load_log
from relay_metrics.metrics.growth import FROM_ACTIVITY, MOVEMENTS, activity_intervals, growth
from relay_metrics.metrics.revenue import PERIOD_MS
from relay_metrics.metrics.zones import MS_PER_DAY
from tests.helpers import record

DAY = MS_PER_DAY
HOUR = 3_600_000
PRICES = {"core": 0.0, "pro": 10.0, "max": 30.0, "pro-b": 10.0}


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def price(tier: str) -> float:
    return PRICES.get(tier, 0.0)


def run(write_log, records, since=None, until=None, tiers=None):
    frame = load_log(write_log(*records)).frame
    return growth(frame, activity_intervals(frame, price), FROM_ACTIVITY, since, until, tiers)


def month(result, name: str) -> dict:
    rows = result.movements[result.movements["month"] == name]
    assert len(rows) == 1, f"no month {name}"
    return rows.iloc[0].to_dict()


def mrr_on(result, day: str) -> float:
    return float(result.mrr.loc[result.mrr["date"] == day, "mrr_usd"].iloc[0])


END = record(ms("2026-06-30T12:00:00"), install_id="zz-end", tier="core")  # keeps the log open to June
START = record(ms("2026-01-01T00:00:00"), install_id="zz-start", tier="core")  # opens it on Jan 1


def test_a_first_call_is_new_from_its_own_day_at_its_tier_price(write_log):
    result = run(write_log, [record(ms("2026-01-10T12:00:00"), install_id="a", tier="pro"), END])
    assert result.mrr["date"].iloc[0] == "2026-01-10"  # days before the log's first record: none
    assert mrr_on(result, "2026-01-10") == 10.0
    jan = month(result, "2026-01")
    assert (jan["new_usd"], jan["new_installs"], jan["closing_mrr_usd"]) == (10.0, 1, 10.0)
    # Covered for P after the call: gone on the day the coverage ends (Feb 9 22:30).
    assert mrr_on(result, "2026-02-08") == 10.0 and mrr_on(result, "2026-02-09") == 0.0
    feb = month(result, "2026-02")
    assert (feb["churn_usd"], feb["churn_installs"], feb["closing_mrr_usd"]) == (-10.0, 1, 0.0)


@pytest.mark.parametrize(
    ("call", "new_month"),
    [
        ("2026-01-31T23:59:59.999", "2026-01"),  # the day's last ms counts for that day
        ("2026-02-01T00:00:00.000", "2026-02"),
    ],
)
def test_a_call_at_a_month_boundary_is_new_in_the_month_of_its_day(write_log, call, new_month):
    result = run(write_log, [START, record(ms(call), install_id="a", tier="pro"), END])
    assert month(result, new_month)["new_usd"] == 10.0
    other = "2026-02" if new_month == "2026-01" else "2026-01"
    assert month(result, other)["new_usd"] == 0.0


@pytest.mark.parametrize(
    ("call", "churn_month"),
    [
        # Coverage ends at call + 30.4375 days: at Feb 1 00:00 exactly, Jan 31 is still covered.
        ("2026-01-01T13:30:00.000", "2026-02"),
        # One ms earlier, it ends at Jan 31 23:59:59.999: Jan 31's last ms is no longer covered.
        ("2026-01-01T13:29:59.999", "2026-01"),
    ],
)
def test_churn_falls_in_the_month_of_the_first_day_not_covered_at_its_end(write_log, call, churn_month):
    result = run(write_log, [record(ms(call), install_id="a", tier="pro"), END])
    assert month(result, churn_month)["churn_usd"] == -10.0
    assert result.movements["churn_usd"].sum() == -10.0


def test_upgrades_and_downgrades_are_expansion_and_contraction_and_a_same_price_switch_is_none(write_log):
    records = [
        record(ms("2026-03-01T08:00:00"), install_id="a", tier="pro"),
        record(ms("2026-03-05T08:00:00"), install_id="a", tier="max"),  # +20
        record(ms("2026-03-09T08:00:00"), install_id="a", tier="pro"),  # -20
        record(ms("2026-03-12T08:00:00"), install_id="a", tier="pro-b"),  # same price: nothing
        record(ms("2026-03-15T08:00:00"), install_id="a", tier="core"),  # -10, still covered
        END,
    ]
    mar = month(run(write_log, records), "2026-03")
    assert mar["new_usd"] == 10.0
    assert (mar["expansion_usd"], mar["expansion_installs"]) == (20.0, 1)
    assert (mar["contraction_usd"], mar["contraction_installs"]) == (-30.0, 2)
    assert mar["churn_usd"] == 0.0 and mar["closing_mrr_usd"] == 0.0


def test_a_return_after_a_gap_is_a_reactivation_and_a_gap_inside_one_day_is_nothing(write_log):
    records = [
        record(ms("2026-01-05T10:00:00"), install_id="a", tier="pro"),
        record(ms("2026-03-20T10:00:00"), install_id="a", tier="max"),  # after churn in February
        # b's coverage ends Feb 4 20:30 and its next call is at 22:00 the same day: no gap at day end.
        record(ms("2026-01-05T10:00:00"), install_id="b", tier="pro"),
        record(ms("2026-02-04T22:00:00"), install_id="b", tier="pro"),
        END,
    ]
    result = run(write_log, records)
    assert month(result, "2026-01")["new_installs"] == 2
    feb, mar = month(result, "2026-02"), month(result, "2026-03")
    assert (feb["churn_installs"], feb["churn_usd"]) == (1, -10.0)
    assert (mar["reactivation_usd"], mar["reactivation_installs"], mar["new_usd"]) == (30.0, 1, 0.0)
    assert (mar["churn_installs"], mar["churn_usd"]) == (1, -10.0)  # b, a month after its last call


def test_a_range_inside_the_log_opens_with_the_mrr_of_the_day_before_and_keeps_the_history(write_log):
    records = [
        record(ms("2026-01-05T10:00:00"), install_id="a", tier="pro"),
        record(ms("2026-01-20T10:00:00"), install_id="b", tier="max"),
        record(ms("2026-03-01T10:00:00"), install_id="a", tier="pro"),  # a churned Feb 4: reactivation
        END,
    ]
    result = run(write_log, records, since=ms("2026-02-01T00:00:00"), until=ms("2026-03-31T23:59:59.999"))
    assert result.mrr["date"].iloc[0] == "2026-02-01" and result.mrr["date"].iloc[-1] == "2026-03-31"
    feb = month(result, "2026-02")
    assert (feb["first_day"], feb["opening_mrr_usd"], feb["closing_mrr_usd"]) == ("2026-02-01", 40.0, 0.0)
    assert month(result, "2026-03")["reactivation_usd"] == 10.0
    assert list(result.cohorts["cohort"]) == []  # nobody's first call is in the range


def test_the_bridge_holds_every_month_and_months_chain(write_log):
    records = [
        record(ms(f"2026-0{1 + i % 5}-{1 + (i * 7) % 27:02d}T{i % 24:02d}:00:00"), install_id=f"i{i % 9}", tier=t)
        for i, t in enumerate(["pro", "max", "core", "pro", None, "max", "pro", "core"] * 6)
    ] + [END]
    result = run(write_log, records)
    assert_bridge(result)


def assert_bridge(result) -> None:
    previous = None
    for row in result.movements.to_dict(orient="records"):
        moved = sum(row[f"{kind}_usd"] for kind in MOVEMENTS)
        assert round(row["opening_mrr_usd"] + moved, 2) == round(row["closing_mrr_usd"], 2), row
        assert row["closing_mrr_usd"] == pytest.approx(row["opening_mrr_usd"] + moved, abs=1e-9)
        if previous is not None:
            assert row["opening_mrr_usd"] == previous["closing_mrr_usd"]
        assert row["closing_mrr_usd"] == mrr_on(result, row["last_day"])
        previous = row


def test_cohorts_count_retention_and_pay_back_in_the_month_revenue_reaches_cost(write_log):
    records = [
        record(ms("2026-01-03T00:00:00"), install_id="a", tier="pro", cost_usd=20.0),  # one month, then gone
        record(ms("2026-01-10T00:00:00"), install_id="b", tier="pro", cost_usd=1.0),
        record(ms("2026-02-05T00:00:00"), install_id="b", tier="pro", cost_usd=1.0),
        record(ms("2026-02-20T00:00:00"), install_id="c", tier="max", cost_usd=0.5),
        END,
    ]
    result = run(write_log, records, until=ms("2026-03-31T23:59:59.999"))
    cohorts = result.cohorts.set_index("cohort")
    assert cohorts.loc["2026-01", "installs"] == 2 and cohorts.loc["2026-02", "installs"] == 1
    jan = result.retention[result.retention["cohort"] == "2026-01"].set_index("months_later")
    assert list(jan["subscribed"]) == [2, 1, 0]  # a's coverage ends Feb 2, b's Mar 7
    assert jan.loc[1, "subscribed_share"] == 0.5
    # Through January: a paid 29 days, b 22 days of pro (16.76) against a cost of 21: not yet.
    jan_revenue = 10.0 * (29 * DAY + 22 * DAY) / PERIOD_MS
    assert jan.loc[0, "cumulative_revenue_usd"] == pytest.approx(jan_revenue)
    assert jan.loc[0, "cumulative_cost_usd"] == pytest.approx(21.0)
    total = 10.0 * (PERIOD_MS + (ms("2026-02-05") - ms("2026-01-10")) + PERIOD_MS) / PERIOD_MS
    assert jan.loc[2, "cumulative_revenue_usd"] == pytest.approx(total)
    assert cohorts.loc["2026-01", "paid_back"] == "2026-02" and cohorts.loc["2026-01", "months_to_payback"] == 1
    assert cohorts.loc["2026-02", "paid_back"] == "2026-02"


def test_a_cohort_that_has_not_paid_back_says_so(write_log):
    records = [record(ms("2026-01-03T00:00:00"), install_id="a", tier="core", cost_usd=3.0), END]
    result = run(write_log, records, until=ms("2026-02-28T23:59:59.999"))
    row = result.cohorts.iloc[0]
    assert row["paid_back"] is None and row["months_to_payback"] is None
    assert row["margin_usd"] == pytest.approx(-3.0)


def test_the_tier_filter_keeps_installs_by_their_latest_tier_with_their_whole_history(write_log):
    records = [
        record(ms("2026-01-03T00:00:00"), install_id="a", tier="pro", cost_usd=1.0),
        record(ms("2026-01-20T00:00:00"), install_id="a", tier="max", cost_usd=2.0),
        record(ms("2026-01-05T00:00:00"), install_id="b", tier="pro", cost_usd=4.0),
        record(ms("2026-01-06T00:00:00"), tier="pro", cost_usd=8.0),  # no install id
        END,
    ]
    result = run(write_log, records, until=ms("2026-01-31T23:59:59.999"), tiers=("max",))
    jan = month(result, "2026-01")
    assert (jan["new_usd"], jan["expansion_usd"], jan["new_installs"]) == (10.0, 20.0, 1)
    assert result.monthly.iloc[0]["cost_usd"] == pytest.approx(3.0)
    everyone = run(write_log, records, until=ms("2026-01-31T23:59:59.999"))
    assert everyone.monthly.iloc[0]["cost_usd"] == pytest.approx(15.0)


def test_mrr_by_tier_adds_up_to_mrr_and_json_has_the_documented_keys(write_log):
    records = [
        record(ms("2026-01-03T00:00:00"), install_id="a", tier="pro"),
        record(ms("2026-01-04T00:00:00"), install_id="b", tier="max"),
        END,
    ]
    result = run(write_log, records, until=ms("2026-01-31T23:59:59.999"))
    out = result.to_dict()
    assert {"mrr", "movements", "cohorts", "revenue_source"} <= set(out)
    assert out["revenue_source"] == "estimated from activity"
    day = next(d for d in out["mrr"] if d["date"] == "2026-01-10")
    assert day == {"date": "2026-01-10", "mrr_usd": 40.0, "subscribers": 2, "by_tier": {"pro": 10.0, "max": 30.0}}
    assert out["cohorts"][0]["months"][0]["months_later"] == 0


def test_an_empty_log_gives_empty_tables(write_log):
    result = run(write_log, ["", "not json"])
    assert result.mrr.empty and result.movements.empty and result.cohorts.empty
    assert result.to_dict()["mrr"] == []


# --- the property: generated logs ---------------------------------------------------------

T_START = ms("2026-01-01T00:00:00")
calls = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "d", ""]),
        st.integers(min_value=0, max_value=150 * 24).map(lambda h: T_START + h * HOUR),
        st.sampled_from(["core", "pro", "max", None]),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    calls=calls,
    since_days=st.one_of(st.none(), st.integers(min_value=-20, max_value=140)),
    span_days=st.integers(min_value=1, max_value=200),
)
def test_property_bridge_and_mrr_follow_the_activity_rule(write_log, calls, since_days, span_days):
    records = [record(t, install_id=i, tier=tier) if tier else record(t, install_id=i) for i, t, tier in calls]
    since = None if since_days is None else T_START + since_days * DAY
    until = (since or T_START) + span_days * DAY
    result = run(write_log, records, since, until)
    if result.mrr.empty:
        return
    assert_bridge(result)
    # Every day's MRR, read straight off the rule: the call covering the day's last ms (or until').
    newest = max(t for _, t, _ in calls)
    until_ = min(until, newest)
    by_install: dict[str, list] = {}
    for n, (install, t, tier) in enumerate(calls):
        if install:
            by_install.setdefault(install, []).append((t, n, tier or "core"))
    for row in result.mrr.itertuples(index=False):
        day_start = ms(row.date + "T00:00:00")
        instant = min(day_start + DAY - 1, until_)
        expected = 0.0
        for rows in by_install.values():
            rows = sorted(rows)
            for k, (t, _, tier) in enumerate(rows):
                end = min(rows[k + 1][0], t + PERIOD_MS) if k + 1 < len(rows) else t + PERIOD_MS
                if t <= instant < end:
                    expected += PRICES[tier]
        assert row.mrr_usd == pytest.approx(expected), row.date


@pytest.mark.parametrize("tiers, kept", [(("pro",), 2), (("max",), 0)])
def test_the_tier_filter_goes_by_the_latest_call_in_time_a_tie_to_the_later_line(write_log, tiers, kept):
    result = run(
        write_log,
        [
            START,
            record(ms("2026-01-20T00:00:00"), install_id="a", tier="pro"),
            record(ms("2026-01-10T00:00:00"), install_id="a", tier="max"),  # later in the file, earlier in time
            record(ms("2026-01-15T00:00:00"), install_id="b", tier="max"),
            record(ms("2026-01-15T00:00:00"), install_id="b", tier="pro"),  # same time: the later line counts
            END,
        ],
        tiers=tiers,
    )
    assert int(result.cohorts["installs"].sum()) == kept
