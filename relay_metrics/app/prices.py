"""Prices for the margin figures: the pricing file, and the founder's what-if edits to it."""

from __future__ import annotations

import streamlit as st

from relay_metrics.app.sidebar import View
from relay_metrics.app.source import app_arguments
from relay_metrics.metrics.figures import by_install
from relay_metrics.metrics.filters import Filters, apply_filters
from relay_metrics.metrics.pricing import Pricing, PricingError, load_pricing, pricing_path
from relay_metrics.metrics.profit import Margins, margins_of_installs
from relay_metrics.output.export import visible

WHAT_IF = "whatif_prices"  # tier -> monthly price, kept for the session across pages


def configured() -> Pricing:
    """The pricing file's prices; raises PricingError with a message naming key and line."""
    return load_pricing(pricing_path(app_arguments().pricing))


def current() -> tuple[Pricing | None, Pricing | None, str | None]:
    """The file's prices, the prices in force (with what-if edits), or Nones and the error."""
    try:
        pricing = configured()
    except PricingError as exc:
        return None, None, str(exc)
    return pricing, pricing.with_prices(st.session_state.get(WHAT_IF, {})), None


def is_what_if() -> bool:
    return bool(st.session_state.get(WHAT_IF))


def view_margins(view: View, pricing: Pricing) -> Margins:
    """Margins for the view: its dates and tiers; other filters can't split revenue."""
    installs = _installs_in_range(view.log_key, view.filters.since_ms, view.filters.until_ms, view.log.frame)
    return margins_of_installs(installs, pricing, view.days, view.filters.tier)


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def _installs_in_range(log_key: tuple, since_ms: float, until_ms: float, _frame) -> list[dict]:
    # Per install cost and latest tier depend on the dates only, so a tier or price change
    # reuses them; by_install is the slow part of the margins. `_frame` isn't hashed
    # (leading underscore): log_key already says which log it is.
    return by_install(apply_filters(_frame, Filters(since_ms, until_ms)))


def what_if_editor(file_pricing: Pricing, tiers: list[str]) -> None:
    """A monthly price per tier to try out; a reset returns to the file's prices."""
    prices = st.session_state.get(WHAT_IF, {})
    changed = {}
    for tier in tiers:
        name, field = st.columns([1, 2], vertical_alignment="center")
        name.text(visible(tier))  # a tier name comes from the log: text, never a label's markdown
        price = field.number_input(
            "Monthly price",
            min_value=0.0,
            step=0.5,
            format="%.2f",
            value=prices.get(tier, file_pricing.price(tier)),
            key=f"whatif:{tier}",
            label_visibility="collapsed",
        )
        if price != file_pricing.price(tier):
            changed[tier] = price
    if changed != prices:
        st.session_state[WHAT_IF] = changed
        st.rerun()
    st.button(
        "Reset to the pricing file",
        key="whatif_reset",
        disabled=not changed,
        on_click=_reset,
        args=(file_pricing, tiers),
    )


def _reset(file_pricing: Pricing, tiers: list[str]) -> None:
    # Set, not delete: the browser sends the edited value again unless it is overwritten.
    st.session_state.pop(WHAT_IF, None)
    for tier in tiers:
        st.session_state[f"whatif:{tier}"] = file_pricing.price(tier)
