"""Altair charts, each drawn from the matching (small) table of `breakdowns`.

Every colour comes from `colours` (cost blue, calls slate, profit green, loss red, each tier
its own), every number in an axis or tooltip follows `fmt`: tooltips show `fmt`'s text,
carried in the chart's data as `<column>_text`, so a missing value reads "–", never "null".
Two-axis charts have a legend naming their two series.

Titles and axis labels are fixed strings; text from the log (tiers, models, statuses,
install ids) reaches a chart only as data, through `export.display_safe` so that a lone
surrogate can't break the chart's serialisation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import altair as alt
import numpy as np
import pandas as pd

from relay_metrics.metrics import breakdowns
from relay_metrics.metrics.zones import WEEKDAY_NAMES
from relay_metrics.output import colours, fmt
from relay_metrics.output.export import display_safe

_TEXT: dict[str, Callable[[Any], str]] = {  # fmt's functions take the cells' values
    "calls": fmt.count,
    "errors": fmt.count,
    "refused": fmt.count,
    "unique_installs": fmt.count,
    "summaries": fmt.count,
    "cost_usd": fmt.money,
    "revenue_usd": fmt.money,
    "margin_usd": fmt.money,
    "price_per_month": fmt.money,
    "cost_per_install_usd": fmt.money,
    "cost_per_summary_usd": fmt.unit_cost,
    "avg_cost_usd": fmt.unit_cost,
    "avg_duration_ms": fmt.duration,
    "margin_pct": fmt.percent,
    "share": fmt.share,
}
_TITLES = {
    "calls": "Calls",
    "errors": "Errors",
    "refused": "Refused",
    "unique_installs": "Installs",
    "summaries": "Summaries",
    "cost_usd": "Cost",
    "revenue_usd": "Revenue",
    "margin_usd": "Margin",
    "price_per_month": "Price per month",
    "cost_per_install_usd": "Cost per install",
    "cost_per_summary_usd": "Cost per summary",
    "avg_cost_usd": "Cost per call",
    "avg_duration_ms": "Average duration",
    "margin_pct": "Margin %",
    "share": "Share",
}
_DAY = alt.Tooltip("yearmonthdate(day):T", title="Day")


def _data(df: pd.DataFrame, drawn: tuple[str, ...], texts: tuple[str, ...]) -> pd.DataFrame:
    """The chart's data: the `drawn` columns of `df` (chart-safe), and fmt's text of each of
    `texts` beside them as `<column>_text`, for tooltips. Nothing else travels to the browser."""
    data = display_safe(df[[name for name in drawn if name in df]])
    for name in texts:
        if name in df:
            values = np.empty(len(df), dtype=object)
            values[:] = [_TEXT[name](v) for v in df[name].tolist()]
            data[f"{name}_text"] = values
    return data


def _tips(df: pd.DataFrame, columns: tuple[str, ...]) -> list[alt.Tooltip]:
    return [alt.Tooltip(f"{name}_text:N", title=_TITLES[name]) for name in columns if f"{name}_text" in df]


def _series(layer: alt.Chart, name: str, names: tuple[str, ...], symbol: str = "circle") -> alt.Chart:
    """`layer` coloured as the series `name`, in a legend shared with the other `names`."""
    domain, range_ = colours.series_domain(names)
    legend = alt.Legend(title=None, orient="top", symbolType=symbol, symbolStrokeWidth=4)
    return layer.transform_calculate(series=f"'{name}'").encode(
        color=alt.Color("series:N", scale=alt.Scale(domain=domain, range=range_), legend=legend)
    )


def _colour_scale(labels: list[str], colour_of: Callable[[str], str]) -> alt.Scale:
    """Each label's own colour. The domain is left to Vega (the data's labels, sorted), so no
    log text is written into the spec, only colours in that same sorted order."""
    names = sorted(set(labels))
    return alt.Scale(range=[colour_of(n) for n in names] or [colours.NEUTRAL])


def _money_axis(title: str, colour: str) -> alt.Axis:
    return alt.Axis(title=title, format=fmt.D3_MONEY, titleColor=colour)


def daily_chart(daily_df: pd.DataFrame) -> alt.LayerChart:
    """Cost per day as bars, calls per day as a line, each on its own axis."""
    shown = ("calls", "cost_usd", "errors", "refused")
    return _cost_bars_calls_line(daily_df, shown, "Cost and calls per day")


def install_daily_chart(df: pd.DataFrame) -> alt.LayerChart:
    """One install's cost per day as bars and calls per day as a line."""
    return _cost_bars_calls_line(df, ("calls", "cost_usd", "errors"), "Cost and calls per day")


def _cost_bars_calls_line(df: pd.DataFrame, shown: tuple[str, ...], title: str) -> alt.LayerChart:
    data = _data(df, ("day", "cost_usd", "calls"), shown)
    base = alt.Chart(data).encode(x=alt.X("yearmonthdate(day):T", title="Day"), tooltip=[_DAY, *_tips(data, shown)])
    series = ("Cost", "Calls")
    bars = base.mark_bar(opacity=0.85).encode(y=alt.Y("cost_usd:Q", axis=_money_axis("Cost (USD)", colours.COST)))
    line = base.mark_line(point=True).encode(
        y=alt.Y("calls:Q", axis=alt.Axis(title="Calls", format=fmt.D3_COUNT, titleColor=colours.CALLS))
    )
    bars, line = _series(bars, "Cost", series), _series(line, "Calls", series)
    return alt.layer(bars, line, title=title).resolve_scale(y="independent")


def status_chart(status_df: pd.DataFrame) -> alt.Chart:
    """Calls per status, most first: success green, error red, refused amber."""
    data = _data(status_df, ("status", "calls"), ("calls", "share"))
    return (
        alt.Chart(data, title="Calls by status")
        .mark_bar()
        .encode(
            x=alt.X("calls:Q", title="Calls", axis=alt.Axis(format=fmt.D3_COUNT)),
            y=alt.Y("status:N", title="Status", sort="-x"),
            color=alt.Color(
                "status:N",
                title="Status",
                legend=None,
                scale=_colour_scale(data["status"].tolist(), colours.status_colour),
            ),
            tooltip=[alt.Tooltip("status:N", title="Status"), *_tips(data, ("calls", "share"))],
        )
    )


def tier_chart(tier_df: pd.DataFrame) -> alt.LayerChart:
    """Cost (bars) and calls (points) per tier, most cost first."""
    shown = ("calls", "cost_usd", "unique_installs", "summaries", "cost_per_install_usd", "cost_per_summary_usd")
    data = _data(breakdowns.most_cost_first(tier_df), ("tier", "cost_usd", "calls"), shown)
    # In the data's order: a sort field is lost when the layers' domains are merged.
    x = alt.X("tier:N", title="Tier", sort=None, axis=alt.Axis(labelAngle=0))
    base = alt.Chart(data).encode(x=x, tooltip=[alt.Tooltip("tier:N", title="Tier"), *_tips(data, shown)])
    series = ("Cost", "Calls")
    bars = base.mark_bar().encode(y=alt.Y("cost_usd:Q", axis=_money_axis("Cost (USD)", colours.COST)))
    points = base.mark_point(filled=True, size=90, opacity=1).encode(
        y=alt.Y("calls:Q", axis=alt.Axis(title="Calls", format=fmt.D3_COUNT, titleColor=colours.CALLS))
    )
    bars, points = _series(bars, "Cost", series), _series(points, "Calls", series)
    return alt.layer(bars, points, title="Cost and calls by tier").resolve_scale(y="independent")


def cost_speed_scatter(df: pd.DataFrame) -> alt.Chart:
    """Each model at (average duration, average cost per call), sized by calls, coloured by backend.

    A model without a duration or a cost has no place on the chart and is left out."""
    drawn = df.dropna(subset=["avg_duration_ms", "avg_cost_usd"]) if len(df) else df
    data = _data(
        drawn,
        ("model", "backend", "avg_duration_ms", "avg_cost_usd", "calls"),
        ("calls", "avg_cost_usd", "avg_duration_ms"),
    )
    return (
        alt.Chart(data, title="Cost vs speed by model")
        .mark_circle(opacity=0.85)
        .encode(
            x=alt.X(
                "avg_duration_ms:Q",
                title="Average duration",
                axis=alt.Axis(labelExpr=fmt.vega_duration("datum.value")),
            ),
            y=alt.Y("avg_cost_usd:Q", title="Average cost per call", axis=alt.Axis(format=fmt.D3_UNIT_COST_AXIS)),
            size=alt.Size("calls:Q", title="Calls", legend=alt.Legend(format=fmt.D3_COUNT)),
            color=alt.Color("backend:N", title="Backend", scale=alt.Scale(range=list(colours.LABEL_PALETTE))),
            tooltip=[
                alt.Tooltip("model:N", title="Model"),
                alt.Tooltip("backend:N", title="Backend"),
                *_tips(data, ("calls", "avg_cost_usd", "avg_duration_ms")),
            ],
        )
    )


def hourly_chart(hourly_df: pd.DataFrame) -> alt.LayerChart:
    """Calls per hour of the local day as 24 bars, cost as a line on its own axis."""
    data = _data(hourly_df, ("hour", "calls", "cost_usd"), ("calls", "cost_usd"))
    base = alt.Chart(data).encode(
        x=alt.X("hour:O", title="Hour of day", axis=alt.Axis(labelAngle=0)),
        tooltip=[alt.Tooltip("hour:O", title="Hour"), *_tips(data, ("calls", "cost_usd"))],
    )
    series = ("Calls", "Cost")
    bars = base.mark_bar(opacity=0.85).encode(
        y=alt.Y("calls:Q", axis=alt.Axis(title="Calls", format=fmt.D3_COUNT, titleColor=colours.CALLS))
    )
    line = base.mark_line(point=True).encode(y=alt.Y("cost_usd:Q", axis=_money_axis("Cost (USD)", colours.COST)))
    bars, line = _series(bars, "Calls", series), _series(line, "Cost", series)
    return alt.layer(bars, line, title="Calls and cost by hour of day").resolve_scale(y="independent")


def heatmap(weekday_hour_df: pd.DataFrame) -> alt.Chart:
    """Calls per (weekday, hour of day): Monday on top, hour 0 on the left; darker is more calls."""
    data = _data(weekday_hour_df, ("weekday_name", "hour", "calls"), ("calls", "cost_usd"))
    return (
        alt.Chart(data, title="Calls by weekday and hour")
        .mark_rect()
        .encode(
            x=alt.X("hour:O", title="Hour of day", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("weekday_name:O", title="Weekday", sort=list(WEEKDAY_NAMES)),
            color=alt.Color(
                "calls:Q",
                title="Calls",
                scale=alt.Scale(range=[colours.EMPTY, colours.CALLS]),
                legend=alt.Legend(format=fmt.D3_COUNT),
            ),
            tooltip=[
                alt.Tooltip("weekday_name:O", title="Weekday"),
                alt.Tooltip("hour:O", title="Hour"),
                *_tips(data, ("calls", "cost_usd")),
            ],
        )
    )


def margin_chart(by_tier: pd.DataFrame) -> alt.LayerChart:
    """Margin per tier as bars: profit green, loss red, about a zero rule."""
    outcome = np.where(by_tier["margin_usd"].lt(0).to_numpy(), "Loss", "Profit")
    shown = ("revenue_usd", "cost_usd", "margin_usd", "margin_pct")
    data = _data(by_tier.assign(outcome=outcome), ("tier", "margin_usd", "outcome"), shown)
    bars = (
        alt.Chart(data, title="Margin by tier")
        .mark_bar()
        .encode(
            x=alt.X("tier:N", title="Tier", sort="-y", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("margin_usd:Q", title="Margin (USD)", axis=alt.Axis(format=fmt.D3_MONEY)),
            color=alt.Color(
                "outcome:N",
                title=None,
                scale=alt.Scale(domain=["Profit", "Loss"], range=[colours.PROFIT, colours.LOSS]),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[alt.Tooltip("tier:N", title="Tier"), *_tips(data, shown)],
        )
    )
    zero = alt.Chart(pd.DataFrame({"zero": [0]})).mark_rule(color=colours.NEUTRAL).encode(y="zero:Q")
    # No facet encodings, so alt.layer's LayerChart | FacetChart is a LayerChart.
    return cast(alt.LayerChart, alt.layer(bars, zero))


def install_cost_chart(per_install: pd.DataFrame) -> alt.LayerChart:
    """Each tier's spread of cost per install per month (box plot, the tier's colour), its
    price as a black tick named in the legend.

    `per_install` has tier, cost_per_month_usd and price_per_month for each install. The y
    scale is symmetric-log (zero stays drawable) with a tick at each power of ten, labelled.
    """
    data = _five_numbers(
        display_safe(per_install.dropna(subset=["cost_per_month_usd"])[["tier", "cost_per_month_usd"]])
    )
    prices = per_install.dropna(subset=["price_per_month"]).drop_duplicates("tier")[["tier", "price_per_month"]]
    prices = _data(prices, ("tier", "price_per_month"), ("price_per_month",))
    top = max(
        float(data["cost_per_month_usd"].max()) if len(data) else 0.0,
        float(prices["price_per_month"].max()) if len(prices) else 0.0,
    )
    ticks = [0.0] + [10.0**k for k in range(-2, 7) if 10.0 ** (k - 1) <= max(top, 0.01)]
    y_scale = alt.Scale(type="symlog", constant=0.01)
    y_axis = alt.Axis(values=ticks, format="$,.2~f", title="Cost per install per month (USD)")
    boxes = (
        alt.Chart(data, title="Cost per install-month vs. the tier's price")  # fits a third of the page
        .mark_boxplot(extent="min-max", size=36)
        .encode(
            x=alt.X("tier:N", title="Tier", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("cost_per_month_usd:Q", scale=y_scale, axis=y_axis),
            color=alt.Color("tier:N", legend=None, scale=_colour_scale(data["tier"].tolist(), colours.tier_colour)),
        )
    )
    price_ticks = (
        alt.Chart(prices)
        .mark_tick(thickness=4, size=56)
        .encode(
            x="tier:N",
            y=alt.Y("price_per_month:Q", scale=y_scale),
            tooltip=[alt.Tooltip("tier:N", title="Tier"), *_tips(prices, ("price_per_month",))],
        )
    )
    price_ticks = _series(price_ticks, "Price", ("Price",), symbol="stroke")
    # Tall enough that every power of ten on the axis keeps its label.
    return alt.layer(boxes, price_ticks).resolve_scale(color="independent").properties(height=360)


def _five_numbers(values: pd.DataFrame) -> pd.DataFrame:
    """Each tier's min, quartiles and max of cost_per_month_usd, as five rows: the box plot
    Vega-Lite draws from them is the one it draws from every install (its quartiles of five
    sorted values are the 2nd, 3rd and 4th: both interpolate linearly), but the browser gets
    5 rows a tier instead of one per install (tens of thousands on a big log)."""
    codes, tiers = pd.factorize(values["tier"])
    costs = values["cost_per_month_usd"].to_numpy(dtype=float)
    rows_tier, rows_cost = [], []
    for code, tier in enumerate(tiers):
        for found in np.percentile(costs[codes == code], [0, 25, 50, 75, 100]):
            rows_tier.append(tier)
            rows_cost.append(float(found))
    return pd.DataFrame({"tier": pd.Series(rows_tier, dtype=object), "cost_per_month_usd": rows_cost})


def margin_over_time_chart(periods: pd.DataFrame, per: str) -> alt.LayerChart:
    """Revenue and cost per period as lines, margin as bars (losses below zero), for one tier
    or all: `periods` has period (first day), revenue_usd, cost_usd, margin_usd."""
    data = display_safe(periods[["period", "revenue_usd", "cost_usd", "margin_usd"]]).assign(
        period=pd.to_datetime(periods["period"])
    )
    x = alt.X("yearmonthdate(period):T", title=f"{per} starting")
    tooltip = [
        alt.Tooltip("yearmonthdate(period):T", title=f"{per} starting"),
        alt.Tooltip("revenue_usd:Q", title="Revenue", format=fmt.D3_MONEY),
        alt.Tooltip("cost_usd:Q", title="Cost", format=fmt.D3_MONEY),
        alt.Tooltip("margin_usd:Q", title="Margin", format=fmt.D3_MONEY),
    ]
    bars = (
        alt.Chart(data, title=f"Margin per {per.lower()}")
        .mark_bar(opacity=0.5)
        .encode(
            x=x,
            y=alt.Y("margin_usd:Q", title="USD"),
            color=alt.condition("datum.margin_usd < 0", alt.value(colours.LOSS), alt.value(colours.PROFIT)),
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
                "figure:N",
                title=None,
                scale=alt.Scale(domain=["Revenue", "Cost"], range=[colours.REVENUE, colours.COST]),
            ),
            tooltip=tooltip,
        )
    )
    return cast(alt.LayerChart, alt.layer(bars, lines))  # no facet encodings: a LayerChart
