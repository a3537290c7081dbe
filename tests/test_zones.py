"""Local times from raw ts: DST edges, half-hour offsets, day windows, the zone list."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relay_metrics.metrics import zones
from relay_metrics.metrics.zones import MS_PER_DAY, UnknownZone, date_of_ms, is_zone, local_ms, today_in, window_ms
from tests.helpers import examples

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DST_ZONES = ["America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Europe/London", "America/Santiago", "UTC"]


def ms(iso: str) -> int:
    """ms epoch of an ISO instant written with its offset (or Z)."""
    return (datetime.fromisoformat(iso) - EPOCH) // timedelta(milliseconds=1)


def wall(iso: str) -> int:
    """A naive local wall-clock time as ms since 1970-01-01T00:00 local."""
    return (datetime.fromisoformat(iso).replace(tzinfo=UTC) - EPOCH) // timedelta(milliseconds=1)


def reference_local(ts: float, zone: str) -> int:
    """One instant at a time, the slow obvious way."""
    whole = int(np.trunc(ts))
    moment = (EPOCH + timedelta(milliseconds=whole)).astimezone(ZoneInfo(zone))
    return whole + moment.utcoffset() // timedelta(milliseconds=1)


@pytest.mark.parametrize(
    "zone, instant, local",
    [
        # New York, spring forward 2026-03-08 02:00 EST -> 03:00 EDT
        ("America/New_York", "2026-03-08T06:59:59.999Z", "2026-03-08T01:59:59.999"),
        ("America/New_York", "2026-03-08T07:00:00Z", "2026-03-08T03:00:00"),
        # ... and fall back 2026-11-01 02:00 EDT -> 01:00 EST: 01:30 happens twice
        ("America/New_York", "2026-11-01T05:30:00Z", "2026-11-01T01:30:00"),
        ("America/New_York", "2026-11-01T06:30:00Z", "2026-11-01T01:30:00"),
        ("America/New_York", "1969-12-31T23:00:00Z", "1969-12-31T18:00:00"),  # before the epoch
        # Lord Howe: a half-hour DST (+11 in summer, +10:30 in winter)
        ("Australia/Lord_Howe", "2026-04-04T14:59:59.999Z", "2026-04-05T01:59:59.999"),
        ("Australia/Lord_Howe", "2026-04-04T15:00:00Z", "2026-04-05T01:30:00"),
        ("Australia/Lord_Howe", "2026-10-03T15:29:59.999Z", "2026-10-04T01:59:59.999"),
        ("Australia/Lord_Howe", "2026-10-03T15:30:00Z", "2026-10-04T02:30:00"),
        # Kolkata: +5:30 all year
        ("Asia/Kolkata", "2025-12-31T18:29:59.999Z", "2025-12-31T23:59:59.999"),
        ("Asia/Kolkata", "2025-12-31T18:30:00Z", "2026-01-01T00:00:00"),
        # Santiago springs forward at local midnight: 00:00 on 2026-09-06 never happens
        ("America/Santiago", "2026-09-06T03:59:59.999Z", "2026-09-05T23:59:59.999"),
        ("America/Santiago", "2026-09-06T04:00:00Z", "2026-09-06T01:00:00"),
        ("Europe/London", "2026-03-29T01:00:00Z", "2026-03-29T02:00:00"),
        ("UTC", "2026-03-29T01:00:00Z", "2026-03-29T01:00:00"),
    ],
)
def test_local_ms_at_transitions(zone, instant, local):
    assert local_ms(np.array([float(ms(instant))]), zone).tolist() == [wall(local)]


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata"])
@pytest.mark.parametrize("ts, whole", [(1.9, 1), (-1.5, -1), (1_767_225_600_000.75, 1_767_225_600_000)])
def test_local_ms_truncates_fractions_toward_zero_like_date(zone, ts, whole):
    assert local_ms(np.array([ts]), zone).tolist() == [reference_local(whole, zone)]


@pytest.mark.parametrize("zone", ["America/New_York", "Australia/Lord_Howe", "Europe/Berlin"])
def test_local_ms_over_many_rows_across_both_transitions_of_a_year(zone):
    # Every 7 minutes of 2026, shuffled: dense rows, several offset segments.
    ts = np.arange(ms("2026-01-01T00:00:00Z"), ms("2027-01-01T00:00:00Z"), 7 * 60_000, dtype=np.float64)
    np.random.default_rng(1).shuffle(ts)
    got = local_ms(ts, zone)
    assert got.dtype == np.int64
    sample = np.random.default_rng(2).choice(len(ts), 2000, replace=False)
    transitions = np.flatnonzero(np.diff(np.sort(got - ts.astype(np.int64)))) + 1
    assert len(transitions) >= 1  # both DST switches fall inside the year
    assert [int(got[i]) for i in sample] == [reference_local(ts[i], zone) for i in sample]


@settings(max_examples=examples(60), deadline=None)
@given(
    zone=st.sampled_from(sorted(available_timezones())),
    ts=st.lists(st.floats(min_value=-4e12, max_value=6e12, allow_nan=False), min_size=1, max_size=40),
)
def test_local_ms_matches_zoneinfo_one_instant_at_a_time(zone, ts):
    assert local_ms(np.array(ts), zone).tolist() == [reference_local(t, zone) for t in ts]


@pytest.mark.parametrize("ts", [8.64e15, -8.64e15])
def test_local_ms_survives_the_extremes_of_javascript_dates(ts):
    got = local_ms(np.array([ts, 1_767_225_600_000.0]), "Europe/Berlin")
    assert got[1] == 1_767_225_600_000 + 3_600_000
    assert abs(got[0] - ts) < MS_PER_DAY


def test_local_ms_of_nothing():
    assert local_ms(np.array([], dtype=np.float64), "Asia/Tokyo").tolist() == []


@pytest.mark.parametrize("bad", ["Mars/Olympus", "../../etc/passwd", "", "utc ", "localtime"])
def test_unknown_zones_are_refused(bad):
    assert not is_zone(bad)
    with pytest.raises(UnknownZone):
        local_ms(np.array([0.0]), bad)
    with pytest.raises(UnknownZone):
        window_ms(date(2026, 1, 1), date(2026, 1, 1), bad)


@pytest.mark.parametrize(
    "zone, start, end, since, until, hours",
    [
        ("UTC", date(2026, 1, 1), date(2026, 1, 1), "2026-01-01T00:00:00Z", "2026-01-01T23:59:59.999Z", 24),
        (
            "America/New_York",
            date(2026, 3, 8),
            date(2026, 3, 8),
            "2026-03-08T05:00:00Z",
            "2026-03-09T03:59:59.999Z",
            23,
        ),
        (
            "America/New_York",
            date(2026, 11, 1),
            date(2026, 11, 1),
            "2026-11-01T04:00:00Z",
            "2026-11-02T04:59:59.999Z",
            25,
        ),
        (
            "America/New_York",
            date(2026, 3, 1),
            date(2026, 3, 31),
            "2026-03-01T05:00:00Z",
            "2026-04-01T03:59:59.999Z",
            743,
        ),
        (
            "Australia/Lord_Howe",
            date(2026, 4, 5),
            date(2026, 4, 5),
            "2026-04-04T13:00:00Z",
            "2026-04-05T13:29:59.999Z",
            24.5,
        ),
        (
            "Australia/Lord_Howe",
            date(2026, 10, 4),
            date(2026, 10, 4),
            "2026-10-03T13:30:00Z",
            "2026-10-04T12:59:59.999Z",
            23.5,
        ),
        ("Asia/Kolkata", date(2026, 1, 1), date(2026, 1, 31), "2025-12-31T18:30:00Z", "2026-01-31T18:29:59.999Z", 744),
        # midnight in a DST gap: the day starts when the gap ends, at 01:00 local
        (
            "America/Santiago",
            date(2026, 9, 6),
            date(2026, 9, 6),
            "2026-09-06T04:00:00Z",
            "2026-09-07T02:59:59.999Z",
            23,
        ),
        (
            "America/Santiago",
            date(2026, 4, 4),
            date(2026, 4, 4),
            "2026-04-04T03:00:00Z",
            "2026-04-05T03:59:59.999Z",
            25,
        ),
    ],
)
def test_window_ms(zone, start, end, since, until, hours):
    got = window_ms(start, end, zone)
    assert got == (ms(since), ms(until))
    assert (got[1] + 1 - got[0]) / 3_600_000 == hours


@pytest.mark.parametrize(
    "zone, day, since, until",
    [
        # midnight falls in a gap of 4 min 35 s (+6:55:25 -> +7:00)
        ("Asia/Kuala_Lumpur", date(1905, 6, 1), "1905-05-31T17:04:35Z", "1905-06-01T16:59:59.999Z"),
        # Apia skipped 2011-12-30 when it crossed the date line: an empty day, the next one starts
        ("Pacific/Apia", date(2011, 12, 30), "2011-12-30T10:00:00Z", "2011-12-30T09:59:59.999Z"),
        ("Pacific/Apia", date(2011, 12, 31), "2011-12-30T10:00:00Z", "2011-12-31T09:59:59.999Z"),
    ],
)
def test_window_ms_when_midnight_falls_in_a_gap_that_is_not_a_whole_hour(zone, day, since, until):
    assert window_ms(day, day, zone) == (ms(since), ms(until))


@settings(max_examples=examples(80), deadline=None)
@given(
    zone=st.sampled_from([*DST_ZONES, "Asia/Tokyo", "Pacific/Chatham", "Africa/Casablanca"]),
    day=st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31)),
)
def test_windows_of_consecutive_days_tile_time_and_hold_exactly_that_day(zone, day):
    since, until = window_ms(day, day, zone)
    assert window_ms(day + timedelta(days=1), day + timedelta(days=1), zone)[0] == until + 1
    assert date_of_ms(since, zone) == day
    assert date_of_ms(until, zone) == day
    assert date_of_ms(since - 1, zone) < day


@pytest.mark.parametrize(
    "zone, now, today",
    [
        ("UTC", "2026-01-01T03:00:00Z", date(2026, 1, 1)),
        ("America/New_York", "2026-01-01T03:00:00Z", date(2025, 12, 31)),
        ("Asia/Tokyo", "2025-12-31T15:00:00Z", date(2026, 1, 1)),
        ("Asia/Kolkata", "2025-12-31T18:29:59.999Z", date(2025, 12, 31)),
        ("Asia/Kolkata", "2025-12-31T18:30:00Z", date(2026, 1, 1)),
    ],
)
def test_today_in_and_date_of_ms(zone, now, today):
    assert today_in(zone, now_ms=ms(now)) == today
    assert date_of_ms(ms(now), zone) == today


def test_today_in_defaults_to_the_clock():
    assert abs(today_in("UTC") - datetime.now(UTC).date()) <= timedelta(days=1)


def test_zone_list():
    assert zones.ZONES[0] == "UTC"
    assert len(zones.ZONES) == len(set(zones.ZONES))
    assert zones.ZONES[1:6] == ["Europe/London", "Europe/Berlin", "Europe/Paris", "America/New_York", "America/Chicago"]
    assert {"America/Los_Angeles", "Asia/Tokyo", "Asia/Kolkata"} <= set(zones.ZONES[:15])
    assert set(zones.ZONES) == (available_timezones() | {"UTC"}) - {"localtime", "posixrules"}
    rest = zones.ZONES[len(zones.COMMON_ZONES) :]
    assert rest == sorted(rest)
    assert all(is_zone(z) for z in zones.ZONES)


def test_local_ms_over_a_month_around_a_fall_back_matches_zoneinfo_on_every_row():
    # Behaviour, not how many lookups: every row of a dense month holding New York's fall back.
    ts = np.random.default_rng(3).uniform(ms("2026-10-15T00:00:00Z"), ms("2026-11-14T00:00:00Z"), 20_000)
    ts = np.concatenate([ts, [ms("2026-11-01T05:59:59.999Z"), ms("2026-11-01T06:00:00Z")]])
    got = local_ms(ts, "America/New_York")
    assert got.tolist() == [reference_local(t, "America/New_York") for t in ts]
