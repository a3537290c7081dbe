"""Models: cost, tokens and speed of each model, pipeline and backend, the most costly first."""

import streamlit as st

from relay_metrics.app import page
from relay_metrics.metrics import breakdowns
from relay_metrics.output import charts

view = page.start("Models")
page.require_rows(view)

st.subheader("Cost against speed")
chart, numbers = st.columns(2)
speed = breakdowns.most_cost_first(breakdowns.cost_vs_speed_table(view.frame))
chart.altair_chart(charts.cost_speed_scatter(speed), width="stretch")
with numbers:
    page.table(speed, "cost-vs-speed", secondary=("backend",))
    st.caption("Colour on the chart: each model's most used backend (in the CSV).")

st.subheader("By model")
page.table(breakdowns.most_cost_first(breakdowns.model_table(view.frame)), "models")

left, right = st.columns(2)
with left:
    st.subheader("By pipeline")
    page.table(breakdowns.most_cost_first(breakdowns.pipeline_table(view.frame)), "pipelines")
with right:
    st.subheader("By backend")
    page.table(breakdowns.most_cost_first(breakdowns.backend_table(view.frame)), "backends")
