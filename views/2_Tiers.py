"""Tiers: what each subscription tier calls and costs, the most costly first."""

import streamlit as st

from relay_metrics.app import page, results
from relay_metrics.metrics import breakdowns
from relay_metrics.output import charts

view = page.start("Tiers")
page.require_rows(view)


def tier_rows(frame):
    return breakdowns.most_cost_first(breakdowns.tier_table(frame))


tiers = results.of_view(view, tier_rows)
page.table(tiers, "tiers")
st.caption(
    "Each row is the calls that carried the tier. Installs are the installs that made those calls: one that "
    "changed tier counts under both, and calls without an install id count as one install, as the relay's own "
    "dashboard does. Profitability counts differently: each install once, under the tier of its latest call, "
    "and paying subscribers from pricing.toml where set, so its numbers can be lower. "
    "Cost per summary divides by distinct job ids."
)
page.chart(st, charts.tier_chart, tiers)
