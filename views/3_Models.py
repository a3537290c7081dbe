"""Models: cost, tokens and speed of each model, pipeline and backend, the most costly first."""

import streamlit as st

from relay_metrics.app import page, results
from relay_metrics.metrics import breakdowns
from relay_metrics.output import charts

view = page.start("Models")
page.require_rows(view)

st.subheader("Cost against speed")
chart, numbers = st.columns(2)


def speed_rows(frame):
    return breakdowns.most_cost_first(breakdowns.cost_vs_speed_table(frame))


speed = results.of_view(view, speed_rows)
page.chart(chart, charts.cost_speed_scatter, speed)
with numbers:
    page.table(speed, "cost-vs-speed", secondary=("backend",))
    st.caption("Colour on the chart: each model's most used backend (in the CSV).")

st.subheader("By model")
page.table(breakdowns.most_cost_first(results.of_view(view, breakdowns.model_table)), "models")

left, right = st.columns(2)
with left:
    st.subheader("By pipeline")
    page.table(breakdowns.most_cost_first(results.of_view(view, breakdowns.pipeline_table)), "pipelines")
with right:
    st.subheader("By backend")
    page.table(breakdowns.most_cost_first(results.of_view(view, breakdowns.backend_table)), "backends")
