"""The activity revenue rule on hand-computed cases, and that widening the range past the log
changes nothing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relay_metrics.ingest.loader import load_log
from relay_metrics.metrics.revenue import (
    PERIOD_MS,
    configured_revenue,
    coverage,
    effective_until,
    revenue_by_install,
)
from relay_metrics.metrics.zones import MS_PER_DAY
from tests.helpers import examples, record

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
DAY = MS_PER_DAY
PRICES = {"core": 0.0, "pro": 10.0, "max": 30.0}


def price(tier: str) -> float:
    return PRICES.get(tier, 0.0)


def revenue(write_log, records, since, until):
    frame = load_log(write_log(*records)).frame
    until_ = effective_until(until, frame["ts"].max())
    table = revenue_by_install(coverage(frame), price, since, until_)
    return {row.install_id: (row.tier, row.revenue_usd) for row in table.itertuples()}


def test_one_call_pays_one_month_from_its_ts_clipped_to_the_range(write_log):
    got = revenue(write_log, [record(T0, install_id="a", tier="pro")], T0, T0 + 10 * DAY)
    # The log ends at its only record: nothing is counted past it.
    assert got == {"a": ("pro", 0.0)}
    records = [record(T0, install_id="a", tier="pro"), record(T0 + 40 * DAY, install_id="z", tier="core")]
    got = revenue(write_log, records, T0, T0 + 10 * DAY)
    assert got["a"] == ("pro", pytest.approx(10.0 * 10 * DAY / PERIOD_MS))


def test_upgrade_inside_the_range_is_paid_at_the_new_price_from_the_upgrading_call(write_log):
    records = [
        record(T0, install_id="a", tier="pro"),
        record(T0 + 5 * DAY, install_id="a", tier="max"),
        record(T0 + 60 * DAY, install_id="z"),
    ]
    got = revenue(write_log, records, T0, T0 + 20 * DAY)
    expected = (10.0 * 5 * DAY + 30.0 * 15 * DAY) / PERIOD_MS
    assert got["a"] == ("max", pytest.approx(expected))


def test_a_call_just_before_since_covers_the_start_of_the_range_and_names_the_tier(write_log):
    records = [record(T0 - DAY, install_id="a", tier="pro"), record(T0 + 60 * DAY, install_id="z")]
    got = revenue(write_log, records, T0, T0 + 10 * DAY)
    assert got["a"] == ("pro", pytest.approx(10.0 * 10 * DAY / PERIOD_MS))
    # A call more than a month before since covers nothing in the range: not an install of it.
    records = [record(T0 - 31 * DAY, install_id="a", tier="pro"), record(T0 + 60 * DAY, install_id="z")]
    assert "a" not in revenue(write_log, records, T0, T0 + 10 * DAY)


def test_ties_take_log_order(write_log):
    records = [
        record(T0, install_id="a", tier="pro"),
        record(T0, install_id="a", tier="max"),
        record(T0 + 60 * DAY, install_id="z"),
    ]
    got = revenue(write_log, records, T0, T0 + 10 * DAY)
    # The first of the tie covers nothing; the later one (max) covers the month.
    assert got["a"] == ("max", pytest.approx(30.0 * 10 * DAY / PERIOD_MS))


def test_calls_without_install_id_earn_nothing(write_log):
    records = [record(T0, tier="pro"), record(T0, install_id="", tier="pro"), record(T0 + DAY, install_id="z")]
    assert set(revenue(write_log, records, T0, T0 + DAY)) == {"z"}


def test_lone_surrogate_tier_works(write_log):
    records = ['{"ts":' + str(T0) + ',"install_id":"a","tier":"\\ud800x"}', record(T0 + DAY, install_id="z")]
    got = revenue(write_log, records, T0, T0 + DAY)
    assert got["a"] == ("\ud800x", 0.0)


def test_configured_subscribers_count_from_the_log_start():
    assert configured_revenue(3, 10.0, T0 - 5 * DAY, T0 + 10 * DAY, T0) == pytest.approx(
        3 * 10.0 * 10 * DAY / PERIOD_MS
    )


@settings(max_examples=examples(40), deadline=None)
@given(
    calls=st.lists(
        st.tuples(st.integers(0, 90 * 24), st.sampled_from(["a", "b", "c"]), st.sampled_from(["pro", "max", None])),
        min_size=1,
        max_size=30,
    ),
    before=st.integers(0, 60),
    after=st.integers(0, 60),
)
def test_widening_the_range_beyond_the_log_never_changes_revenue(tmp_path_factory, calls, before, after):
    path = tmp_path_factory.mktemp("widen") / "relay-calls.ndjson"
    from tests.helpers import lines_of

    path.write_bytes(
        lines_of(*[record(T0 + hour * 3_600_000, install_id=i, **({"tier": t} if t else {})) for hour, i, t in calls])
    )
    frame = load_log(path).frame
    first, last = frame["ts"].min(), frame["ts"].max()
    covered = coverage(frame)
    exact = revenue_by_install(covered, price, first, effective_until(last, last))
    wide = revenue_by_install(covered, price, first - before * DAY, effective_until(last + after * DAY, last))
    everything = revenue_by_install(covered, price, None, effective_until(None, last))
    assert wide["revenue_usd"].sum() == pytest.approx(exact["revenue_usd"].sum())
    assert everything["revenue_usd"].sum() == pytest.approx(exact["revenue_usd"].sum())
    assert list(wide["install_id"]) == list(exact["install_id"])


def test_a_last_call_just_before_until_pays_only_up_to_the_log_end(write_log):
    # The last call is an hour before until; the log ends 30 minutes after it.
    hour = 3_600_000
    records = [
        record(T0, install_id="a", tier="pro"),
        record(T0 + 10 * DAY - hour, install_id="a", tier="pro"),
        record(T0 + 10 * DAY - hour // 2, install_id="z"),
    ]
    got = revenue(write_log, records, T0, T0 + 10 * DAY)
    assert got["a"] == ("pro", pytest.approx(10.0 * (10 * DAY - hour // 2) / PERIOD_MS))


def test_a_range_wider_than_the_log_on_both_sides_counts_only_the_log(write_log):
    records = [record(T0, install_id="a", tier="pro"), record(T0 + 20 * DAY, install_id="z")]
    got = revenue(write_log, records, T0 - 30 * DAY, T0 + 50 * DAY)
    # From a's first call to the log's last record: 20 days, not the 80 of the range.
    assert got["a"] == ("pro", pytest.approx(10.0 * 20 * DAY / PERIOD_MS))


def test_a_log_without_install_ids_covers_nothing(write_log):
    frame = load_log(write_log(record(T0, tier="pro"), record(T0 + DAY, install_id=""))).frame
    covered = coverage(frame)
    assert covered.empty and list(covered.columns) == ["install_id", "tier", "start_ms", "end_ms"]
    assert revenue_by_install(covered, price, T0, T0 + DAY).empty
