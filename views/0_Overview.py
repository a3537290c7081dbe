"""Overview: the headline figures for the chosen dates and filters, against the period before."""

from dataclasses import replace

import streamlit as st

from relay_metrics.app import page, prices
from relay_metrics.metrics import breakdowns
from relay_metrics.metrics.filters import apply_filters
from relay_metrics.output import charts

view = page.start("Overview")
page.require_rows(view)

current = breakdowns.overview(view.frame)
since, until = breakdowns.previous_window(view.filters.since_ms, view.filters.until_ms)
previous = breakdowns.overview(apply_filters(view.log.frame, replace(view.filters, since_ms=since, until_ms=until)))
change = breakdowns.deltas(current, previous)
st.caption(f"Changes are against the {view.days} days before {view.start.isoformat()}.")


def money(value, digits=2):
    return None if value is None else f"${value:,.{digits}f}"


def seconds(ms):
    return None if ms is None else f"{ms / 1000:,.2f} s"


cards = st.columns(4)
cards[0].metric("Calls", f"{current['calls']:,}", f"{change['calls']:+,}" if change["calls"] is not None else None)
cards[1].metric(
    "Success rate",
    f"{current['success_rate']:.1%}",
    None if change["success_rate"] is None else f"{change['success_rate'] * 100:+.1f} pts",
)
cards[2].metric("Total cost", money(current["total_cost_usd"]), money(change["total_cost_usd"]), delta_color="inverse")
cards[3].metric(
    "Cost per summary job",
    money(current["cost_per_summary_usd"], 4),
    money(change["cost_per_summary_usd"], 4),
    delta_color="inverse",
)
cards = st.columns(4)
cards[0].metric(
    "Average duration", seconds(current["avg_duration_ms"]), seconds(change["avg_duration_ms"]), delta_color="inverse"
)
cards[1].metric(
    "p95 duration", seconds(current["p95_duration_ms"]), seconds(change["p95_duration_ms"]), delta_color="inverse"
)
cards[2].metric(
    "Tokens",
    f"{current['total_tokens']:,.0f}",
    None if change["total_tokens"] is None else f"{change['total_tokens']:+,.0f}",
)

_, pricing, pricing_error = prices.current()
if pricing_error:
    st.caption("No margins: the pricing file can't be used (see Profitability).")
else:
    total = prices.view_margins(view, pricing).total
    cards = st.columns(4)
    cards[0].metric(
        "Revenue",
        f"${total['revenue_usd']:,.2f}",
        help="From pricing.toml" + (" with what-if prices" if prices.is_what_if() else "") + "; see Profitability.",
    )
    cards[1].metric("Margin", f"${total['margin_usd']:,.2f}")
    cards[2].metric("Margin %", "–" if total["margin_pct"] is None else f"{total['margin_pct']:.1f}%")

st.subheader("Cost and calls by day")
daily = breakdowns.daily(view.frame, view.zone, view.start, view.end)
chart, numbers = st.columns([3, 2])
chart.altair_chart(charts.daily_chart(daily), width="stretch")
with numbers:
    page.table(daily, "daily", height=360)

st.subheader("Status mix")
mix = breakdowns.status_mix(view.frame)
chart, numbers = st.columns([3, 2])
chart.altair_chart(charts.status_chart(mix), width="stretch")
with numbers:
    page.table(mix, "status-mix")
