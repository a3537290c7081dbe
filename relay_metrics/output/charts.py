"""Altair charts, each drawn from the matching (small) table of `breakdowns`.

Titles and axis labels are fixed strings; text from the log (tiers, models, statuses,
install ids) reaches a chart only as data, through `export.display_safe` so that a lone
surrogate can't break the chart's serialisation.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from relay_metrics.metrics.zones import WEEKDAY_NAMES
from relay_metrics.output.export import display_safe

COST_COLOR = "#4c78a8"
CALLS_COLOR = "#e45756"

_DAY = alt.Tooltip("yearmonthdate(day):T", title="Day")
_CALLS = alt.Tooltip("calls:Q", title="Calls", format=",")
_COST = alt.Tooltip("cost_usd:Q", title="Cost (USD)", format="$,.2f")


def daily_chart(daily_df: pd.DataFrame) -> alt.LayerChart:
    """Cost per day as bars, calls per day as a line, each on its own axis."""
    tooltip = [
        _DAY,
        _CALLS,
        _COST,
        alt.Tooltip("errors:Q", title="Errors", format=","),
        alt.Tooltip("refused:Q", title="Refused", format=","),
    ]
    return _cost_bars_calls_line(
        daily_df, alt.X("yearmonthdate(day):T", title="Day"), tooltip, "Cost and calls per day"
    )


def install_daily_chart(df: pd.DataFrame) -> alt.LayerChart:
    """One install's cost per day as bars and calls per day as a line."""
    tooltip = [_DAY, _CALLS, _COST, alt.Tooltip("errors:Q", title="Errors", format=",")]
    return _cost_bars_calls_line(df, alt.X("yearmonthdate(day):T", title="Day"), tooltip, "Cost and calls per day")


def status_chart(status_df: pd.DataFrame) -> alt.Chart:
    """Calls per status, most first."""
    return (
        alt.Chart(display_safe(status_df), title="Calls by status")
        .mark_bar()
        .encode(
            x=alt.X("calls:Q", title="Calls"),
            y=alt.Y("status:N", title="Status", sort="-x"),
            color=alt.Color("status:N", title="Status", legend=None),
            tooltip=[
                alt.Tooltip("status:N", title="Status"),
                _CALLS,
                alt.Tooltip("share:Q", title="Share", format=".1%"),
            ],
        )
    )


def tier_chart(tier_df: pd.DataFrame) -> alt.LayerChart:
    """Cost (bars) and calls (points) per tier, most cost first."""
    optional = [
        ("unique_installs", "Installs", ","),
        ("summaries", "Summaries", ","),
        ("cost_per_install_usd", "Cost per install", "$,.4f"),
        ("cost_per_summary_usd", "Cost per summary", "$,.4f"),
    ]
    tooltip = [alt.Tooltip("tier:N", title="Tier"), _CALLS, _COST]
    tooltip += [alt.Tooltip(f"{name}:Q", title=title, format=fmt) for name, title, fmt in optional if name in tier_df]
    x = alt.X("tier:N", title="Tier", sort=alt.EncodingSortField("cost_usd", order="descending"))
    base = alt.Chart(display_safe(tier_df)).encode(x=x, tooltip=tooltip)
    bars = base.mark_bar(color=COST_COLOR).encode(
        y=alt.Y("cost_usd:Q", title="Cost (USD)", axis=alt.Axis(format="$,.2f"))
    )
    points = base.mark_point(color=CALLS_COLOR, filled=True, size=80).encode(y=alt.Y("calls:Q", title="Calls"))
    return alt.layer(bars, points, title="Cost and calls by tier").resolve_scale(y="independent")


def cost_speed_scatter(df: pd.DataFrame) -> alt.Chart:
    """Each model at (average duration, average cost per call), sized by calls, coloured by backend."""
    return (
        alt.Chart(display_safe(df), title="Cost vs speed by model")
        .mark_circle(opacity=0.8)
        .encode(
            x=alt.X("avg_duration_ms:Q", title="Average duration (ms)"),
            y=alt.Y("avg_cost_usd:Q", title="Average cost per call (USD)", axis=alt.Axis(format="$,.4f")),
            size=alt.Size("calls:Q", title="Calls"),
            color=alt.Color("backend:N", title="Backend"),
            tooltip=[
                alt.Tooltip("model:N", title="Model"),
                alt.Tooltip("backend:N", title="Backend"),
                _CALLS,
                alt.Tooltip("avg_cost_usd:Q", title="Average cost (USD)", format="$,.5f"),
                alt.Tooltip("avg_duration_ms:Q", title="Average duration (ms)", format=",.0f"),
            ],
        )
    )


def hourly_chart(hourly_df: pd.DataFrame) -> alt.LayerChart:
    """Calls per hour of the local day as 24 bars, cost as a line on its own axis."""
    tooltip = [alt.Tooltip("hour:O", title="Hour"), _CALLS, _COST]
    base = alt.Chart(display_safe(hourly_df)).encode(
        x=alt.X("hour:O", title="Hour of day", axis=alt.Axis(labelAngle=0)), tooltip=tooltip
    )
    bars = base.mark_bar(color=COST_COLOR).encode(y=alt.Y("calls:Q", title="Calls"))
    line = base.mark_line(color=CALLS_COLOR, point=True).encode(
        y=alt.Y("cost_usd:Q", title="Cost (USD)", axis=alt.Axis(format="$,.2f"))
    )
    return alt.layer(bars, line, title="Calls and cost by hour of day").resolve_scale(y="independent")


def heatmap(weekday_hour_df: pd.DataFrame) -> alt.Chart:
    """Calls per (weekday, hour of day): Monday on top, hour 0 on the left."""
    return (
        alt.Chart(display_safe(weekday_hour_df), title="Calls by weekday and hour")
        .mark_rect()
        .encode(
            x=alt.X("hour:O", title="Hour of day", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("weekday_name:O", title="Weekday", sort=list(WEEKDAY_NAMES)),
            color=alt.Color("calls:Q", title="Calls", scale=alt.Scale(scheme="blues")),
            tooltip=[
                alt.Tooltip("weekday_name:O", title="Weekday"),
                alt.Tooltip("hour:O", title="Hour"),
                _CALLS,
                _COST,
            ],
        )
    )


def _cost_bars_calls_line(df: pd.DataFrame, x: alt.X, tooltip: list, title: str) -> alt.LayerChart:
    base = alt.Chart(display_safe(df)).encode(x=x, tooltip=tooltip)
    bars = base.mark_bar(color=COST_COLOR, opacity=0.8).encode(
        y=alt.Y("cost_usd:Q", title="Cost (USD)", axis=alt.Axis(format="$,.2f"))
    )
    line = base.mark_line(color=CALLS_COLOR, point=True).encode(y=alt.Y("calls:Q", title="Calls"))
    return alt.layer(bars, line, title=title).resolve_scale(y="independent")


LOSS_COLOR = "#c0392b"
GAIN_COLOR = "#2f6f6a"


def margin_chart(by_tier: pd.DataFrame) -> alt.LayerChart:
    """Margin per tier as bars, losses in red below a zero rule."""
    data = display_safe(by_tier.assign(outcome=by_tier["margin_usd"].lt(0).map({True: "loss", False: "profit"})))
    bars = (
        alt.Chart(data, title="Margin by tier")
        .mark_bar()
        .encode(
            x=alt.X("tier:N", title="Tier", sort="-y"),
            y=alt.Y("margin_usd:Q", title="Margin (USD)"),
            color=alt.Color(
                "outcome:N", title=None, scale=alt.Scale(domain=["profit", "loss"], range=[GAIN_COLOR, LOSS_COLOR])
            ),
            tooltip=[
                alt.Tooltip("tier:N", title="Tier"),
                alt.Tooltip("revenue_usd:Q", title="Revenue", format="$,.2f"),
                alt.Tooltip("cost_usd:Q", title="Cost", format="$,.2f"),
                alt.Tooltip("margin_usd:Q", title="Margin", format="$,.2f"),
                alt.Tooltip("margin_pct:Q", title="Margin %", format=".1f"),
            ],
        )
    )
    zero = alt.Chart(pd.DataFrame({"zero": [0]})).mark_rule(color="#555").encode(y="zero:Q")
    return alt.layer(bars, zero)


def install_cost_chart(per_install: pd.DataFrame) -> alt.LayerChart:
    """Each tier's spread of cost per install per month (box plot), its price as a tick.

    `per_install` has tier, cost_per_month_usd and price_per_month for each install.
    """
    data = display_safe(per_install)
    boxes = (
        alt.Chart(data, title="Cost per install per month, against the tier's price")
        .mark_boxplot(extent="min-max", size=36)
        .encode(
            x=alt.X("tier:N", title="Tier"),
            y=alt.Y("cost_per_month_usd:Q", title="Cost per install per month (USD)", scale=alt.Scale(type="symlog")),
            color=alt.Color("tier:N", legend=None),
        )
    )
    prices = (
        alt.Chart(data)
        .mark_tick(color=LOSS_COLOR, thickness=3, size=60)
        .encode(
            x="tier:N",
            y="price_per_month:Q",
            tooltip=[
                alt.Tooltip("tier:N", title="Tier"),
                alt.Tooltip("price_per_month:Q", title="Price per month", format="$,.2f"),
            ],
        )
    )
    return alt.layer(boxes, prices)


def margin_over_time_chart(periods: pd.DataFrame, per: str) -> alt.LayerChart:
    """Revenue and cost per period as lines, margin as bars (losses below zero), for one tier
    or all: `periods` has period (first day), revenue_usd, cost_usd, margin_usd."""
    data = display_safe(periods[["period", "revenue_usd", "cost_usd", "margin_usd"]]).assign(
        period=pd.to_datetime(periods["period"])
    )
    x = alt.X("yearmonthdate(period):T", title=f"{per} starting")
    tooltip = [
        alt.Tooltip("yearmonthdate(period):T", title=f"{per} starting"),
        alt.Tooltip("revenue_usd:Q", title="Revenue", format="$,.2f"),
        alt.Tooltip("cost_usd:Q", title="Cost", format="$,.2f"),
        alt.Tooltip("margin_usd:Q", title="Margin", format="$,.2f"),
    ]
    bars = (
        alt.Chart(data, title=f"Margin per {per.lower()}")
        .mark_bar(opacity=0.5)
        .encode(
            x=x,
            y=alt.Y("margin_usd:Q", title="USD"),
            color=alt.condition("datum.margin_usd < 0", alt.value(LOSS_COLOR), alt.value(GAIN_COLOR)),
            tooltip=tooltip,
        )
    )
    lines = (
        alt.Chart(data)
        .transform_fold(["revenue_usd", "cost_usd"], as_=["figure", "usd"])
        .transform_calculate(figure="datum.figure == 'revenue_usd' ? 'Revenue' : 'Cost'")
        .mark_line(point=True)
        .encode(
            x=x,
            y="usd:Q",
            color=alt.Color(
                "figure:N", title=None, scale=alt.Scale(domain=["Revenue", "Cost"], range=["#4c78a8", "#e45756"])
            ),
            tooltip=tooltip,
        )
    )
    return alt.layer(bars, lines)
