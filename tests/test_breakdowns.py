"""The dashboard's tables: hand-worked small logs, and the reference's figures on demo data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from relay_metrics.demo import write_demo_log
from relay_metrics.ingest.loader import load_log
from relay_metrics.metrics import breakdowns as bd
from relay_metrics.metrics import figures
from relay_metrics.metrics.filters import Filters, apply_filters
from relay_metrics.metrics.zones import window_ms
from tests.helpers import record

H = 3_600_000
T0 = 1_767_225_600_000  # 2026-01-01T00:00Z, a Thursday
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DEMO_END = 1_794_700_800_000  # 2026-11-15T00:00Z: 30 days back covers New York's fall back


def ms(iso: str) -> int:
    return (datetime.fromisoformat(iso) - EPOCH) // timedelta(milliseconds=1)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "relay-calls.ndjson"
    write_demo_log(path, rows=20_000, days=30, seed=7, end_ms=DEMO_END)
    return load_log(path).frame


@pytest.fixture
def empty(write_log):
    frame = load_log(write_log("not json", "[1]", '{"ts":"x"}')).frame
    assert len(frame) == 0
    return frame


# ── overview ─────────────────────────────────────────────────────────────────────────────


def test_overview_small(small):
    assert bd.overview(small) == {
        "calls": 5,
        "success_rate": 0.6,
        "total_cost_usd": pytest.approx(0.4),
        "cost_per_summary_usd": pytest.approx(0.4),  # one job id: j1 ("" and missing don't count)
        "avg_duration_ms": 1500,
        "p95_duration_ms": pytest.approx(2800),  # of 500, 1000, 3000: 1000 + 0.9 * 2000
        "total_tokens": 167,
    }


def test_overview_shows_the_reference_figures(small, write_log):
    # The same numbers as the reference's summary, on hand-made records and on a frame whose
    # durations and job ids are partly missing (behaviour, not which function is called).
    other = load_log(
        write_log(record(status="success", cost_usd=1, duration_ms=10, job_id="a"), record(job_id="", status="error"))
    ).frame
    for frame in (small, other):
        got, reference = bd.overview(frame), figures.summary(frame)
        for key in ("calls", "success_rate", "total_cost_usd", "avg_duration_ms"):
            assert got[key] == pytest.approx(reference[key]), key


def test_overview_without_jobs_or_durations(write_log):
    frame = load_log(write_log(record(status="success", cost_usd=1), record(job_id="", status="error"))).frame
    got = bd.overview(frame)
    assert got["cost_per_summary_usd"] is None
    assert got["avg_duration_ms"] is None
    assert got["p95_duration_ms"] is None
    assert got["success_rate"] == 0.5


def test_cost_per_summary_job_counts_only_jobs_that_delivered_a_summary(write_log):
    frame = load_log(
        write_log(
            record(job_id="a", pipeline="transcribe", status="success", cost_usd=1.0),
            record(job_id="a", pipeline="analyze", status="success", cost_usd=2.0),
            record(job_id="b", pipeline="transcribe", status="success", cost_usd=4.0),
            record(job_id="b", pipeline="analyze", status="error", cost_usd=8.0),  # no summary: its cost still counts
            record(pipeline="analyze", status="success", cost_usd=16.0),  # no job id: not a job's cost
        )
    ).frame
    assert bd.overview(frame)["cost_per_summary_usd"] == pytest.approx((1 + 2 + 4 + 8) / 1)
    # The Overview's card and Profitability's unit economics are one figure.
    from relay_metrics.metrics import profit

    assert profit.unit_economics(frame, profit.job_costs(frame))["cost_per_job_usd"] == pytest.approx(15.0)


def test_overview_of_nothing(empty):
    got = bd.overview(empty)
    assert got["calls"] == 0 and got["total_tokens"] == 0
    assert got["cost_per_summary_usd"] is None and got["p95_duration_ms"] is None


@pytest.mark.parametrize("dtype", ["str", "object", "category"])
def test_summaries_count_distinct_non_empty_job_ids_whatever_the_column_type(write_log, dtype):
    jobs = ["j1", "j1", "j2", "", None, "j3", "\ud800", "\ud800", ""]
    if dtype == "str":
        jobs = ["s" if j == "\ud800" else j for j in jobs]  # Arrow strings can't hold a surrogate
    calls = [
        record(cost_usd=1, pipeline="analyze", status="success", **({} if j is None else {"job_id": j})) for j in jobs
    ]
    frame = load_log(write_log(*calls)).frame
    values = np.empty(len(jobs), dtype=object)
    values[:] = [np.nan if j is None else j for j in jobs]
    column = pd.Series(values, dtype=object)
    if dtype == "str":
        column = column.astype("str")
    elif dtype == "category":  # as the loader builds them: object categories (astype can't hold "\ud800")
        codes, uniques = pd.factorize(values)
        column = pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype=object)))
    frame = frame.assign(job_id=column)
    # Cost of the calls carrying a job id (6 of the 9) over the jobs that delivered a summary (4).
    assert bd.overview(frame)["cost_per_summary_usd"] == pytest.approx(6 / 4)
    tiers = bd.tier_table(frame)
    assert tiers["summaries"].tolist() == [4]


@pytest.mark.parametrize(
    "current, previous, expected",
    [
        ({"calls": 10, "success_rate": 0.5}, {"calls": 4, "success_rate": 0.75}, {"calls": 6, "success_rate": -0.25}),
        (
            {"calls": 3, "p95_duration_ms": None},
            {"calls": 3, "p95_duration_ms": 10.0},
            {"calls": 0, "p95_duration_ms": None},
        ),
        (
            {"calls": 2, "cost_per_summary_usd": 2.0},
            {"calls": 1, "cost_per_summary_usd": None},
            {"calls": 1, "cost_per_summary_usd": None},
        ),
        # nothing before: no change to speak of, not "+everything"
        (
            {"calls": 5, "total_cost_usd": 2.0},
            {"calls": 0, "total_cost_usd": 0.0},
            {"calls": None, "total_cost_usd": None},
        ),
    ],
)
def test_deltas(current, previous, expected):
    assert bd.deltas(current, previous) == expected


def test_deltas_of_two_overviews_has_every_key(small, empty):
    got = bd.deltas(bd.overview(small), bd.overview(small.iloc[:1]))
    assert list(got) == list(bd.OVERVIEW_KEYS)
    assert got["calls"] == len(small) - 1
    assert set(bd.deltas(bd.overview(small), bd.overview(empty)).values()) == {None}


@pytest.mark.parametrize(
    "since, until, previous",
    [
        (0, 9, (-10, -1)),
        (T0, T0 + 86_400_000 - 1, (T0 - 86_400_000, T0 - 1)),
        (100, 100, (99, 99)),
    ],
)
def test_previous_window(since, until, previous):
    got = bd.previous_window(since, until)
    assert got == previous
    assert got[1] - got[0] == until - since


def test_previous_window_of_a_dst_day_is_as_long():
    since, until = window_ms(date(2026, 3, 8), date(2026, 3, 8), "America/New_York")  # 23 hours
    before = bd.previous_window(since, until)
    assert before == (since - 23 * H, since - 1)


# ── days ─────────────────────────────────────────────────────────────────────────────────


@pytest.fixture
def around_spring_forward(write_log):
    return load_log(
        write_log(
            record(ts=ms("2026-03-08T04:59:00Z"), status="error", cost_usd=1),  # NY: Mar 7 23:59 EST
            record(ts=ms("2026-03-08T05:00:00Z"), status="success", cost_usd=2),  # NY: Mar 8 00:00
            record(ts=ms("2026-03-09T03:59:59.999Z"), status="refused", cost_usd=4),  # NY: Mar 8 23:59:59.999 EDT
            record(ts=ms("2026-03-09T04:00:00Z"), cost_usd=8),  # NY: Mar 9 00:00 EDT
            record(ts=ms("2026-03-20T12:00:00Z"), cost_usd=16),  # outside the asked days
        )
    ).frame


@pytest.mark.parametrize(
    "zone, calls, cost, errors, refused",
    [
        ("America/New_York", [0, 1, 2, 1, 0], [0, 1, 6, 8, 0], [0, 1, 0, 0, 0], [0, 0, 1, 0, 0]),
        ("UTC", [0, 0, 2, 2, 0], [0, 0, 3, 12, 0], [0, 0, 1, 0, 0], [0, 0, 0, 1, 0]),
    ],
)
def test_daily_uses_local_days_and_fills_days_without_calls(around_spring_forward, zone, calls, cost, errors, refused):
    got = bd.daily(around_spring_forward, zone, date(2026, 3, 6), date(2026, 3, 10))
    assert list(got.columns) == ["day", "calls", "cost_usd", "errors", "refused"]
    assert got["day"].tolist() == [pd.Timestamp(2026, 3, d) for d in range(6, 11)]
    assert got["day"].dt.tz is None
    assert got["calls"].tolist() == calls
    assert got["cost_usd"].tolist() == cost
    assert got["errors"].tolist() == errors
    assert got["refused"].tolist() == refused


def test_daily_of_nothing_still_has_every_day(empty):
    got = bd.daily(empty, "Asia/Tokyo", date(2026, 1, 1), date(2026, 1, 3))
    assert got["calls"].tolist() == [0, 0, 0]


def test_daily_totals_on_demo_match_the_window(demo):
    zone, start, end = "America/New_York", date(2026, 10, 20), date(2026, 11, 10)
    since, until = window_ms(start, end, zone)
    inside = apply_filters(demo, Filters(since_ms=since, until_ms=until))
    got = bd.daily(demo, zone, start, end)
    assert len(got) == 22 and got["calls"].sum() == len(inside)
    assert got["cost_usd"].sum() == pytest.approx(figures.summary(inside)["total_cost_usd"])
    assert got["errors"].sum() == figures.summary(inside)["errors"]
    local_days = demo["time"].dt.tz_convert(zone).dt.date
    expected = local_days[(local_days >= start) & (local_days <= end)].value_counts()
    assert dict(zip(got["day"].dt.date, got["calls"])) == {d: expected.get(d, 0) for d in got["day"].dt.date}


# ── statuses, tiers, models, pipelines, backends ────────────────────────────────────────


def test_status_mix(write_log):
    frame = load_log(write_log(*[record(status=s) for s in ["success"] * 3 + ["error", "", "refused"]], record())).frame
    got = bd.status_mix(frame)
    assert got["status"].tolist() == ["success", "unknown", "error", "refused"]  # ties by name
    assert got["calls"].tolist() == [3, 2, 1, 1]
    assert got["share"].tolist() == pytest.approx([3 / 7, 2 / 7, 1 / 7, 1 / 7])


def test_tier_table_small(small):
    got = bd.tier_table(small)
    assert _table(got[list(bd.TIER_COLUMNS)]) == _records(figures.aggregate(small)["by_tier"])
    rows = got.set_index("tier")
    assert rows.loc["core", "summaries"] == 1 and rows.loc["pro", "summaries"] == 1  # j1 spans two tiers
    assert rows.loc["unknown", "summaries"] == 0
    assert np.isnan(rows.loc["unknown", "cost_per_summary_usd"])
    assert rows.loc["pro", "cost_per_summary_usd"] == pytest.approx(0.3)
    assert rows.loc["unknown", "cost_per_install_usd"] == 0  # 2 installs ("b" and missing), no cost


def test_tier_table_demo(demo):
    got = bd.tier_table(demo)
    assert _table(got[list(bd.TIER_COLUMNS)]) == _records(figures.aggregate(demo)["by_tier"])
    jobs = demo["job_id"].where(demo["job_id"] != "")
    expected = jobs.groupby(demo["tier"].astype(object).fillna("unknown").replace("", "unknown")).nunique()
    assert dict(zip(got["tier"], got["summaries"])) == expected.to_dict()
    assert got["cost_per_install_usd"].tolist() == pytest.approx((got["cost_usd"] / got["unique_installs"]).tolist())
    # Per tier as on the Overview: job calls' cost over the jobs that delivered a summary.
    tier = demo["tier"].astype(object).fillna("unknown").replace("", "unknown")
    has_job = jobs.notna()
    delivered = has_job & (demo["pipeline"] == "analyze") & (demo["status"] == "success")
    job_cost = demo["cost_usd"].where(has_job, 0.0).groupby(tier).sum()
    summary_jobs = jobs.where(delivered).groupby(tier).nunique()
    expected_per_summary = [job_cost[t] / summary_jobs[t] for t in got["tier"]]
    assert got["cost_per_summary_usd"].tolist() == pytest.approx(expected_per_summary)


def test_model_table(demo):
    got = bd.model_table(demo)
    assert _table(got[list(bd.MODEL_COLUMNS)]) == _records(figures.aggregate(demo)["by_model"])
    durations = demo.groupby("model", observed=True)["duration_ms"]
    for row in got.itertuples():
        assert row.p50_duration_ms == pytest.approx(durations.quantile(0.5)[row.model])
        assert row.p95_duration_ms == pytest.approx(durations.quantile(0.95)[row.model])


def test_model_table_small_without_durations(small):
    got = bd.model_table(small).set_index("model")
    assert got.loc["m1", "p95_duration_ms"] == pytest.approx(2900)
    assert np.isnan(got.loc["unknown", "p50_duration_ms"])  # the refusal has no duration


@pytest.mark.parametrize("table, key", [(bd.pipeline_table, "by_pipeline"), (bd.backend_table, "by_backend")])
@pytest.mark.parametrize("data", ["small", "demo"])
def test_pipeline_and_backend_tables_are_the_reference_rows(request, table, key, data):
    frame = request.getfixturevalue(data)
    assert _table(table(frame)) == _records(figures.aggregate(frame)[key])


def test_tables_of_a_filtered_frame_are_the_reference_rows_of_it(demo):
    frame = apply_filters(demo, Filters(since_ms=DEMO_END - 7 * 86_400_000, tier=("pro", "max")))
    agg = figures.aggregate(frame)
    assert _table(bd.tier_table(frame)[list(bd.TIER_COLUMNS)]) == _records(agg["by_tier"])
    assert _table(bd.installs_table(frame).drop(columns="last_active")) == _records(agg["by_install"])


def test_row_order_matches_the_reference_with_ties_and_numeric_keys(write_log):
    # Newest first, file order among equal ts; JavaScript lists integer-like keys first.
    frame = load_log(
        write_log(
            record(ts=5, tier="a", model="x"),
            record(ts=5, tier="b", model="10"),
            record(ts=3, tier="c", model="2"),
            record(ts=5, tier="a", model="y"),
            record(ts=9, tier="10", model="x"),
            record(ts=9, tier="b"),
        )
    ).frame
    agg = figures.aggregate(frame)
    assert bd.tier_table(frame)["tier"].tolist() == [r["tier"] for r in agg["by_tier"]] == ["10", "b", "a", "c"]
    assert (
        bd.model_table(frame)["model"].tolist()
        == [r["model"] for r in agg["by_model"]]
        == ["2", "10", "x", "unknown", "y"]
    )


def test_cost_vs_speed_table(demo):
    got = bd.cost_vs_speed_table(demo)
    reference = figures.aggregate(demo)["cost_vs_speed"]
    assert _table(got.drop(columns="backend")) == _records(reference)
    backends = demo.groupby("model", observed=True)["backend"].agg(lambda s: s.value_counts().idxmax())
    assert dict(zip(got["model"], got["backend"])) == backends.to_dict()


def test_cost_vs_speed_backend_tie_goes_to_the_name_first_in_order(write_log):
    frame = load_log(
        write_log(
            record(model="m", backend="zeta", duration_ms=1),
            record(model="m", backend="alpha", duration_ms=1),
            record(model="m", duration_ms=1),
            record(model="m", duration_ms=1),
        )
    ).frame
    assert bd.cost_vs_speed_table(frame)["backend"].tolist() == ["unknown"]
    frame = frame[frame["backend"].notna().to_numpy()]
    assert bd.cost_vs_speed_table(frame)["backend"].tolist() == ["alpha"]


# ── installs ─────────────────────────────────────────────────────────────────────────────


def test_installs_table_is_the_reference_top_20(demo):
    got = bd.installs_table(demo)
    assert _table(got.drop(columns="last_active")) == _records(figures.aggregate(demo)["by_install"])
    assert got["last_active"].tolist() == [pd.Timestamp(int(t), unit="ms", tz="UTC") for t in got["last_active_at"]]


@pytest.fixture
def installs(write_log):
    return load_log(
        write_log(
            record(install_id="Abc", cost_usd=5),
            record(install_id="abd", cost_usd=3),
            record(install_id="ab", cost_usd=4),
            record(install_id="x", cost_usd=1),
            record(install_id="", cost_usd=2),
            record(cost_usd=0.5),
        )
    ).frame


@pytest.mark.parametrize(
    "top, prefix, ids",
    [
        (20, "", ["Abc", "ab", "abd", "unknown", "x"]),  # "unknown": "" and missing, 2.5
        (None, "ab", ["ab", "abd"]),
        (20, "A", ["Abc"]),  # case-sensitive
        (1, "ab", ["ab"]),
        (0, "", []),
        (None, "nothing", []),
        (2, "", ["Abc", "ab"]),
    ],
)
def test_installs_table_top_and_prefix(installs, top, prefix, ids):
    assert bd.installs_table(installs, top=top, prefix=prefix)["install_id"].tolist() == ids


def test_installs_table_counts_all_installs_before_taking_the_top(demo):
    everything = bd.installs_table(demo, top=None)
    assert len(everything) == len(figures.by_install(demo)) > 20
    assert everything["cost_usd"].is_monotonic_decreasing


@pytest.fixture
def one_install(write_log):
    return load_log(
        write_log(
            record(
                ts=ms("2026-03-08T04:00:00Z"), install_id="a", job_id="j1", status="success", cost_usd=0.1, tier="pro"
            ),
            record(ts=ms("2026-03-08T04:30:00Z"), install_id="a", job_id="j1", status="error", cost_usd=0.2),
            record(ts=ms("2026-03-08T06:00:00Z"), install_id="a", job_id="j2", status="success"),
            record(ts=ms("2026-03-09T06:00:00Z"), install_id="a", job_id="", status="refused"),
            record(ts=ms("2026-03-09T07:00:00Z"), install_id="a"),
            record(ts=ms("2026-03-09T08:00:00Z"), install_id="b", job_id="j3", cost_usd=9),
            record(ts=ms("2026-03-09T09:00:00Z"), install_id="", job_id="j4", cost_usd=1),
            record(ts=ms("2026-03-09T10:00:00Z"), job_id="j4", status="success"),
        )
    ).frame


def test_install_calls_newest_first(one_install):
    got = bd.install_calls(one_install, "a")
    assert list(got.columns) == list(bd.CALL_COLUMNS)
    assert got["time"].tolist() == sorted(got["time"], reverse=True)
    assert len(got) == 5 and got["job_id"].tolist()[-1] == "j1"
    assert bd.install_calls(one_install, "nobody").empty


def test_install_unknown_means_missing_or_empty(one_install):
    assert len(bd.install_calls(one_install, "unknown")) == 2
    jobs = bd.install_jobs(one_install, "unknown")
    assert jobs[["job_id", "calls", "statuses"]].to_dict("records") == [
        {"job_id": "j4", "calls": 2, "statuses": "unknown, success"},
    ]


def test_install_jobs(one_install):
    got = bd.install_jobs(one_install, "a")
    assert list(got.columns) == ["job_id", "first_time", "calls", "cost_usd", "statuses"]
    assert got.to_dict("records") == [
        {
            "job_id": "j2",
            "first_time": pd.Timestamp("2026-03-08T06:00:00Z"),
            "calls": 1,
            "cost_usd": 0.0,
            "statuses": "success",
        },
        {
            "job_id": "j1",
            "first_time": pd.Timestamp("2026-03-08T04:00:00Z"),
            "calls": 2,
            "cost_usd": pytest.approx(0.3),
            "statuses": "success, error",
        },
    ]
    assert bd.install_jobs(one_install, "nobody").empty


@pytest.mark.parametrize(
    "zone, days, calls",
    [
        ("UTC", [date(2026, 3, 8), date(2026, 3, 9)], [3, 2]),
        ("America/New_York", [date(2026, 3, 7), date(2026, 3, 8), date(2026, 3, 9)], [2, 1, 2]),
    ],
)
def test_install_daily(one_install, zone, days, calls):
    got = bd.install_daily(one_install, "a", zone)
    assert list(got.columns) == ["day", "calls", "cost_usd", "errors"]
    assert got["day"].dt.date.tolist() == days
    assert got["calls"].tolist() == calls
    assert got["cost_usd"].sum() == pytest.approx(0.3) and got["errors"].sum() == 1


# ── traffic ──────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("data", ["small", "demo", "empty"])
def test_hourly_utc_is_the_reference_by_hour_utc(request, data):
    frame = request.getfixturevalue(data)
    got = bd.hourly(frame, "UTC")
    reference = figures.by_hour_utc(frame)
    assert got["hour"].tolist() == [r["hour_utc"] for r in reference] == list(range(24))
    assert got["calls"].tolist() == [r["calls"] for r in reference]
    assert got["cost_usd"].tolist() == pytest.approx([r["cost_usd"] for r in reference])


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"])
def test_hourly_in_a_zone_is_the_local_hour_of_each_record(demo, zone):
    got = bd.hourly(demo, zone)
    local_hours = demo["time"].dt.tz_convert(zone).dt.hour
    assert len(got) == 24
    assert got["calls"].tolist() == np.bincount(local_hours, minlength=24).tolist()
    assert got["cost_usd"].tolist() == pytest.approx(
        np.bincount(local_hours, weights=demo["cost_usd"].fillna(0), minlength=24).tolist()
    )


@pytest.mark.parametrize(
    "zone, instants, hours",
    [
        ("Asia/Kolkata", ["2026-01-01T00:29:00Z", "2026-01-01T00:31:00Z"], [5, 6]),  # +5:30, not +5 or +6
        ("America/New_York", ["2026-03-08T06:30:00Z", "2026-03-08T07:30:00Z"], [1, 3]),  # no 2 o'clock that day
        ("America/New_York", ["2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z"], [1, 1]),  # 1 o'clock twice
    ],
)
def test_hourly_is_not_a_shifted_utc_bucket(write_log, zone, instants, hours):
    frame = load_log(write_log(*[record(ts=ms(i)) for i in instants])).frame
    got = bd.hourly(frame, zone)
    assert got["calls"].tolist() == np.bincount(hours, minlength=24).tolist()


def test_weekday_hour(write_log, demo):
    frame = load_log(write_log(record(ts=T0, cost_usd=2))).frame  # Thursday 00:00 UTC
    utc = bd.weekday_hour(frame, "UTC")
    assert list(utc.columns) == ["weekday", "weekday_name", "hour", "calls", "cost_usd"]
    assert len(utc) == 168 and utc["calls"].sum() == 1
    assert utc.loc[utc["calls"] == 1, ["weekday", "weekday_name", "hour", "cost_usd"]].values.tolist() == [
        [3, "Thu", 0, 2.0]
    ]
    ny = bd.weekday_hour(frame, "America/New_York")
    assert ny.loc[ny["calls"] == 1, ["weekday_name", "hour"]].values.tolist() == [["Wed", 19]]
    got = bd.weekday_hour(demo, "Europe/Berlin")
    local = demo["time"].dt.tz_convert("Europe/Berlin")
    expected = np.bincount(local.dt.day_of_week * 24 + local.dt.hour, minlength=168)
    assert got["calls"].tolist() == expected.tolist()


# ── data quality ─────────────────────────────────────────────────────────────────────────


def test_top_errors(write_log):
    frame = load_log(
        write_log(
            record(ts=T0 + 1, status="error", error="boom"),
            record(ts=T0 + 5, status="error", error="boom"),
            record(ts=T0 + 2, status="error"),
            record(ts=T0 + 3, status="error", error=""),
            record(ts=T0 + 9, status="error", error="=cmd|' /C calc'!A0"),
            record(ts=T0 + 4, status="success", error="ignored: not an error record"),
        )
    ).frame
    got = bd.top_errors(frame)
    assert got.to_dict("records") == [
        {"error": "boom", "calls": 2, "share": 0.4, "last_seen": pd.Timestamp(T0 + 5, unit="ms", tz="UTC")},
        {"error": "unknown", "calls": 2, "share": 0.4, "last_seen": pd.Timestamp(T0 + 3, unit="ms", tz="UTC")},
        {
            "error": "=cmd|' /C calc'!A0",
            "calls": 1,
            "share": 0.2,
            "last_seen": pd.Timestamp(T0 + 9, unit="ms", tz="UTC"),
        },
    ]
    assert bd.top_errors(frame, n=1)["error"].tolist() == ["boom"]


def test_refusals_by_tier(write_log):
    frame = load_log(
        write_log(
            *[record(tier="core", status="refused")] * 3,
            record(tier="core", status="success"),
            record(tier="pro", status="refused"),
            *[record(tier="pro")] * 4,
            record(status="success"),
        )
    ).frame
    assert bd.refusals_by_tier(frame).to_dict("records") == [
        {"tier": "core", "calls": 4, "refused": 3, "refused_share": 0.75},
        {"tier": "pro", "calls": 5, "refused": 1, "refused_share": 0.2},
        {"tier": "unknown", "calls": 1, "refused": 0, "refused_share": 0.0},
    ]


def test_report_tables(write_log):
    loaded = load_log(
        write_log(
            raw=b"not json\n[1]\n[2]\n" + b'{"ts":"x"}\n{"ts":1,"cost_usd":"0.5"}\n{"ts":2,"tier":7}\n{"ts":3,"ti'
        )
    )
    report = loaded.report
    rejected = bd.rejected_table(report)
    assert rejected.to_dict("records") == [
        {"reason": "not an object", "lines": 2},
        {"reason": "invalid JSON", "lines": 1},
        {"reason": "ts missing or not a number", "lines": 1},
    ]
    assert rejected["lines"].sum() == report.rejected_total
    samples = bd.samples_table(report)
    assert list(samples.columns) == ["file", "line", "reason", "text"]
    assert samples[["line", "reason", "text"]].values.tolist() == [
        [1, "invalid JSON", "not json"],
        [2, "not an object", "[1]"],
        [3, "not an object", "[2]"],
        [4, "ts missing or not a number", '{"ts":"x"}'],
        [7, "pending", '{"ts":3,"ti'],
    ]
    assert bd.field_problems_table(report).to_dict("records") == [
        {"field": "cost_usd", "records": 1},
        {"field": "tier", "records": 1},
    ]


def test_report_tables_of_a_clean_log(write_log):
    report = load_log(write_log(record())).report
    assert bd.rejected_table(report).empty and bd.samples_table(report).empty and bd.field_problems_table(report).empty
    assert list(bd.field_problems_table(report).columns) == ["field", "records"]


# ── every table: empty frames, hostile text ──────────────────────────────────────────────

TABLES = {
    "overview": lambda f: bd.overview(f),
    "daily": lambda f: bd.daily(f, "Europe/Berlin", date(2026, 1, 1), date(2026, 1, 2)),
    "status_mix": bd.status_mix,
    "tier_table": bd.tier_table,
    "model_table": bd.model_table,
    "pipeline_table": bd.pipeline_table,
    "backend_table": bd.backend_table,
    "cost_vs_speed_table": bd.cost_vs_speed_table,
    "installs_table": bd.installs_table,
    "install_calls": lambda f: bd.install_calls(f, "unknown"),
    "install_daily": lambda f: bd.install_daily(f, "unknown", "Asia/Kolkata"),
    "install_jobs": lambda f: bd.install_jobs(f, "unknown"),
    "hourly": lambda f: bd.hourly(f, "Asia/Kolkata"),
    "weekday_hour": lambda f: bd.weekday_hour(f, "UTC"),
    "top_errors": bd.top_errors,
    "refusals_by_tier": bd.refusals_by_tier,
}


@pytest.mark.parametrize("name", TABLES)
def test_every_table_of_an_empty_frame(empty, small, name):
    got = TABLES[name](empty)
    full = TABLES[name](small)
    if isinstance(got, pd.DataFrame):
        assert list(got.columns) == list(full.columns)
        assert len(got) == {"daily": 2, "hourly": 24, "weekday_hour": 168}.get(name, 0)


HOSTILE = '\ud800=HYPERLINK("http://x")<script>\udfff'


@pytest.fixture
def hostile(write_log):
    escaped = '"\\ud800=HYPERLINK(\\"http://x\\")<script>\\udfff"'
    line = (
        '{"ts":1767225600000,"install_id":%s,"tier":%s,"model":%s,"pipeline":%s,"backend":%s,'
        '"status":"error","error":%s,"job_id":%s,"cost_usd":1,"duration_ms":5}'
    ) % ((escaped,) * 7)
    frame = load_log(write_log(line, record(install_id="plain", status="success", job_id="j"))).frame
    assert HOSTILE in frame["install_id"].cat.categories
    return frame


@pytest.mark.parametrize("name", TABLES)
def test_every_table_keeps_lone_surrogates_exactly(hostile, name):
    got = TABLES[name](hostile)
    if name.startswith("install_"):
        got = {
            "install_calls": lambda: bd.install_calls(hostile, HOSTILE),
            "install_daily": lambda: bd.install_daily(hostile, HOSTILE, "UTC"),
            "install_jobs": lambda: bd.install_jobs(hostile, HOSTILE),
        }[name]()
        assert len(got) == 1
    if isinstance(got, pd.DataFrame):
        texts = {v for column in got.columns for v in got[column].tolist() if isinstance(v, str)}
        if name in (
            "tier_table",
            "model_table",
            "pipeline_table",
            "backend_table",
            "installs_table",
            "top_errors",
            "refusals_by_tier",
            "install_calls",
            "install_jobs",
            "cost_vs_speed_table",
        ):
            assert HOSTILE in texts


def _records(rows: list[dict]) -> list[dict]:
    """Rows (reference dicts or a frame's records) with no-figure (None or NaN) as None."""
    return [
        {k: (None if v is None or (isinstance(v, float) and np.isnan(v)) else v) for k, v in row.items()}
        for row in rows
    ]


def _table(frame: pd.DataFrame) -> list[dict]:
    return _records(frame.to_dict("records"))
