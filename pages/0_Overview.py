"""Overview: the headline figures for the chosen dates and filters, against the period before."""

from dataclasses import replace

import streamlit as st

from relay_metrics.app import page, prices
from relay_metrics.metrics import breakdowns
from relay_metrics.metrics.filters import apply_filters
from relay_metrics.output import charts, fmt

view = page.start("Overview")
page.require_rows(view)

current = breakdowns.overview(view.frame)
since, until = breakdowns.previous_window(view.filters.since_ms, view.filters.until_ms)
previous = breakdowns.overview(apply_filters(view.log.frame, replace(view.filters, since_ms=since, until_ms=until)))
change = breakdowns.deltas(current, previous)
st.caption(f"Changes are against the {view.days} days before {view.start.isoformat()}.")


cards = st.columns(4)
cards[0].metric("Calls", fmt.count(current["calls"]), fmt.delta(change["calls"], fmt.count))
cards[1].metric("Success rate", fmt.share(current["success_rate"]), fmt.delta(change["success_rate"], fmt.points))
cards[2].metric(
    "Total cost",
    fmt.money(current["total_cost_usd"]),
    fmt.delta(change["total_cost_usd"], fmt.money),
    delta_color="inverse",
)
cards[3].metric(
    "Cost per summary job",
    fmt.unit_cost(current["cost_per_summary_usd"]),
    fmt.delta(change["cost_per_summary_usd"], fmt.unit_cost),
    delta_color="inverse",
)
cards = st.columns(4)
cards[0].metric(
    "Average duration",
    fmt.duration(current["avg_duration_ms"]),
    fmt.delta(change["avg_duration_ms"], fmt.duration),
    delta_color="inverse",
)
cards[1].metric(
    "p95 duration",
    fmt.duration(current["p95_duration_ms"]),
    fmt.delta(change["p95_duration_ms"], fmt.duration),
    delta_color="inverse",
)
cards[2].metric(
    "Tokens",
    fmt.count_short(current["total_tokens"]),
    fmt.delta(change["total_tokens"], fmt.count_short),
    help=f"{fmt.count(current['total_tokens'])} tokens: input, output and thinking.",
)

_, pricing, pricing_error = prices.current()
if pricing_error:
    st.caption("No margins: the pricing file can't be used (see Profitability).")
else:
    total = prices.view_margins(view, pricing).total
    cards = st.columns(4)
    cards[0].metric(
        "Revenue",
        fmt.money(total["revenue_usd"]),
        help="From pricing.toml" + (" with what-if prices" if prices.is_what_if() else "") + "; see Profitability.",
    )
    cards[1].metric("Margin", fmt.money(total["margin_usd"]))
    cards[2].metric("Margin %", fmt.percent(total["margin_pct"]))

st.subheader("Cost and calls by day")
daily = breakdowns.daily(view.frame, view.zone, view.start, view.end)
chart, numbers = st.columns([3, 2])
chart.altair_chart(charts.daily_chart(daily), width="stretch")
with numbers:
    page.table(daily, "daily", height=360, zone=view.zone)

st.subheader("Status mix")
mix = breakdowns.status_mix(view.frame)
chart, numbers = st.columns([3, 2])
chart.altair_chart(charts.status_chart(mix), width="stretch")
with numbers:
    page.table(mix, "status-mix")
