"""The Plan's domain code: rates learnt from the log, scenario files, caps, swaps, prices."""

from __future__ import annotations

import numpy as np
import pytest

from relay_metrics.ingest.loader import load_log
from relay_metrics.metrics import plan
from relay_metrics.metrics.pricing import PricingError, parse_pricing
from relay_metrics.metrics.rates import CONFIGURED, learn_rates, nnls
from relay_metrics.metrics.revenue import PERIOD_MS
from relay_metrics.metrics.scenario import Scenario, ScenarioError, Swap, from_query, parse_scenario
from tests.helpers import record

JAN = 1_767_225_600_000  # 2026-01-01T00:00Z
FEB = 1_769_904_000_000  # 2026-02-01T00:00Z
H = 3_600_000
PRICES = "[tiers.core]\nprice_per_month = 0\n[tiers.pro]\nprice_per_month = 10\n[tiers.max]\nprice_per_month = 30\n"

# Known linear rates (USD per 1M tokens): input, output, thinking.
TRUE_RATES = {"m-think": (0.50, 3.00, 2.50), "m-lite": (0.10, 0.40, None)}


def linear_log(rng: np.random.Generator, calls: int = 400) -> list[dict]:
    rows = []
    for i in range(calls):
        model = "m-think" if i % 2 else "m-lite"
        a, b, c = TRUE_RATES[model]
        tokens = {"input_tokens": int(rng.integers(200, 60_000)), "output_tokens": int(rng.integers(20, 4_000))}
        if c is not None:
            tokens["thinking_tokens"] = int(rng.integers(0, 3_000))
        cost = (
            tokens["input_tokens"] * a + tokens["output_tokens"] * b + tokens.get("thinking_tokens", 0) * (c or 0)
        ) / 1e6
        rows.append(
            record(
                ts=JAN + i * 60_000,
                install_id=f"i{i % 7}",
                tier="pro",
                pipeline="analyze" if i % 3 else "transcribe",
                model=model,
                status="success",
                cost_usd=round(cost, 10),
                **tokens,
            )
        )
    return rows


def frame_of(write_log, *records):
    return load_log(write_log(*records)).frame


def test_learnt_rates_match_known_linear_rates_to_a_tenth_of_a_percent(write_log):
    frame = frame_of(write_log, *linear_log(np.random.default_rng(7)))
    table = learn_rates(frame).table.set_index("model")
    for model, (a, b, c) in TRUE_RATES.items():
        row = table.loc[model]
        assert row.input_per_mtok == pytest.approx(a, rel=1e-3)
        assert row.output_per_mtok == pytest.approx(b, rel=1e-3)
        assert row.thinking_per_mtok == pytest.approx(c if c is not None else b, rel=1e-3)
        assert row.calls == 200
        assert row.r2 == pytest.approx(1.0, abs=1e-9)
        assert row.max_rel_residual < 1e-3
    assert table.loc["m-lite", "flags"] == ("no thinking tokens: output rate used",)
    assert table.loc["m-think", "flags"] == ()


def test_a_non_linear_model_shows_in_r2_and_the_residual(write_log):
    rows = linear_log(np.random.default_rng(3))
    for row in rows:  # a long-context surcharge: double price above 30k input tokens
        if row["model"] == "m-think" and row["input_tokens"] > 30_000:
            row["cost_usd"] *= 2
    table = learn_rates(frame_of(write_log, *rows)).table.set_index("model")
    assert table.loc["m-think", "r2"] < 0.99
    assert table.loc["m-think", "max_rel_residual"] > 0.1
    assert table.loc["m-lite", "max_rel_residual"] < 1e-3


def test_nnls_never_returns_a_negative_rate():
    x = np.array([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [1.0, 2.0, 0.0], [0.0, 0.0, 1.0]])
    y = np.array([3.0, 2.0, 1.0, 1.0])  # the unconstrained fit has a negative coefficient
    assert (np.linalg.lstsq(x, y, rcond=None)[0] < 0).any()
    coef = nnls(x, y)
    assert (coef >= 0).all()
    loss = np.sum((x @ coef - y) ** 2)
    rng = np.random.default_rng(0)
    for _ in range(500):  # no non-negative point does better
        other = rng.random(3) * 5
        assert np.sum((x @ other - y) ** 2) >= loss - 1e-12


def test_pricing_toml_overrides_a_models_rates_and_checks_them(write_log):
    frame = frame_of(write_log, *linear_log(np.random.default_rng(1), 40))
    pricing = parse_pricing(
        PRICES
        + '[models."m-lite"]\ninput_per_mtok = 1\noutput_per_mtok = 2\n[models."new"]\ninput_per_mtok = 0.2\noutput_per_mtok = 0.8\nthinking_per_mtok = 0.9\n'
    )
    table = learn_rates(frame, pricing).table.set_index("model")
    assert tuple(table.loc["m-lite", ["input_per_mtok", "output_per_mtok", "thinking_per_mtok"]]) == (1, 2, 2)
    assert table.loc["m-lite", "source"] == CONFIGURED and table.loc["m-lite", "r2"] < 0.9
    assert table.loc["new", "calls"] == 0 and table.loc["new", "thinking_per_mtok"] == 0.9
    with pytest.raises(PricingError, match=r"line 9: models.new.output_per_mtok must be a number >= 0"):
        parse_pricing(PRICES + '[models."new"]\ninput_per_mtok = 1\noutput_per_mtok = -2\n')
    with pytest.raises(PricingError, match=r"line 10: unknown key 'speed' in \[models.new\]"):
        parse_pricing(PRICES + '[models."new"]\ninput_per_mtok = 1\noutput_per_mtok = 2\nspeed = 3\n')


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[prices]\npro = -1\n", "line 2: prices.pro must be a monthly price >= 0"),
        ("[caps]\ncore = -3\n", "line 2: caps.core must be a whole number of credits >= 0"),
        ("[caps]\ncore = 2.5\n", "line 2: caps.core must be a whole number"),
        ("[limits]\ncore = 2\n", "line 1: unknown key 'limits'"),
        ('[[swap]]\nfrom = "a"\nto = "b"\nmodel = "c"\n', "line 4: unknown key 'model' in swap #1"),
        ('[[swap]]\nfrom = "a"\n', "swap #1 needs 'to'"),
        ("[prices\n", "not valid TOML"),
    ],
)
def test_bad_scenario_files_name_the_key(text, message):
    with pytest.raises(ScenarioError, match=message.replace("[", r"\[")):
        parse_scenario(text)


def test_scenario_round_trips_through_the_url():
    scenario = Scenario(
        {"pro": 14.99, "odd:tier": 3.0, 'x"\\\ud800\u202e': 1.5},
        {"core": 20},
        (Swap("a", "b", "core", None), Swap("\ud800", "c", None, "x")),
    )
    query = scenario.to_query()
    assert query["price"] == ["pro:14.99", "odd:tier:3", r"x\"\\\ud800\u202e:1.5"]
    assert all(value.isascii() for values in query.values() for value in values)
    assert from_query(lambda key: query.get(key, [])) == scenario
    with pytest.raises(ScenarioError, match="cap core"):
        from_query(lambda key: ["core:-1"] if key == "cap" else [])


def check_of(context, scenario: Scenario, prices: str = PRICES):
    pricing = parse_pricing(prices)
    ts = context["ts"]
    plan.check(scenario, plan.prepare(context, pricing, plan.Range(None, float(ts.max()), float(ts.min()))))


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        (Scenario(prices={"gold": 1.0}), "prices.gold: unknown tier 'gold'"),
        (Scenario(caps={"gold": 1}), "caps.gold: unknown tier 'gold'"),
        (Scenario(swaps=(Swap("nope", "m-lite"),)), "swap #1.from: unknown model 'nope'"),
        (Scenario(swaps=(Swap("m-lite", "m-think", pipeline="sing"),)), "swap #1.pipeline: unknown pipeline 'sing'"),
        (Scenario(swaps=(Swap("m-lite", "gpt-9"),)), r'swap #1.to: unknown model .gpt-9.*\[models."gpt-9"\]'),
    ],
)
def test_scenarios_naming_what_the_log_lacks_are_refused(write_log, scenario, message):
    context = frame_of(write_log, *linear_log(np.random.default_rng(2), 20))
    with pytest.raises(ScenarioError, match=message):
        check_of(context, scenario)


def test_a_target_the_log_never_used_is_fine_with_rates_in_pricing_toml(write_log):
    context = frame_of(write_log, *linear_log(np.random.default_rng(2), 20))
    check_of(
        context,
        Scenario(swaps=(Swap("m-lite", "gpt-9"),)),
        PRICES + '[models."gpt-9"]\ninput_per_mtok = 1\noutput_per_mtok = 2\n',
    )


def call(ts, install="a", tier="core", pipeline="analyze", model="m1", cost=1.0, credit=None, job=None, **extra):
    """A successful call; analyze calls charge a credit unless told."""
    credit = (1 if pipeline == "analyze" else 0) if credit is None else credit
    fields = dict(install_id=install, tier=tier, pipeline=pipeline, model=model, status="success")
    fields.update(credit_charged=credit, cost_usd=cost, input_tokens=1000, output_tokens=100, duration_ms=1000)
    if job:
        fields["job_id"] = job
    fields.update(extra)
    return record(ts=ts, **fields)


def run(write_log, records, scenario: Scenario, since=None, until=None, prices=PRICES):
    context = frame_of(write_log, *records)
    pricing = parse_pricing(prices)
    ts = context["ts"]
    span = plan.Range(since, until if until is not None else float(ts.max()), float(ts.min()))
    return plan.plan_for(context, pricing, scenario, span)


def test_cap_counts_credits_per_calendar_month_in_ts_order_and_refuses_the_rest_of_the_month(write_log):
    records = [
        call(FEB - 2 * H, job="j1"),  # Jan: credit 1 of 1
        call(FEB - H, pipeline="transcribe", job="j2"),  # after the cap: refused
        call(FEB + H, job="j2"),  # Feb: credit 1 of 1 again (a new month)
        call(FEB + 2 * H, pipeline="transcribe", job="j4"),  # after Feb's 1st credit: refused
        call(FEB + 3 * H, tier="pro", job="j5"),  # another tier: never capped
        call(FEB + 4 * H, install="b", job="j6"),  # another install: its own count
    ]
    result = run(write_log, records, Scenario(caps={"core": 1}))
    caps = result.caps.set_index("tier").loc["core"]
    # j2's transcribe (Jan) and j4's transcribe (Feb, after that month's first credit) are refused.
    assert (caps.installs_affected, caps.calls_refused, caps.jobs_refused) == (1, 2, 2)
    assert caps.cost_saved_usd == pytest.approx(2.0)
    total = result.total
    assert total["actual_cost_usd"] == pytest.approx(6.0) and total["scenario_cost_usd"] == pytest.approx(4.0)
    assert total["scenario_revenue_usd"] == total["actual_revenue_usd"]  # refusals earn nothing, lose nothing


def test_cap_refuses_calls_after_the_cap_inside_a_job_and_keeps_log_order_for_ties(write_log):
    records = [
        call(JAN + H, pipeline="transcribe", job="k", cost=0.5),  # k's transcribe, before the cap: kept
        call(JAN + 2 * H, job="j"),  # the 1st credit
        call(JAN + 3 * H, job="k", cost=2.0),  # k's analyze after the cap: refused
        call(JAN + 4 * H, install="b", job="x", cost=1.0),  # b: two credits at the same ts ...
        call(JAN + 4 * H, install="b", job="y", cost=3.0),  # ... the one later in the log is refused
        call(JAN + 5 * H, install="b", job="z", cost=0.0, status="refused", credit=0),  # already refused: not counted
    ]
    result = run(write_log, records, Scenario(caps={"core": 1}))
    caps = result.caps.set_index("tier").loc["core"]
    assert (caps.installs_affected, caps.calls_refused, caps.jobs_refused) == (2, 2, 2)
    assert caps.cost_saved_usd == pytest.approx(5.0)


def test_cap_counts_credits_from_the_start_of_the_month_before_the_range(write_log):
    since = JAN + 30 * 24 * H + 12 * H  # January 31st, noon
    records = [call(JAN + H, job="a"), call(since + 6 * H, job="b", cost=4.0)]
    assert plan.context_since(since) == JAN  # the month's start is further back than P ...
    assert since - PERIOD_MS > JAN + H  # ... and its first credit is before since - P
    result = run(write_log, records, Scenario(caps={"core": 1}), since=since)
    assert result.caps.loc[0, "calls_refused"] == 1 and result.caps.loc[0, "cost_saved_usd"] == 4.0
    assert result.total["actual_cost_usd"] == 4.0  # the call before the range costs nothing here


LINEAR_PRICES = PRICES + '[models."m2"]\ninput_per_mtok = 100\noutput_per_mtok = 1000\nthinking_per_mtok = 500\n'


def test_swap_matches_tier_pipeline_and_model_and_recosts_the_calls_own_tokens(write_log):
    records = [
        call(JAN + 1 * H, tier="core", pipeline="analyze", cost=1.0, thinking_tokens=10),  # moved
        call(JAN + 2 * H, tier="core", pipeline="transcribe", cost=1.0),  # other pipeline
        call(JAN + 3 * H, tier="pro", pipeline="analyze", cost=1.0),  # other tier
        call(JAN + 4 * H, tier="core", pipeline="analyze", model="m3", cost=1.0),  # other model
        call(JAN + 5 * H, tier="core", pipeline="analyze", cost=1.0, input_tokens=2000, output_tokens=0),  # moved
        call(JAN + 6 * H, tier=None, pipeline="analyze", cost=1.0),  # no tier: core, as the revenue rule: moved
    ]
    scenario = Scenario(swaps=(Swap("m1", "m2", "core", "analyze"),))
    result = run(write_log, records, scenario, prices=LINEAR_PRICES)
    (swap,) = result.swaps
    after = (1000 * 100 + 100 * 1000 + 10 * 500) / 1e6 + (2000 * 100) / 1e6 + (1000 * 100 + 100 * 1000) / 1e6
    assert swap["calls"] == 3
    assert swap["cost_before_usd"] == pytest.approx(3.0)
    assert swap["cost_after_usd"] == pytest.approx(after)
    assert result.total["scenario_cost_usd"] == pytest.approx(3.0 + after)
    assert result.total["actual_cost_usd"] == pytest.approx(6.0)


def test_swap_reports_the_targets_median_duration_on_that_pipeline(write_log):
    records = [
        call(JAN + H, tier="pro", model="m1", duration_ms=9000),
        call(JAN + 2 * H, tier="pro", model="m2", duration_ms=1000),
        call(JAN + 3 * H, tier="pro", model="m2", duration_ms=3000),
        call(JAN + 4 * H, tier="pro", model="m2", pipeline="transcribe", duration_ms=50_000),  # other pipeline
        call(JAN + 5 * H, tier="core", model="m2", duration_ms=7000),  # other tier
    ]
    result = run(write_log, records, Scenario(swaps=(Swap("m1", "m2", "pro", "analyze"),)))
    row = result.swaps[0]["by_tier"].iloc[0]
    assert (row.tier, row.from_p50_duration_ms, row.to_p50_duration_ms) == ("pro", 9000, 2000)


def test_caps_come_before_swaps_and_a_call_moves_once(write_log):
    records = [
        call(JAN + H, job="a"),
        call(JAN + 2 * H, job="b", cost=5.0),  # refused by the cap: neither moved nor re-costed
    ]
    scenario = Scenario(caps={"core": 1}, swaps=(Swap("m1", "m2"), Swap("m1", "m2", "core")))
    result = run(write_log, records, scenario, prices=LINEAR_PRICES)
    first, second = result.swaps
    assert (first["calls"], second["calls"]) == (1, 0)
    assert first["cost_after_usd"] == pytest.approx((1000 * 100 + 100 * 1000) / 1e6)
    assert result.total["scenario_cost_usd"] == pytest.approx(first["cost_after_usd"])


def test_prices_follow_the_revenue_rule_and_installs_turn_from_loss_to_profit(write_log):
    records = [
        call(JAN, install="a", tier="pro", cost=8.0),
        call(JAN + 10 * 24 * H, install="a", tier="pro", cost=0.0),
        call(JAN, install="b", tier="pro", cost=1.0),
        call(JAN + 10 * 24 * H, install="b", tier="pro", cost=0.0),
    ]
    actual = run(write_log, records, Scenario())
    planned = run(write_log, records, Scenario(prices={"pro": 30.0}))
    pro = planned.by_tier.set_index("tier").loc["pro"]
    ten_days = 10 * 24 * H / PERIOD_MS
    assert pro.actual_revenue_usd == pytest.approx(2 * 10 * ten_days)
    assert pro.scenario_revenue_usd == pytest.approx(2 * 30 * ten_days)
    # a pays 10 x 10/30.4375 = 3.29 and costs 8 (a loss); at 30 it pays 9.86: a profit.
    assert (pro.installs_to_profit, pro.installs_to_loss) == (1, 0)
    assert actual.by_tier.set_index("tier").loc["pro"].scenario_margin_usd == pytest.approx(pro.actual_margin_usd)
    back = run(write_log, records, Scenario(prices={"pro": 0.5}))
    assert back.by_tier.set_index("tier").loc["pro"].installs_to_loss == 1  # b: paid 3.29 for 1, now 0.16
