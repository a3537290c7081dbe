"""Altair charts of the Growth page, each drawn from a table of metrics.growth.Growth.

Tiers come from the log (or the billing export): they reach a chart only as data, through
`export.display_safe`. Every revenue figure's title says where it comes from.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from relay_metrics.metrics.growth import MOVEMENTS
from relay_metrics.output import colours
from relay_metrics.output.export import display_safe, visible

KIND_COLORS = {
    "opening": colours.NEUTRAL,
    "new": colours.REVENUE,
    "expansion": "#59a14f",
    "reactivation": "#8cd17d",
    "contraction": "#f28e2b",
    "churn": colours.LOSS,
    "closing": colours.NEUTRAL,
}
_USD = alt.Axis(format="$,.2f")


def mrr_chart(mrr_by_tier: pd.DataFrame, source: str) -> alt.Chart:
    """MRR per day, stacked by tier."""
    tiers = list(dict.fromkeys(mrr_by_tier["tier"]))  # each tier in its colour on every chart
    return (
        alt.Chart(display_safe(mrr_by_tier), title=alt.TitleParams("MRR per day by tier", subtitle=source))
        .mark_area(opacity=0.85)
        .encode(
            x=alt.X("date:T", title="Day (UTC)"),
            y=alt.Y("mrr_usd:Q", title="MRR (USD)", stack="zero", axis=_USD),
            color=alt.Color(
                "tier:N",
                title="Tier",
                scale=alt.Scale(domain=[visible(t) for t in tiers], range=[colours.tier_colour(t) for t in tiers]),
            ),
            tooltip=[
                alt.Tooltip("date:T", title="Day"),
                alt.Tooltip("tier:N", title="Tier"),
                alt.Tooltip("mrr_usd:Q", title="MRR", format="$,.2f"),
            ],
        )
    )


def revenue_cost_chart(monthly: pd.DataFrame, source: str) -> alt.Chart:
    """Revenue and cost per calendar month, side by side."""
    revenue_label = "Revenue"
    long = pd.concat(
        [
            pd.DataFrame({"month": monthly["month"], "measure": revenue_label, "usd": monthly["revenue_usd"]}),
            pd.DataFrame({"month": monthly["month"], "measure": "Cost", "usd": monthly["cost_usd"]}),
        ],
        ignore_index=True,
    )
    return (
        alt.Chart(
            long, title=alt.TitleParams("Revenue and LLM cost per month", subtitle=f"revenue {source}, cost measured")
        )
        .mark_bar()
        .encode(
            x=alt.X("month:O", title="Month (UTC)", axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("measure:N"),
            y=alt.Y("usd:Q", title="USD", axis=_USD),
            color=alt.Color(
                "measure:N",
                title=None,
                scale=alt.Scale(domain=[revenue_label, "Cost"], range=[colours.REVENUE, colours.COST]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("month:O", title="Month"),
                alt.Tooltip("measure:N", title="Figure"),
                alt.Tooltip("usd:Q", title="USD", format="$,.2f"),
            ],
        )
    )


def waterfall_steps(movements: pd.DataFrame) -> pd.DataFrame:
    """The bars of the MRR waterfall: the range's opening MRR, each month's non-zero
    movements in turn, then the closing MRR; each bar floats from `low` to `high`."""
    if movements.empty:
        return pd.DataFrame(columns=["step", "order", "kind", "month", "amount_usd", "low", "high"])
    level = float(movements["opening_mrr_usd"].iloc[0])
    steps = [("Opening MRR", "opening", str(movements["month"].iloc[0]), level, 0.0, level)]
    for row in movements.itertuples(index=False):
        for kind in MOVEMENTS:
            amount = float(getattr(row, f"{kind}_usd"))
            if amount:
                steps.append((f"{row.month} {kind}", kind, str(row.month), amount, level, level + amount))
                level += amount
    closing = float(movements["closing_mrr_usd"].iloc[-1])
    steps.append(("Closing MRR", "closing", str(movements["month"].iloc[-1]), closing, 0.0, closing))
    table = pd.DataFrame(steps, columns=["step", "kind", "month", "amount_usd", "start", "end"])
    table["low"] = table[["start", "end"]].min(axis=1)
    table["high"] = table[["start", "end"]].max(axis=1)
    table["order"] = range(len(table))
    return table[["step", "order", "kind", "month", "amount_usd", "low", "high"]]


def waterfall_chart(movements: pd.DataFrame, source: str) -> alt.Chart:
    """MRR from the range's start to its end, month by month, one bar per movement."""
    steps = waterfall_steps(movements)
    kinds = list(KIND_COLORS)
    return (
        alt.Chart(steps, title=alt.TitleParams("MRR movements, month by month", subtitle=source))
        .mark_bar()
        .encode(
            x=alt.X("step:N", title=None, sort=alt.EncodingSortField("order"), axis=alt.Axis(labelAngle=-40)),
            y=alt.Y("low:Q", title="MRR (USD)", axis=_USD),
            y2="high:Q",
            color=alt.Color(
                "kind:N",
                title="Movement",
                scale=alt.Scale(domain=kinds, range=[KIND_COLORS[k] for k in kinds]),
            ),
            tooltip=[
                alt.Tooltip("month:N", title="Month"),
                alt.Tooltip("kind:N", title="Movement"),
                alt.Tooltip("amount_usd:Q", title="Amount", format="$,.2f"),
                alt.Tooltip("high:Q", title="Up to", format="$,.2f"),
            ],
        )
    )


def retention_heatmap(retention: pd.DataFrame) -> alt.LayerChart | alt.FacetChart:
    """Share of each cohort still subscribed 0..N months after the month of its first call."""
    base = alt.Chart(retention, title="Share still subscribed, by cohort (month of first call)").encode(
        x=alt.X("months_later:O", title="Months later", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("cohort:O", title="Cohort"),
        tooltip=[
            alt.Tooltip("cohort:O", title="Cohort"),
            alt.Tooltip("month:O", title="Month"),
            alt.Tooltip("subscribed:Q", title="Subscribed", format=","),
            alt.Tooltip("subscribed_share:Q", title="Share", format=".0%"),
            alt.Tooltip("partial:N", title="Month still running"),
        ],
    )
    cells = base.mark_rect().encode(
        color=alt.Color(
            "subscribed_share:Q",
            title="Share",
            scale=alt.Scale(scheme="blues", domain=[0, 1]),
            legend=alt.Legend(format=".0%"),
        )
    )
    labels = base.mark_text(baseline="middle").encode(
        text=alt.Text("subscribed_share:Q", format=".0%"),
        color=alt.condition("datum.subscribed_share > 0.6", alt.value("white"), alt.value("black")),
    )
    return alt.layer(cells, labels)
