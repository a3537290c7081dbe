"""Our figures against the relay's own module, run with node on the same files.

Floats must agree within 1e-9 relative (we sum in another order). Where we differ on purpose,
the reference's value is replaced by what our rule gives, computed here independently.
"""

from __future__ import annotations

import json
import math
import subprocess
import time
from pathlib import Path

import pytest

from relay_metrics.cli import main
from relay_metrics.demo import write_demo_log
from relay_metrics.ingest.loader import load_log
from relay_metrics.metrics.figures import aggregate
from tests.helpers import REFERENCE_MODULE, lines_of, record

DRIVER = Path(__file__).with_name("reference_driver.mjs")
END_MS = 1_767_225_600_000  # 2026-01-01T00:00Z, fixed so the data never depends on today
DAY = 86_400_000


def reference(node: str, directory: Path, since: float | None, until: float | None) -> dict:
    args = [node, str(DRIVER), str(REFERENCE_MODULE), str(directory)]
    args += ["all" if since is None else str(since), "all" if until is None else str(until)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, check=True)
    return json.loads(done.stdout)


def assert_same(ours, theirs, path="$"):
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs), f"{path}: keys {list(ours)} != {list(theirs)}"
        for key in theirs:
            assert_same(ours[key], theirs[key], f"{path}.{key}")
    elif isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), f"{path}: {len(ours)} rows != {len(theirs)}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_same(a, b, f"{path}[{i}]")
    elif isinstance(theirs, float) or isinstance(ours, float):
        assert ours is not None and math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-12), (
            f"{path}: {ours} != {theirs}"
        )
    else:
        assert ours == theirs, f"{path}: {ours!r} != {theirs!r}"


def with_our_duration_rule(theirs: dict, records: list[dict]) -> dict:
    """The reference's figures with averages of duration_ms taken over records that have one."""

    def avg(rows):
        values = [r["duration_ms"] for r in rows if "duration_ms" in r]
        return sum(values) / len(values) if values else None

    def key(r, field):
        return r.get(field) or "unknown"

    theirs["summary"]["avg_duration_ms"] = avg(records)
    for table, field in (
        ("by_tier", "tier"),
        ("by_model", "model"),
        ("by_pipeline", "pipeline"),
        ("by_backend", "backend"),
        ("by_install", "install_id"),
    ):
        for row in theirs[table]:
            row["avg_duration_ms"] = avg([r for r in records if key(r, field) == row[field]])
    by_model = {row["model"]: row["avg_duration_ms"] for row in theirs["by_model"]}
    for row in theirs["cost_vs_speed"]:
        row["avg_duration_ms"] = by_model[row["model"]]
    theirs["cost_vs_speed"].sort(key=lambda r: (r["avg_duration_ms"] is None, r["avg_duration_ms"] or 0))
    return theirs


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("window", ["all", "last 10 days", "one day"])
def test_generated_logs_match_the_reference(node, tmp_path, seed, window):
    write_demo_log(tmp_path / "relay-calls.ndjson", rows=20_000, days=30, seed=seed, end_ms=END_MS)
    since, until = {
        "all": (None, None),
        "last 10 days": (END_MS - 10 * DAY, None),
        "one day": (END_MS - 5 * DAY + 1234, END_MS - 4 * DAY),
    }[window]
    ours = aggregate(load_log(tmp_path, since, until).frame)
    theirs = reference(node, tmp_path, since, until)
    assert ours["summary"]["calls"] > 0
    assert_same(ours, theirs)


def test_hand_built_edge_cases_match_the_reference(node, tmp_path):
    records = [
        record(ts=END_MS - 1000, install_id="a", tier="pro", model="m", cost_usd=0.1, duration_ms=10, job_id="j1"),
        record(
            ts=END_MS - 1000, install_id="a", tier="max", model="m", cost_usd=0.2, job_id="j1"
        ),  # tie on ts, no duration
        record(ts=END_MS - 5000, install_id="", tier="", model="", pipeline="", backend="", status="refused"),
        record(ts=END_MS - 6000, tier="core", input_tokens=5, output_tokens=6, thinking_tokens=7, duration_ms=0),
        record(ts=END_MS - 7000.5, install_id="unknown", model="10", cost_usd=1e-9, duration_ms=3),
        record(ts=END_MS - 8000, install_id="z", model="2", status="error", error="x", duration_ms=4, job_id=""),
        record(ts=-1, install_id="old", tier="core", cost_usd=5, duration_ms=1),
    ]
    (tmp_path / "relay-calls.ndjson").write_bytes(lines_of(*records, "", "  ", "not json", "[]", '{"ts":"1"}'))
    ours = aggregate(load_log(tmp_path).frame)
    theirs = with_our_duration_rule(reference(node, tmp_path, None, None), records)
    assert_same(ours, theirs)


def test_default_window_is_the_last_30_days_like_read_entries(node, tmp_path, capsys):
    now = time.time() * 1000
    records = [record(ts=int(now - d * DAY), install_id=f"i{d}", cost_usd=d, duration_ms=1) for d in (1, 29, 31, 40)]
    (tmp_path / "relay-calls.ndjson").write_bytes(lines_of(*records))
    theirs = reference(node, tmp_path, now - 30 * DAY, None)
    assert theirs["summary"]["calls"] == 2
    ours = aggregate(load_log(tmp_path, now - 30 * DAY).frame)
    assert_same(ours, theirs)
    assert main(["summary", str(tmp_path), "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["summary"]["calls"] == 2 and printed["until_ms"] is None
    assert abs(printed["since_ms"] - (now - 30 * DAY)) < 60_000
