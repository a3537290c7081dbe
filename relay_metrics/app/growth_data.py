"""What the Growth page and Data quality need beyond the view: the log from its first record,
the billing export named in pricing.toml, and growth figures cached over both."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from relay_metrics.app import source
from relay_metrics.app.prices import log_coverage
from relay_metrics.app.sidebar import View
from relay_metrics.metrics.billing import Billing, BillingError, load_billing
from relay_metrics.metrics.growth import MOVEMENTS, Growth, billing_report, growth_of
from relay_metrics.metrics.pricing import Pricing


def history(view: View) -> tuple[pd.DataFrame, tuple]:
    """Every record from the log's first (a cohort is the month of an install's first call,
    a return after a gap is a reactivation): the frame and a key for caches over it.

    The server's log is read back to its start once; the sidebar then reuses that copy."""
    if view.choice.is_upload:
        return view.log.frame, view.log_key
    got = source.load(view.choice, None)
    return got.loaded.frame, source.log_key(view.choice, got)


def billing(pricing: Pricing) -> tuple[Billing | None, str | None]:
    """The billing export of pricing.toml's [billing] file, or None; and the error, if any."""
    path = pricing.billing.file
    if path is None:
        return None, None
    try:
        stat = Path(path).stat()
        signature = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        signature = None  # load_billing says what is wrong
    return _billing(str(path), signature, tuple(sorted(pricing.billing.columns.items())))


@st.cache_resource(max_entries=4, ttl=3600, show_spinner="Reading the billing export…")
def _billing(path: str, signature: tuple | None, columns: tuple) -> tuple[Billing | None, str | None]:
    # Keyed on size and mtime: an edited export is read again. A bad file is kept as its
    # message, never as a half-read table.
    try:
        return load_billing(path, dict(columns)), None
    except BillingError as exc:
        return None, str(exc)


def figures(view: View, pricing: Pricing, found: Billing | None) -> Growth:
    frame, key = history(view)
    prices = tuple(sorted((tier, price.price_per_month) for tier, price in pricing.tiers.items()))
    billing_key = None if found is None else (found.source, len(found.periods), id(found))
    until = view.filters.until_ms
    return _figures(key, view.filters.since_ms, until, view.filters.tier, prices, billing_key, frame, pricing, found)


@st.cache_resource(max_entries=16, ttl=3600, show_spinner="Computing growth…")
def _figures(key, since_ms, until_ms, tiers, prices, billing_key, _frame, _pricing, _found) -> Growth:
    # The underscored arguments aren't hashed: key, prices and billing_key say what they hold.
    # The log's coverage is the margins' (kept per log): a tier change must not redo it.
    covered = None if _found is not None else log_coverage(key, _frame)
    return growth_of(_frame, _pricing, _found, since_ms, until_ms, tiers, covered)


def billing_matches(view: View, found: Billing) -> dict:
    """Billing rows of the view's range that match no install, and installs with no row."""
    frame, _ = history(view)
    return billing_report(found, frame, view.filters.since_ms, view.filters.until_ms)


def payback_table(cohorts: pd.DataFrame) -> pd.DataFrame:
    """Cohorts for reading: "not yet" where a cohort hasn't paid back its cost."""
    shown = cohorts.copy()
    shown["paid_back"] = shown["paid_back"].where(shown["paid_back"].notna(), "not yet")
    shown["months_to_payback"] = ["–" if pd.isna(m) else f"{int(m)}" for m in shown["months_to_payback"]]
    return shown


def movements_table(movements: pd.DataFrame) -> pd.DataFrame:
    """Movements in dollars, from the MRR at each month's start to its end (the first and last
    months are clipped to the range: the caption and the JSON give their days)."""
    money = ["opening_mrr_usd", *(f"{kind}_usd" for kind in MOVEMENTS), "closing_mrr_usd"]
    shown = movements[["month", *money]]
    return shown.rename(columns={"opening_mrr_usd": "MRR_at_start_usd", "closing_mrr_usd": "MRR_at_end_usd"})


def movement_counts(movements: pd.DataFrame) -> pd.DataFrame:
    """How many installs made each movement, per month."""
    return movements[["month", *(f"{kind}_installs" for kind in MOVEMENTS)]]
