"""Prices for the margin figures: the pricing file, the what-if scenario, and the margins of a view.

The CLI's `margins` and every page call the same profit functions; this module only picks
the view's range and caches what depends on the dates alone.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from relay_metrics.app import scenario
from relay_metrics.app.sidebar import View
from relay_metrics.app.source import app_arguments
from relay_metrics.metrics.pricing import Pricing, PricingError, load_pricing, pricing_path
from relay_metrics.metrics.profit import (
    Activity,
    Margins,
    Span,
    TierRows,
    activity,
    buckets,
    coverage_note,
    every_tier,
    for_tiers,
    over_time,
    span_of,
    tiers_by_cost,
    tiers_per_period,
)
from relay_metrics.metrics.revenue import coverage
from relay_metrics.metrics.zones import today_in
from relay_metrics.output.export import visible

EDITABLE_TIERS = 12  # what-if inputs: the costliest tiers; a log may name thousands


def configured() -> Pricing:
    """The pricing file's prices; raises PricingError with a message naming key and line."""
    return load_pricing(pricing_path(app_arguments().pricing))


def current() -> tuple[Pricing | None, Pricing | None, str | None]:
    """The file's prices, the scenario's (None when no scenario is set), or Nones and the error."""
    try:
        pricing = configured()
    except PricingError as exc:
        return None, None, str(exc)
    return pricing, pricing.with_prices(scenario.prices()) if scenario.active() else None, None


# Filters that narrow calls but can't narrow revenue: with one set, margins aren't shown.
COST_ONLY_FILTERS = ("model", "pipeline", "backend", "status")


def cost_only_filters(view: View) -> list[str]:
    return [name for name in view.filters.narrowed_fields() if name in COST_ONLY_FILTERS]


def view_span(view: View) -> Span:
    """The view's range, and the log's first and last record (the frame runs to the log's end)."""
    return span_of(view.log.frame, view.filters.since_ms, view.filters.until_ms, view.first_ts)


def view_margins(view: View, pricing: Pricing, span: Span | None = None) -> Margins:
    """Margins for the view's dates (or `span`, e.g. the previous period) and tier filter;
    cached, so a page switch or a return to a view costs a lookup. Shared: never mutate."""
    span = span or view_span(view)
    # repr: a tier named in the log may hold a lone surrogate, which Streamlit's hashing can't encode.
    key = repr((view.filters.tier, prices_key(pricing)))
    return _margins(view.log_key, _span_key(span), key, view.filters.tier, pricing, view)


def prices_key(pricing: Pricing) -> tuple:
    """What margins depend on in a pricing: each tier's price and subscribers."""
    return tuple((tier, p.price_per_month, p.subscribers) for tier, p in pricing.tiers.items())


def _span_key(span: Span) -> tuple:
    """The range as the caches below key it (and rebuild it: Span(*key))."""
    return (span.since_ms, span.until_ms, span.oldest_ts, span.newest_ts)


@st.cache_resource(max_entries=32, ttl=3600, show_spinner=False)
def _margins(
    log_key: tuple, span_key: tuple, key: str, _tiers: tuple[str, ...] | None, _pricing: Pricing, _view: View
) -> Margins:
    # Keyed on the log's version, the range, and (in `key`) the tier filter and the prices'
    # values; what has a leading underscore isn't hashed. A new tier filter narrows the
    # margins of every tier, kept apart.
    return for_tiers(_every_tier(log_key, span_key, repr(prices_key(_pricing)), _pricing, _view), _tiers)


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def _every_tier(log_key: tuple, span_key: tuple, prices: str, _pricing: Pricing, _view: View) -> Margins:
    return every_tier(view_activity(_view, Span(*span_key)), _pricing)


def view_activity(view: View, span: Span) -> Activity:
    return _activity(view.log_key, _span_key(span), view.log.frame)


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def _activity(log_key: tuple, span_key: tuple, _frame: pd.DataFrame) -> Activity:
    # Per install cost and coverage depend on the dates only, so a tier or price change
    # reuses them. `_frame` isn't hashed (leading underscore): log_key says which log it is.
    return activity(_frame, Span(*span_key), log_coverage(log_key, _frame))


@st.cache_resource(max_entries=4, ttl=3600, show_spinner=False)
def log_coverage(log_key: tuple, _frame: pd.DataFrame) -> pd.DataFrame:
    """revenue.coverage of the loaded log, once per log contents for margins and alerts alike."""
    return coverage(_frame)


def view_margin_over_time(view: View, pricing: Pricing, span: Span) -> pd.DataFrame:
    """profit.margin_over_time for the view, per day or week; cached (a rerun of the page for
    another widget must not redo a margin per period, and a tier change narrows every tier's)."""
    periods = tuple(buckets(view.start, view.end, view.zone))
    span_key, prices = _span_key(span), repr(prices_key(pricing))
    every = _per_period(view.log_key, span_key, periods, prices, pricing, view.log.frame)
    return _over_time(view.log_key, span_key, periods, prices, repr(view.filters.tier), view.filters.tier, every)


@st.cache_resource(max_entries=8, ttl=3600, show_spinner=False)
def _per_period(
    log_key: tuple, span_key: tuple, periods: tuple, prices: str, _pricing: Pricing, _frame: pd.DataFrame
) -> list[tuple[date, TierRows]]:
    # Keyed on the prices' values (`prices`); `_pricing` itself isn't hashed.
    return tiers_per_period(_frame, _pricing, Span(*span_key), list(periods), log_coverage(log_key, _frame))


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def _over_time(
    log_key: tuple,
    span_key: tuple,
    periods: tuple,
    prices: str,
    tiers_key: str,
    _tiers: tuple[str, ...] | None,
    _every: list[tuple[date, TierRows]],
) -> pd.DataFrame:
    return over_time(_every, _tiers)


def what_if_editor(file_pricing: Pricing, actual: Margins) -> None:
    """A monthly price to try for each of the costliest tiers; a reset returns to the file's."""
    editable, rest = tiers_by_cost(actual, EDITABLE_TIERS)
    prices = scenario.prices()
    changed = {tier: price for tier, price in prices.items() if tier not in editable}  # kept from a link
    for tier in editable:
        name, field = st.columns([1, 2], vertical_alignment="center")
        name.text(visible(tier))  # a tier name comes from the log: text, never a label's markdown
        price = field.number_input(
            "Monthly price",
            min_value=0.0,
            step=0.5,
            format="%.2f",
            value=prices.get(tier, file_pricing.price(tier)),
            key=scenario.widget_key(tier),
            label_visibility="collapsed",
            on_change=_price_edited,  # before the rerun: the page then draws the new scenario once
            args=(tier, file_pricing.price(tier)),
        )
        if price != file_pricing.price(tier):
            changed[tier] = price
    if rest:
        st.caption(
            f"{len(rest):,} more tiers cost less; they keep the pricing file's prices here "
            f"(only the {EDITABLE_TIERS} costliest tiers are editable)."
        )
    if changed != prices:  # inputs and scenario disagree (no callback ran): draw the page from the inputs
        scenario.set_prices(changed)
        st.rerun()
    st.button(
        "Reset to the pricing file",
        key="whatif_reset",
        disabled=not changed,
        on_click=_reset,
        args=(file_pricing, editable),
    )


def _price_edited(tier: str, file_price: float) -> None:
    prices = scenario.prices()
    price = st.session_state[scenario.widget_key(tier)]
    if price == file_price:
        prices.pop(tier, None)
    else:
        prices[tier] = price
    scenario.set_prices(prices)


def _reset(file_pricing: Pricing, tiers: list[str]) -> None:
    # Set, not delete: the browser sends the edited value again unless it is overwritten.
    scenario.clear_prices()
    for tier in tiers:
        st.session_state[scenario.widget_key(tier)] = file_pricing.price(tier)


def local_time(ms: float, zone: str) -> str:
    """A ts as the date and minute in the view's zone, for notes."""
    return datetime.fromtimestamp(ms / 1000, ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def range_notes(view: View, span: Span) -> list[str]:
    """Where the figures' range and the log part: its coverage, and a day still in progress."""
    notes = []
    partial = view.end == today_in(view.zone) and span.until_ms is not None and span.until_ms > span.newest_ts
    starts_before = span.since_ms is not None and span.since_ms < span.oldest_ts
    covered = coverage_note(span, lambda ms: local_time(ms, view.zone))
    if covered and (starts_before or not partial):  # a day still going on has its own note
        notes.append(covered)
    if partial:
        notes.append(
            f"Today ({view.end.isoformat()}) is partial: figures run to the newest record, "
            f"{local_time(span.newest_ts, view.zone)}; the previous period ends at the same time of day."
        )
    return notes


def cost_only_note(filters: list[str]) -> str:
    return (
        "Margins need the " + ", ".join(filters) + " filter(s) cleared: revenue can't be split that way, "
        "so only costs are shown."
    )
