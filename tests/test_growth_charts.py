"""The Growth charts: the waterfall's bars chain from the opening MRR to the closing one, and
every chart serialises with hostile tier names."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from relay_metrics.output.growth_charts import (
    mrr_chart,
    retention_heatmap,
    revenue_cost_chart,
    waterfall_chart,
    waterfall_steps,
)

MOVEMENTS = pd.DataFrame(
    {
        "month": ["2026-01", "2026-02"],
        "opening_mrr_usd": [100.0, 130.0],
        "new_usd": [50.0, 0.0],
        "expansion_usd": [0.0, 20.0],
        "contraction_usd": [-10.0, 0.0],
        "churn_usd": [-10.0, -40.0],
        "reactivation_usd": [0.0, 10.0],
        "closing_mrr_usd": [130.0, 120.0],
    }
)


def test_waterfall_steps_chain_from_opening_to_closing_and_skip_zero_movements():
    steps = waterfall_steps(MOVEMENTS)
    assert list(steps["step"]) == [
        "Opening MRR",
        "2026-01 new",
        "2026-01 contraction",
        "2026-01 churn",
        "2026-02 expansion",
        "2026-02 churn",
        "2026-02 reactivation",
        "Closing MRR",
    ]
    moves = steps.iloc[1:-1]
    level = 100.0
    for row in moves.itertuples():
        assert (row.low, row.high) == pytest.approx(tuple(sorted((level, level + row.amount_usd))))
        level += row.amount_usd
    assert level == steps.iloc[-1]["high"] == 120.0


def test_growth_charts_serialise_with_hostile_tier_names():
    tier = "pro\ud800<b>x</b>"
    charts = [
        mrr_chart(
            pd.DataFrame({"date": ["2026-01-01"], "tier": pd.Series([tier], dtype=object), "mrr_usd": [9.99]}),
            "estimated from activity",
        ),
        revenue_cost_chart(
            pd.DataFrame({"month": ["2026-01"], "revenue_usd": [1.0], "cost_usd": [2.0]}), "from billing"
        ),
        waterfall_chart(MOVEMENTS, "from billing"),
        retention_heatmap(
            pd.DataFrame(
                {
                    "cohort": ["2026-01"],
                    "months_later": [0],
                    "month": ["2026-01"],
                    "subscribed": [3],
                    "subscribed_share": [0.75],
                    "partial": [False],
                }
            )
        ),
    ]
    for chart in charts:
        json.dumps(chart.to_dict())
    assert charts[0].to_dict()["title"]["subtitle"] == "estimated from activity"
