"""The what-if scenario: monthly prices per tier a founder is trying out, kept in the URL.

One small module so that every page (and the Plan page to come) reads and sets the same
scenario. It lives in session state and in the `whatif` query parameter (JSON, ASCII only:
a tier from the log may hold a lone surrogate), so a copied link shows the same comparison.
Scenario figures are never shown in place of actual ones: see views/1_Profitability.py.
"""

from __future__ import annotations

import hashlib
import json
import math

import streamlit as st

PARAM = "whatif"  # URL query parameter
_STATE = "whatif_prices"  # session key: tier -> monthly price; present once the URL was read
PAGE = "views/1_Profitability.py"  # where the scenario is set and compared with actuals


def parse(text: str) -> dict[str, float]:
    """The prices a `whatif` parameter holds; anything else in it is dropped."""
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    return {
        str(tier): float(price)
        for tier, price in value.items()
        if isinstance(price, (int, float)) and not isinstance(price, bool) and math.isfinite(price) and price >= 0
    }


def encode(prices: dict[str, float]) -> str:
    return json.dumps(prices, ensure_ascii=True, sort_keys=True, separators=(",", ":"))


def keep() -> None:
    """Run first on every page: the URL's scenario on a session's first run, else the
    session's written back to the URL (a page switch drops query parameters)."""
    if _STATE not in st.session_state:
        st.session_state[_STATE] = parse(st.query_params.get(PARAM, "{}"))
    prices = st.session_state[_STATE]
    if prices:
        st.query_params[PARAM] = encode(prices)
    elif PARAM in st.query_params:
        del st.query_params[PARAM]


def prices() -> dict[str, float]:
    return dict(st.session_state.get(_STATE) or {})


def active() -> bool:
    return bool(st.session_state.get(_STATE))


def set_prices(changed: dict[str, float]) -> None:
    st.session_state[_STATE] = dict(changed)
    keep()


def clear() -> None:
    set_prices({})


def widget_key(tier: str) -> str:
    """A widget key per tier that any string from the log can have (a hash, never the text)."""
    return "whatif:" + hashlib.sha256(tier.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def banner() -> None:
    """On pages other than the scenario's: say that the figures are actuals, link back."""
    if not active():
        return
    with st.container(border=True):
        st.warning(
            "A what-if price scenario is set. The figures on this page are actuals; the scenario is compared "
            "with them on Profitability.",
            icon=":material/science:",
        )
        st.page_link(PAGE, label="Open the scenario on Profitability", icon=":material/payments:")
