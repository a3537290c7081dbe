"""Tests for the synthetic audit-log generator (relay_metrics.demo)."""

from __future__ import annotations

import collections
import itertools
import re
import time

import orjson
import pytest

from relay_metrics import demo
from relay_metrics.demo import MAX_DISORDER_MS, generate_demo_lines, write_demo_log

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
END_MS = 1_780_000_000_000  # 2026-05-28T20:26:40Z, deliberately not hour-aligned

KEY_ORDER = (
    "ts",
    "install_id",
    "tier",
    "pipeline",
    "backend",
    "model",
    "status",
    "credit_charged",
    "duration_ms",
    "input_tokens",
    "output_tokens",
    "thinking_tokens",
    "cost_usd",
    "job_id",
    "error",
)
TOKEN_KEYS = ("input_tokens", "output_tokens", "thinking_tokens")
ALWAYS = tuple(k for k in KEY_ORDER if k not in (*TOKEN_KEYS, "error"))
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
INSTALL = re.compile(r"^[0-9a-f]{12}$")


def _lines(rows, days=30, seed=1, end_ms=END_MS):
    return list(generate_demo_lines(rows, days, seed, end_ms))


def _records(rows, days=30, seed=1, end_ms=END_MS):
    return [orjson.loads(line) for line in _lines(rows, days, seed, end_ms)]


@pytest.fixture(scope="module")
def big():
    """A 20k-row, 30-day log (parsed), the size the realism checks are calibrated on."""
    return _records(20_000)


@pytest.fixture(scope="module")
def small_lines():
    return _lines(3_000, days=7, seed=5)


# ── determinism, counts, files ──────────────────────────────────────────────────────


def test_same_arguments_give_identical_bytes():
    assert _lines(2_000, 10, 42) == _lines(2_000, 10, 42)


def test_different_seed_or_window_gives_different_bytes():
    base = _lines(2_000, 10, 42)
    assert _lines(2_000, 10, 43) != base
    assert _lines(2_000, 10, 42, END_MS + HOUR_MS) != base


@pytest.mark.parametrize("rows", [0, 1, 2, 3, 7, 150, 1_001, 40_000])
def test_exact_row_count(rows):
    lines = _lines(rows, days=3, seed=rows)
    assert len(lines) == rows
    assert all(isinstance(line, bytes) and line.endswith(b"\n") and line.count(b"\n") == 1 for line in lines)


def test_write_demo_log_matches_generator_and_creates_dirs(tmp_path):
    path = tmp_path / "nested" / "dir" / "relay-calls.ndjson"
    assert write_demo_log(path, 5_000, days=5, seed=9, end_ms=END_MS) == 5_000
    assert path.read_bytes() == b"".join(generate_demo_lines(5_000, 5, 9, END_MS))
    assert sorted(p.name for p in path.parent.iterdir()) == ["relay-calls.ndjson"]  # no temp left
    # str paths work too, and rewriting is byte-identical
    assert write_demo_log(str(path), 5_000, days=5, seed=9, end_ms=END_MS) == 5_000
    assert path.read_bytes() == b"".join(generate_demo_lines(5_000, 5, 9, END_MS))


def test_write_demo_log_defaults_and_empty(tmp_path):
    path = tmp_path / "empty.ndjson"
    assert write_demo_log(path, 0, end_ms=END_MS) == 0
    assert path.read_bytes() == b""
    a, b = tmp_path / "a.ndjson", tmp_path / "b.ndjson"
    write_demo_log(a, 500, end_ms=END_MS)
    write_demo_log(b, 500, 30, 1, END_MS)
    assert a.read_bytes() == b.read_bytes()


def test_default_end_is_current_hour():
    for _ in range(3):  # retry if the clock crosses an hour boundary mid-test
        before = time.time_ns() // 1_000_000 // HOUR_MS * HOUR_MS
        default = _lines(800, days=2, seed=3, end_ms=None)
        after = time.time_ns() // 1_000_000 // HOUR_MS * HOUR_MS
        if before == after:
            break
    assert default == _lines(800, days=2, seed=3, end_ms=before)
    assert demo.default_end_ms(before + HOUR_MS - 1) == before


@pytest.mark.parametrize("kwargs", [dict(rows=-1), dict(days=0), dict(seed=-1), dict(rows=1.5)])
def test_bad_arguments_raise(kwargs):
    args = dict(rows=10, days=1, seed=1, end_ms=END_MS) | kwargs
    with pytest.raises((ValueError, TypeError)):
        list(generate_demo_lines(**args))


# ── record shape ──────────────────────────────────────────────────────────────────


def test_lines_are_compact_json_objects_in_reference_key_order(small_lines):
    for line in small_lines:
        rec = orjson.loads(line)
        assert isinstance(rec, dict)
        # Compact, JSON.stringify-like: re-serialising gives the same bytes.
        assert orjson.dumps(rec) + b"\n" == line
        keys = list(rec)
        assert keys == [k for k in KEY_ORDER if k in rec], keys
        assert set(ALWAYS) <= set(keys)
        assert type(rec["ts"]) is int and type(rec["duration_ms"]) is int
        assert rec["credit_charged"] in (0, 1)
        assert isinstance(rec["cost_usd"], (int, float)) and rec["cost_usd"] >= 0
        assert INSTALL.match(rec["install_id"])
        assert UUID4.match(rec["job_id"])
        assert rec["tier"] in ("core", "pro", "max")
        assert rec["pipeline"] in ("transcribe", "analyze")
        assert rec["status"] in ("success", "error", "refused")
        for k in TOKEN_KEYS:
            if k in rec:
                assert type(rec[k]) is int and rec[k] >= 0
        # tokens come as a set
        assert sum(k in rec for k in TOKEN_KEYS) in (0, 3)


@pytest.mark.parametrize("days,seed", [(30, 1), (1, 2), (7, 3)])
def test_ts_within_window(days, seed):
    recs = _records(4_000, days=days, seed=seed)
    ts = [r["ts"] for r in recs]
    assert min(ts) >= END_MS - days * DAY_MS
    assert max(ts) <= END_MS
    # ...and they actually fill the window rather than a corner of it
    assert max(ts) - min(ts) > 0.9 * days * DAY_MS


def test_disorder_is_small_and_bounded_by_own_duration(big):
    assert 0 < MAX_DISORDER_MS < 120_000
    running_max, trailing = big[0]["ts"], 0
    for r in big:
        lag = running_max - r["ts"]
        assert lag <= r["duration_ms"] <= MAX_DISORDER_MS
        trailing += lag > 0
        running_max = max(running_max, r["ts"])
    assert trailing > 0  # the disorder is real, not just permitted
    # lines are in the order the calls finished
    ends = [r["ts"] + r["duration_ms"] for r in big]
    assert ends == sorted(ends)


def test_durations_realistic(big):
    durations = [r["duration_ms"] for r in big]
    assert min(durations) >= 1
    assert max(durations) <= MAX_DISORDER_MS
    ok = sorted(r["duration_ms"] for r in big if r["status"] == "success")
    assert 1_000 < ok[len(ok) // 2] < 30_000  # median: seconds
    assert ok[int(len(ok) * 0.01)] < 3_000  # fast ones: hundreds of ms to a few s
    assert ok[int(len(ok) * 0.99)] > 30_000  # slow tail: tens of seconds


# ── jobs, backends, statuses, money ───────────────────────────────────────────────


def test_jobs_pair_transcribe_then_analyze(big):
    by_job = collections.defaultdict(list)
    for r in big:
        by_job[r["job_id"]].append(r)
    sizes = collections.Counter(len(v) for v in by_job.values())
    assert set(sizes) == {1, 2}
    assert sizes[2] > 5 * sizes[1] > 0  # most jobs complete; some stop after transcribe
    gaps = []
    for recs in by_job.values():
        t = recs[0]
        assert t["pipeline"] == "transcribe"
        if len(recs) == 2:
            a = recs[1]
            assert a["pipeline"] == "analyze" and a["backend"] == "gemini"
            assert t["status"] == "success"
            assert a["install_id"] == t["install_id"] and a["tier"] == t["tier"]
            assert a["ts"] >= t["ts"] + t["duration_ms"]
            gaps.append(a["ts"] - t["ts"])
    gaps.sort()
    assert 2_000 <= gaps[len(gaps) // 2] <= 60_000
    assert gaps[-1] <= 3 * 60_000


def test_hardware_transcribes(big):
    transcribes = [r for r in big if r["pipeline"] == "transcribe"]
    hardware = [r for r in transcribes if r["backend"] == "hardware"]
    assert 0.15 < len(hardware) / len(transcribes) < 0.5
    for r in hardware:
        assert r["model"] == "parakeet-tdt-0.6b-v3"
        assert not any(k in r for k in TOKEN_KEYS)
        assert r["cost_usd"] == 0
    assert all(r["backend"] == "gemini" for r in big if r["pipeline"] == "analyze")
    assert all(r["model"].startswith("gemini-") for r in big if r["backend"] == "gemini")


def test_status_mix_and_error_strings(big):
    status = collections.Counter(r["status"] for r in big)
    n = len(big)
    assert status["success"] / n > 0.88
    assert 0.005 < status["error"] / n < 0.08
    assert 0.003 < status["refused"] / n < 0.08
    errors = collections.Counter()
    for r in big:
        if r["status"] == "error":
            assert isinstance(r["error"], str) and 0 < len(r["error"]) <= 40
            errors[r["error"]] += 1
        else:
            assert "error" not in r
        if r["status"] == "refused":
            assert r["duration_ms"] < 1_000
            assert r["cost_usd"] == 0 and not any(k in r for k in TOKEN_KEYS)
    assert len(errors) >= 4
    assert "upstream timeout" in errors
    # some failed calls still cost money (partial usage), most don't
    costly = sum(1 for r in big if r["status"] == "error" and r["cost_usd"] > 0)
    assert 0 < costly < status["error"]


def test_refusals_concentrate_on_core(big):
    calls, refused = collections.Counter(), collections.Counter()
    for r in big:
        calls[r["tier"]] += 1
        refused[r["tier"]] += r["status"] == "refused"
    core = refused["core"] / calls["core"]
    paid = (refused["pro"] + refused["max"]) / (calls["pro"] + calls["max"])
    assert core > 3 * paid


def test_credit_charged_only_on_successful_analyze(big):
    for r in big:
        assert r["credit_charged"] == int(r["pipeline"] == "analyze" and r["status"] == "success")
    assert sum(r["credit_charged"] for r in big) > 0.4 * len(big)


def test_gemini_models_tokens_and_costs(big):
    priced = [r for r in big if "input_tokens" in r]
    assert priced
    models = collections.defaultdict(list)
    for r in priced:
        assert r["backend"] == "gemini" and r["cost_usd"] > 0
        models[r["model"]].append(r)
    assert {"gemini-3-flash-preview", "gemini-3-pro-preview", "gemini-2.5-flash", "gemini-2.5-flash-lite"} <= set(
        models
    )

    def mean(values):
        values = list(values)
        return sum(values) / len(values)

    cost_per_call = {m: mean(r["cost_usd"] for r in rs) for m, rs in models.items()}
    latency = {m: mean(r["duration_ms"] for r in rs) for m, rs in models.items()}
    assert cost_per_call["gemini-3-pro-preview"] > 2 * cost_per_call["gemini-3-flash-preview"]
    assert cost_per_call["gemini-3-flash-preview"] > 2 * cost_per_call["gemini-2.5-flash-lite"]
    assert latency["gemini-3-pro-preview"] > latency["gemini-3-flash-preview"] > latency["gemini-2.5-flash-lite"]
    # transcribe prompts carry audio, so they are much bigger than analyze prompts
    t_in = mean(r["input_tokens"] for r in priced if r["pipeline"] == "transcribe")
    a_in = mean(r["input_tokens"] for r in priced if r["pipeline"] == "analyze")
    assert t_in > 3 * a_in
    # costs are the raw float products of tokens and per-1M-token rates, not rounded
    assert sum(round(r["cost_usd"], 4) != r["cost_usd"] for r in priced) > 0.9 * len(priced)
    for r in priced:
        m = demo.MODELS.index(r["model"])
        rate_in = (demo._RATE_AUDIO_IN if r["pipeline"] == "transcribe" else demo._RATE_TEXT_IN)[m]
        rate_out = demo._RATE_OUT[m]
        if r["model"] == "gemini-3-pro-preview" and r["input_tokens"] > demo._LONG_CONTEXT:
            rate_in, rate_out = demo._PRO_LONG_IN, demo._PRO_LONG_OUT
        billed_out = r["output_tokens"] + r["thinking_tokens"]
        expected = r["input_tokens"] * rate_in / 1e6 + billed_out * rate_out / 1e6
        assert r["cost_usd"] == pytest.approx(expected, rel=1e-12)
    # the lite model doesn't think; the others do
    assert all(r["thinking_tokens"] == 0 for r in models["gemini-2.5-flash-lite"])
    assert mean(r["thinking_tokens"] for r in models["gemini-3-pro-preview"]) > 500


# ── users, tiers, traffic shape ───────────────────────────────────────────────────


def test_many_installs_with_heavy_tail(big):
    calls = collections.Counter(r["install_id"] for r in big)
    assert len(calls) >= 100
    ranked = sorted(calls.values(), reverse=True)
    top = max(1, len(ranked) // 100)
    assert sum(ranked[:top]) / len(big) > 0.10
    # ...while the typical install is modest
    assert ranked[len(ranked) // 2] < 0.01 * len(big)


def test_install_count_scales_with_rows():
    assert len({r["install_id"] for r in _records(300, days=2)}) >= 5
    assert len({r["install_id"] for r in _records(30_000, days=2)}) > 120


def test_tier_shares_by_install(big):
    first_tier = {}
    for r in big:
        first_tier.setdefault(r["install_id"], r["tier"])
    n = len(first_tier)
    share = collections.Counter(first_tier.values())
    assert 0.55 < share["core"] / n < 0.85
    assert 0.12 < share["pro"] / n < 0.40
    assert 0.01 < share["max"] / n < 0.15


def test_some_installs_upgrade_once_and_stay_upgraded(big):
    rank = {"core": 0, "pro": 1, "max": 2}
    history = collections.defaultdict(list)
    for r in sorted(big, key=lambda r: r["ts"]):
        history[r["install_id"]].append(rank[r["tier"]])
    upgraded = 0
    for tiers in history.values():
        changes = [(a, b) for a, b in itertools.pairwise(tiers) if a != b]
        assert len(changes) <= 1, changes  # a single switch, never back
        if changes:
            ((a, b),) = changes
            assert b == a + 1
            upgraded += 1
    assert 1 <= upgraded <= 0.15 * len(history)


def test_hour_of_day_curve(big):
    hours = collections.Counter(r["ts"] // HOUR_MS % 24 for r in big)
    counts = [hours[h] for h in range(24)]
    assert min(counts) > 0
    assert max(counts) > 2 * min(counts)


def test_weekends_quieter_and_gentle_growth(big):
    start = END_MS - 30 * DAY_MS
    per_day = collections.Counter((r["ts"] - start) // DAY_MS for r in big)
    # weekday of UTC calendar day; use full UTC days only
    by_date = collections.Counter(r["ts"] // DAY_MS for r in big)
    full = sorted(by_date)[1:-1]
    weekend = [by_date[d] for d in full if (d + 3) % 7 >= 5]
    weekday = [by_date[d] for d in full if (d + 3) % 7 < 5]
    assert sum(weekday) / len(weekday) > 1.4 * sum(weekend) / len(weekend)
    first_week = sum(per_day[d] for d in range(0, 7))
    last_week = sum(per_day[d] for d in range(23, 30))
    assert 1.05 < last_week / first_week < 2.0
