"""Profitability: revenue from the log's activity at pricing.toml's prices, against its costs;
and a what-if price scenario beside (never in place of) the actual figures."""

import streamlit as st

from relay_metrics.app import page, prices, results
from relay_metrics.metrics import profit
from relay_metrics.output import charts, fmt
from relay_metrics.output.change import change, percent_points
from relay_metrics.output.export import visible

HOW = """
**Revenue follows what the log shows: who was a subscriber, when.** A relay call shows that its
install is a subscriber. With P = 30.4375 days (one billing month):
- Each install's calls are taken in time order (ties in log order). A call covers the time from
  itself to the install's next call, or one month (P) if that comes first, at the monthly price
  of **its own tier** (no tier counts as `core`). So an install pays from its first call, keeps
  paying for a month after its last, and an upgrade is paid at the new price from the upgrading
  call on.
- **Revenue** of an install = price ÷ P × the part of each call's time inside the range. The
  range ends at the log's newest record at the latest: nothing is counted past the data.
- Calls up to a month before the range count for coverage (not for cost).
- The installs of a range are those with a call in it or paid time inside it (a subscriber who
  made no call that week still pays: revenue, no cost). Each is attributed to the tier of its
  latest call up to the range's end.
- A tier with `subscribers` in `pricing.toml` earns subscribers × price × the range's days of log
  data ÷ P instead.
- **Cost** = the sum of `cost_usd` inside the range; calls with no install id form the
  *unattributed* row: cost, no revenue. **Margin** = revenue − cost; **margin %** = margin ÷ revenue.
- **Break-even price** = a tier's cost ÷ the months its installs paid for: the price at which it
  pays for itself.
- Margins follow the dates and the tier filter. Revenue can't be split by model, pipeline, backend
  or status: with one of those filters set, only costs are shown.

**Worked example.** Pro is $9.99 and max $24.99. An install calls on pro on Oct 3 and Oct 20,
then on max on Nov 1, and never again; the log runs into December. For October 1–31: the Oct 3
call covers Oct 3–20 (17 days), the Oct 20 call Oct 20–Nov 1 (12 days): 29 × 9.99 ÷ 30.4375 =
**$9.52**. For November: the Nov 1 call covers a month from Nov 1, all 30 days of November at the
max price: 30 × 24.99 ÷ 30.4375 = **$24.63**. Had the log ended on Nov 5 at noon, November would
count only up to then: 4.5 × 24.99 ÷ 30.4375 = $3.69.
"""

SHOWN_TIERS = 20  # charts and the loss summary show the costliest tiers; the tables show all


def one_tier(over_time, tier):
    return over_time[over_time["tier"] == tier].drop(columns="tier")


def over_time_chart(over_time, tier, per):
    return charts.margin_over_time_chart(one_tier(over_time, tier), per)


def tiers_chart(margins):
    return charts.margin_chart(profit.costliest_tiers(margins.by_tier, SHOWN_TIERS))


def installs_chart(margins):
    spread = profit.cost_per_install_month(margins)
    shown = set(profit.costliest_tiers(margins.by_tier, SHOWN_TIERS)["tier"])
    return charts.install_cost_chart(spread[spread["tier"].isin(list(shown))])


view = page.start("Profitability")
with st.expander("How this is computed"):
    st.markdown(HOW)

file_pricing, what_if_pricing, error = prices.current()
if error:
    st.error("The pricing file can't be used, so no margins are shown. The cost pages still work.")
    st.code(error, language=None)
    st.stop()
assert file_pricing is not None  # current() gives the prices or an error (never empty)
page.require_rows(view)

span = prices.view_span(view)
for line in prices.range_notes(view, span):
    st.caption(line)
cost_only = prices.cost_only_filters(view)
actual = prices.view_margins(view, file_pricing)
if actual.unpriced_tiers:
    st.warning(
        f"{len(actual.unpriced_tiers)} tier(s) in the log have no price in {file_pricing.source}; they count as free."
    )

if cost_only:
    st.caption(prices.cost_only_note(cost_only))
    st.metric("Cost", fmt.money(float(view.frame["cost_usd"].sum())), help="The calls every filter keeps.")
else:
    st.caption("Actual figures, at the pricing file's prices.")
    page.margin_cards(actual.total)

    st.subheader("Margin over time")
    per = "Day" if (view.end - view.start).days + 1 < profit.WEEKLY_FROM_DAYS else "Week"
    over_time = prices.view_margin_over_time(view, file_pricing, span)
    tier_names = [t for t in dict.fromkeys(over_time["tier"]) if t != profit.ALL_TIERS]
    shown_tier = st.selectbox("Tier", [profit.ALL_TIERS, *tier_names], key="profit_over_time_tier", format_func=visible)
    one = page.derived(one_tier, over_time, shown_tier)
    chart, numbers = st.columns([3, 2])
    page.chart(chart, over_time_chart, over_time, shown_tier, per)
    with numbers:
        page.table(one, "margin-over-time", height=360)

    st.subheader("By tier")
    chart, numbers = st.columns([2, 3])
    page.chart(chart, tiers_chart, actual)
    with numbers:
        page.table(actual.by_tier, "margins-by-tier", secondary=("price_per_month", "cost_per_install_month_usd"))
        st.caption("Installs: each once, under the tier of its latest call; revenue counts paying subscribers.")

    st.subheader("By install")
    losers = profit.loss_makers(actual)
    lines = [
        f"{fmt.count(row.losing)} of {fmt.count(row.installs)} {visible(row.tier)} installs cost more than they pay"
        for row in losers.head(SHOWN_TIERS).itertuples()
    ]
    if len(losers) > SHOWN_TIERS:
        lines.append(f"... and {fmt.count(len(losers) - SHOWN_TIERS)} more tiers (see the tables)")
    st.text("\n".join(lines))
    chart, numbers = st.columns([2, 3])
    page.chart(chart, installs_chart, actual)
    with numbers:
        order = st.radio(
            "Loss list, worst first by",
            ["cost_share_pct", "margin_usd"],
            format_func={"cost_share_pct": "cost as % of what it pays", "margin_usd": "money lost"}.get,
            horizontal=True,
            key="profit_loss_order",
        )
        page.table(page.derived(profit.loss_list, actual, order), "loss-list", height=300)
    every = st.expander("Every install of the range", key="profit_every_install", on_change="rerun")
    if every.open:  # thousands of rows: sent to the browser only when asked for
        with every:
            page.table(actual.by_install, "margins-by-install", height=420)


def unit_economics(frame):
    """The section's figures, from one pass over the jobs."""
    jobs = profit.job_costs(frame)
    return profit.unit_economics(frame, jobs), profit.job_cost_stats(jobs, "tier"), profit.job_cost_stats(jobs, "model")


st.subheader("Unit economics")
unit, by_tier, by_model = results.of_view(view, unit_economics)
cards = st.columns(4)
cards[0].metric(
    "Cost per summary job",
    fmt.unit_cost(unit["cost_per_job_usd"]),
    help="The cost of every call with a job id ÷ the jobs that delivered a summary (a successful analyze).",
)
cards[1].metric("p50 per job", fmt.unit_cost(unit["p50_job_cost_usd"]), help="Half of the jobs cost less than this.")
cards[2].metric("p95 per job", fmt.unit_cost(unit["p95_job_cost_usd"]), help="95% of the jobs cost less than this.")
cards[3].metric("Cost per credit", fmt.unit_cost(unit["cost_per_credit_usd"]), help="Cost per credit charged.")
cards = st.columns(4)
cards[0].metric(
    "Jobs without a summary",
    fmt.count(unit["jobs_without_summary"]),
    f"{fmt.money(unit['cost_without_summary_usd'])} spent on them",
    delta_color="off",
    delta_arrow="off",
)
cards[1].metric("Spent on errors", fmt.money(unit["error_cost_usd"]), help="Cost of calls whose status is error.")
cards[2].metric("Spent on refusals", fmt.money(unit["refused_cost_usd"]), help="Cost of calls the relay refused.")
st.caption(
    f"{fmt.count(unit['summary_jobs'])} jobs delivered a summary. {fmt.count(unit['hardware_only_jobs'])} jobs ran "
    "on hardware alone at $0: they are counted apart (hardware-only), not as cheap jobs."
)
left, right = st.columns(2)
with left:
    st.caption("Cost per summary job by tier")
    page.table(by_tier, "job-cost-by-tier")
with right:
    st.caption("Cost per summary job by model")
    page.table(by_model, "job-cost-by-model")

if cost_only:
    st.stop()

st.subheader("Month-end forecast")
forecast = profit.month_end_forecast(actual, view.end)
st.caption(
    f"Estimated: this range's daily run rate over {forecast['month']} ({forecast['days_in_month']} days), "
    "at actual prices."
)
page.margin_cards(forecast, "Projected ")

st.subheader("What if prices were different?")
st.caption(
    "A scenario: shown beside the actual figures, here and on Plan (which adds usage caps and model swaps), "
    "never in their place. The link of this page keeps it."
)
editor, comparison = st.columns([2, 3])
with editor:
    prices.what_if_editor(file_pricing, actual)
with comparison:
    if what_if_pricing is None:
        st.caption("Change a price to compare actual and what-if figures side by side.")
    else:
        what_if = prices.view_margins(view, what_if_pricing)
        what_if_cards = st.columns(3)
        for card, (label, key) in zip(
            what_if_cards, [("Revenue", "revenue_usd"), ("Margin", "margin_usd"), ("Margin %", "margin_pct")]
        ):
            real, maybe = actual.total[key], what_if.total[key]
            show = fmt.percent if key == "margin_pct" else fmt.money
            moved = change(maybe, real, percent_points if key == "margin_pct" else fmt.money)
            card.metric(f"What-if {label.lower()}", show(maybe), moved.text, delta_arrow=moved.arrow)
            card.caption(f"Actual {label.lower()}: {show(real)}")
        compared = profit.compare(actual, what_if)
        page.table(compared[compared["tier"] != profit.ALL_TIERS], "what-if-vs-actual", height=320)
