"""Growth: MRR per day and its movements per month, cohorts with what they cost."""

import streamlit as st

from relay_metrics.app import growth_data, page, prices
from relay_metrics.output import growth_charts

HOW = """
- **Who pays, when.** Without a billing export, a relay call makes its install a subscriber: each call
  covers [its time, the next call or one month (30.4375 days) later) at the monthly price of its own
  tier in `pricing.toml`. With a billing export (`[billing] file` in `pricing.toml`), its paid periods
  decide instead: a yearly plan counts amount ÷ 12 per month; trials and refunds count nothing.
- **MRR of a day** (UTC) = the monthly amounts of the installs covered at the day's last millisecond
  (23:59:59.999), or at the log's newest record on the day holding it.
- **Movements** compare each day with the day before: *new* (first day ever covered),
  *reactivation* (covered again after a day without), *churn* (no longer covered: minus what it paid),
  *expansion* / *contraction* (still covered, monthly amount up / down).
  Per month: MRR at the start + movements = MRR at the end, to the cent.
- **Cohorts** group installs by the month (UTC) of their first call, for first calls in the range.
  Revenue and cost add up from the cohort's start; a cohort has *paid back* in the first month where
  its revenue reaches its LLM cost.
- Growth follows the dates and the tier filter (an install counts in the tier of its latest call,
  as on Profitability). Days and months here are UTC.
"""

view = page.start("Growth")
with st.expander("How this is computed"):
    st.markdown(HOW)

file_pricing, _, error = prices.current()  # actual prices: what-ifs never replace them here
if error:
    st.error("The pricing file can't be used, so growth can't be computed. The cost pages still work.")
    st.code(error, language=None)
    st.stop()
assert file_pricing is not None  # current() gives the prices or an error (never empty)
found, billing_error = growth_data.billing(file_pricing)
if billing_error:
    st.error("The billing export can't be used, so revenue below is estimated from activity. Fix this row and reload:")
    st.code(billing_error, language=None)
ignored = [name for name in view.filters.narrowed_fields() if name != "tier"]
if ignored:
    st.caption(
        "Growth ignores the " + ", ".join(ignored) + " filter(s): revenue can't be split that way, "
        "so MRR, revenue and cost here follow the dates and tiers only."
    )

result = growth_data.figures(view, file_pricing, found)
if result.mrr.empty:
    st.info(
        "No calls match these dates and filters, and no earlier call pays into them: no subscribers to show. "
        "Widen the date range or clear the tier filter."
    )
    st.stop()
where = "from billing" if found is not None else "estimated from activity"
st.caption(f"Revenue and MRR on this page: **{where}**. Cost: measured, the log's cost_usd.")

last = result.mrr.iloc[-1]
first = result.movements.iloc[0]["opening_mrr_usd"]
short = "from billing" if found is not None else "estimated"
cards = st.columns(4)
cards[0].metric(
    f"MRR ({short})", f"${last['mrr_usd']:,.2f}", help=f"On {last['date']} (UTC), the range's last day: {where}."
)
change = last["mrr_usd"] - first
cards[1].metric(
    f"MRR change ({short})",
    f"${change:,.2f}",
    delta=f"{change / first:+.1%}" if first else None,
    delta_color="normal" if change else "off",
    help=f"From the end of the day before the range's first day to the end of {last['date']}.",
)
cards[2].metric("Subscribers", f"{int(last['subscribers']):,}", help=f"Installs covered on {last['date']}.")
cards[3].metric("LLM cost (measured)", f"${result.monthly['cost_usd'].sum():,.2f}", help="The range's cost_usd.")

st.subheader("MRR and cost")
left, right = st.columns(2)
left.altair_chart(growth_charts.mrr_chart(result.mrr_by_tier, where), width="stretch")
right.altair_chart(growth_charts.revenue_cost_chart(result.monthly, where), width="stretch")
page.table(result.monthly, "growth-monthly")

st.subheader("Movements per month")
st.altair_chart(growth_charts.waterfall_chart(result.movements, where), width="stretch")
first_month = result.movements.iloc[0]
st.caption(
    f"Months are calendar months (UTC) clipped to the range: {first_month['month']} counts from "
    f"{first_month['first_day']}, {result.movements.iloc[-1]['month']} up to {result.movements.iloc[-1]['last_day']}. "
    "Start + movements = end, to the cent."
)
page.table(growth_data.movements_table(result.movements), "growth-movements")
with st.expander("Installs per movement"):
    page.table(growth_data.movement_counts(result.movements), "growth-movement-counts")

st.subheader("Cohorts")
if result.cohorts.empty:
    st.caption("No install made its first call in these dates.")
else:
    st.altair_chart(growth_charts.retention_heatmap(result.retention), width="stretch")
    st.caption(f"Cumulative revenue ({where}) against cumulative LLM cost (measured), per cohort.")
    page.table(growth_data.payback_table(result.cohorts), "growth-cohorts")
    with st.expander("Cohorts month by month"):
        page.table(result.retention, "growth-retention")
