"""Installs: who spends the most, and everything one install did."""

import streamlit as st

from relay_metrics.app import page, prices, results
from relay_metrics.metrics import breakdowns, profit
from relay_metrics.output import charts
from relay_metrics.output.export import visible

view = page.start("Installs")
page.require_rows(view)

controls = st.columns([1, 2])
top = controls[0].number_input(
    "How many installs", min_value=1, max_value=10_000, value=20, step=10, key="installs_top"
)
prefix = controls[1].text_input("Install id starts with", key="installs_prefix", placeholder="e.g. 3fa9")
installs = results.of_view(view, breakdowns.installs_table, int(top), prefix)
st.subheader("Top installs by spend")
page.table(installs.drop(columns="last_active_at"), "installs", height=420, zone=view.zone)  # last_active: a time

st.subheader("One install")
if installs.empty:
    st.caption("No install matches.")
    st.stop()
install_id = st.selectbox("Install", installs["install_id"].tolist(), key="installs_pick", format_func=visible)
file_pricing, _, pricing_error = prices.current()
if pricing_error is None:
    assert file_pricing is not None  # current() gives the prices or an error
    # Actual prices, the same figures as its row on Profitability.
    span = prices.view_span(view)
    cost_only = prices.cost_only_filters(view)
    economics = None if cost_only else profit.install_economics(prices.view_margins(view, file_pricing), install_id)
    if cost_only:
        st.caption(prices.cost_only_note(cost_only))
    elif economics is None:
        st.caption("This install isn't among the tiers picked, so it has no margin here.")
    else:
        cards = st.columns(4)
        cards[0].metric("Revenue", f"${economics['revenue_usd']:,.2f}")
        cards[1].metric("Cost", f"${economics['cost_usd']:,.2f}")
        cards[2].metric("Margin", f"${economics['margin_usd']:,.2f}")
        share = economics["cost_share_pct"]
        cards[3].metric("Cost as % of what it pays", "– (pays nothing)" if share is None else f"{share:,.0f}%")
    st.caption("Tier history: from a month before the range (calls there pay into it) to its end")
    history = profit.tier_history(view.log.frame, install_id, file_pricing, span.read_from_ms, span.until_prime)
    page.table(history, "install-tiers", height=200)
daily = breakdowns.install_daily(view.frame, install_id, view.zone)
chart, numbers = st.columns([3, 2])
chart.altair_chart(charts.install_daily_chart(daily), width="stretch")
with numbers:
    page.table(daily, "install-daily", height=300, zone=view.zone)
jobs_tab, calls_tab = st.tabs(["Jobs", "Calls"])
with jobs_tab:
    page.table(
        breakdowns.install_jobs(view.frame, install_id),
        "install-jobs",
        height=360,
        zone=view.zone,
        unit_costs=("cost_usd",),
    )
with calls_tab:
    page.table(
        breakdowns.install_calls(view.frame, install_id),
        "install-calls",
        height=360,
        zone=view.zone,
        unit_costs=("cost_usd",),
    )
