"""The Plan: past traffic re-run under a scenario (caps, then swaps, then prices), beside the actuals.

- Cap N on a tier: each install's calls on that tier (each call's own tier) in a calendar month
  (UTC), in ts order (ties in log order); after its N-th credit-charged call, every later call
  on the tier that month is refused: it costs nothing. The relay would still log the refused
  call, so the install stays a subscriber: revenue is unchanged (refusals earn nothing extra).
- Swap: each call matching its tier, pipeline (None: all) and model, not refused by a cap, is
  re-costed with the target model's rates and its own token counts. Swaps apply in order; a call
  moves at most once (the first swap that matches its logged model). A call without token
  counts keeps its cost (there is nothing to re-cost).
- Prices: revenue by the activity revenue rule (revenue.py) with the scenario's prices.
Figures per tier come from one function, `tier_figures`, for the actuals and the scenario alike.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from relay_metrics.ingest.schema import TOKEN_FIELDS
from relay_metrics.metrics import revenue
from relay_metrics.metrics.figures import DEFAULT_TIER, UNKNOWN
from relay_metrics.metrics.pricing import Pricing
from relay_metrics.metrics.rates import RateTable, cost_of, learn_rates
from relay_metrics.metrics.scenario import Scenario, Swap, check_scenario

UNATTRIBUTED = "unattributed"
MONEY = ("revenue_usd", "cost_usd", "margin_usd", "margin_pct")


@dataclass(frozen=True)
class Range:
    """[since, until'] of a plan: until' is already min(until, the log's newest record)."""

    since_ms: float | None
    until_ms: float
    oldest_ts: float  # the log's oldest record, for tiers with configured subscribers


@dataclass(frozen=True)
class TierFigures:
    by_tier: pd.DataFrame  # tier, installs, revenue_usd, cost_usd, margin_usd, margin_pct (+ unattributed row)
    by_install: pd.DataFrame  # install_id, tier, revenue_usd, cost_usd, margin_usd


def tier_figures(
    frame: pd.DataFrame, cost: np.ndarray, covered: pd.DataFrame, pricing: Pricing, span: Range
) -> TierFigures:
    """Revenue, cost and margin per tier by the revenue rule.

    `frame` holds the calls of [since, until'] and `cost` their cost (actual or scenario);
    `covered` is revenue.coverage() of the calls from P before since on. An install's cost
    counts in the tier it is attributed to (its latest call at or before until'); calls
    without an install id are the unattributed row.
    """
    installs = revenue.revenue_by_install(covered, pricing.price, span.since_ms, span.until_ms)
    # factorize + bincount, not groupby/merge: pandas would infer a str type for the keys,
    # which can't hold a lone surrogate (log strings may).
    codes, labels = pd.factorize(pd.Series(revenue.keys_of(frame["install_id"], UNKNOWN), dtype=object))
    return _figures(installs, codes, np.asarray(labels, dtype=object), cost, pricing, span)


def _figures(
    installs: pd.DataFrame, codes: np.ndarray, labels: np.ndarray, cost: np.ndarray, pricing: Pricing, span: Range
) -> TierFigures:
    """tier_figures() from revenue_by_install's rows and the calls' install codes (kept per range)."""
    installs = installs.copy()
    sums = dict(zip(labels, np.bincount(codes, weights=cost, minlength=len(labels)).tolist()))
    unattributed = sums.pop(UNKNOWN, 0.0)
    installs["cost_usd"] = np.array([sums.get(i, 0.0) for i in installs["install_id"]], dtype=float)
    installs["margin_usd"] = installs["revenue_usd"] - installs["cost_usd"]
    tier_codes, tier_names = pd.factorize(installs["tier"])
    position = {tier: i for i, tier in enumerate(tier_names)}
    counts = np.bincount(tier_codes, minlength=len(tier_names))
    revenues = np.bincount(tier_codes, weights=installs["revenue_usd"].to_numpy(), minlength=len(tier_names))
    costs = np.bincount(tier_codes, weights=installs["cost_usd"].to_numpy(), minlength=len(tier_names))
    rows = []
    for tier in dict.fromkeys([*pricing.tiers, *sorted(tier_names)]):
        at = position.get(tier)
        configured = pricing.tiers.get(tier)
        if configured is not None and configured.subscribers is not None:
            income = revenue.configured_revenue(
                configured.subscribers, configured.price_per_month, span.since_ms, span.until_ms, span.oldest_ts
            )
        else:
            income = 0.0 if at is None else float(revenues[at])
        cost_of_tier = 0.0 if at is None else float(costs[at])
        rows.append(_row(tier, 0 if at is None else int(counts[at]), income, cost_of_tier))
    if unattributed:
        rows.append(_row(UNATTRIBUTED, 0, 0.0, unattributed))
    by_tier = table_of(rows, ["tier", "installs", *MONEY])
    return TierFigures(by_tier, installs[["install_id", "tier", "revenue_usd", "cost_usd", "margin_usd"]])


def _row(tier: str, installs: int, income: float, cost: float) -> list:
    margin = income - cost
    return [tier, installs, income, cost, margin, margin / income * 100 if income else None]


@dataclass(frozen=True)
class Plan:
    rates: RateTable
    by_tier: pd.DataFrame  # tier, installs, actual_* and scenario_* money, to_profit, to_loss
    caps: pd.DataFrame  # tier, cap, installs_affected, calls_refused, jobs_refused, cost_saved_usd
    swaps: list[dict]  # per swap: its levers, calls, cost_before_usd, cost_after_usd, by_tier rows
    total: dict

    def for_tiers(self, tiers: tuple[str, ...] | None) -> Plan:
        """Only these tiers' rows (None: all), the total over them; "unknown" keeps unattributed."""
        if tiers is None:
            return self
        wanted = set(tiers) | ({UNATTRIBUTED} if UNKNOWN in tiers else set())
        by_tier = self.by_tier[self.by_tier["tier"].isin(wanted)].reset_index(drop=True)
        caps = self.caps[self.caps["tier"].isin(wanted)].reset_index(drop=True)
        return Plan(self.rates, by_tier, caps, self.swaps, _total(by_tier))

    def to_dict(self) -> dict:
        return {
            "rates": self.rates.to_records(),
            "by_tier": _records(self.by_tier),
            "caps": _records(self.caps),
            "swaps": [{**s, "by_tier": _records(s["by_tier"])} for s in self.swaps],
            "total": self.total,
        }


@dataclass(frozen=True)
class Calls:
    """A range's calls keyed once, with the actual figures: what every scenario re-uses."""

    context: pd.DataFrame  # from P (or the month's start) before since through until', log order
    span: Range
    pricing: Pricing
    rates: RateTable
    in_range: np.ndarray
    cost: np.ndarray  # actual cost_usd, missing as 0
    tier: np.ndarray  # keys: a missing tier is "core", as the revenue rule
    install: np.ndarray
    pipeline: np.ndarray
    model: np.ndarray
    covered: pd.DataFrame  # revenue.coverage() of the context
    revenue: pd.DataFrame  # revenue_by_install at the file's prices
    install_codes: np.ndarray  # of the in-range calls
    install_labels: np.ndarray
    actual: TierFigures


def prepare(context: pd.DataFrame, pricing: Pricing, span: Range) -> Calls:
    """Key the calls and measure the actuals; rates are learnt from the range's calls.

    `context` holds every call from at least P before since (and from the start of since's UTC
    month, which caps count from) through until'; rows in log order."""
    ts = context["ts"].to_numpy(dtype=float)
    since = -np.inf if span.since_ms is None else span.since_ms
    in_range = (ts >= since) & (ts <= span.until_ms)
    context = context if (ts <= span.until_ms).all() else context[ts <= span.until_ms]
    in_range = in_range[ts <= span.until_ms]
    cost = np.nan_to_num(context["cost_usd"].to_numpy(dtype=float))
    install = revenue.keys_of(context["install_id"], UNKNOWN)
    covered = revenue.coverage(context)
    installs = revenue.revenue_by_install(covered, pricing.price, span.since_ms, span.until_ms)
    codes, labels = pd.factorize(pd.Series(install[in_range], dtype=object))
    labels = np.asarray(labels, dtype=object)
    actual = _figures(installs, codes, labels, cost[in_range], pricing, span)
    return Calls(
        context,
        span,
        pricing,
        learn_rates(context[in_range], pricing),
        in_range,
        cost,
        revenue.keys_of(context["tier"], DEFAULT_TIER),
        install,
        revenue.keys_of(context["pipeline"], UNKNOWN),
        revenue.keys_of(context["model"], UNKNOWN),
        covered,
        installs,
        codes,
        labels,
        actual,
    )


def simulate(calls: Calls, scenario: Scenario) -> Plan:
    """Actual vs scenario figures over [since, until']: caps, then swaps, then prices."""
    refused, caps = apply_caps(calls, scenario.caps)
    cost = np.where(refused, 0.0, calls.cost)
    cost, swaps = apply_swaps(calls, scenario.swaps, refused, cost)
    pricing = calls.pricing.with_prices(scenario.prices) if scenario.prices else calls.pricing
    span = calls.span
    installs = (
        revenue.revenue_by_install(calls.covered, pricing.price, span.since_ms, span.until_ms)
        if scenario.prices
        else calls.revenue
    )
    planned = _figures(installs, calls.install_codes, calls.install_labels, cost[calls.in_range], pricing, span)
    by_tier = _side_by_side(calls.actual, planned)
    return Plan(calls.rates, by_tier, caps, swaps, _total(by_tier))


def apply_caps(calls: Calls, caps: dict[str, int]) -> tuple[np.ndarray, pd.DataFrame]:
    """Which calls the caps refuse (over all the context), and per tier what that means in range."""
    context, in_range, cost = calls.context, calls.in_range, calls.cost
    refused = np.zeros(len(context), dtype=bool)
    if caps:
        tiers, ids = calls.tier, calls.install
        month = (
            np.floor(context["ts"].to_numpy(dtype=float))
            .astype("int64")
            .astype("datetime64[ms]")
            .astype("datetime64[M]")
            .astype("int64")
        )
        credit = np.nan_to_num(context["credit_charged"].to_numpy(dtype=float)) > 0
        ts = context["ts"].to_numpy(dtype=float)
        for tier, cap in caps.items():
            rows = np.flatnonzero((tiers == tier) & (ids != UNKNOWN))
            if not len(rows):
                continue
            install, _ = pd.factorize(pd.Series(ids[rows], dtype=object))
            # By install, month, ts; lexsort is stable, so equal ts keep their log order.
            sort = np.lexsort((ts[rows], month[rows], install))
            order, inst, mon = rows[sort], install[sort], month[rows][sort]
            first = np.r_[True, (inst[1:] != inst[:-1]) | (mon[1:] != mon[:-1])]
            charged = credit[order].astype(np.int64)
            earlier = np.cumsum(charged) - charged  # credit-charged calls before this one, overall
            starts = np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
            before = earlier - earlier[starts]  # ... in its own install and month
            refused[order[before >= cap]] = True
    newly = refused & in_range & ~(context["status"] == "refused").to_numpy(dtype=bool, na_value=False)
    table_rows: list[list] = []
    tiers = calls.tier
    jobs = context["job_id"].astype(object).to_numpy()
    for tier, cap in caps.items():
        hit = newly & (tiers == tier)
        job_ids = {j for j in jobs[hit] if isinstance(j, str) and j}
        installs = set(calls.install[hit])
        table_rows.append([tier, cap, len(installs), int(hit.sum()), len(job_ids), float(cost[hit].sum())])
    table = table_of(
        table_rows, ["tier", "cap", "installs_affected", "calls_refused", "jobs_refused", "cost_saved_usd"]
    )
    return refused, table


def apply_swaps(
    calls: Calls, swaps: tuple[Swap, ...], refused: np.ndarray, cost: np.ndarray
) -> tuple[np.ndarray, list[dict]]:
    """`cost` with the swapped calls re-costed, and per swap (and tier) what moved."""
    cost = cost.copy()
    if not swaps:
        return cost, []
    context, in_range, rates = calls.context, calls.in_range, calls.rates
    tiers, pipelines, models = calls.tier, calls.pipeline, calls.model
    has_tokens = ~np.isnan(np.column_stack([context[f].to_numpy(dtype=float) for f in TOKEN_FIELDS])).all(axis=1)
    ok = (context["status"] == "success").to_numpy(dtype=bool, na_value=False) & in_range
    duration = context["duration_ms"].to_numpy(dtype=float)
    moved = refused.copy()  # a refused call can't move, and a moved call moves once
    results = []
    for swap in swaps:
        target = rates.rates(swap.to_model)
        hit = ~moved & in_range & (models == swap.from_model) & has_tokens
        if swap.tier is not None:
            hit &= tiers == swap.tier
        if swap.pipeline is not None:
            hit &= pipelines == swap.pipeline
        moved |= hit
        before = cost.copy()
        if target is not None:
            cost[hit] = cost_of(context[hit], target)
        rows = []
        for tier, pipeline in sorted(set(zip(tiers[hit], pipelines[hit]))):
            part = hit & (tiers == tier) & (pipelines == pipeline)
            speed = ok & (models == swap.to_model) & (pipelines == pipeline)
            own = speed & (tiers == tier)
            basis = own if own.any() else speed
            measured = duration[basis & ~np.isnan(duration)]
            was = duration[ok & part & ~np.isnan(duration)]
            rows.append(
                {
                    "tier": tier,
                    "pipeline": pipeline,
                    "calls": int(part.sum()),
                    "cost_before_usd": float(before[part].sum()),
                    "cost_after_usd": float(cost[part].sum()),
                    "from_p50_duration_ms": float(np.median(was)) if len(was) else None,
                    "to_p50_duration_ms": float(np.median(measured)) if len(measured) else None,
                    "to_duration_basis": "this tier" if own.any() else "all tiers" if speed.any() else None,
                }
            )
        results.append(
            {
                "tier": swap.tier,
                "pipeline": swap.pipeline,
                "from": swap.from_model,
                "to": swap.to_model,
                "calls": int(hit.sum()),
                "cost_before_usd": float(before[hit].sum()),
                "cost_after_usd": float(cost[hit].sum()),
                "by_tier": table_of([[row[name] for name in _SWAP_ROW] for row in rows], _SWAP_ROW),
            }
        )
    return cost, results


_SWAP_ROW = [
    "tier",
    "pipeline",
    "calls",
    "cost_before_usd",
    "cost_after_usd",
    "from_p50_duration_ms",
    "to_p50_duration_ms",
    "to_duration_basis",
]


def _side_by_side(actual: TierFigures, planned: TierFigures) -> pd.DataFrame:
    """One row per tier: actual_* and scenario_* money, and how many installs change sides."""
    left = {row[0]: row for row in actual.by_tier.itertuples(index=False)}
    right = {row[0]: row for row in planned.by_tier.itertuples(index=False)}
    # Both come from the same installs in the same order (revenue_by_install sorts by id).
    was = actual.by_install["margin_usd"].to_numpy()
    now = planned.by_install["margin_usd"].to_numpy()
    tiers = actual.by_install["tier"].to_numpy(dtype=object)
    to_profit = Counter(tiers[(was < 0) & (now >= 0)].tolist())
    to_loss = Counter(tiers[(was >= 0) & (now < 0)].tolist())
    rows = []
    for tier in dict.fromkeys([*left, *right]):
        a, b = left.get(tier), right.get(tier)
        installs = a[1] if a is not None else b[1] if b is not None else 0
        money_a = list(a[2:]) if a else [0.0, 0.0, 0.0, None]
        money_b = list(b[2:]) if b else [0.0, 0.0, 0.0, None]
        rows.append([tier, installs, *money_a, *money_b, to_profit.get(tier, 0), to_loss.get(tier, 0)])
    columns = ["tier", "installs", *(f"actual_{m}" for m in MONEY), *(f"scenario_{m}" for m in MONEY)]
    return table_of(rows, [*columns, "installs_to_profit", "installs_to_loss"])


def table_of(rows: list[list], columns: list[str]) -> pd.DataFrame:
    """A frame from rows, text columns as objects: pandas' inferred str type can't hold a lone
    surrogate, which a tier, model or pipeline from the log may."""
    values = list(zip(*rows)) if rows else [()] * len(columns)
    data = {}
    for name, column in zip(columns, values):
        text = any(isinstance(v, str) for v in column) or (not rows and name in _TEXT_COLUMNS)
        data[name] = pd.Series(list(column), dtype=object if text else None)
    return pd.DataFrame(data, columns=columns)


_TEXT_COLUMNS = {"tier", "pipeline", "model", "source", "flags", "to_duration_basis"}


def _total(by_tier: pd.DataFrame) -> dict:
    total: dict = {"installs": int(by_tier["installs"].sum())}
    for side in ("actual", "scenario"):
        income = float(by_tier[f"{side}_revenue_usd"].sum())
        cost = float(by_tier[f"{side}_cost_usd"].sum())
        total[f"{side}_revenue_usd"] = income
        total[f"{side}_cost_usd"] = cost
        total[f"{side}_margin_usd"] = income - cost
        total[f"{side}_margin_pct"] = (income - cost) / income * 100 if income else None
    total["installs_to_profit"] = int(by_tier["installs_to_profit"].sum())
    total["installs_to_loss"] = int(by_tier["installs_to_loss"].sum())
    return total


def check(scenario: Scenario, calls: Calls) -> None:
    """check_scenario against this log and pricing file (raises ScenarioError)."""
    tiers = set(calls.tier) | set(calls.pricing.tiers)
    pipelines = set(calls.pipeline) - {UNKNOWN}
    log_models = set(calls.model) - {UNKNOWN}
    check_scenario(scenario, tiers, pipelines, log_models, set(calls.rates.models()) | set(calls.pricing.models))


def context_since(since_ms: float | None) -> float | None:
    """How far back a plan reads: P before since for coverage, and the start of since's UTC
    month, which a cap counts credits from."""
    if since_ms is None:
        return None
    month = np.datetime64(int(since_ms), "ms").astype("datetime64[M]").astype("datetime64[ms]").astype("int64")
    return float(min(since_ms - revenue.PERIOD_MS, month))


def _records(frame: pd.DataFrame) -> list[dict]:
    out = []
    for row in frame.to_dict(orient="records"):
        out.append({key: _plain(value) for key, value in row.items()})
    return out


def _plain(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    return value


def plan_for(context: pd.DataFrame, pricing: Pricing, scenario: Scenario, span: Range) -> Plan:
    """prepare(), the scenario checked against the log, then simulate().

    Raises ScenarioError naming what the scenario gets wrong."""
    calls = prepare(context, pricing, span)
    check(scenario, calls)
    return simulate(calls, scenario)
