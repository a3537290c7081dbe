"""What every page does first, and how it shows a table."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from relay_metrics.app import auth, scenario
from relay_metrics.app.columns import column_config, for_display
from relay_metrics.app.sidebar import View, sidebar
from relay_metrics.output.export import csv_bytes, display_safe

DEMO_BANNER = (
    "You are looking at **built-in demo data**, not your relay's log. "
    "Point the app at a real log with `streamlit run streamlit_app.py -- --log /path/to/relay-calls.ndjson` "
    "(a directory works too, rotated files included) or set `RELAY_METRICS_LOG`."
)


# Every page of the app, in menu order (paths relative to the repository). The entry point
# registers exactly these with st.navigation, behind the gate.
PAGES = (
    ("views/0_Overview.py", "Overview", ":material/dashboard:"),
    ("views/1_Profitability.py", "Profitability", ":material/payments:"),
    ("views/2_Tiers.py", "Tiers", ":material/layers:"),
    ("views/3_Models.py", "Models", ":material/memory:"),
    ("views/4_Installs.py", "Installs", ":material/devices:"),
    ("views/5_Traffic.py", "Traffic", ":material/schedule:"),
    ("views/6_Data_quality.py", "Data quality", ":material/fact_check:"),
    ("views/7_Plan.py", "Plan", ":material/tune:"),
    ("views/8_Alerts.py", "Alerts", ":material/notifications:"),
    ("views/9_Growth.py", "Growth", ":material/trending_up:"),
)


def start(title: str) -> View:
    """The page's title, the page links, the shared sidebar and any notices.

    The entry point registers pages only once the gate has passed (streamlit_app.py); the
    check here keeps a page closed even if it were ever run some other way."""
    if not auth.passed():
        st.stop()
    st.set_page_config(page_title=f"{title} · relay-metrics", layout="wide")  # a second call resets what it omits
    with st.sidebar:
        for path, label, icon in PAGES:
            st.page_link(path, label=label, icon=icon)
        auth.logout_control()
        st.divider()
    scenario.keep()
    view = sidebar()
    st.title(title)
    if title != "Profitability":
        scenario.banner()  # the figures here are actuals: say so while a scenario exists
    if view.choice.is_demo:
        st.info(DEMO_BANNER)
    for notice in view.notices:
        st.caption(notice)  # our own words and dates only, never log text
    return view


def require_rows(view: View) -> None:
    """Stop the page with a short message when the filters keep no record."""
    if view.frame.empty:
        st.info("No calls match these dates and filters. Widen the date range or clear a filter.")
        st.stop()


def margin_cards(money: dict, prefix: str = "") -> None:
    """Revenue, cost, margin and margin % (keys revenue_usd, cost_usd, margin_usd, margin_pct)."""
    cards = st.columns(4)
    for card, (label, key) in zip(cards, [("Revenue", "revenue_usd"), ("Cost", "cost_usd"), ("Margin", "margin_usd")]):
        card.metric(f"{prefix}{label}".capitalize(), f"${money[key]:,.2f}")
    pct = money["margin_pct"]
    cards[3].metric(f"{prefix}margin %".capitalize(), "–" if pct is None else f"{pct:.1f}%")


def table(frame: pd.DataFrame, name: str, *, height: int | str = "auto") -> None:
    """A table with readable columns, and its data as a spreadsheet-safe CSV download."""
    if frame.empty:
        st.caption("Nothing to show for this selection.")
        return
    shown = display_safe(for_display(frame))
    st.dataframe(shown, hide_index=True, column_config=column_config(shown), width="stretch", height=height)
    st.download_button(
        "Download CSV",
        lambda: csv_bytes(frame),  # built only when clicked: a big table takes a while
        file_name=f"relay-metrics-{name}.csv",
        mime="text/csv",
        key=f"download-{name}",
        icon=":material/download:",
    )
