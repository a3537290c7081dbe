"""Column configs by column name, so every table formats money, shares and durations alike."""

from __future__ import annotations

import pandas as pd
import streamlit as st

# Per-call amounts are fractions of a cent: "dollar" would round them to $0.00.
_SMALL_MONEY = ("avg_cost_usd", "cost_per_summary_usd", "cost_per_credit_usd")


def for_display(frame: pd.DataFrame) -> pd.DataFrame:
    """Durations in ms become timedeltas, which Streamlit shows as "1 sec, 500 ms"."""
    shown = frame.copy(deep=False)
    for name in shown.columns:
        if name.endswith("duration_ms") and pd.api.types.is_numeric_dtype(shown[name]):
            shown[name] = pd.to_timedelta(shown[name].round(), unit="ms")
    return shown


def column_config(frame: pd.DataFrame) -> dict:
    config = {}
    for name in frame.columns:
        label = _label(name)
        if name.endswith("_usd") or name == "price_per_month":
            fmt = "$%.5f" if name in _SMALL_MONEY or name.startswith("cost_per") else "dollar"
            config[name] = st.column_config.NumberColumn(label, format=fmt)
        elif name.endswith("_pct"):  # already in percent: 37.5 means 37.5%
            config[name] = st.column_config.NumberColumn(label.replace(" pct", " %"), format="%.1f%%")
        elif name.endswith(("share", "_rate")):
            config[name] = st.column_config.ProgressColumn(label, format="percent", min_value=0.0, max_value=1.0)
        elif name.endswith("duration_ms"):
            config[name] = st.column_config.NumberColumn(label.replace(" (ms)", ""), format="localized")
        elif name in ("calls", "errors", "refused", "summaries", "records", "lines") or name.endswith(
            ("tokens", "installs")
        ):
            config[name] = st.column_config.NumberColumn(label, format="localized")
        elif name == "day":
            config[name] = st.column_config.DateColumn(label, format="YYYY-MM-DD")
        elif pd.api.types.is_datetime64_any_dtype(frame[name]):
            config[name] = st.column_config.DatetimeColumn(label, format="YYYY-MM-DD HH:mm:ss")
        else:
            config[name] = st.column_config.Column(label)
    return config


def _label(name: str) -> str:
    if name == "price_per_month":
        return "Price per month"
    words = name.replace("_usd", "").replace("_ms", " (ms)").replace("_", " ")
    return words[:1].upper() + words[1:]
