"""Alert rules in the app: what fires now (top of the Overview) and each rule over a range
(the Alerts page). The rules and the evaluation are metrics.alerts', as for `check`.

Margins in alerts are actuals: the pricing file's prices, never what-if edits.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from relay_metrics.app import prices
from relay_metrics.app.sidebar import View
from relay_metrics.metrics.alerts import (
    Firing,
    Rule,
    RulesError,
    evaluate,
    load_rules,
    log_facts,
    moments_with_data,
    rules_path,
)
from relay_metrics.metrics.pricing import Pricing, PricingError
from relay_metrics.metrics.zones import MS_PER_DAY
from relay_metrics.output.export import visible

ALERTS_PAGE = "views/8_Alerts.py"
# The page that explains a firing of each kind.
EXPLAINED_ON = {
    "tier_margin": ("views/1_Profitability.py", "Profitability"),
    "costly_install": ("views/4_Installs.py", "Installs"),
    "cost_spike": ("views/3_Models.py", "Models"),
    "waste": ("views/6_Data_quality.py", "Data quality"),
    "unpriced": ("views/1_Profitability.py", "Profitability"),
    "new_model": ("views/3_Models.py", "Models"),
    "stale_log": ("views/6_Data_quality.py", "Data quality"),
}
SHOWN_ON_OVERVIEW = 8
MAX_DAYS = 92  # the Alerts page evaluates each day of the range; more would be slow


@dataclass(frozen=True)
class Setup:
    rules: list[Rule]
    pricing: Pricing


def setup() -> Setup | str:
    """The rules and the file's prices, or a message saying why they can't be used."""
    try:
        return Setup(load_rules(rules_path()), prices.configured())
    except (RulesError, PricingError) as exc:
        return str(exc)


def as_of(view: View) -> float:
    """Now, or the end of the chosen range when it ends earlier (the data read ends there)."""
    return min(now_ms(), _until(view))


def now_ms() -> float:
    return time.time() * 1000


def _until(view: View) -> float:
    # The app's ranges always end somewhere; unbounded would mean now.
    return now_ms() if view.filters.until_ms is None else float(view.filters.until_ms)


def firing_now(view: View) -> None:
    """For the top of the Overview: the rules that fire now, each with a link to its page."""
    loaded = setup()
    if isinstance(loaded, str):
        st.caption("Alerts are off: the rules or prices can't be used (see the Alerts page).")
        return
    moment = as_of(view)
    firings = _evaluate(view.log_key, _until(view), loaded, moment, view.log.frame)
    if not firings:
        return
    with st.container(border=True):
        st.markdown(f":material/notifications_active: **{len(firings)} alert(s) firing** as of {_when(moment)}")
        for firing in firings[:SHOWN_ON_OVERVIEW]:
            text, link = st.columns([5, 1], vertical_alignment="center")
            text.text(visible(f"{firing.rule} · {firing.subject} · {_value(firing)}"))
            path, label = EXPLAINED_ON[firing.kind]
            link.page_link(path, label=label, icon=":material/arrow_forward:")
        if len(firings) > SHOWN_ON_OVERVIEW:
            st.caption(f"and {len(firings) - SHOWN_ON_OVERVIEW} more")
        st.page_link(ALERTS_PAGE, label="All rules and what they say", icon=":material/notifications:")


def rules_over_range(view: View, loaded: Setup) -> tuple[pd.DataFrame, list[Firing]]:
    """Every rule with its state over the range's days (evaluated at the end of each), and
    the firings at the range's end."""
    moment = as_of(view)
    facts = _facts(view.log_key, _until(view), view.log.frame)
    ends = moments_with_data(facts, [moment - k * MS_PER_DAY for k in range(min(view.days, MAX_DAYS))][::-1])
    # Every rule at once at each moment: rules over the same window share its margins.
    fired_by_day = [{f.rule for f in evaluate(loaded.rules, facts, loaded.pricing, end)} for end in ends]
    firing_now = [f.rule for f in evaluate(loaded.rules, facts, loaded.pricing, moment)]
    rows = []
    for rule in loaded.rules:
        fired_at = [end for end, fired in zip(ends, fired_by_day) if rule.name in fired]
        now = [name for name in firing_now if name == rule.name]
        rows.append(
            {
                "rule": rule.name,
                "kind": rule.kind,
                "tier": rule.tier or "all",
                "threshold": rule.threshold(),
                "firing now": len(now),
                "days fired": len(fired_at),
                "days checked": len(ends),
                "last fired": _when(fired_at[-1]) if fired_at else "not in this range",
            }
        )
    table = pd.DataFrame(rows)
    table["rule"] = table["rule"].astype(object)
    return table, _evaluate(view.log_key, _until(view), loaded, moment, view.log.frame)


def firings_table(firings: list[Firing]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rule": pd.Series([f.rule for f in firings], dtype=object),
            "subject": pd.Series([f.subject for f in firings], dtype=object),
            "value": [f.to_dict()["value"] for f in firings],
            "threshold": [f.threshold for f in firings],
            "message": pd.Series([f.message for f in firings], dtype=object),
        }
    )


def _evaluate(log_key: tuple, until_ms: float, loaded: Setup, moment: float, frame: pd.DataFrame) -> list[Firing]:
    # Rounded to the minute so a rerun within it reuses the evaluation.
    return _cached_firings(log_key, until_ms, tuple(loaded.rules), loaded.pricing, moment // 60_000 * 60_000, frame)


@st.cache_resource(max_entries=8, ttl=600, show_spinner=False)
def _cached_firings(log_key, until_ms, rules: tuple, pricing: Pricing, moment: float, _frame) -> list[Firing]:
    return evaluate(list(rules), _facts(log_key, until_ms, _frame), pricing, moment)


@st.cache_resource(max_entries=4, ttl=600, show_spinner=False)
def _facts(log_key: tuple, until_ms: float, _frame: pd.DataFrame):
    # log_key says which log contents these are; the frame itself isn't hashed.
    return log_facts(_frame, prices.log_coverage(log_key, _frame))


def _value(firing: Firing) -> str:
    value, limit, kind = firing.value, firing.threshold, firing.kind
    if value is None:
        return "no data"
    if kind == "unpriced":
        return f"{value:,.0f} calls, no price"
    if kind == "new_model":
        return f"{value:,.0f} calls, new"
    limit = limit or 0.0
    if kind == "tier_margin":
        return f"margin {value:.1f}% (floor {limit:g}%)"
    if kind == "costly_install":
        return f"{value:.1f}x what it paid (limit {limit:g}x)"
    if kind == "cost_spike":
        return f"${value:,.2f} in a day (limit ${limit:,.2f})"
    if kind == "waste":
        return f"{value:.1f}% of cost wasted (limit {limit:g}%)"
    return f"newest record {value:,.0f} min old (limit {limit:g})"  # stale_log


def _when(ms: float) -> str:
    return pd.Timestamp(ms, unit="ms", tz="UTC").strftime("%Y-%m-%d %H:%M UTC")
