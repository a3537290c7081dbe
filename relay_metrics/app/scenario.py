"""The scenario a founder is trying: what-if prices (set on Profitability or Plan), usage caps
and model swaps (Plan). One state for the whole app, so both pages show the same scenario.

It lives in the URL (`price=TIER:USD`, `cap=TIER:N`, `swap=[...]`: see metrics.scenario), so a
copied link shows the same comparison, and in the session, so leaving a page and coming back
keeps it. Scenario figures are never shown in place of actual ones: pages that compare show
them beside the actuals, every other page shows actuals under a banner (`banner()`).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import streamlit as st

from relay_metrics.metrics.scenario import URL_KEYS, Scenario, ScenarioError, from_query

SESSION_KEY = "scenario"
PRICES_PAGE = "views/1_Profitability.py"  # where what-if prices are compared with actuals
PLAN_PAGE = "views/7_Plan.py"  # where every lever is


def current() -> tuple[Scenario, str | None]:
    """The URL's scenario, else the session's last one; with the reason a link's can't be read."""
    if not any(key in st.query_params for key in URL_KEYS) and SESSION_KEY in st.session_state:
        scenario = st.session_state[SESSION_KEY]
        store(scenario)  # a page switch drops the URL's parameters: put them back
        return scenario, None
    try:
        scenario = from_query(st.query_params.get_all)
    except ScenarioError as exc:
        return Scenario(), f"The link's scenario can't be read, so none is applied: {exc}"
    st.session_state[SESSION_KEY] = scenario
    return scenario, None


def store(scenario: Scenario) -> None:
    st.session_state[SESSION_KEY] = scenario
    query = scenario.to_query()
    for key in URL_KEYS:
        if key in query:
            if st.query_params.get_all(key) != query[key]:
                st.query_params[key] = query[key]
        elif key in st.query_params:
            del st.query_params[key]


def keep() -> None:
    """Run first on every page: the URL's scenario on a session's first run, else the
    session's written back to the URL."""
    current()


def prices() -> dict[str, float]:
    return dict(current()[0].prices)


def active() -> bool:
    return not current()[0].is_empty()


def set_prices(changed: dict[str, float]) -> None:
    """New what-if prices; the scenario's caps and swaps stay."""
    store(replace(current()[0], prices=dict(changed)))


def clear_prices() -> None:
    set_prices({})


def widget_key(tier: str) -> str:
    """A widget key per tier that any string from the log can have (a hash, never the text)."""
    return "whatif:" + hashlib.sha256(tier.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def banner() -> None:
    """On pages that show actuals only: say so while a scenario exists, and link to it."""
    scenario = current()[0]
    if scenario.is_empty():
        return
    levers = [
        name
        for name, on in (("prices", scenario.prices), ("usage caps", scenario.caps), ("model swaps", scenario.swaps))
        if on
    ]
    with st.container(border=True):
        st.warning(
            f"A what-if scenario is set ({', '.join(levers)}). The figures on this page are actuals; "
            "the scenario is compared with them on Plan" + (" and Profitability." if scenario.prices else "."),
            icon=":material/science:",
        )
        st.page_link(PLAN_PAGE, label="Open the scenario on Plan", icon=":material/tune:")
        if scenario.prices:
            st.page_link(PRICES_PAGE, label="Compare prices on Profitability", icon=":material/payments:")
