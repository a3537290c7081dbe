"""Alerts: every rule of alerts.toml, its state over the chosen dates, and what fires now."""

import streamlit as st

from relay_metrics.app import alerts_panel, page
from relay_metrics.metrics.alerts import rules_path
from relay_metrics.output.export import visible

view = page.start("Alerts")
page.require_rows(view)
loaded = alerts_panel.setup()
if isinstance(loaded, str):
    st.error("The alert rules or prices can't be used:")
    st.code(loaded, language=None)
    st.stop()

st.caption(
    f"Rules from {rules_path()} (set RELAY_METRICS_ALERTS or `check --rules` to use others). Each rule is checked "
    f"at the end of each day of the range, as `python -m relay_metrics check --at ...` would; margins use the "
    f"pricing file's prices, not what-if prices."
)
with st.spinner("Checking each day of the range..."):
    rules, firings = alerts_panel.rules_over_range(view, loaded)
st.subheader("Rules")
page.table(rules, "alert-rules")
st.subheader("Firing now")
if firings:
    for firing in firings:  # whole sentences, never clipped by a table cell; log text stays text
        st.text(visible(f"{firing.rule}: {firing.message}"))
    page.table(alerts_panel.firings_table(firings), "alert-firings")
else:
    st.caption("No rule fires at the end of this range.")
