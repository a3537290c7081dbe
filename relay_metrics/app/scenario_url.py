"""The scenario a founder is trying, kept in the URL (so a link shows the same comparison) and
in the session (so leaving the page and coming back keeps it). Any page can read it with
`current()`; only pages that set levers call `store()`."""

from __future__ import annotations

import streamlit as st

from relay_metrics.metrics.scenario import URL_KEYS, Scenario, ScenarioError, from_query

SESSION_KEY = "scenario"


def current() -> tuple[Scenario, str | None]:
    """The URL's scenario, else the session's last one; with the reason a link's can't be read."""
    if not any(key in st.query_params for key in URL_KEYS) and SESSION_KEY in st.session_state:
        scenario = st.session_state[SESSION_KEY]
        store(scenario)  # a page switch drops the URL's parameters: put them back
        return scenario, None
    try:
        return from_query(st.query_params.get_all), None
    except ScenarioError as exc:
        return Scenario(), f"The link's scenario can't be read, so none is applied: {exc}"


def store(scenario: Scenario) -> None:
    st.session_state[SESSION_KEY] = scenario
    query = scenario.to_query()
    for key in URL_KEYS:
        if key in query:
            if st.query_params.get_all(key) != query[key]:
                st.query_params[key] = query[key]
        elif key in st.query_params:
            del st.query_params[key]
