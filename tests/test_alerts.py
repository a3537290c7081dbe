"""Alert rules: parsing alerts.toml, and each kind firing just past its threshold, not at it."""

from __future__ import annotations

import pytest

from relay_metrics.ingest.loader import load_log
from relay_metrics.metrics.alerts import (
    DEFAULT_ALERTS,
    MAD_SCALE,
    Rule,
    RulesError,
    evaluate,
    load_rules,
    log_facts,
    parse_rules,
    window_margins,
)
from relay_metrics.metrics.pricing import parse_pricing
from tests.helpers import T0, record

D = 86_400_000
MINUTE = 60_000
NOW = T0 + 20 * D + 12 * 3_600_000  # 2026-01-21 12:00 UTC
PRICING = parse_pricing(
    "[tiers.pro]\nprice_per_month = 30.4375\n[tiers.core]\nprice_per_month = 0\n"
)  # pro pays $1 a day


@pytest.fixture
def facts_of(write_log):
    def build(*records):
        return log_facts(load_log(write_log(*records)).frame)

    return build


def fire(facts, rule: Rule, now=NOW, **kwargs):
    return evaluate([rule], facts, PRICING, now, **kwargs)


def rule(kind: str, tier=None, by="all", **numbers) -> Rule:
    return Rule(f"test {kind}", kind, tier, {k: float(v) for k, v in numbers.items()}, by)


# ----------------------------------------------------------------- tier_margin


def paying_install(cost: float, install="a", tier="pro", days=8):
    """An install that pays $1/day for `days` days up to NOW and costs `cost` in that window."""
    return [
        record(ts=NOW - days * D, install_id=install, tier=tier, model="m", status="success", cost_usd=cost),
        record(ts=NOW, install_id=install, tier=tier, model="m", status="success", cost_usd=0),
    ]


@pytest.mark.parametrize("cost, fires", [(6.0, False), (6.01, True)])  # revenue $8: 25% margin at cost $6
def test_tier_margin_fires_below_the_floor_only(facts_of, cost, fires):
    facts = facts_of(*paying_install(cost))
    firings = fire(facts, rule("tier_margin", days=8, min_pct=25))
    assert bool(firings) is fires
    if fires:
        (firing,) = firings
        assert firing.subject == "pro" and firing.threshold == 25
        assert firing.value == pytest.approx((8 - cost) / 8 * 100)
        assert "below the 25% floor" in firing.message


def test_tier_margin_counts_a_subscriber_who_paid_before_the_window(facts_of):
    # b's call 20 days ago still covers the whole window: $8 of revenue, no cost.
    facts = facts_of(
        *paying_install(12.0),
        record(ts=NOW - 20 * D, install_id="b", tier="pro", model="m", status="success", cost_usd=0),
    )
    margins = window_margins(facts, PRICING, NOW - 8 * D, NOW)
    assert margins.by_tier.set_index("tier").loc["pro", "revenue_usd"] == pytest.approx(16.0)
    assert not fire(facts, rule("tier_margin", days=8, min_pct=25))  # (16 - 12) / 16 = 25%


def test_tier_margin_only_for_its_tier(facts_of):
    facts = facts_of(*paying_install(7.0))
    assert not fire(facts, rule("tier_margin", tier="max", days=8, min_pct=25))
    assert fire(facts, rule("tier_margin", tier="pro", days=8, min_pct=25))


# ----------------------------------------------------------------- costly_install


@pytest.mark.parametrize("cost, fires", [(24.0, False), (24.01, True)])  # paid $8: 3x is $24
def test_costly_install_fires_past_factor_times_what_it_paid(facts_of, cost, fires):
    facts = facts_of(*paying_install(cost), *paying_install(1.0, install="cheap"))
    firings = fire(facts, rule("costly_install", days=8, factor=3))
    assert [f.subject for f in firings] == (["a"] if fires else [])
    if fires:
        assert firings[0].value == pytest.approx(cost / 8)
        assert "the $8.00 it paid" in firings[0].message


def test_costly_install_ignores_installs_that_paid_nothing(facts_of):
    facts = facts_of(*paying_install(50.0, tier="core"))
    assert not fire(facts, rule("costly_install", days=8, factor=3))


# ----------------------------------------------------------------- cost_spike


def spike_log(last: float, baseline=(1.0, 3.0), model="m", extra=()):
    """14 baseline days alternating the two costs (median 2, MAD 1), then `last` on the last
    complete day (the day before NOW's)."""
    today = NOW // D * D
    rows = [
        record(ts=today - (15 - k) * D + 3_600_000, model=model, status="success", cost_usd=baseline[k % 2])
        for k in range(14)
    ]
    rows.append(record(ts=today - D + 3_600_000, model=model, status="success", cost_usd=last))
    return [*rows, *extra]


@pytest.mark.parametrize("last, fires", [(4.0, False), (4.01, True)])
def test_cost_spike_factor_edge(facts_of, last, fires):
    facts = facts_of(*spike_log(last))
    firings = fire(facts, rule("cost_spike", factor=2, z=0))
    assert bool(firings) is fires
    if fires:
        assert firings[0].value == pytest.approx(last) and firings[0].threshold == pytest.approx(4.0)
        assert "14-day median of $2.00" in firings[0].message


@pytest.mark.parametrize("last, fires", [(2 + 2 * MAD_SCALE - 0.01, False), (2 + 2 * MAD_SCALE + 0.01, True)])
def test_cost_spike_robust_z_edge(facts_of, last, fires):
    facts = facts_of(*spike_log(last))
    assert bool(fire(facts, rule("cost_spike", factor=1, z=2))) is fires


def test_cost_spike_per_model_names_the_model(facts_of):
    facts = facts_of(*spike_log(2.0, model="steady"), *spike_log(9.0, model="jumpy"))
    firings = fire(facts, rule("cost_spike", by="model", factor=2, z=3))
    assert [f.subject for f in firings] == ["jumpy"]
    # The whole relay: days of 2 and 6 (median 4, MAD 2); the last day's 11 passes 2 x 4 but its
    # z-score (11 - 4) / (2 x 1.4826) = 2.4 stays under 3.
    assert not fire(facts, rule("cost_spike", factor=2, z=3))


def test_cost_spike_needs_the_whole_baseline(facts_of):
    facts = facts_of(*spike_log(100.0)[3:])  # the log starts 11 days before the last day
    assert not fire(facts, rule("cost_spike", factor=2, z=3))


# ----------------------------------------------------------------- waste


def waste_log(error_cost: float):
    t = NOW - 3_600_000
    return [
        record(ts=t, install_id="a", tier="pro", status="success", cost_usd=8.0),
        record(ts=t, install_id="a", tier="pro", status="error", cost_usd=error_cost),
        record(ts=t, install_id="a", tier="pro", status="refused", cost_usd=1.0),
        record(ts=NOW - 2 * D, install_id="a", tier="pro", status="error", cost_usd=100.0),  # outside the day
    ]


@pytest.mark.parametrize("error_cost, fires", [(1.0, False), (1.01, True)])  # 2 of 10 is 20%
def test_waste_fires_past_its_share(facts_of, error_cost, fires):
    firings = fire(facts_of(*waste_log(error_cost)), rule("waste", days=1, max_pct=20))
    assert bool(firings) is fires
    if fires:
        assert "went on errors and refusals" in firings[0].message


# ----------------------------------------------------------------- unpriced


def test_unpriced_fires_for_a_tier_without_a_price(facts_of):
    facts = facts_of(
        record(ts=NOW - D, install_id="a", tier="gold", model="m"),
        record(ts=NOW - D, install_id="b", tier="pro", model="m"),
        record(ts=NOW - 9 * D, install_id="c", tier="tin", model="m"),  # before the window
    )
    firings = fire(facts, rule("unpriced", days=7))
    assert [(f.subject, f.value) for f in firings] == [("gold", 1.0)]
    priced = parse_pricing("[tiers.gold]\nprice_per_month = 5\n[tiers.pro]\nprice_per_month = 5\n")
    assert not evaluate([rule("unpriced", days=7)], facts, priced, NOW)


# ----------------------------------------------------------------- new_model


def test_new_model_is_new_for_days_after_its_first_call(facts_of):
    facts = facts_of(
        record(ts=NOW - 5 * D, model="old"),
        record(ts=NOW - 5, model="old"),
        record(ts=NOW - D, model="exactly-a-day"),
        record(ts=NOW - D - 1, model="a-day-and-a-ms"),
        record(ts=NOW - 10, model="a-day-and-a-ms"),
        record(ts=NOW - 10, model="fresh"),
    )
    firings = fire(facts, rule("new_model", days=1, history_days=30))
    assert sorted(f.subject for f in firings) == ["exactly-a-day", "fresh"]


def test_new_model_remembers_models_from_the_state(facts_of):
    facts = facts_of(record(ts=NOW - 10, model="fresh"))
    assert fire(facts, rule("new_model", days=1, history_days=30))
    assert not fire(facts, rule("new_model", days=1, history_days=30), known_models={"fresh": NOW - 40 * D})


# ----------------------------------------------------------------- stale_log


@pytest.mark.parametrize("age_ms, fires", [(30 * MINUTE, False), (30 * MINUTE + 1, True)])
def test_stale_log_fires_past_its_minutes(facts_of, age_ms, fires):
    firings = fire(facts_of(record(ts=NOW - age_ms, model="m")), rule("stale_log", minutes=30))
    assert bool(firings) is fires
    if fires:
        assert firings[0].subject == "log" and "may be down" in firings[0].message


def test_stale_log_fires_when_nothing_was_logged_yet(facts_of):
    firings = fire(facts_of(record(ts=NOW + D, model="m")), rule("stale_log", minutes=30))
    assert firings and firings[0].value is None


# ----------------------------------------------------------------- rule files


def test_the_shipped_example_parses_with_every_kind():
    kinds = {r.kind for r in load_rules(DEFAULT_ALERTS)}
    assert kinds == {"tier_margin", "costly_install", "cost_spike", "waste", "unpriced", "new_model", "stale_log"}


def test_defaults_fill_in_optional_numbers():
    (parsed,) = parse_rules('[[rule]]\nname = "m"\nkind = "tier_margin"\ntier = "pro"\nmin_pct = 20\n')
    assert parsed == Rule("m", "tier_margin", "pro", {"min_pct": 20.0, "days": 7.0})


GOOD = '[[rule]]\nname = "ok"\nkind = "stale_log"\nminutes = 30\n\n'


@pytest.mark.parametrize(
    "text, line, words",
    [
        (GOOD + '[[rule]]\nname = "x"\nkind = "waste"\nmax_pct = "lots"\n', 9, "max_pct must be a number"),
        (GOOD + '[[rule]]\nname = "x"\nkind = "waste"\nmax_pct = 5\nfactor = 2\n', 10, "unknown key 'factor'"),
        (GOOD + '[[rule]]\nname = "x"\nkind = "margin"\n', 8, "kind must be one of"),
        (GOOD + '[[rule]]\nname = "x"\nkind = "tier_margin"\n', 8, "needs min_pct"),
        (GOOD + '[[rule]]\nname = "ok"\nkind = "stale_log"\nminutes = 5\n', 7, "two rules are named"),
        (GOOD + '[[rule]]\nname = "x"\nkind = "tier_margin"\nmin_pct = 5\ndays = 2.5\n', 10, "whole number of days"),
        (GOOD + '[[rule]]\nname = "x"\nkind = "waste"\nmax_pct = -1\n', 9, "max_pct must be a number >= 0"),
        (GOOD + '[[rule]]\nkind = "waste"\nmax_pct = 1\n', 6, "needs a name"),
        (GOOD + "rules = 3\n", 6, "unknown key 'rules'"),
        ('[[rule]]\nname = "x"\nkind = "waste"\nby = "model"\nmax_pct = 1\n', 4, "by is for cost_spike only"),
    ],
)
def test_a_bad_rules_file_names_the_key_and_line(text, line, words):
    with pytest.raises(RulesError) as caught:
        parse_rules(text, "alerts.toml")
    assert f"alerts.toml, line {line}:" in str(caught.value)
    assert words in str(caught.value)


def test_invalid_toml_is_a_rules_error():
    with pytest.raises(RulesError, match="not valid TOML"):
        parse_rules("[[rule]\nname = ", "alerts.toml")


def test_calls_without_an_install_id_are_no_install(facts_of):
    facts = facts_of(
        *paying_install(1.0),
        record(ts=NOW - D, install_id="", tier="pro", model="m", status="success", cost_usd=500.0),
        record(ts=NOW - D, tier="pro", model="m", status="success", cost_usd=500.0),
    )
    assert [f.subject for f in fire(facts, rule("costly_install", days=8, factor=0))] == ["a"]
    assert window_margins(facts, PRICING, NOW - 8 * D, NOW).by_tier["cost_usd"].sum() == 1.0  # none of the $1,000


def test_a_tier_with_configured_subscribers_earns_their_revenue(facts_of):
    facts = facts_of(record(ts=NOW - 30 * D, install_id="z", tier="max", model="m"), *paying_install(70.0, tier="max"))
    pricing = parse_pricing("[tiers.max]\nprice_per_month = 30.4375\nsubscribers = 10\n")  # $10 a day
    (row,) = window_margins(facts, pricing, NOW - 8 * D, NOW).by_tier.itertuples(index=False)
    assert (row.tier, row.revenue_usd, row.cost_usd) == ("max", pytest.approx(80.0), 70.0)
    assert evaluate([rule("tier_margin", days=8, min_pct=12.5)], facts, pricing, NOW) == []  # exactly 12.5%
    assert evaluate([rule("tier_margin", days=8, min_pct=12.6)], facts, pricing, NOW)
