"""`margins --format json` against an independent, plain-Python reading of the revenue rule
on a generated demo log: an inner window, --all, and a range wider than the log."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from relay_metrics.cli import main
from relay_metrics.demo import write_demo_log
from relay_metrics.metrics.pricing import DEFAULT_PRICING, load_pricing

DAY = 86_400_000
P = 30.4375 * DAY
END = 1_764_597_600_000  # 2025-12-01T14:00:00Z


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("rule") / "relay-calls.ndjson"
    write_demo_log(path, 6_000, 50, 11, END)
    return path


def expected(path, since, until) -> dict:
    """Revenue, cost and tier per install, by the issue's rule, read straight from the lines."""
    prices = {name: tier.price_per_month for name, tier in load_pricing(DEFAULT_PRICING).tiers.items()}
    calls = defaultdict(list)
    cost = defaultdict(float)
    stamps = []
    for line in path.read_text().splitlines():
        rec = json.loads(line)
        ts = rec["ts"]
        stamps.append(ts)
        install = rec.get("install_id") or "unknown"
        inside = (since is None or ts >= since) and (until is None or ts <= until)
        if inside:
            cost[install] += rec.get("cost_usd") or 0.0
        if install != "unknown":
            calls[install].append((ts, len(calls[install]), rec.get("tier") or "core"))
    last = max(stamps)
    end = last if until is None else min(until, last)
    start = float("-inf") if since is None else since
    result = {}
    for install, mine in calls.items():
        mine.sort()
        revenue, covered, in_range, tier = 0.0, 0.0, False, None
        for k, (ts, _, t) in enumerate(mine):
            stop = ts + P if k + 1 == len(mine) else min(mine[k + 1][0], ts + P)
            if ts > end:
                continue
            tier = t
            overlap = max(min(stop, end) - max(ts, start), 0.0)
            revenue += prices.get(t, 0.0) / P * overlap
            covered += overlap
            in_range |= ts >= start
        if in_range or covered > 0:
            result[install] = (tier, revenue, cost.get(install, 0.0))
    return result


def run_margins(capsys, path, *args) -> dict:
    assert main(["margins", str(path), "--pricing", str(DEFAULT_PRICING), "--format", "json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def check(got: dict, want: dict) -> None:
    rows = {r["install_id"]: r for r in got["by_install"]}
    assert set(rows) == set(want)
    for install, (tier, revenue, cost) in want.items():
        assert rows[install]["tier"] == tier
        assert rows[install]["revenue_usd"] == pytest.approx(revenue, abs=1e-9)
        assert rows[install]["cost_usd"] == pytest.approx(cost, abs=1e-9)
    assert got["total"]["revenue_usd"] == pytest.approx(sum(r for _, r, _ in want.values()))


def test_inner_window_matches_the_rule(capsys, demo):
    since, until = END - 30 * DAY, END - 10 * DAY
    got = run_margins(capsys, demo, "--since", str(since), "--until", str(until))
    check(got, expected(demo, since, until))


def test_all_matches_the_rule(capsys, demo):
    check(run_margins(capsys, demo, "--all"), expected(demo, None, None))


def test_a_range_wider_than_the_log_gives_the_revenue_of_all(capsys, demo):
    first = min(json.loads(line)["ts"] for line in demo.read_text().splitlines())
    wide = run_margins(capsys, demo, "--since", str(first - 30 * DAY), "--until", str(END + 5 * DAY))
    everything = run_margins(capsys, demo, "--all")
    assert wide["total"]["revenue_usd"] == pytest.approx(everything["total"]["revenue_usd"])
    assert wide["total"]["cost_usd"] == pytest.approx(everything["total"]["cost_usd"])
