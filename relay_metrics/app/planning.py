"""The Plan page's data: the calls a plan needs (reaching back for coverage and a cap's month)
and the plan itself, cached per log version, range, pricing and scenario."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import streamlit as st

from relay_metrics.app import source
from relay_metrics.app.sidebar import View
from relay_metrics.metrics import plan
from relay_metrics.metrics.pricing import Pricing
from relay_metrics.metrics.revenue import effective_until
from relay_metrics.metrics.scenario import Scenario


def plan_of(view: View, pricing: Pricing, scenario: Scenario) -> plan.Plan:
    """The view's range re-run under `scenario` (every tier; the caller narrows to the tier filter).

    Raises ScenarioError when the scenario names what the log doesn't have."""
    calls, key = calls_of(view, pricing)
    return _simulated(key, json.dumps(scenario.to_query(), sort_keys=True), calls, scenario)


def calls_of(view: View, pricing: Pricing) -> tuple[plan.Calls, tuple]:
    """The range's calls, keyed and measured once per log version, range and pricing file."""
    frame, version = _context(view)
    ts = frame["ts"].to_numpy(dtype=float)
    until = effective_until(view.filters.until_ms, float(ts.max()))
    span = plan.Range(view.filters.since_ms, until, float(ts.min()))
    key = (version, span, repr(pricing))
    return _prepared(key, frame, pricing, span), key


def _context(view: View) -> tuple[pd.DataFrame, tuple]:
    """The log from P (or a month) before the range on: read that far back once if need be."""
    if view.choice.is_upload:
        return view.log.frame, view.log_key
    reach = plan.context_since(view.filters.since_ms)
    until = view.filters.until_ms
    got = source.load(view.choice, reach, math.inf if until is None else until)
    return got.loaded.frame, source.log_key(view.choice, got)


# `key` says what the underscored arguments hold; they aren't hashed.
@st.cache_resource(max_entries=4, ttl=3600, show_spinner="Measuring the range and learning model rates…")
def _prepared(key: tuple, _frame: pd.DataFrame, _pricing: Pricing, _span: plan.Range) -> plan.Calls:
    # Narrowed here, on a miss only: taking the rows of a million is most of a rerun otherwise.
    ts = _frame["ts"].to_numpy(dtype=float)
    reach = plan.context_since(_span.since_ms)
    keep = (ts >= (-np.inf if reach is None else reach)) & (ts <= _span.until_ms)
    return plan.prepare(_frame[keep] if not keep.all() else _frame, _pricing, _span)


def values_in(column: pd.Series) -> list[str]:
    """The non-empty values a category column holds, sorted (per category, not per row)."""
    present = np.bincount(column.cat.codes.to_numpy() + 1, minlength=len(column.cat.categories) + 1)[1:] > 0
    return sorted(value for value in column.cat.categories[present] if value)


@st.cache_resource(max_entries=32, ttl=3600, show_spinner="Re-running the range under the scenario…")
def _simulated(key: tuple, scenario_key: str, _calls: plan.Calls, _scenario: Scenario) -> plan.Plan:
    plan.check(_scenario, _calls)
    return plan.simulate(_calls, _scenario)
