"""Growth: MRR per day, its movements per month, and cohorts with what they cost.

Who pays what, when, comes as paid intervals (install_id, tier, start_ms, end_ms, monthly_usd):
from the activity rule (revenue.coverage: each call covers [t_k, min(t_{k+1}, t_k + P)) at the
monthly price of its own tier) or from a billing export (billing.Billing.paying()).

- A day (UTC) is read at its last millisecond, 23:59:59.999, or at until' (the range's end,
  never past the log's newest record) for the day holding until'. An install is a subscriber
  on that day when an interval covers that instant (start <= instant < end), and pays the
  monthly amounts of the intervals covering it. MRR of the day = the sum over installs.
  So an install counts from the day of its first call, and a coverage that ends at 10:00 is
  gone from that day on.
- Movements compare each day with the day before (the day before the log holds nothing):
  new (covered for the first time), reactivation (covered again after a day without),
  churn (covered the day before, not now: minus its MRR), expansion and contraction (covered
  both days, monthly amount up or down). Per calendar month (UTC) within the range:
  MRR at the end of the day before the month's first day + new + expansion + contraction +
  churn + reactivation = MRR at the end of its last day. Amounts are summed in whole
  micro-dollars, so the bridge holds exactly, not nearly.
- Cohorts: installs by the month (UTC) of their first call, for first calls inside the range.
  Per month after, the share subscribed at that month's last instant, and the cohort's
  revenue (monthly / P x paid time) and cost (its calls' cost_usd) cumulated from its start.
  It has paid back in the first month where revenue >= cost.
History matters (is a return a reactivation? which month is a cohort?), so growth reads the
log from its first record, not only from P before `since`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from relay_metrics.metrics.billing import FROM_BILLING, Billing, unmatched
from relay_metrics.metrics.figures import DEFAULT_TIER, UNKNOWN
from relay_metrics.metrics.pricing import Pricing
from relay_metrics.metrics.revenue import PERIOD_MS, coverage, effective_until
from relay_metrics.metrics.zones import MS_PER_DAY

FROM_ACTIVITY = "estimated from activity"
MOVEMENTS = ("new", "expansion", "contraction", "churn", "reactivation")
_MICRO = 1_000_000
_DAY64 = np.timedelta64(1, "D")


def activity_intervals(
    frame: pd.DataFrame, price: Callable[[str], float], covered: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The activity rule's paid intervals: one per call with an install id. `covered`:
    coverage(frame), when the caller keeps it (it is most of the work on a big log)."""
    ids = frame["install_id"]
    if not (ids.notna() & (ids != "")).any():  # no subscriber at all
        empty = pd.Series([], dtype=object)
        return pd.DataFrame({"install_id": empty, "tier": empty, "start_ms": [], "end_ms": [], "monthly_usd": []})
    if covered is None:
        covered = coverage(frame)
    codes, names = pd.factorize(covered["tier"])
    rates = np.array([price(tier) for tier in names] + [0.0], dtype=float)[codes]
    return covered.assign(monthly_usd=rates)


@dataclass(frozen=True)
class Growth:
    source: str  # FROM_ACTIVITY or billing.FROM_BILLING
    since_ms: float | None
    until_ms: float | None  # until': the range's end, never past the log's newest record
    mrr: pd.DataFrame  # date, mrr_usd, subscribers
    mrr_by_tier: pd.DataFrame  # date, tier, mrr_usd
    movements: pd.DataFrame  # month, start, end, opening_mrr_usd, <kind>_usd..., closing_mrr_usd, counts
    monthly: pd.DataFrame  # month, revenue_usd, cost_usd, margin_usd (calendar months within the range)
    cohorts: pd.DataFrame  # cohort, installs, revenue_usd, cost_usd, margin_usd, paid_back, months_to_payback
    retention: pd.DataFrame  # cohort, months_later, month, subscribed, subscribed_share, cumulative_*_usd, partial

    def to_dict(self) -> dict:
        by_day: dict[str, dict] = {}
        for row in self.mrr_by_tier.itertuples(index=False):
            by_day.setdefault(row.date, {})[row.tier] = float(row.mrr_usd)
        mrr = [
            {
                "date": row.date,
                "mrr_usd": float(row.mrr_usd),
                "subscribers": int(row.subscribers),
                "by_tier": by_day.get(row.date, {}),
            }
            for row in self.mrr.itertuples(index=False)
        ]
        cohorts = _records(self.cohorts)
        for cohort in cohorts:
            rows = self.retention[self.retention["cohort"] == cohort["cohort"]].drop(columns=["cohort"])
            cohort["months"] = _records(rows)
        return {
            "revenue_source": self.source,
            "since_ms": _plain(self.since_ms),
            "until_ms": _plain(self.until_ms),
            "mrr": mrr,
            "movements": _records(self.movements),
            "monthly": _records(self.monthly),
            "cohorts": cohorts,
        }


def growth(
    frame: pd.DataFrame,
    intervals: pd.DataFrame,
    source: str,
    since_ms: float | None,
    until_ms: float | None,
    tiers: tuple[str, ...] | None = None,
) -> Growth:
    """Growth over [since, until'] from `frame` (every call from the log's first record through
    `until`) and paid `intervals` (activity_intervals, or a billing export's paying()).

    `tiers` keeps the installs attributed to those tiers (the tier of their latest interval
    started at or before until', else of their latest call), as margins do; calls without an
    install id count as cost only when no tier filter is set or "unknown" is in it.
    """
    if frame.empty:
        return _empty(source, since_ms)
    ts = frame["ts"].to_numpy(dtype=float)
    until_ = effective_until(until_ms, float(ts.max()))
    # Installs are numbered over the intervals' ids and the log's distinct ids: the calls map
    # through their (few) distinct values, not one hash per row.
    distinct, per_call = _distinct(frame["install_id"])
    named = distinct != UNKNOWN
    all_ids = np.concatenate([intervals["install_id"].to_numpy(dtype=object), distinct[named]])
    codes, labels = pd.factorize(pd.Series(all_ids, dtype=object))
    n_installs = len(labels)
    iv_code = codes[: len(intervals)]
    code_of_distinct = np.full(len(distinct) + 1, -1)
    code_of_distinct[np.flatnonzero(named)] = codes[len(intervals) :]
    call_code = code_of_distinct[per_call]
    has_id = call_code >= 0

    # Each install's tier: its latest interval started by until', else its latest call's.
    iv_start = intervals["start_ms"].to_numpy(dtype=float)
    iv_end = intervals["end_ms"].to_numpy(dtype=float)
    iv_tier = intervals["tier"].to_numpy(dtype=object)
    tier_of = np.full(n_installs, None, dtype=object)
    tiers_distinct, tier_index = _distinct(frame["tier"], DEFAULT_TIER)
    call_tier = tiers_distinct[tier_index]
    for code, tier, when, limit in ((call_code, call_tier, ts, has_id), (iv_code, iv_tier, iv_start, None)):
        rows = np.flatnonzero((when <= until_) if limit is None else (limit & (when <= until_)))
        latest = _latest_rows(code, when, rows, n_installs)
        found = latest >= 0
        tier_of[found] = tier[latest[found]]  # intervals, second, overwrite calls
    kept = np.ones(n_installs, dtype=bool) if tiers is None else np.isin(tier_of.astype(str), list(tiers))
    keep_unattributed = tiers is None or UNKNOWN in tiers
    iv_keep = kept[iv_code] & (iv_start <= until_) & (iv_end > iv_start)
    call_keep = (ts <= until_) & np.r_[kept, keep_unattributed][call_code]  # code -1: no install id

    # The days: from the first day anything happened, each read at its last ms (or until').
    first_ms = min(ts.min(), iv_start[iv_keep].min() if iv_keep.any() else math.inf)
    first_day = np.datetime64(int(first_ms // MS_PER_DAY), "D")
    last_day = np.datetime64(int(until_ // MS_PER_DAY), "D")
    days = np.arange(first_day, last_day + _DAY64, _DAY64)
    n = len(days)
    instant = np.minimum((days.astype(np.int64) + 1) * MS_PER_DAY - 1, until_).astype(float)
    lo = np.searchsorted(instant, iv_start, "left")
    hi = np.searchsorted(instant, iv_end, "left")
    iv_keep &= lo < hi
    lo, hi, icode = lo[iv_keep], hi[iv_keep], iv_code[iv_keep]
    micro = np.rint(intervals["monthly_usd"].to_numpy(dtype=float)[iv_keep] * _MICRO).astype(np.int64)
    tier_codes, tier_names = pd.factorize(pd.Series(iv_tier[iv_keep], dtype=object))

    # MRR by tier per day: +amount where an interval starts covering, -amount where it stops.
    diff = np.zeros((len(tier_names), n + 1), dtype=np.int64)
    np.add.at(diff, (tier_codes, lo), micro)
    np.add.at(diff, (tier_codes, hi), -micro)
    mrr_tier = np.cumsum(diff[:, :n], axis=1)
    mrr_total = mrr_tier.sum(axis=0) if len(tier_names) else np.zeros(n, dtype=np.int64)

    events = _install_events(icode, lo, hi, micro, n)
    kinds = {kind: np.zeros(n, dtype=np.int64) for kind in MOVEMENTS}
    counts = {kind: np.zeros(n, dtype=np.int64) for kind in MOVEMENTS}
    for kind in MOVEMENTS:
        amount = events[kind]
        np.add.at(kinds[kind], events["day"], amount)
        np.add.at(counts[kind], events["day"], events[f"{kind}_hit"].astype(np.int64))
    subscribers = np.cumsum(counts["new"] + counts["reactivation"] - counts["churn"])

    since_day = first_day if since_ms is None else np.datetime64(int(float(since_ms) // MS_PER_DAY), "D")
    start_index = max(int((since_day - first_day) // _DAY64), 0)
    shown = np.arange(start_index, n)
    dates = days.astype(str)
    mrr = pd.DataFrame(
        {
            "date": pd.Series(dates[shown], dtype=object),
            "mrr_usd": mrr_total[shown] / _MICRO,
            "subscribers": subscribers[shown],
        }
    )
    active_tiers = [t for t in range(len(tier_names)) if mrr_tier[t, shown].any()]
    mrr_by_tier = pd.DataFrame(
        {
            "date": pd.Series(np.tile(dates[shown], len(active_tiers)), dtype=object),
            "tier": pd.Series(np.repeat(np.asarray(tier_names, dtype=object)[active_tiers], len(shown)), dtype=object),
            "mrr_usd": mrr_tier[active_tiers][:, shown].reshape(-1) / _MICRO if active_tiers else np.zeros(0),
        }
    )

    month_of_day = days.astype("datetime64[M]")
    movements, monthly = _months(
        shown,
        days,
        month_of_day,
        mrr_total,
        kinds,
        counts,
        (iv_start, iv_end, iv_keep, intervals, iv_code),
        ts,
        call_keep,
        frame,
        since_ms,
        until_,
    )
    cohorts, retention = _cohorts(
        n_installs,
        kept,
        call_code,
        ts,
        frame,
        events,
        n,
        instant,
        days,
        since_ms,
        until_,
        iv_start[iv_keep],
        iv_end[iv_keep],
        intervals["monthly_usd"].to_numpy(dtype=float)[iv_keep],
        icode,
    )
    return Growth(source, since_ms, until_, mrr, mrr_by_tier, movements, monthly, cohorts, retention)


def _latest_rows(code: np.ndarray, when: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    """Per code, the one of `rows` with the latest `when`, a tie to the later row; -1 for a
    code without rows. Two passes, no sort: a sort of every call took seconds on 10M rows."""
    latest_when = np.full(n, -np.inf)
    np.maximum.at(latest_when, code[rows], when[rows])
    ties = rows[when[rows] == latest_when[code[rows]]]
    latest = np.full(n, -1, dtype=np.int64)
    np.maximum.at(latest, code[ties], ties)
    return latest


def _install_events(code: np.ndarray, lo: np.ndarray, hi: np.ndarray, micro: np.ndarray, n: int) -> dict:
    """Each install's changes of state, one row per (install, day) where one happens, with
    the movement it makes (amounts in micro-dollars) and whether the install is covered after."""
    ends = hi < n  # an interval still covering the last day never stops within the days
    ev_code = np.concatenate([code, code[ends]])
    ev_day = np.concatenate([lo, hi[ends]])
    ev_count = np.concatenate([np.ones(len(code), dtype=np.int64), -np.ones(int(ends.sum()), dtype=np.int64)])
    ev_micro = np.concatenate([micro, -micro[ends]])
    keys, inverse = np.unique(ev_code.astype(np.int64) * (n + 1) + ev_day, return_inverse=True)
    d_count = np.zeros(len(keys), dtype=np.int64)
    d_micro = np.zeros(len(keys), dtype=np.int64)
    np.add.at(d_count, inverse, ev_count)
    np.add.at(d_micro, inverse, ev_micro)
    install, day = keys // (n + 1), keys % (n + 1)
    count_after = _running(d_count, install)
    micro_after = _running(d_micro, install)
    was, now = count_after - d_count > 0, count_after > 0
    micro_before = micro_after - d_micro
    starts = ~was & now
    first = starts & (_running(starts.astype(np.int64), install) == 1)
    stays = was & now
    delta = micro_after - micro_before
    zero = np.zeros(len(keys), dtype=np.int64)
    hits = {
        "new": first,
        "reactivation": starts & ~first,
        "churn": was & ~now,
        "expansion": stays & (delta > 0),
        "contraction": stays & (delta < 0),
    }
    amounts = {
        "new": np.where(first, micro_after, zero),
        "reactivation": np.where(starts & ~first, micro_after, zero),
        "churn": np.where(was & ~now, -micro_before, zero),
        "expansion": np.where(hits["expansion"], delta, zero),
        "contraction": np.where(hits["contraction"], delta, zero),
    }
    return {"install": install, "day": day, "covered": now, **amounts, **{f"{k}_hit": v for k, v in hits.items()}}


def _running(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Cumulative sum of `values` within each run of equal (sorted) `group`."""
    total = np.cumsum(values)
    first = np.r_[True, group[1:] != group[:-1]] if len(group) else np.zeros(0, dtype=bool)
    run = np.cumsum(first) - 1
    before = (total - values)[first]
    return total - before[run] if len(group) else total


def _months(shown, days, month_of_day, mrr_total, kinds, counts, iv, ts, call_keep, frame, since_ms, until_):
    iv_start, iv_end, iv_keep, intervals, _ = iv
    monthly_usd = intervals["monthly_usd"].to_numpy(dtype=float)[iv_keep]
    start, end = iv_start[iv_keep], iv_end[iv_keep]
    cost = np.nan_to_num(pd.to_numeric(frame["cost_usd"], errors="coerce").to_numpy(dtype=float))
    since = -math.inf if since_ms is None else float(since_ms)
    in_range = call_keep & (ts >= since)
    call_month = ts.astype("datetime64[ms]").astype("datetime64[M]")
    rows, money = [], []
    if not len(shown):
        return _frame(rows, _MOVEMENT_COLUMNS), _frame(money, _MONTHLY_COLUMNS)
    months = month_of_day[shown]
    breaks = np.flatnonzero(np.r_[True, months[1:] != months[:-1]])
    for i, a_pos in enumerate(breaks):
        b_pos = (breaks[i + 1] if i + 1 < len(breaks) else len(shown)) - 1
        a, b = int(shown[a_pos]), int(shown[b_pos])
        opening = int(mrr_total[a - 1]) if a > 0 else 0
        row = {"month": str(months[a_pos]), "first_day": str(days[a]), "last_day": str(days[b])}
        row["opening_mrr_usd"] = opening / _MICRO
        for kind in MOVEMENTS:
            row[f"{kind}_usd"] = int(kinds[kind][a : b + 1].sum()) / _MICRO
        row["closing_mrr_usd"] = int(mrr_total[b]) / _MICRO
        row["net_change_usd"] = (int(mrr_total[b]) - opening) / _MICRO
        for kind in MOVEMENTS:
            row[f"{kind}_installs"] = int(counts[kind][a : b + 1].sum())
        rows.append(row)
        month = months[a_pos]
        t0 = max(float(month.astype("datetime64[ms]").astype(np.int64)), since)
        t1 = min(float((month + 1).astype("datetime64[ms]").astype(np.int64)), until_)
        overlap = np.clip(np.minimum(end, t1) - np.maximum(start, t0), 0.0, None)
        revenue = float((monthly_usd / PERIOD_MS * overlap).sum())
        spent = float(cost[in_range & (call_month == month)].sum())
        money.append({"month": str(month), "revenue_usd": revenue, "cost_usd": spent, "margin_usd": revenue - spent})
    return _frame(rows, _MOVEMENT_COLUMNS), _frame(money, _MONTHLY_COLUMNS)


def _cohorts(
    n_installs, kept, call_code, ts, frame, events, n, instant, days, since_ms, until_, start, end, monthly, icode
):
    has = call_code >= 0
    first_call = np.full(n_installs, math.inf)
    np.minimum.at(first_call, call_code[has], ts[has])
    since = -math.inf if since_ms is None else float(since_ms)
    member = kept & np.isfinite(first_call) & (first_call >= since) & (first_call <= until_)
    if not member.any():
        return _frame([], _COHORT_COLUMNS), _frame([], _RETENTION_COLUMNS)
    cohort_month = np.full(n_installs, np.datetime64("NaT"), dtype="datetime64[M]")
    cohort_month[member] = first_call[member].astype("datetime64[ms]").astype("datetime64[M]")
    months = np.arange(cohort_month[member].min(), np.datetime64(int(until_), "ms").astype("datetime64[M]") + 1)
    # Each month is read at its last day's instant (until' in the month holding it).
    last_days = np.minimum((months + 1).astype("datetime64[D]") - _DAY64, days[-1])
    checkpoints = ((last_days - days[0]) // _DAY64).astype(np.int64)
    at = instant[checkpoints]
    partial = at < ((months + 1).astype("datetime64[ms]").astype(np.int64) - 1)
    c = len(months)

    # Covered at each checkpoint: each install's state holds from one event to its next.
    install, day, covered = events["install"], events["day"], events["covered"]
    next_day = np.r_[day[1:], n]
    next_day[np.r_[install[1:] != install[:-1], True]] = n
    rows = np.flatnonzero(covered)
    a = np.searchsorted(checkpoints, day[rows], "left")
    b = np.searchsorted(checkpoints, next_day[rows], "left")
    diff = np.zeros((n_installs, c + 1), dtype=np.int64)
    np.add.at(diff, (install[rows], a), 1)
    np.add.at(diff, (install[rows], b), -1)
    subscribed = np.cumsum(diff[:, :c], axis=1) > 0

    rate = monthly / PERIOD_MS
    revenue = np.stack(
        [
            np.bincount(icode, weights=rate * np.clip(np.minimum(end, x) - start, 0.0, None), minlength=n_installs)
            for x in at
        ],
        axis=1,
    )
    cost_col = np.nan_to_num(pd.to_numeric(frame["cost_usd"], errors="coerce").to_numpy(dtype=float))
    bucket = np.searchsorted(at, ts[has], "left")
    inside = bucket < c
    cost = np.bincount(
        call_code[has][inside] * c + bucket[inside], weights=cost_col[has][inside], minlength=n_installs * c
    ).reshape(n_installs, c)
    cost = np.cumsum(cost, axis=1)

    summary, triangle = [], []
    for month in np.unique(cohort_month[member]):
        who = member & (cohort_month == month)
        size = int(who.sum())
        offset = int((month - months[0]) // np.timedelta64(1, "M"))
        paid_back, months_to = None, None
        for k in range(c - offset):
            col = offset + k
            rev, spent = float(revenue[who, col].sum()), float(cost[who, col].sum())
            count = int(subscribed[who, col].sum())
            triangle.append(
                {
                    "cohort": str(month),
                    "months_later": k,
                    "month": str(months[col]),
                    "subscribed": count,
                    "subscribed_share": count / size,
                    "cumulative_revenue_usd": rev,
                    "cumulative_cost_usd": spent,
                    "partial": bool(partial[col]),
                }
            )
            if paid_back is None and rev >= spent:
                paid_back, months_to = str(months[col]), k
        last = triangle[-1]
        revenue_usd, cost_usd = last["cumulative_revenue_usd"], last["cumulative_cost_usd"]
        summary.append(
            {
                "cohort": str(month),
                "installs": size,
                "revenue_usd": revenue_usd,
                "cost_usd": cost_usd,
                "margin_usd": revenue_usd - cost_usd,
                "paid_back": paid_back,
                "months_to_payback": months_to,
            }
        )
    return _frame(summary, _COHORT_COLUMNS), _frame(triangle, _RETENTION_COLUMNS)


_MOVEMENT_COLUMNS = [
    "month",
    "first_day",
    "last_day",
    "opening_mrr_usd",
    *(f"{kind}_usd" for kind in MOVEMENTS),
    "closing_mrr_usd",
    "net_change_usd",
    *(f"{kind}_installs" for kind in MOVEMENTS),
]
_MONTHLY_COLUMNS = ["month", "revenue_usd", "cost_usd", "margin_usd"]
_COHORT_COLUMNS = ["cohort", "installs", "revenue_usd", "cost_usd", "margin_usd", "paid_back", "months_to_payback"]
_RETENTION_COLUMNS = [
    "cohort",
    "months_later",
    "month",
    "subscribed",
    "subscribed_share",
    "cumulative_revenue_usd",
    "cumulative_cost_usd",
    "partial",
]


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns).astype(
        {c: object for c in columns if c in ("month", "first_day", "last_day", "cohort", "paid_back")}
    )


def _empty(source: str, since_ms: float | None) -> Growth:
    return Growth(
        source,
        since_ms,
        None,
        pd.DataFrame({"date": pd.Series([], dtype=object), "mrr_usd": [], "subscribers": []}),
        pd.DataFrame({"date": pd.Series([], dtype=object), "tier": pd.Series([], dtype=object), "mrr_usd": []}),
        _frame([], _MOVEMENT_COLUMNS),
        _frame([], _MONTHLY_COLUMNS),
        _frame([], _COHORT_COLUMNS),
        _frame([], _RETENTION_COLUMNS),
    )


def _distinct(column: pd.Series, missing: str = UNKNOWN) -> tuple[np.ndarray, np.ndarray]:
    """The column's distinct keys (`value || missing`, object strings) and each row's index
    into them; -1 (read as the last entry by numpy) for a missing value."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        keys = np.asarray(column.cat.categories, dtype=object).copy()
        keys[keys == ""] = missing
        index = column.cat.codes.to_numpy().astype(np.int64)
        index[index < 0] = len(keys)
        return np.append(keys, missing), index
    values = _ids(column, missing)
    index, uniques = pd.factorize(pd.Series(values, dtype=object))
    return np.asarray(uniques, dtype=object), index.astype(np.int64)


def _ids(column: pd.Series, missing: str = UNKNOWN) -> np.ndarray:
    """Per row `value || missing`, as object strings (a lone surrogate stays as it is)."""
    values = column.astype(object).to_numpy().copy()
    values[pd.isna(values) | (values == "")] = missing
    return values


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _plain(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def growth_of(
    frame: pd.DataFrame,
    pricing: Pricing,
    billing: Billing | None,
    since_ms: float | None,
    until_ms: float | None,
    tiers: tuple[str, ...] | None = None,
    covered: pd.DataFrame | None = None,
) -> Growth:
    """growth() with revenue from the billing export when there is one, else from activity
    (`covered`: coverage(frame), when the caller keeps it)."""
    if billing is None:
        intervals = activity_intervals(frame, pricing.price, covered)
        return growth(frame, intervals, FROM_ACTIVITY, since_ms, until_ms, tiers)
    return growth(frame, billing.paying(), FROM_BILLING, since_ms, until_ms, tiers)


def billing_report(billing: Billing, frame: pd.DataFrame, since_ms: float | None, until_ms: float | None) -> dict:
    """How the billing export meets the log over [since, until']: what Data quality lists.
    `frame` holds the log from its first record (a billing row matches an install the log
    names anywhere); the installs of the range are those with a call in it."""
    ids = _ids(frame["install_id"])
    ts = frame["ts"].to_numpy(dtype=float)
    since = -math.inf if since_ms is None else float(since_ms)
    until_ = effective_until(until_ms, float(ts.max())) if len(ts) else math.inf
    in_range = (ts >= since) & (ts <= until_)
    log_installs = set(ids[ids != UNKNOWN])
    range_installs = set(ids[(ids != UNKNOWN) & in_range])
    rows, installs = unmatched(billing, log_installs, range_installs, since_ms, until_)
    return {
        "file": billing.source,
        "rows": len(billing.periods),
        "rows_matching_no_install": [
            {"line": int(r.line), "install_id": r.install_id, "tier": r.tier} for r in rows.itertuples(index=False)
        ],
        "installs_matching_no_billing_row": installs,
    }
