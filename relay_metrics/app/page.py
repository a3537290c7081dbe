"""What every page does first, and how it shows a table."""

from __future__ import annotations

import copy
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Literal

import pandas as pd
import streamlit as st
from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

from relay_metrics.app import auth, results, scenario
from relay_metrics.app.columns import column_config, for_display
from relay_metrics.app.sidebar import View, sidebar
from relay_metrics.output import fmt
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


# Our own fixed CSS (never log text). On a phone a table's toolbar always shows, 44 px above
# the table, where it would cover the end of the heading over it: give it that room.
PHONE_STYLE = """<style>
@media (max-width: 640px) {
  [data-testid="stElementContainer"]:has([data-testid="stDataFrame"]) { margin-top: 44px; }
}
</style>"""


def start(title: str) -> View:
    """The page's title, the page links, the shared sidebar and any notices.

    The entry point registers pages only once the gate has passed (streamlit_app.py); the
    check here keeps a page closed even if it were ever run some other way."""
    if not auth.passed():
        st.stop()
    st.set_page_config(page_title=f"{title} · relay-metrics", layout="wide")  # a bare call can reset it
    with st.sidebar:
        for path, label, icon in PAGES:
            st.page_link(path, label=label, icon=icon)
        auth.logout_control()
        st.divider()
    scenario.keep()
    view = sidebar()
    st.html(PHONE_STYLE)
    st.title(title)
    if title not in ("Profitability", "Plan"):
        scenario.banner()  # the figures here are actuals: say so while a scenario exists
    if view.choice.is_demo:
        st.info(DEMO_BANNER)
    for notice in view.notices:
        st.caption(notice)  # our own words and dates only, never log text
    return view


def require_rows(view: View) -> None:
    """Stop the page with a short message when the filters keep no record."""
    if not results.row_count(view):
        st.info("No calls match these dates and filters. Widen the date range or clear a filter.")
        st.stop()


def margin_cards(money: dict, prefix: str = "") -> None:
    """Revenue, cost, margin and margin % (keys revenue_usd, cost_usd, margin_usd, margin_pct)."""
    cards = st.columns(4)
    for card, (label, key) in zip(cards, [("Revenue", "revenue_usd"), ("Cost", "cost_usd"), ("Margin", "margin_usd")]):
        card.metric(f"{prefix}{label}".capitalize(), fmt.money(money[key]))
    cards[3].metric(f"{prefix}margin %".capitalize(), fmt.percent(money["margin_pct"]))


def table(
    frame: pd.DataFrame,
    name: str,
    *,
    height: int | Literal["auto"] = "auto",
    zone: str = "UTC",
    unit_costs: tuple[str, ...] = (),
    secondary: tuple[str, ...] = (),
) -> None:
    """A table formatted by `fmt`, and its raw data as a spreadsheet-safe CSV.

    Times show in `zone`; `unit_costs` names cost columns of one call or job (shown like any
    unit cost); `secondary` columns are left out on screen, so the key ones fit, and kept in
    the CSV.

    The download neither reruns the page (on_click="ignore") nor builds the CSV before it is
    asked for: each click builds it afresh on the server, so fast repeated clicks all get it."""
    if frame.empty:
        st.caption("Nothing to show for this selection.")
        return
    shown, config = _display(frame, zone, unit_costs, secondary)
    st.dataframe(shown, hide_index=True, column_config=config, width="stretch", height=height)
    st.download_button(
        "Download CSV",
        lambda: csv_bytes(frame),
        file_name=f"relay-metrics-{name}.csv",
        mime="text/csv",
        key=f"download-{name}",
        icon=":material/download:",
        on_click="ignore",
    )


def derived(build: Callable[..., Any], source: Any, *args: Any) -> Any:
    """build(source, *args), kept while `source` (a kept figure) lives: the same object on
    every rerun, so its table's display form is kept too. Never mutate it."""
    return _by_source(source, ("derived", results.function_key(build), repr(args)), lambda: build(source, *args))


def chart(container, build: Callable[..., Any], source: Any, *args: Any) -> None:
    """container.altair_chart(build(source, *args)), its Vega-Lite spec kept while `source`
    lives: for a kept figure (app.results) a rerun sends the spec again without building
    the Altair chart or converting it (50 ms or more a chart)."""
    key = ("chart", results.function_key(build), repr(args))
    # Streamlit's own conversion, as altair_chart does it: the same spec, datasets as Arrow.
    spec = _by_source(source, key, lambda: _convert_altair_to_vega_lite_spec(build(source, *args)))
    # Streamlit moves the datasets out of the spec it is given: hand it a copy.
    given = copy.deepcopy({name: value for name, value in spec.items() if name != "datasets"})
    given["datasets"] = dict(spec.get("datasets", {}))
    container.vega_lite_chart(spec=given, width="stretch")


# What a page derives from recent figures for display (a table's formatted form, a chart's
# spec), by the identity of the figure: a kept figure (app.results) is the same object on
# every rerun, and deriving again on each click would cost more than the figure's lookup.
_DERIVED_KEPT = 64
_derived: OrderedDict[tuple, tuple[weakref.ref, Any]] = OrderedDict()
_derived_lock = threading.Lock()


def _by_source(source: Any, key: tuple, make: Callable[[], Any]) -> Any:
    full = (id(source), *key)
    with _derived_lock:
        found = _derived.get(full)
        if found is not None and found[0]() is source:
            _derived.move_to_end(full)
            return found[1]
    made = make()
    with _derived_lock:
        _derived[full] = (weakref.ref(source), made)
        while len(_derived) > _DERIVED_KEPT:
            _derived.popitem(last=False)
    return made


def _display(frame: pd.DataFrame, zone: str, unit_costs: tuple[str, ...], secondary: tuple[str, ...]):
    def make():
        shown = display_safe(for_display(frame.drop(columns=list(secondary)), zone, unit_costs))
        return shown, column_config(shown, unit_costs)

    return _by_source(frame, ("table", zone, unit_costs, secondary), make)
