"""aggregate() on small hand-built logs, with expected values worked out from the reference's code."""

from __future__ import annotations

import pytest

from relay_metrics.ingest.loader import load_log
from relay_metrics.metrics.figures import aggregate, by_install
from relay_metrics.metrics.filters import Filters, apply_filters
from tests.helpers import record

H = 3_600_000
T0 = 1_767_225_600_000  # 2026-01-01T00:00Z, hour 0


def test_summary(small):
    s = aggregate(small)["summary"]
    assert s == {
        "calls": 5,
        "success": 3,
        "errors": 1,
        "refused": 1,
        "success_rate": 0.6,
        "total_cost_usd": pytest.approx(0.4),
        "total_duration_ms": 4500,
        "avg_duration_ms": 1500,  # over the 3 records with a duration; the reference would say 900
        "total_input_tokens": 150,
        "total_output_tokens": 10,
        "total_thinking_tokens": 7,
    }


def test_by_tier_groups_missing_and_empty_as_unknown(small):
    rows = {r["tier"]: r for r in aggregate(small)["by_tier"]}
    assert set(rows) == {"core", "pro", "max", "unknown"}
    assert rows["unknown"]["calls"] == 2  # b's tierless error and the refusal with tier ""
    assert rows["unknown"]["unique_installs"] == 2  # "b" and the missing install id, counted as one value
    assert rows["pro"] == {"tier": "pro", "calls": 1, "cost_usd": 0.3, "avg_duration_ms": 3000, "unique_installs": 1}
    assert rows["max"]["avg_duration_ms"] is None  # no duration at all: no average, not 0


def test_row_order_is_first_seen_newest_first(small):
    # readEntries sorts newest first; groupBy meets keys in that order.
    agg = aggregate(small)
    assert [r["tier"] for r in agg["by_tier"]] == ["unknown", "max", "pro", "core"]
    assert [r["model"] for r in agg["by_model"]] == ["unknown", "m2", "m1"]


def test_by_model_and_cost_vs_speed(small):
    agg = aggregate(small)
    m1 = next(r for r in agg["by_model"] if r["model"] == "m1")
    assert m1 == {
        "model": "m1",
        "calls": 2,
        "cost_usd": pytest.approx(0.4),
        "input_tokens": 150,
        "output_tokens": 10,
        "thinking_tokens": 7,
        "avg_duration_ms": 2000,
        "avg_cost_usd": pytest.approx(0.2),
    }
    assert [r["model"] for r in agg["cost_vs_speed"]] == ["m2", "m1", "unknown"]  # 500, 2000, none last


def test_by_install(small):
    rows = {r["install_id"]: r for r in aggregate(small)["by_install"]}
    assert rows["a"] == {
        "install_id": "a",
        "tier_snapshot": "pro",
        "calls": 2,
        "cost_usd": pytest.approx(0.4),
        "summaries": 1,
        "avg_duration_ms": 2000,
        "last_active_at": T0 + 2 * H,
    }
    assert rows["b"]["tier_snapshot"] == "max" and rows["b"]["summaries"] == 0  # "" is not a job id
    assert rows["unknown"]["tier_snapshot"] == "core"  # newest record's tier is "": the reference says core
    assert [r["install_id"] for r in aggregate(small)["by_install"]] == ["a", "unknown", "b"]  # cost, then first seen


def test_tier_snapshot_ties_take_the_earlier_line(write_log):
    frame = load_log(
        write_log(record(ts=5, install_id="x", tier="pro"), record(ts=5, install_id="x", tier="max"))
    ).frame
    assert by_install(frame)[0]["tier_snapshot"] == "pro"  # stable sort: file order among equal ts


def test_top_20_installs(write_log):
    frame = load_log(write_log(*[record(ts=i, install_id=f"i{i}", cost_usd=i) for i in range(30)])).frame
    top = aggregate(frame)["by_install"]
    assert [r["install_id"] for r in top] == [f"i{i}" for i in range(29, 9, -1)]


def test_by_hour_utc_always_24_rows(small):
    hours = aggregate(small)["by_hour_utc"]
    assert [h["hour_utc"] for h in hours] == list(range(24))
    assert [h["calls"] for h in hours][:6] == [0, 1, 2, 1, 0, 1]
    assert hours[2]["cost_usd"] == pytest.approx(0.3)


def test_negative_ts_hour(write_log):
    frame = load_log(write_log(record(ts=-1), record(ts=-0.5))).frame
    hours = aggregate(frame)["by_hour_utc"]
    assert hours[23]["calls"] == 1 and hours[0]["calls"] == 1  # Date(-1) is 23:59:59.999; -0.5 truncates to 0


def test_array_index_keys_come_first_like_object_entries(write_log):
    frame = load_log(write_log(record(ts=3, tier="pro"), record(ts=2, tier="10"), record(ts=1, tier="2"))).frame
    assert [r["tier"] for r in aggregate(frame)["by_tier"]] == ["2", "10", "pro"]


def test_empty(write_log):
    agg = aggregate(load_log(write_log(raw=b"")).frame)
    assert agg["summary"]["calls"] == 0 and agg["summary"]["success_rate"] == 0
    assert agg["by_tier"] == [] and agg["by_install"] == [] and len(agg["by_hour_utc"]) == 24


def test_one_install_with_300k_calls(write_log):
    line = b'{"ts":1767225600000,"install_id":"whale","tier":"max","cost_usd":0.001,"job_id":"j"}\n'
    frame = load_log(write_log(raw=line * 300_000)).frame
    row = aggregate(frame)["by_install"][0]  # the reference throws RangeError in Math.max here
    assert row["calls"] == 300_000 and row["last_active_at"] == 1767225600000 and row["summaries"] == 1


@pytest.mark.parametrize(
    ("tiers", "calls"),
    [(("core",), 1), (("pro", "max"), 2), (("unknown",), 2), (("nope",), 0)],
)
def test_tier_filter_uses_group_keys(small, tiers, calls):
    assert aggregate(apply_filters(small, Filters(tier=tiers)))["summary"]["calls"] == calls


def test_window_filter_is_inclusive(small):
    narrowed = apply_filters(small, Filters(since_ms=T0 + 2 * H, until_ms=T0 + 3 * H))
    assert aggregate(narrowed)["summary"]["calls"] == 3
