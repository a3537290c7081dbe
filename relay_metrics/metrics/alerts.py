"""Alert rules (alerts.toml) and what fires: margins, costly installs, spikes, waste, staleness.

Pure: the log's frame, the prices and the moment of evaluation come in, firings go out.
Every window ends at `now_ms` (the moment of evaluation) and includes both ends:
"the last N days" is [now - N days, now]. Days for cost_spike are UTC days; "the last
complete day" is the UTC day before the one holding `now`.

Definitions where the issue leaves room:
- A rule fires strictly past its threshold: margin % below min_pct, ratios above factor,
  z-score above z, shares above max_pct, age above minutes. At the threshold, nothing fires.
- tier_margin skips a tier with no revenue (margin % is undefined; `unpriced` covers it).
- costly_install looks only at installs that paid something in the window (an install of an
  unpriced tier is the `unpriced` rule's business, else every call of a free tier would fire).
- cost_spike needs the log to reach back to the first of the 14 baseline days; days without
  calls in them count as $0. A robust z-score is (x - median) / (1.4826 x MAD); with MAD 0 it
  is infinite above the median and 0 otherwise, so the factor alone decides.
- new_model: a model is new while its first call is at most `days` days old. "First call"
  is the earliest one known: in the records read (`history_days`, default 30, before the
  window) or in the --state file's memory of models, whichever is older.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd

from relay_metrics.metrics.figures import DEFAULT_TIER, UNKNOWN
from relay_metrics.metrics.pricing import Pricing
from relay_metrics.metrics.profit import UNATTRIBUTED, Activity, Span, margins_of
from relay_metrics.metrics.revenue import (
    PERIOD_MS,
    coverage,
    keys_of,
)
from relay_metrics.metrics.zones import MS_PER_DAY

ALERTS_ENV = "RELAY_METRICS_ALERTS"
DEFAULT_ALERTS = Path(str(files("relay_metrics") / "alerts.toml"))
BASELINE_DAYS = 14
MAD_SCALE = 1.4826  # makes the MAD of normal data estimate its standard deviation
MS_PER_MINUTE = 60_000

KINDS = ("tier_margin", "costly_install", "cost_spike", "waste", "unpriced", "new_model", "stale_log")
# Per kind: required numbers, optional numbers with their defaults.
_NUMBERS: dict[str, tuple[tuple[str, ...], dict[str, float]]] = {
    "tier_margin": (("min_pct",), {"days": 7}),
    "costly_install": (("factor",), {"days": 7}),
    "cost_spike": (("factor", "z"), {}),
    "waste": (("max_pct",), {"days": 1}),
    "unpriced": ((), {"days": 7}),
    "new_model": ((), {"days": 1, "history_days": 30}),
    "stale_log": (("minutes",), {}),
}
_BY = ("all", "tier", "model")
_COMMON_KEYS = {"name", "kind", "tier", "by"}


class RulesError(ValueError):
    """The rules file can't be used; the message names the file, the key and its line."""


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str
    tier: str | None = None
    numbers: dict[str, float] = field(default_factory=dict)
    by: str = "all"  # cost_spike: the whole relay, each tier, or each model

    def number(self, key: str) -> float:
        return self.numbers[key]

    def threshold(self) -> float | None:
        for key in ("min_pct", "factor", "max_pct", "minutes"):
            if key in self.numbers:
                return self.numbers[key]
        return None


@dataclass(frozen=True)
class Firing:
    rule: str
    kind: str
    subject: str  # a tier, install id or model from the log (untrusted text), or "all"
    value: float | None
    threshold: float | None
    since_ms: float | None
    until_ms: float
    message: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.rule, self.subject)

    def to_dict(self) -> dict:
        return {
            "rule": self.rule,
            "kind": self.kind,
            "subject": self.subject,
            "value": _finite(self.value),
            "threshold": self.threshold,
            "window": {"since_ms": _int(self.since_ms), "until_ms": _int(self.until_ms)},
            "message": self.message,
        }


# --------------------------------------------------------------------------- rule files


def rules_path(option: str | None = None) -> Path:
    """--rules, else $RELAY_METRICS_ALERTS, else the example rules shipped in the package."""
    return Path(option or os.environ.get(ALERTS_ENV) or DEFAULT_ALERTS)


def load_rules(path: str | os.PathLike) -> list[Rule]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RulesError(f"{path}: rules file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(f"{path}: cannot read rules file ({exc})") from None
    return parse_rules(text, str(path))


def parse_rules(text: str, name: str = "alerts.toml") -> list[Rule]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{name}: not valid TOML: {exc}") from None
    starts = _rule_lines(text)

    def fail(message: str, index: int | None, key: str | None) -> RulesError:
        line = _key_line(text, starts, index, key)
        return RulesError(f"{name}, line {line}: {message}" if line else f"{name}: {message}")

    for key in data:
        if key != "rule":
            raise fail(f"unknown key {key!r} (rules are [[rule]] tables)", None, key)
    tables = data.get("rule", [])
    if not isinstance(tables, list):
        raise fail("rule must be [[rule]] tables", None, "rule")
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, table in enumerate(tables):
        rule_name = table.get("name")
        if not isinstance(rule_name, str) or not rule_name.strip():
            raise fail('every [[rule]] needs a name, like name = "pro margin floor"', index, "name")
        if rule_name in seen:
            raise fail(f"two rules are named {rule_name!r}; names must differ", index, "name")
        seen.add(rule_name)
        kind = table.get("kind")
        if kind not in _NUMBERS:
            raise fail(f"rule {rule_name!r}: kind must be one of {', '.join(KINDS)}, not {kind!r}", index, "kind")
        required, optional = _NUMBERS[kind]
        allowed = _COMMON_KEYS | set(required) | set(optional)
        for key in table:
            if key not in allowed:
                expected = ", ".join(sorted(set(required) | set(optional))) or "no numbers"
                raise fail(f"rule {rule_name!r}: unknown key {key!r} for kind {kind} (expected {expected})", index, key)
        tier = table.get("tier")
        if tier is not None and (not isinstance(tier, str) or not tier):
            raise fail(f"rule {rule_name!r}: tier must be a tier name in quotes, not {tier!r}", index, "tier")
        by = table.get("by", "all")
        if by not in _BY or (by != "all" and kind != "cost_spike"):
            raise fail(f"rule {rule_name!r}: by is for cost_spike only and one of all, tier, model", index, "by")
        numbers: dict[str, float] = {}
        for key in required:
            if key not in table:
                raise fail(f"rule {rule_name!r} ({kind}) needs {key}", index, "kind")
        for key in (*required, *optional):
            value = table.get(key, optional.get(key))
            number = _number(value)
            whole = key in ("days", "history_days")
            if number is None or number < 0 or (whole and (number < 1 or not number.is_integer())):
                what = "a whole number of days >= 1" if whole else "a number >= 0"
                raise fail(f"rule {rule_name!r}: {key} must be {what}, not {value!r}", index, key)
            numbers[key] = number
        rules.append(Rule(rule_name, kind, tier, numbers, by))
    return rules


def _rule_lines(text: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines(), start=1) if re.match(r"\s*\[\[\s*rule\s*\]\]", line)]


def _key_line(text: str, starts: list[int], index: int | None, key: str | None) -> int | None:
    """The line that sets `key` in the index-th [[rule]] (or at the top level), for errors."""
    lines = text.splitlines()
    if index is None:
        first, last = 1, (starts[0] - 1 if starts else len(lines))
    else:
        first = starts[index] if index < len(starts) else 1
        last = starts[index + 1] - 1 if index + 1 < len(starts) else len(lines)
    if key is not None:
        for number in range(first, last + 1):
            if re.match(rf'\s*["\']?{re.escape(key)}["\']?\s*=', lines[number - 1]):
                return number
    return first if index is not None else None


# --------------------------------------------------------------------------- the log's facts


@dataclass(frozen=True)
class LogFacts:
    """The arrays every rule reads, computed once per log (a page or a digest evaluates many
    moments over the same frame). Rows are in the frame's order; `covered` is coverage()."""

    ts: np.ndarray
    cost: np.ndarray
    install_codes: np.ndarray  # -1: no install id
    installs: np.ndarray  # object labels of install_codes
    tiers: np.ndarray  # object, missing -> "core"
    models: np.ndarray  # object, missing -> "unknown"
    wasted: np.ndarray  # bool: status error or refused
    covered: pd.DataFrame

    @cached_property
    def first_seen(self) -> dict[str, float]:
        """Each model's first call in the log. A model called by a moment was first seen at
        its first call, whatever the moment: the rule asks at 90 moments on a page."""
        return first_seen_models(self.models, self.ts)


def log_facts(frame: pd.DataFrame, covered: pd.DataFrame | None = None) -> LogFacts:
    """`covered`: coverage(frame), when the caller has it already."""
    codes, labels = _install_codes(frame["install_id"])
    return LogFacts(
        ts=frame["ts"].to_numpy(dtype=float),
        cost=np.nan_to_num(frame["cost_usd"].to_numpy(dtype=float)),
        install_codes=codes,
        installs=labels,
        tiers=keys_of(frame["tier"], DEFAULT_TIER),
        models=keys_of(frame["model"], UNKNOWN),
        wasted=frame["status"].isin(("error", "refused")).to_numpy(),
        covered=coverage(frame) if covered is None else covered,
    )


def _install_codes(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Per row a code into the returned labels; -1 where the install id is missing or empty."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        labels = np.asarray(column.cat.categories, dtype=object)
        codes = column.cat.codes.to_numpy().astype(np.int64)
        codes[np.isin(codes, np.flatnonzero(labels == ""))] = -1
        return codes, labels
    ids = keys_of(column, "")
    codes, found = pd.factorize(pd.Series(ids, dtype=object))
    return np.where(ids == "", -1, codes), np.asarray(found, dtype=object)


# --------------------------------------------------------------------------- margins


@dataclass(frozen=True)
class WindowMargins:
    by_tier: pd.DataFrame  # tier, installs, revenue_usd, cost_usd, margin_usd, margin_pct
    by_install: pd.DataFrame  # install_id, tier, revenue_usd, cost_usd


def window_margins(facts: LogFacts, pricing: Pricing, since_ms: float, until_ms: float) -> WindowMargins:
    """Revenue, cost and margin per tier and install in [since, until], by profit.margins_of:
    the same function the app's pages and `margins` use. The log is taken as it stood at
    `until_ms` (its newest record then is its end), so a rule can be checked at a past moment."""
    upto = facts.ts[facts.ts <= until_ms]
    if not len(upto):
        empty = pd.DataFrame({"tier": pd.Series([], dtype=object)})
        return WindowMargins(
            empty.assign(installs=0, revenue_usd=0.0, cost_usd=0.0, margin_usd=0.0, margin_pct=None),
            pd.DataFrame({"install_id": pd.Series([], dtype=object), "tier": [], "revenue_usd": [], "cost_usd": []}),
        )
    span = Span(since_ms, until_ms, float(facts.ts.min()), float(upto.max()))
    inside = (facts.ts >= since_ms) & (facts.ts <= until_ms)
    known = inside & (facts.install_codes >= 0)
    cost = np.bincount(facts.install_codes[known], weights=facts.cost[known], minlength=len(facts.installs))
    unattributed = float(facts.cost[inside & (facts.install_codes < 0)].sum())
    found = Activity(span, facts.covered, dict(zip(facts.installs.tolist(), cost.tolist())), unattributed)
    result = margins_of(found, pricing)
    tiers = result.by_tier[result.by_tier["tier"] != UNATTRIBUTED]
    return WindowMargins(
        tiers[["tier", "installs", "revenue_usd", "cost_usd", "margin_usd", "margin_pct"]].reset_index(drop=True),
        result.by_install[["install_id", "tier", "revenue_usd", "cost_usd"]],
    )


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class Context:
    facts: LogFacts
    pricing: Pricing
    now_ms: float
    known_models: dict[str, float]  # model -> first seen (ms), from the --state file
    read_from_ms: float | None  # where the records handed in start (the caller read no further back)
    _margins: dict = field(default_factory=dict)  # (since, until) -> WindowMargins, shared by rules

    def margins(self, since_ms: float, until_ms: float) -> WindowMargins:
        """window_margins of this moment's window, computed once for every rule that asks."""
        key = (since_ms, until_ms)
        if key not in self._margins:
            self._margins[key] = window_margins(self.facts, self.pricing, since_ms, until_ms)
        return self._margins[key]


def evaluate(
    rules: Iterable[Rule],
    facts: LogFacts,
    pricing: Pricing,
    now_ms: float,
    known_models: dict[str, float] | None = None,
    read_from_ms: float | None = None,
) -> list[Firing]:
    """Every firing of `rules` at `now_ms`, rule by rule in file order. `read_from_ms` says how
    far back `facts` reach when the caller read only part of the log (for stale_log's words)."""
    context = Context(facts, pricing, float(now_ms), known_models or {}, read_from_ms)
    firings: list[Firing] = []
    for rule in rules:
        firings.extend(_EVALUATORS[rule.kind](rule, context))
    return firings


def lookback_ms(rules: Iterable[Rule]) -> float:
    """How far before now the log must be read for these rules (revenue coverage included)."""
    need = 0.0
    for rule in rules:
        days = rule.numbers.get("days", 0)
        if rule.kind in ("tier_margin", "costly_install"):
            need = max(need, days * MS_PER_DAY + PERIOD_MS)
        elif rule.kind == "cost_spike":
            need = max(need, (BASELINE_DAYS + 2) * MS_PER_DAY)
        elif rule.kind == "new_model":
            need = max(need, (days + rule.numbers["history_days"]) * MS_PER_DAY)
        elif rule.kind == "stale_log":
            need = max(need, rule.number("minutes") * MS_PER_MINUTE)
        else:
            need = max(need, days * MS_PER_DAY)
    return need


def _window(rule: Rule, context: Context) -> tuple[float, float]:
    return context.now_ms - rule.number("days") * MS_PER_DAY, context.now_ms


def _days_text(days: float) -> str:
    return "day" if days == 1 else f"{days:g} days"


def _tier_margin(rule: Rule, context: Context) -> list[Firing]:
    since, until = _window(rule, context)
    tiers = context.margins(since, until).by_tier
    floor = rule.number("min_pct")
    out = []
    for row in tiers.itertuples(index=False):
        if rule.tier is not None and row.tier != rule.tier:
            continue
        if row.margin_pct is None or not row.margin_pct < floor:
            continue
        out.append(
            Firing(
                rule.name,
                rule.kind,
                row.tier,
                row.margin_pct,
                floor,
                since,
                until,
                f"Margin on tier {_quoted(row.tier)} was {row.margin_pct:.1f}% over the last "
                f"{_days_text(rule.number('days'))}, below the {floor:g}% floor "
                f"(revenue {_money(row.revenue_usd)}, cost {_money(row.cost_usd)}).",
            )
        )
    return out


def _costly_install(rule: Rule, context: Context) -> list[Firing]:
    since, until = _window(rule, context)
    installs = context.margins(since, until).by_install
    factor = rule.number("factor")
    if rule.tier is not None:
        installs = installs[installs["tier"] == rule.tier]
    paid = installs["revenue_usd"].to_numpy()
    cost = installs["cost_usd"].to_numpy()
    costly = installs[(paid > 0) & (cost > factor * paid)]
    costly = costly.assign(ratio=costly["cost_usd"] / costly["revenue_usd"]).sort_values("ratio", ascending=False)
    return [
        Firing(
            rule.name,
            rule.kind,
            row.install_id,
            row.ratio,
            factor,
            since,
            until,
            f"Install {_quoted(row.install_id)} ({_quoted(row.tier)}) cost {_money(row.cost_usd)} over the last "
            f"{_days_text(rule.number('days'))}, {row.ratio:.1f}x the {_money(row.revenue_usd)} it paid "
            f"(limit {factor:g}x).",
        )
        for row in costly.itertuples(index=False)
    ]


def _cost_spike(rule: Rule, context: Context) -> list[Firing]:
    facts = context.facts
    today = math.floor(context.now_ms / MS_PER_DAY)
    day = today - 1  # the last complete UTC day
    first = day - BASELINE_DAYS
    if not len(facts.ts) or math.floor(facts.ts.min() / MS_PER_DAY) > first:
        return []  # the log doesn't reach back over the whole baseline
    days = np.floor(facts.ts / MS_PER_DAY)
    rows = (days >= first) & (days <= day)
    if rule.tier is not None:
        rows &= facts.tiers == rule.tier
    index = (days[rows] - first).astype(int)
    cost = facts.cost[rows]
    groups = {"tier": facts.tiers, "model": facts.models}.get(rule.by)
    if groups is None:
        subjects, codes = np.array([rule.tier or "all"], dtype=object), np.zeros(len(index), dtype=int)
    else:
        codes, subjects = pd.factorize(pd.Series(groups[rows], dtype=object))
        subjects = np.asarray(subjects, dtype=object)
    width = BASELINE_DAYS + 1
    daily = np.bincount(codes * width + index, weights=cost, minlength=len(subjects) * width).reshape(-1, width)
    factor, z_limit = rule.number("factor"), rule.number("z")
    day_text = datetime.fromtimestamp(day * 86400, UTC).date().isoformat()
    out = []
    for subject, series in zip(subjects, daily):
        baseline, last = series[:-1], series[-1]
        median = float(np.median(baseline))
        mad = float(np.median(np.abs(baseline - median))) * MAD_SCALE
        z = (last - median) / mad if mad else (math.inf if last > median else 0.0)
        if last > factor * median and z > z_limit:
            out.append(
                Firing(
                    rule.name,
                    rule.kind,
                    str(subject),
                    float(last),
                    factor * median,
                    first * MS_PER_DAY,
                    (day + 1) * MS_PER_DAY - 1,
                    f"Cost{_of(rule.by, subject)} on {day_text} was {_money(last)}, "
                    f"{_ratio(last, median)} the {BASELINE_DAYS}-day median of {_money(median)} "
                    f"(z-score {_z(z)}; limits {factor:g}x and z {z_limit:g}).",
                )
            )
    return out


def _waste(rule: Rule, context: Context) -> list[Firing]:
    since, until = _window(rule, context)
    facts = context.facts
    rows = (facts.ts >= since) & (facts.ts <= until)
    if rule.tier is not None:
        rows &= facts.tiers == rule.tier
    total = float(facts.cost[rows].sum())
    wasted = float(facts.cost[rows & facts.wasted].sum())
    limit = rule.number("max_pct")
    share = wasted * 100 / total if total else 0.0  # this order keeps 2 of 10 at exactly 20
    if not share > limit:
        return []
    where = f" on tier {_quoted(rule.tier)}" if rule.tier else ""
    return [
        Firing(
            rule.name,
            rule.kind,
            rule.tier or "all",
            share,
            limit,
            since,
            until,
            f"{share:.1f}% of the cost{where} over the last {_days_text(rule.number('days'))} "
            f"({_money(wasted)} of {_money(total)}) went on errors and refusals, above {limit:g}%.",
        )
    ]


def _unpriced(rule: Rule, context: Context) -> list[Firing]:
    since, until = _window(rule, context)
    facts = context.facts
    rows = (facts.ts >= since) & (facts.ts <= until) & (facts.install_codes >= 0)
    tiers, calls = np.unique(facts.tiers[rows].astype(str), return_counts=True)
    out = []
    for tier, count in zip(tiers.tolist(), calls.tolist()):
        if tier in context.pricing.tiers or (rule.tier is not None and tier != rule.tier):
            continue
        out.append(
            Firing(
                rule.name,
                rule.kind,
                str(tier),
                float(count),
                None,
                since,
                until,
                f"Tier {_quoted(tier)} made {count:,} calls over the last {_days_text(rule.number('days'))} "
                f"but the pricing file has no price for it: its revenue counts as $0.",
            )
        )
    return out


def _new_model(rule: Rule, context: Context) -> list[Firing]:
    since, until = _window(rule, context)
    facts = context.facts
    upto = facts.ts <= until
    first_seen = facts.first_seen  # the models of `recent` were all first called by `until`
    recent = (facts.ts >= since) & upto
    if rule.tier is not None:
        recent &= facts.tiers == rule.tier
    out = []
    for model in dict.fromkeys(facts.models[recent]):
        first = min(first_seen[model], context.known_models.get(model, math.inf))
        if first < since or model == UNKNOWN:
            continue
        calls = recent & (facts.models == model)
        out.append(
            Firing(
                rule.name,
                rule.kind,
                str(model),
                float(calls.sum()),
                None,
                since,
                until,
                f"Model {_quoted(model)} is new: first call {_when(first)}, {int(calls.sum()):,} calls costing "
                f"{_money(float(facts.cost[calls].sum()))} since.",
            )
        )
    return out


def first_seen_models(models: np.ndarray, ts: np.ndarray) -> dict[str, float]:
    """Each model's earliest ts in these rows."""
    if not len(models):
        return {}
    codes, labels = pd.factorize(pd.Series(models, dtype=object))
    first = np.full(len(labels), np.inf)
    np.minimum.at(first, codes, ts)
    return dict(zip(labels, first.tolist()))


def _stale_log(rule: Rule, context: Context) -> list[Firing]:
    facts = context.facts
    limit = rule.number("minutes")
    upto = facts.ts[facts.ts <= context.now_ms]
    since = context.now_ms - limit * MS_PER_MINUTE
    if not len(upto):
        return [
            Firing(
                rule.name,
                rule.kind,
                "log",
                None,
                limit,
                since,
                context.now_ms,
                (
                    "The log holds no record up to this moment"
                    if context.read_from_ms is None
                    else f"The log has no record in the last {_age((context.now_ms - context.read_from_ms) / MS_PER_MINUTE)}"
                )
                + ": the relay may be down or not logging.",
            )
        ]
    age = (context.now_ms - float(upto.max())) / MS_PER_MINUTE
    if not age > limit:
        return []
    return [
        Firing(
            rule.name,
            rule.kind,
            "log",
            age,
            limit,
            since,
            context.now_ms,
            f"The newest log record is {_age(age)} old (limit {limit:g} minutes): "
            "the relay may be down or not logging.",
        )
    ]


_EVALUATORS: dict[str, Callable[[Rule, Context], list[Firing]]] = {
    "tier_margin": _tier_margin,
    "costly_install": _costly_install,
    "cost_spike": _cost_spike,
    "waste": _waste,
    "unpriced": _unpriced,
    "new_model": _new_model,
    "stale_log": _stale_log,
}


# --------------------------------------------------------------------------- over a range


def moments_with_data(facts: LogFacts, moments: list[float]) -> list[float]:
    """The moments at or after the first record: before the log begins there is nothing to
    check (stale_log would fire on the log's prehistory)."""
    if not len(facts.ts):
        return []
    first = float(facts.ts.min())
    return [moment for moment in moments if moment >= first]


# --------------------------------------------------------------------------- wording


def _money(value: float) -> str:
    return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"


def _quoted(text: str) -> str:
    # Log text inside our sentence: shown as a Python literal, so control characters and
    # lone surrogates come out escaped and the text can't pose as our words.
    return ascii(str(text)) if not str(text).isprintable() else f"“{text}”"


def _of(by: str, subject) -> str:
    return {"tier": f" of tier {_quoted(subject)}", "model": f" of model {_quoted(subject)}"}.get(by, "")


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.1f}x" if base else "above"


def _z(z: float) -> str:
    return "unbounded" if math.isinf(z) else f"{z:.1f}"


def _age(minutes: float) -> str:
    if minutes < 120:
        return f"{minutes:.0f} minutes"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} hours"
    return f"{minutes / 1440:.1f} days"


def _when(ms: float) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _int(value: float | None) -> int | float | None:
    return int(value) if value is not None and float(value).is_integer() else value
