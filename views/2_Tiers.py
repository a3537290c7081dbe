"""Tiers: what each subscription tier calls and costs."""

import streamlit as st

from relay_metrics.app import page
from relay_metrics.metrics import breakdowns
from relay_metrics.output import charts

view = page.start("Tiers")
page.require_rows(view)

tiers = breakdowns.tier_table(view.frame)
chart, numbers = st.columns([2, 3])
chart.altair_chart(charts.tier_chart(tiers), width="stretch")
with numbers:
    page.table(tiers, "tiers")
st.caption(
    "Tier is the tier each call carried. Unique installs counts distinct install ids, a missing id "
    "counting as one, as the relay's own dashboard does. Cost per summary divides by distinct job ids."
)
