"""Revenue from activity: who was a paying subscriber, when, at which price.

The rule (issue "Margins founders can trust"; also stated on the Profitability page):
- A relay call shows its install is a subscriber. Each install's calls are ordered by `ts`
  (ties in log order); call k covers [t_k, min(t_{k+1}, t_k + P)) at the monthly price of its
  own tier (missing tier: "core", as tier_snapshot), with P = 30.4375 days. So an install pays
  from its first call, for one month after its last, and at the new price from an upgrade on.
- A range [since, until'] counts revenue = price / P x the length of each call's interval
  inside it, with until' = min(until, the log's newest record): nothing past the log's end.
- The installs of a range are those with a call in it or coverage inside it, each attributed
  to the tier of its latest call at or before until'.
Calls without an install id are no subscriber: cost, no revenue (the "unattributed" row).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from relay_metrics.metrics.figures import DEFAULT_TIER, UNKNOWN
from relay_metrics.metrics.zones import MS_PER_DAY

PERIOD_DAYS = 30.4375  # one billing month: 365.25 / 12
PERIOD_MS = PERIOD_DAYS * MS_PER_DAY

_COVERAGE_COLUMNS = ("install_id", "tier", "start_ms", "end_ms")


def coverage(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per call with an install id: the interval it pays for and at which tier.

    `frame` holds every call that can cover the range: the range's own calls and those up to
    P before it. Rows come out grouped by install, each install's calls in ts order (ties in
    log order). Columns: install_id and tier (categoricals of object strings, so a price or
    tier change never hashes a million strings again), start_ms, end_ms (float).
    """
    ids = keys_of(frame["install_id"], UNKNOWN)
    has_id = ids != UNKNOWN
    ts = frame["ts"].to_numpy(dtype=float)[has_id]
    column = frame["install_id"]
    if isinstance(column.dtype, pd.CategoricalDtype):
        # Among calls with an id, category codes and ids match one to one: factorizing the
        # codes groups as factorizing the strings does (first appearance), without hashing them.
        codes, firsts = pd.factorize(column.cat.codes.to_numpy()[has_id])
        labels = np.asarray(column.cat.categories, dtype=object)[firsts]
    else:
        codes, uniques = pd.factorize(pd.Series(ids[has_id], dtype=object))
        labels = np.asarray(uniques, dtype=object)
    tier_codes, tier_labels = _key_codes(frame["tier"], DEFAULT_TIER)
    # lexsort is stable: equal (install, ts) keep their log order.
    order = np.lexsort((ts, codes))
    codes, ts = codes[order], ts[order]
    end = ts + PERIOD_MS
    same_next = np.r_[codes[1:] == codes[:-1], False][: len(codes)]  # no install id at all: empty
    next_ts = np.r_[ts[1:], np.inf]
    end[same_next] = np.minimum(end[same_next], next_ts[same_next])
    return pd.DataFrame(
        {
            "install_id": _categorical(codes, labels),
            "tier": _categorical(tier_codes[has_id][order], tier_labels),
            "start_ms": ts,
            "end_ms": end,
        }
    )


def _key_codes(column: pd.Series, missing: str) -> tuple[np.ndarray, np.ndarray]:
    """keys_of(column, missing) as per-row codes into unique labels."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        per_category = keys_of(pd.Series(pd.Categorical(column.cat.categories)), missing)
        # "" and a missing value both read `missing`: labels may repeat, codes must not.
        merged, labels = pd.factorize(np.append(per_category, missing))
        return merged[column.cat.codes.to_numpy()], np.asarray(labels, dtype=object)
    codes, labels = pd.factorize(pd.Series(keys_of(column, missing), dtype=object))
    return codes, np.asarray(labels, dtype=object)


def _categorical(codes: np.ndarray, labels: np.ndarray) -> pd.Categorical:
    # Object categories: an id or tier from a request header may be a lone surrogate.
    return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(pd.Index(labels, dtype=object)), validate=False)


def effective_until(until_ms: float | None, newest_ts: float) -> float:
    """until' = min(until, the log's newest record): no revenue past the log's end."""
    return newest_ts if until_ms is None else min(float(until_ms), float(newest_ts))


def revenue_by_install(
    covered: pd.DataFrame, price: Callable[[str], float], since_ms: float | None, until_ms: float
) -> pd.DataFrame:
    """The installs of [since, until'] (`until_ms` is until' already) with their revenue.

    `covered` is coverage() of the calls from P before `since` through `until_ms`. `since_ms`
    None means from the first call. Columns: install_id, tier (of its latest call at or before
    until'), revenue_usd, covered_ms (paid time inside the range). Sorted by install id.
    """
    since = -np.inf if since_ms is None else float(since_ms)
    start = covered["start_ms"].to_numpy()
    end = covered["end_ms"].to_numpy()
    upto = start <= until_ms
    overlap = np.clip(np.minimum(end, until_ms) - np.maximum(start, since), 0.0, None)
    overlap[~upto] = 0.0
    in_range = upto & (start >= since)
    tier_codes, tier_names = _codes(covered["tier"])
    rates = np.array([price(tier) for tier in tier_names] + [0.0], dtype=float)[tier_codes] / PERIOD_MS
    codes, labels = _codes(covered["install_id"])
    n = len(labels)
    revenue = np.bincount(codes, weights=rates * overlap, minlength=n)
    covered_ms = np.bincount(codes, weights=overlap, minlength=n)
    calls_in_range = np.bincount(codes, weights=in_range.astype(float), minlength=n)
    # Rows are in ts order within an install: its last row at or before until' names the tier.
    last_upto = np.full(n, -1)
    rows = np.flatnonzero(upto)
    last_upto[codes[rows]] = rows  # later rows overwrite earlier ones
    keep = (calls_in_range > 0) | (covered_ms > 0)
    tiers = covered["tier"].to_numpy(dtype=object)
    result = pd.DataFrame(
        {
            "install_id": pd.Series(np.asarray(labels, dtype=object)[keep], dtype=object),
            "tier": pd.Series(tiers[last_upto[keep]], dtype=object),
            "revenue_usd": revenue[keep],
            "covered_ms": covered_ms[keep],
        }
    )
    return result.sort_values("install_id", kind="stable").reset_index(drop=True)


def _codes(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Per row a code into the labels: a categorical's own (as coverage() makes them), else factorized."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy(), np.asarray(column.cat.categories, dtype=object)
    codes, labels = pd.factorize(column)
    return codes, np.asarray(labels, dtype=object)


def configured_revenue(
    subscribers: int, price: float, since_ms: float | None, until_ms: float, oldest_ts: float
) -> float:
    """A tier whose paying subscribers pricing.toml gives: subscribers x price x the length of
    [max(since, the log's oldest record), until'] / P."""
    start = oldest_ts if since_ms is None else max(float(since_ms), float(oldest_ts))
    return subscribers * price * max(until_ms - start, 0.0) / PERIOD_MS


def keys_of(column: pd.Series, missing: str) -> np.ndarray:
    """Per row `value || missing`, as object strings (a lone surrogate stays as it is)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        # Per category, not per row: a million rows have a handful of tiers and models.
        labels = np.append(np.asarray(column.cat.categories, dtype=object), missing)
        labels[np.array([label == "" for label in labels], dtype=bool)] = missing
        return labels[column.cat.codes.to_numpy()]  # code -1 (missing) takes the last label
    values = column.astype(object).to_numpy().copy()
    values[pd.isna(values) | (values == "")] = missing
    return values
