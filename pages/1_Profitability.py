"""Profitability: revenue from pricing.toml against the log's costs, by tier and install."""

import streamlit as st

from relay_metrics.app import page, prices
from relay_metrics.metrics import profit
from relay_metrics.output import charts, fmt
from relay_metrics.output.export import visible

HOW = """
- Each install is attributed wholly to its **latest tier in the selected range** and counts as an
  active subscriber of that tier.
- **Revenue** of an install = its tier's monthly price × days in range ÷ 30.4375. Revenue of a tier =
  (paying subscribers from `pricing.toml` if set, else active installs) × price × days ÷ 30.4375.
- **Cost** of an install = the sum of its `cost_usd` in the range; a tier's cost is its installs'.
  Calls with no install id form the *unattributed* row: cost, no revenue.
- **Margin** = revenue − cost; **margin %** = margin ÷ revenue (blank when revenue is 0).
- **Break-even price** = cost per paying install per month: the price at which the tier pays for itself.
- Margins follow the date range and tier filters. Revenue can't be split by model, pipeline,
  backend or status, so margins ignore those filters.
"""

view = page.start("Profitability")
with st.expander("How this is computed"):
    st.markdown(HOW)

file_pricing, pricing, error = prices.current()
if error:
    st.error("The pricing file can't be used, so no margins are shown. The cost pages still work.")
    st.code(error, language=None)
    st.stop()
ignored = [name for name in view.filters.narrowed_fields() if name != "tier"]
if ignored:
    st.caption(
        "Margins ignore the " + ", ".join(ignored) + " filter(s): revenue can't be split that way. "
        "Unit economics below follow every filter."
    )
if prices.is_what_if():
    st.caption("What-if prices are in force (see below); they apply on every page until reset.")
page.require_rows(view)

result = prices.view_margins(view, pricing)
if result.unpriced_tiers:
    st.warning(
        f"{len(result.unpriced_tiers)} tier(s) in the log have no price in {pricing.source}; they count as free."
    )

page.margin_cards(result.total)

st.subheader("By tier")
chart, numbers = st.columns([2, 3])
chart.altair_chart(charts.margin_chart(result.by_tier), width="stretch")
with numbers:
    page.table(result.by_tier, "margins-by-tier", secondary=("price_per_month", "cost_per_install_month_usd"))
    st.caption("Installs: each once, under the tier of its latest call; revenue counts paying subscribers.")

st.subheader("By install")
losers = profit.loss_makers(result)
st.text(
    "\n".join(
        f"{fmt.count(row.losing)} of {fmt.count(row.installs)} {visible(row.tier)} installs cost more than they pay"
        for row in losers.itertuples()
    )
)
chart, numbers = st.columns([2, 3])
chart.altair_chart(charts.install_cost_chart(profit.cost_per_install_month(result)), width="stretch")
with numbers:
    page.table(result.by_install.assign(losing=result.by_install["margin_usd"] < 0), "margins-by-install", height=420)

st.subheader("Unit economics")
jobs = profit.job_costs(view.frame)
unit = profit.unit_economics(view.frame, jobs)
cards = st.columns(4)
cards[0].metric(
    "Cost per summary job", fmt.unit_cost(unit["cost_per_job_usd"]), help="Transcribe + analyze calls joined by job_id."
)
cards[1].metric("p50 per job", fmt.unit_cost(unit["p50_job_cost_usd"]), help="Half of the jobs cost less than this.")
cards[2].metric("p95 per job", fmt.unit_cost(unit["p95_job_cost_usd"]), help="95% of the jobs cost less than this.")
cards[3].metric("Cost per credit", fmt.unit_cost(unit["cost_per_credit_usd"]), help="Cost per credit charged.")
cards = st.columns(4)
cards[0].metric("Spent on errors", fmt.money(unit["error_cost_usd"]), help="Cost of calls whose status is error.")
cards[1].metric("Spent on refusals", fmt.money(unit["refused_cost_usd"]), help="Cost of calls the relay refused.")
left, right = st.columns(2)
with left:
    st.caption("Cost per summary job by tier")
    page.table(profit.job_cost_stats(jobs, "tier"), "job-cost-by-tier")
with right:
    st.caption("Cost per summary job by model")
    page.table(profit.job_cost_stats(jobs, "model"), "job-cost-by-model")

st.subheader("Month-end forecast")
forecast = profit.month_end_forecast(result, view.end)
st.caption(f"At this range's daily run rate, for {forecast['month']} ({forecast['days_in_month']} days).")
page.margin_cards(forecast, "Projected ")

st.subheader("What if prices were different?")
prices.what_if_editor(file_pricing, list(result.by_tier.loc[result.by_tier["tier"] != profit.UNATTRIBUTED, "tier"]))
