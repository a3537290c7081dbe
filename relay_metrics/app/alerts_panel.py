"""Alert rules in the app: what fires now (top of the Overview) and each rule over a range
(the Alerts page). The rules and the evaluation are metrics.alerts', as for `check`.

Margins in alerts are actuals: the pricing file's prices, never what-if edits.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
    moment, firings = _evaluate(view.log_key, _until(view), loaded, as_of(view), view.log.frame)
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
    the firings at the range's end. Kept by the minute (see _ByMinute): a rule checked on each
    of 30 days takes seconds on a big log, and a revisit or a new session must not pay it again."""
    moment = as_of(view)
    key = repr((view.log_key, _until(view), loaded.rules, loaded.pricing, view.days))  # rules, prices: dicts inside
    return _OVER_RANGE.get(key, moment, lambda: _rules_over_range(view, loaded, moment))[1]


def _rules_over_range(view: View, loaded: Setup, moment: float) -> tuple[pd.DataFrame, list[Firing]]:
    facts = log_facts_of(view.log_key, _until(view), view.log.frame)
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
    return table, evaluate(loaded.rules, facts, loaded.pricing, _minute_of(moment))


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


def _evaluate(
    log_key: tuple, until_ms: float, loaded: Setup, moment: float, frame: pd.DataFrame
) -> tuple[float, list[Firing]]:
    """The rules firing at `moment`'s minute, or at an earlier minute's while this one's are
    computed (see _ByMinute); with the moment they are as of."""
    key = repr((log_key, until_ms, loaded.rules, loaded.pricing))  # rules, prices: dicts inside
    minute = _minute_of(moment)
    return _FIRING.get(
        key, moment, lambda: evaluate(loaded.rules, log_facts_of(log_key, until_ms, frame), loaded.pricing, minute)
    )


def _minute_of(moment: float) -> float:
    # Rules are evaluated at the minute, so every rerun within it gives the same answer.
    return moment // 60_000 * 60_000


class _ByMinute:
    """Results that change with the clock, kept per key by the minute. When a minute has passed
    since a key's last result, that result is served (with the moment it is as of) while the
    new one is computed in the background: no click waits for every rule to be evaluated again
    over a big log (seconds on 10M rows). A key seen for the first time is computed at once."""

    def __init__(self, kept: int = 8):
        self.kept = kept
        self.lock = threading.Lock()
        self.done: OrderedDict[Any, tuple[float, Any]] = OrderedDict()  # key -> (moment, result)
        self.running: set = set()

    def get(self, key: Any, moment: float, compute: Callable[[], Any]) -> tuple[float, Any]:
        with self.lock:
            found = self.done.get(key)
            if found is not None and _minute_of(found[0]) >= _minute_of(moment):
                return found
            if found is not None:
                if key not in self.running:
                    self.running.add(key)
                    threading.Thread(target=self._fill, args=(key, moment, compute), daemon=True).start()
                return found
        result = compute()
        self._store(key, moment, result)
        return moment, result

    def _fill(self, key: Any, moment: float, compute: Callable[[], Any]) -> None:
        try:
            self._store(key, moment, compute())
        finally:
            with self.lock:
                self.running.discard(key)

    def _store(self, key: Any, moment: float, result: Any) -> None:
        with self.lock:
            found = self.done.get(key)
            if found is None or found[0] <= moment:
                self.done[key] = (moment, result)
                self.done.move_to_end(key)
            while len(self.done) > self.kept:
                self.done.popitem(last=False)


_FIRING = _ByMinute()
_OVER_RANGE = _ByMinute()


@st.cache_resource(max_entries=4, ttl=600, show_spinner=False)
def log_facts_of(log_key: tuple, until_ms: float, _frame: pd.DataFrame):
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
