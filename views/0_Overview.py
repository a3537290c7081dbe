"""Overview: the headline figures for the chosen dates and filters, against the period before."""

from dataclasses import replace

import streamlit as st

from relay_metrics.app import alerts_panel, page, prices
from relay_metrics.metrics import breakdowns
from relay_metrics.metrics.filters import apply_filters
from relay_metrics.output import charts
from relay_metrics.output.change import change, signed_count, signed_money, signed_points, signed_seconds

view = page.start("Overview")
alerts_panel.firing_now(view)  # rules that fire now, before anything else
page.require_rows(view)

span = prices.view_span(view)
before = span.previous()  # equal length, ending at the same time of day
current = breakdowns.overview(view.frame)
previous = breakdowns.overview(
    apply_filters(view.log.frame, replace(view.filters, since_ms=before.since_ms, until_ms=before.until_ms))
)
for line in prices.range_notes(view, span):
    st.caption(line)
st.caption(
    f"Changes are against {prices.local_time(before.since_ms, view.zone)} to "
    f"{prices.local_time(before.until_ms, view.zone)}, the period of equal length before."
)


def money(value, digits=2):
    return None if value is None else f"${value:,.{digits}f}"


def seconds(ms):
    return None if ms is None else f"{ms / 1000:,.2f} s"


def card(column, label, value, key, absolute, inverse=False, now=current, then=previous):
    # A change from a period without calls says nothing: no delta then.
    has_previous = bool(previous["calls"])
    moved = change(now.get(key), then.get(key) if has_previous else None, absolute)
    column.metric(
        label,
        value,
        moved.text,
        delta_color="inverse" if inverse else "normal",
        delta_arrow=moved.arrow,
    )


cards = st.columns(4)
card(cards[0], "Calls", f"{current['calls']:,}", "calls", signed_count)
card(
    cards[1],
    "Success rate",
    f"{current['success_rate']:.1%}",
    "success_rate",
    lambda d: signed_points(d * 100),
)
card(cards[2], "Total cost", money(current["total_cost_usd"]), "total_cost_usd", signed_money, inverse=True)
card(
    cards[3],
    "Cost per summary job",
    money(current["cost_per_summary_usd"], 4),
    "cost_per_summary_usd",
    lambda d: signed_money(d, 4),
    inverse=True,
)
cards = st.columns(4)
card(cards[0], "Average duration", seconds(current["avg_duration_ms"]), "avg_duration_ms", signed_seconds, True)
card(cards[1], "p95 duration", seconds(current["p95_duration_ms"]), "p95_duration_ms", signed_seconds, True)
card(cards[2], "Tokens", f"{current['total_tokens']:,.0f}", "total_tokens", signed_count)

file_pricing, _, pricing_error = prices.current()
cost_only = prices.cost_only_filters(view)
if pricing_error:
    st.caption("No margins: the pricing file can't be used (see Profitability).")
elif cost_only:
    st.caption(prices.cost_only_note(cost_only))
else:
    # Actual prices always: a what-if scenario is compared on Profitability, never shown here.
    now = prices.view_margins(view, file_pricing).total
    then = prices.view_margins(view, file_pricing, before).total
    cards = st.columns(4)
    card(cards[0], "Revenue", money(now["revenue_usd"]), "revenue_usd", signed_money, now=now, then=then)
    card(cards[1], "Margin", money(now["margin_usd"]), "margin_usd", signed_money, now=now, then=then)
    card(
        cards[2],
        "Margin %",
        "–" if now["margin_pct"] is None else f"{now['margin_pct']:.1f}%",
        "margin_pct",
        signed_points,
        now=now,
        then=then,
    )
    st.caption('Revenue from pricing.toml and the log\'s activity (see Profitability, "How this is computed").')

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
