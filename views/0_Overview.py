"""Overview: the headline figures for the chosen dates and filters, against the period before."""

from dataclasses import replace

import streamlit as st

from relay_metrics.app import alerts_panel, page, prices, results
from relay_metrics.metrics import breakdowns
from relay_metrics.output import charts, fmt
from relay_metrics.output.change import change, percent_points

view = page.start("Overview")
alerts_panel.firing_now(view)  # rules that fire now, before anything else
page.require_rows(view)

span = prices.view_span(view)
before = span.previous()  # equal length, ending at the same time of day
assert before.since_ms is not None and before.until_ms is not None  # previous() is bounded
current = results.of_view(view, breakdowns.overview)
previous = results.of_view(
    view, breakdowns.overview, filters=replace(view.filters, since_ms=before.since_ms, until_ms=before.until_ms)
)
for line in prices.range_notes(view, span):
    st.caption(line)
st.caption(
    f"Changes are against {prices.local_time(before.since_ms, view.zone)} to "
    f"{prices.local_time(before.until_ms, view.zone)}, the period of equal length before."
)


def card(column, label, key, show, inverse=False, now=current, then=previous, help=None, show_change=None):
    """A metric card: the value in `show`'s format, and its change against the period before
    (in `show_change`'s, for rates whose change is in points)."""
    # A change from a period without calls says nothing: no delta then.
    has_previous = bool(previous["calls"])
    moved = change(now.get(key), then.get(key) if has_previous else None, show_change or show)
    column.metric(
        label,
        show(now.get(key)),
        moved.text,
        delta_color="inverse" if inverse else "normal",
        delta_arrow=moved.arrow,
        help=help,
    )


cards = st.columns(4)
card(cards[0], "Calls", "calls", fmt.count)
card(cards[1], "Success rate", "success_rate", fmt.share, show_change=fmt.points)
card(cards[2], "Total cost", "total_cost_usd", fmt.money, inverse=True)
card(cards[3], "Cost per summary job", "cost_per_summary_usd", fmt.unit_cost, inverse=True)
cards = st.columns(4)
card(cards[0], "Average duration", "avg_duration_ms", fmt.duration, inverse=True)
card(cards[1], "p95 duration", "p95_duration_ms", fmt.duration, inverse=True)
card(
    cards[2],
    "Tokens",
    "total_tokens",
    fmt.count_short,
    help=f"{fmt.count(current['total_tokens'])} tokens: input, output and thinking.",
)

file_pricing, _, pricing_error = prices.current()
cost_only = prices.cost_only_filters(view)
if pricing_error:
    st.caption("No margins: the pricing file can't be used (see Profitability).")
elif cost_only:
    st.caption(prices.cost_only_note(cost_only))
else:
    assert file_pricing is not None  # current() gives the prices or an error (never empty)
    # Actual prices always: a what-if scenario is compared on Profitability, never shown here.
    now = prices.view_margins(view, file_pricing).total
    then = prices.view_margins(view, file_pricing, before).total
    cards = st.columns(4)
    card(cards[0], "Revenue", "revenue_usd", fmt.money, now=now, then=then)
    card(cards[1], "Margin", "margin_usd", fmt.money, now=now, then=then)
    card(cards[2], "Margin %", "margin_pct", fmt.percent, now=now, then=then, show_change=percent_points)
    st.caption('Revenue from pricing.toml and the log\'s activity (see Profitability, "How this is computed").')

st.subheader("Cost and calls by day")
daily = results.of_view(view, breakdowns.daily, view.zone, view.start, view.end)
chart, numbers = st.columns([3, 2])
page.chart(chart, charts.daily_chart, daily)
with numbers:
    page.table(daily, "daily", height=360, zone=view.zone)

st.subheader("Status mix")
mix = results.of_view(view, breakdowns.status_mix)
chart, numbers = st.columns([3, 2])
page.chart(chart, charts.status_chart, mix)
with numbers:
    page.table(mix, "status-mix")
