"""How a table is shown: each column formatted by `fmt`'s rule for its kind, by column name.

A number column stays a number (so it sorts) with a Streamlit format that gives exactly
`fmt`'s text: money "dollar" ($1,234.56), counts "%,d", percents "%.1f%%". Where Streamlit's
formats can't follow the rule (durations, unit costs below $1, times with their zone) or a
column has a missing value (Streamlit would print "None"), the column is `fmt`'s text,
right-aligned. The CSV download keeps the raw numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypedDict

import numpy as np
import pandas as pd
import streamlit as st

from relay_metrics.output import fmt

# Costs of one call, job, summary or credit: fractions of a cent, four significant digits.
UNIT_COSTS = frozenset(
    {"avg_cost_usd", "cost_per_summary_usd", "cost_per_credit_usd", "cost_per_job_usd", "p50_cost_usd", "p95_cost_usd"}
)
COUNTS = frozenset({"calls", "errors", "refused", "summaries", "records", "lines", "jobs", "installs", "subscribers"})
# Short headers, so a table's key columns fit at 1400 px without a horizontal scroll.
LABELS = {
    "tier_snapshot": "Tier",
    "unique_installs": "Installs",
    "avg_duration_ms": "Avg time",
    "p50_duration_ms": "p50 time",
    "p95_duration_ms": "p95 time",
    "duration_ms": "Duration",
    "cost_usd": "Cost",
    "avg_cost_usd": "Cost/call",
    "cost_per_summary_usd": "Cost/summary",
    "cost_per_install_usd": "Cost/install",
    "cost_per_install_month_usd": "Cost/install/mo",
    "cost_per_job_usd": "Mean/job",
    "cost_per_credit_usd": "Cost/credit",
    "p50_cost_usd": "p50/job",
    "p95_cost_usd": "p95/job",
    "break_even_price_usd": "Break-even",
    "price_per_month": "Price/mo",
    "revenue_usd": "Revenue",
    "margin_usd": "Margin",
    "margin_pct": "Margin %",
    "input_tokens": "Input tok.",
    "output_tokens": "Output tok.",
    "thinking_tokens": "Thinking tok.",
    "last_active": "Last active",
    "last_seen": "Last seen",
    "first_time": "First call",
    "refused_share": "Refused %",
    "success_rate": "Success",
    "losing": "Loss",
    "weekday_name": "Weekday",
    "install_id": "Install",
    "job_id": "Job",
}
HELP = {
    "tier_snapshot": "The tier of the install's latest call in the range.",
    "unique_installs": "Installs that made calls with this tier; an install that changed tier counts in each.",
    "losing": "Marked when the install cost more than it paid in the range.",
    "subscribers": "Paying subscribers from pricing.toml, when set.",
    "installs": "Each install once, under the tier of its latest call in the range.",
    "break_even_price_usd": "The monthly price at which the tier would pay for itself.",
}
# Put right after the label columns, so a narrow screen shows what matters first.
FIRST = ("revenue_usd", "cost_usd", "margin_usd", "margin_pct", "calls")
LABEL_AFTER = ("tier", "tier_snapshot")
ORDERED = frozenset({"hour", "day", "weekday"})  # tables whose order is the point keep their columns
# Dropped from the screen when nothing is in them (they stay in the CSV).
HIDDEN_WHEN_EMPTY = frozenset({"subscribers"})
LOSS_MARK = "Loss"


def kind(name: str, column: pd.Series, unit_costs: tuple[str, ...] = ()) -> str:
    """What a column holds, for its format: money, unit_cost, percent, share, duration, count,
    time, day, marker, number or text."""
    if name in UNIT_COSTS or name in unit_costs:
        return "unit_cost"
    if name.endswith("_usd") or name == "price_per_month":
        return "money"
    if name.endswith("_pct"):
        return "percent"  # already in percent: 37.5 means 37.5%
    if name.endswith(("share", "_rate")):
        return "share"
    if name.endswith("duration_ms"):
        return "duration"
    if name == "losing":
        return "marker"
    if name in ("day", "period"):  # dates (a period is named by its first day)
        return "day"
    if pd.api.types.is_datetime64_any_dtype(column):
        return "time"
    if name in COUNTS or name == "line" or name.endswith(("tokens", "installs")):
        return "count"
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return "number"  # an hour of day, a weekday: a label that happens to be a number
    return "text"


def for_display(frame: pd.DataFrame, zone: str = "UTC", unit_costs: tuple[str, ...] = ()) -> pd.DataFrame:
    """`frame` as the table shows it: key columns first, fmt's text where a number format can't do."""
    columns = [n for n in frame.columns if not (n in HIDDEN_WHEN_EMPTY and frame[n].isna().all())]
    if columns and kind(columns[0], frame[columns[0]]) == "text" and not ORDERED & set(columns):
        # A table of things (tiers, models, installs): the thing, its tier, then what it costs.
        ordered = columns[:1] + [n for n in (*LABEL_AFTER, *FIRST) if n in columns[1:]]
        columns = ordered + [n for n in columns if n not in ordered]
    shown = {}
    for name in columns:
        column = frame[name]
        what = kind(name, column, unit_costs)
        if what == "marker":
            shown[name] = _texts(column, lambda v: LOSS_MARK if v is True else "")
        elif what == "time":
            shown[name] = _texts(column, lambda v: fmt.timestamp(v, zone))
        elif what == "text":
            shown[name] = column if not column.isna().any() else _texts(column, fmt.text)
        elif what in _ALWAYS_TEXT or column.isna().any() or (what == "day" and column.dtype == object):
            # Dates as Python objects reach the browser as epoch numbers: give their text.
            shown[name] = _texts(column, _TEXT[what])
        elif what == "share":
            shown[name] = column * 100
        elif what == "count":
            shown[name] = column.round().astype(np.int64)
        else:
            shown[name] = column
    return pd.DataFrame(shown, index=frame.index)


class _Common(TypedDict):
    """The column config arguments every kind of column shares."""

    help: str | None
    pinned: bool | None


def column_config(shown: pd.DataFrame, unit_costs: tuple[str, ...] = ()) -> dict:
    """Streamlit column configs for a frame from `for_display`."""
    config = {}
    for position, name in enumerate(shown.columns):
        label = LABELS.get(name) or _label(name)
        what = kind(name, shown[name], unit_costs)
        common: _Common = {"help": HELP.get(name), "pinned": True if position == 0 and what == "text" else None}
        numeric = pd.api.types.is_numeric_dtype(shown[name]) or pd.api.types.is_datetime64_any_dtype(shown[name])
        if what not in ("text", "marker") and not numeric:  # fmt's text of a number
            config[name] = st.column_config.TextColumn(label, alignment="right", width="small", **common)
        elif what == "money":
            config[name] = st.column_config.NumberColumn(label, format="dollar", width="small", **common)
        elif what == "percent":
            config[name] = st.column_config.NumberColumn(label, format="%.1f%%", width="small", **common)
        elif what == "share":
            config[name] = st.column_config.ProgressColumn(
                label, format="%.1f%%", min_value=0.0, max_value=100.0, width="small", **common
            )
        elif what == "count":
            config[name] = st.column_config.NumberColumn(label, format="%,d", width="small", **common)
        elif what == "day":
            config[name] = st.column_config.DateColumn(label, format="YYYY-MM-DD", width="small", **common)
        elif what == "marker":
            config[name] = st.column_config.TextColumn(label, width="small", **common)
        else:
            config[name] = st.column_config.TextColumn(label, **common)
    return config


_TEXT: dict[str, Callable[[Any], str]] = {
    "money": fmt.money,
    "unit_cost": fmt.unit_cost,
    "percent": fmt.percent,
    "share": fmt.share,
    "duration": fmt.duration,
    "count": fmt.count,
    "day": fmt.day,
    "number": lambda v: fmt.DASH if fmt.is_missing(v) else f"{float(v):,g}",
}
_ALWAYS_TEXT = frozenset({"unit_cost", "duration"})


def _texts(column: pd.Series, show: Callable[[Any], str]) -> pd.Series:
    values = np.empty(len(column), dtype=object)
    values[:] = [show(v) for v in column.tolist()]
    return pd.Series(values, index=column.index, dtype=object, name=column.name)


def _label(name: str) -> str:
    words = name.removesuffix("_usd").removesuffix("_ms").replace("_", " ")
    return words[:1].upper() + words[1:]
