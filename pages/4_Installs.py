"""Installs: who spends the most, and everything one install did."""

import streamlit as st

from relay_metrics.app import page
from relay_metrics.metrics import breakdowns
from relay_metrics.output import charts
from relay_metrics.output.export import visible

view = page.start("Installs")
page.require_rows(view)

controls = st.columns([1, 2])
top = controls[0].number_input(
    "How many installs", min_value=1, max_value=10_000, value=20, step=10, key="installs_top"
)
prefix = controls[1].text_input("Install id starts with", key="installs_prefix", placeholder="e.g. 3fa9")
installs = breakdowns.installs_table(view.frame, top=int(top), prefix=prefix)
st.subheader("Top installs by spend")
page.table(installs.drop(columns="last_active_at"), "installs", height=420, zone=view.zone)  # last_active: a time

st.subheader("One install")
if installs.empty:
    st.caption("No install matches.")
    st.stop()
install_id = st.selectbox("Install", installs["install_id"].tolist(), key="installs_pick", format_func=visible)
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
