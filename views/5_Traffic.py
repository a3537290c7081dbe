"""Traffic: when calls come, by hour of day and day of week, in the chosen time zone."""

import streamlit as st

from relay_metrics.app import page, results
from relay_metrics.metrics import breakdowns
from relay_metrics.output import charts

view = page.start("Traffic")
page.require_rows(view)

st.subheader("Calls and cost by hour of day")
st.caption(f"Hours are local to {view.zone} (pick another time zone in the sidebar).")
hourly = results.of_view(view, breakdowns.hourly, view.zone)
chart, numbers = st.columns([3, 2])
page.chart(chart, charts.hourly_chart, hourly)
with numbers:
    page.table(hourly, "hourly", height=420, zone=view.zone)  # in hour order: the order is the point

st.subheader("Weekday by hour")
grid = results.of_view(view, breakdowns.weekday_hour, view.zone)
page.chart(st, charts.heatmap, grid)
with st.expander("The numbers behind the heatmap"):
    page.table(grid, "weekday-hour", height=360, zone=view.zone, secondary=("weekday",))
