"""Revenue, margins and unit economics: the log's costs against pricing.toml's prices.

Revenue follows the activity rule of revenue.py (also shown in the app, under "How this is
computed"): an install pays from its first call until one month after its last, at the price
of the tier of each call, and only where the log has data. Each install is attributed to the
tier of its latest call at or before the range's end.
- Cost of an install = the sum of its cost_usd inside the range; a tier's cost = its installs'.
  Calls without an install id are "unattributed": cost, no revenue.
- A tier with `subscribers` in pricing.toml earns subscribers x price x months of log data.
- Margin = revenue - cost; margin % = margin / revenue, None when revenue is 0.
- Break-even price = the tier's cost / its paid months: the price at which it pays for itself.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import numpy as np
import pandas as pd

from relay_metrics.metrics.figures import UNKNOWN, group_by
from relay_metrics.metrics.pricing import Pricing
from relay_metrics.metrics.revenue import (
    PERIOD_DAYS,
    PERIOD_MS,
    configured_revenue,
    coverage,
    effective_until,
    keys_of,
    revenue_by_install,
)
from relay_metrics.metrics.zones import MS_PER_DAY, window_ms

DAYS_PER_MONTH = PERIOD_DAYS  # 365.25 / 12
UNATTRIBUTED = "unattributed"
ALL_TIERS = "all tiers"
WEEKLY_FROM_DAYS = 21  # a range this long or longer is shown per week, shorter per day


def months_of(days: float) -> float:
    return days / DAYS_PER_MONTH


@dataclass(frozen=True)
class Span:
    """A range of margin figures, and the first and last record of the log it reads.

    since_ms None: from the log's first record; until_ms None: to its last. Both inclusive.
    """

    since_ms: float | None
    until_ms: float | None
    oldest_ts: float
    newest_ts: float

    @property
    def until_prime(self) -> float:
        """until' = min(until, the log's newest record): nothing is counted past the log's end."""
        return effective_until(self.until_ms, self.newest_ts)

    @property
    def data_start(self) -> float:
        """max(since, the log's oldest record): where the log can say anything about the range."""
        return self.oldest_ts if self.since_ms is None else max(float(self.since_ms), float(self.oldest_ts))

    @property
    def days(self) -> float:
        """Days of the range that hold log data."""
        return max(self.until_prime - self.data_start, 0.0) / MS_PER_DAY

    @property
    def read_from_ms(self) -> float | None:
        """The oldest ts a reader must hold: calls up to one month before since pay into it."""
        return None if self.since_ms is None else float(self.since_ms) - PERIOD_MS

    @property
    def beyond_log(self) -> bool:
        """The range starts before the log's first record or ends after its last."""
        starts_before = self.since_ms is not None and self.since_ms < self.oldest_ts
        ends_after = self.until_ms is not None and self.until_ms > self.newest_ts
        return starts_before or ends_after

    def previous(self) -> Span:
        """The period of equal length before: the range moved back by its asked length, and
        ending at until' moved back by as much, so a range ending inside today is compared with
        the same hours of the day a period earlier."""
        if self.since_ms is None or self.until_ms is None:
            raise ValueError("only a bounded range has a previous period")
        shift = float(self.until_ms) - float(self.since_ms) + 1
        return replace(self, since_ms=float(self.since_ms) - shift, until_ms=self.until_prime - shift)


def span_of(
    frame: pd.DataFrame, since_ms: float | None, until_ms: float | None, oldest_ts: float | None = None
) -> Span:
    """The Span of a range over `frame`, which holds every record of the log from (at least)
    one month before since to the log's end. `oldest_ts`: the log's first record when the frame
    starts later than the log."""
    ts = frame["ts"].to_numpy(dtype=float)
    if not len(ts):
        now = float(since_ms or 0.0)
        return Span(since_ms, until_ms, now if oldest_ts is None else oldest_ts, now)
    oldest = float(ts.min()) if oldest_ts is None else min(float(oldest_ts), float(ts.min()))
    return Span(since_ms, until_ms, oldest, float(ts.max()))


@dataclass(frozen=True)
class Activity:
    """What the margins of a range take from the log; prices and the tier filter come later,
    so a caller can keep this while they change."""

    span: Span
    covered: pd.DataFrame  # revenue.coverage() of the calls that can pay into the range
    costs: dict  # install id -> its cost inside the range
    unattributed_cost: float  # calls without an install id, inside the range


def activity(frame: pd.DataFrame, span: Span, covered: pd.DataFrame | None = None) -> Activity:
    """`frame`: every record from one month before since through the range (more is fine),
    unfiltered but for dates. `covered`: coverage(frame), when the caller has it already."""
    if covered is None:
        covered = coverage(frame)
    ts = frame["ts"].to_numpy(dtype=float)
    inside = ts <= span.until_prime
    if span.since_ms is not None:
        inside &= ts >= float(span.since_ms)
    codes, labels = pd.factorize(pd.Series(keys_of(frame["install_id"][inside], UNKNOWN), dtype=object))
    spent = np.nan_to_num(frame["cost_usd"].to_numpy(dtype=float)[inside])
    totals = np.bincount(codes, weights=spent, minlength=len(labels))
    costs = dict(zip(labels, totals.tolist()))
    unattributed = float(costs.pop(UNKNOWN, 0.0))
    return Activity(span, covered, costs, unattributed)


@dataclass(frozen=True)
class TierRows:
    """The rows of a by_tier table before it is a table: for_tiers() narrows these, so a tier
    filter keeps the rows (and sums them in the order) the unfiltered margins built."""

    rows: tuple[dict, ...]  # each tier's, priced tiers first
    unattributed: dict | None  # the calls without an install id, when they cost anything

    def of(self, tiers: tuple[str, ...] | None) -> TierRows:
        if tiers is None:
            return self
        return TierRows(
            tuple(row for row in self.rows if row["tier"] in tiers),
            self.unattributed if UNKNOWN in tiers else None,
        )

    def table(self) -> tuple[pd.DataFrame, dict]:
        """by_tier and its total."""
        rows = [*self.rows, *([self.unattributed] if self.unattributed else [])]
        by_tier = pd.DataFrame(
            {
                name: pd.Series([row[name] for row in rows], dtype=object if name == "tier" else None)
                for name in _TIER_COLUMNS
            }
        )
        revenue = float(by_tier["revenue_usd"].sum())
        cost = float(by_tier["cost_usd"].sum())
        total = {
            "revenue_usd": revenue,
            "cost_usd": cost,
            "margin_usd": revenue - cost,
            "margin_pct": _pct(revenue - cost, revenue),
        }
        return by_tier, total


@dataclass(frozen=True)
class Margins:
    by_tier: pd.DataFrame  # one row per tier with installs or a price, then "unattributed"
    by_install: pd.DataFrame  # every install of the range, worst margin first
    total: dict
    unpriced_tiers: tuple[str, ...]  # named by the log, absent from the pricing file: price 0
    span: Span
    tier_rows: TierRows = field(repr=False, compare=False)

    @property
    def days(self) -> float:
        return self.span.days

    def to_dict(self) -> dict:
        return {
            "by_tier": _records(self.by_tier.drop(columns=["price_per_month"])),
            "by_install": _records(self.by_install[["install_id", "tier", "revenue_usd", "cost_usd", "margin_usd"]]),
            "total": self.total,
        }


def margins(frame: pd.DataFrame, pricing: Pricing, span: Span, tiers: tuple[str, ...] | None = None) -> Margins:
    """Margins of `span` over `frame` (every record from one month before since on, every tier).

    `tiers` keeps only installs attributed to those tiers (and drops unattributed calls
    unless "unknown" is asked for), so an upgraded install counts where it ended up.
    """
    return margins_of(activity(frame, span), pricing, tiers)


def margins_of(found: Activity, pricing: Pricing, tiers: tuple[str, ...] | None = None) -> Margins:
    """margins() from an Activity: cheap, for a price change."""
    return for_tiers(every_tier(found, pricing), tiers)


def for_tiers(result: Margins, tiers: tuple[str, ...] | None) -> Margins:
    """The margins of every tier narrowed to a tier filter (see margins()): cheaper than
    computing them again, and the same figures, since tiers only add up."""
    if tiers is None:
        return result
    rows = result.tier_rows.of(tiers)
    by_tier, total = rows.table()
    installs = result.by_install[result.by_install["tier"].isin(list(tiers))].reset_index(drop=True)
    unpriced = tuple(tier for tier in result.unpriced_tiers if tier in tiers)
    return Margins(by_tier, installs, total, unpriced, result.span, rows)


def every_tier(found: Activity, pricing: Pricing) -> Margins:
    installs = _worst_first(_installs(found, pricing))
    rows = _tier_rows(installs, found, pricing)
    by_tier, total = rows.table()
    unpriced = tuple(row["tier"] for row in rows.rows if row["tier"] not in pricing.tiers)
    return Margins(by_tier, installs[_INSTALL_COLUMNS], total, unpriced, found.span, rows)


def _installs(found: Activity, pricing: Pricing) -> pd.DataFrame:
    """One row per install paying into or spending in the range, in no particular order."""
    span = found.span
    paid = revenue_by_install(found.covered, pricing.price, span.since_ms, span.until_prime)
    costs = found.costs
    # Object columns: an install id or tier from a request header may be a lone surrogate,
    # which pandas' inferred str type can't hold.
    ids = paid["install_id"].to_numpy(dtype=object)
    installs = pd.DataFrame(
        {
            "install_id": pd.Series(ids, dtype=object),
            "tier": pd.Series(paid["tier"].to_numpy(dtype=object), dtype=object),
            "revenue_usd": paid["revenue_usd"].to_numpy(dtype=float),
            "cost_usd": np.array([costs.get(i, 0.0) for i in ids], dtype=float),
            "paid_months": paid["covered_ms"].to_numpy(dtype=float) / PERIOD_MS,
        }
    )
    tier_codes, tier_names = pd.factorize(installs["tier"])
    prices = np.array([pricing.price(t) for t in tier_names], dtype=float)
    installs["price_per_month"] = prices[tier_codes] if len(tier_codes) else np.zeros(0)
    installs["margin_usd"] = installs["revenue_usd"] - installs["cost_usd"]
    installs["cost_share_pct"] = _share(installs["cost_usd"].to_numpy(), installs["revenue_usd"].to_numpy())
    return installs


def _worst_first(installs: pd.DataFrame) -> pd.DataFrame:
    """Worst margin first, ties by install id: by_install's order, and the order tier sums add
    up in (so a period's and a range's sums agree to the last bit). Ids are unique."""
    order = np.lexsort((installs["install_id"].to_numpy(), installs["margin_usd"].to_numpy()))
    return installs.iloc[order].reset_index(drop=True)


def _tier_rows(installs: pd.DataFrame, found: Activity, pricing: Pricing) -> TierRows:
    """Each tier's row from its installs (summed in `installs`' order), priced tiers first."""
    span = found.span
    # factorize + bincount, not groupby: groupby turns keys into pyarrow strings, and a tier
    # from the log may hold a lone surrogate, which those can't.
    codes, names_seen = pd.factorize(installs["tier"])
    names_seen = list(names_seen)

    def per_tier(values: pd.Series | None) -> dict:
        weights = None if values is None else values.to_numpy(dtype=float)
        return dict(zip(names_seen, np.bincount(codes, weights=weights, minlength=len(names_seen)).tolist()))

    counts = per_tier(None)
    tier_cost = per_tier(installs["cost_usd"])
    tier_revenue = per_tier(installs["revenue_usd"])
    tier_paid = per_tier(installs["paid_months"])
    names = list(dict.fromkeys([*pricing.tiers, *names_seen]))
    months = months_of(span.days)
    rows = []
    for tier in names:
        count = int(counts.get(tier, 0))
        configured = pricing.tiers.get(tier)
        subscribers = configured.subscribers if configured else None
        price = pricing.price(tier)
        cost = float(tier_cost.get(tier, 0.0))
        if subscribers is not None:
            revenue = configured_revenue(subscribers, price, span.since_ms, span.until_prime, span.oldest_ts)
            paid_months = subscribers * months
        else:
            revenue = float(tier_revenue.get(tier, 0.0))
            paid_months = float(tier_paid.get(tier, 0.0))
        rows.append(
            {
                "tier": tier,
                "installs": count,
                "subscribers": subscribers,
                "price_per_month": price,
                "revenue_usd": revenue,
                "cost_usd": cost,
                "margin_usd": revenue - cost,
                "margin_pct": _pct(revenue - cost, revenue),
                "cost_per_install_month_usd": cost / count / months if count and months else None,
                "break_even_price_usd": cost / paid_months if paid_months else None,
            }
        )
    unattributed = None
    if found.unattributed_cost:
        unattributed = {
            "tier": UNATTRIBUTED,
            "installs": 0,
            "subscribers": None,
            "price_per_month": None,
            "revenue_usd": 0.0,
            "cost_usd": found.unattributed_cost,
            "margin_usd": -found.unattributed_cost,
            "margin_pct": None,
            "cost_per_install_month_usd": None,
            "break_even_price_usd": None,
        }
    return TierRows(tuple(rows), unattributed)


_TIER_COLUMNS = [
    "tier",
    "installs",
    "subscribers",
    "price_per_month",
    "revenue_usd",
    "cost_usd",
    "margin_usd",
    "margin_pct",
    "cost_per_install_month_usd",
    "break_even_price_usd",
]
_INSTALL_COLUMNS = [
    "install_id",
    "tier",
    "price_per_month",
    "revenue_usd",
    "cost_usd",
    "margin_usd",
    "cost_share_pct",
]


def _pct(margin: float, revenue: float) -> float | None:
    return margin / revenue * 100 if revenue else None


def _share(cost: np.ndarray, revenue: np.ndarray) -> np.ndarray:
    """Cost as % of what the install pays; NaN where it pays nothing."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(revenue > 0, cost / np.where(revenue > 0, revenue, 1.0) * 100, np.nan)


def loss_list(result: Margins, by: str = "cost_share_pct") -> pd.DataFrame:
    """Installs that cost more than they pay, the worst first: by cost as % of what they pay
    (an install that pays nothing comes first), or by margin_usd (most lost first)."""
    losing = result.by_install[result.by_install["margin_usd"] < 0]
    if by == "margin_usd":
        return losing.reset_index(drop=True)  # by_install is worst margin first already
    share = losing["cost_share_pct"].to_numpy(dtype=float)
    order = np.argsort(-np.where(np.isnan(share), np.inf, share), kind="stable")
    return losing.iloc[order].reset_index(drop=True)


def install_economics(result: Margins, install_id: str) -> dict | None:
    """One install's revenue, cost, margin and cost as % of what it pays; None if it has none."""
    rows = result.by_install[result.by_install["install_id"] == install_id]
    if rows.empty:
        return None
    row = rows.iloc[0]
    share = row["cost_share_pct"]
    return {
        "tier": row["tier"],
        "revenue_usd": float(row["revenue_usd"]),
        "cost_usd": float(row["cost_usd"]),
        "margin_usd": float(row["margin_usd"]),
        "margin_pct": _pct(float(row["margin_usd"]), float(row["revenue_usd"])),
        "cost_share_pct": None if pd.isna(share) else float(share),
    }


def tier_history(
    frame: pd.DataFrame,
    install_id: str,
    pricing: Pricing,
    since_ms: float | None = None,
    until_ms: float | None = None,
) -> pd.DataFrame:
    """An install's tier changes in ts order (ties in log order) between since and until: its
    first tier there ("first seen"), then each upgrade or downgrade (by monthly price;
    "change" between tiers of one price)."""
    # Compared as categories, not as ten million strings: the page asks for one install.
    mine = np.array(frame["install_id"] == install_id, dtype=bool)  # a copy: narrowed in place below
    if since_ms is not None:
        mine &= frame["ts"].to_numpy(dtype=float) >= since_ms
    if until_ms is not None:
        mine &= frame["ts"].to_numpy(dtype=float) <= until_ms
    ts = frame["ts"].to_numpy(dtype=float)[mine]
    tiers = frame["tier"][mine].astype(object).to_numpy()
    tiers = np.array([t if isinstance(t, str) and t else "core" for t in tiers], dtype=object)
    order = np.argsort(ts, kind="stable")
    ts, tiers = ts[order], tiers[order]
    rows: list[dict] = []
    for when, tier in zip(ts, tiers):
        if rows and rows[-1]["tier"] == tier:
            continue
        price = pricing.price(tier)
        if not rows:
            change = "first seen"
        else:
            before = rows[-1]["price_per_month"]
            change = "upgrade" if price > before else "downgrade" if price < before else "change"
        rows.append({"since_ms": when, "tier": tier, "price_per_month": price, "change": change})
    return pd.DataFrame(
        {
            "since": pd.to_datetime(pd.Series([r["since_ms"] for r in rows], dtype=float), unit="ms", utc=True),
            "tier": pd.Series([r["tier"] for r in rows], dtype=object),
            "price_per_month": pd.Series([r["price_per_month"] for r in rows], dtype=float),
            "change": pd.Series([r["change"] for r in rows], dtype=object),
        }
    )


def compare(actual: Margins, what_if: Margins) -> pd.DataFrame:
    """Per tier (and a total row), actual beside what-if price, revenue, margin and margin %."""
    tiers = actual.by_tier["tier"].tolist()
    where = {tier: i for i, tier in enumerate(what_if.by_tier["tier"].tolist())}
    rows = np.array([where.get(tier, -1) for tier in tiers], dtype=int)
    known = rows >= 0

    def pair(frame_a: pd.DataFrame, frame_b: pd.DataFrame, key: str, total_a, total_b) -> tuple:
        a = pd.to_numeric(frame_a[key], errors="coerce").to_numpy(dtype=float)
        b = pd.to_numeric(frame_b[key], errors="coerce").to_numpy(dtype=float)
        b = np.where(known, b[np.where(known, rows, 0)] if len(b) else np.nan, a)
        return np.r_[a, _number(total_a)], np.r_[b, _number(total_b)]

    table = {"tier": pd.Series([*tiers, ALL_TIERS], dtype=object)}
    price_a, price_b = pair(actual.by_tier, what_if.by_tier, "price_per_month", None, None)
    table["price_actual"], table["price_what_if"] = price_a, price_b
    for key, name in (("revenue_usd", "revenue"), ("margin_usd", "margin")):
        a, b = pair(actual.by_tier, what_if.by_tier, key, actual.total[key], what_if.total[key])
        table[f"{name}_actual_usd"], table[f"{name}_what_if_usd"], table[f"{name}_change_usd"] = a, b, b - a
    a, b = pair(actual.by_tier, what_if.by_tier, "margin_pct", actual.total["margin_pct"], what_if.total["margin_pct"])
    table["margin_pct_actual"], table["margin_pct_what_if"] = a, b
    return pd.DataFrame(table)


def _number(value) -> float:
    return math.nan if value is None or pd.isna(value) else float(value)


def tiers_by_cost(result: Margins, limit: int) -> tuple[list[str], list[str]]:
    """The `limit` tiers that cost the most (ties by name), and the rest: what a what-if
    editor offers, so 10,000 tiers in a log never make 10,000 inputs."""
    rows = result.by_tier[result.by_tier["tier"] != UNATTRIBUTED]
    names, costs = rows["tier"].tolist(), rows["cost_usd"].astype(float).tolist()
    ranked = [names[i] for i in sorted(range(len(names)), key=lambda i: (-costs[i], names[i]))]
    return ranked[:limit], ranked[limit:]


def buckets(start: date, end: date, zone: str) -> list[tuple[date, int, int]]:
    """Periods of a chart over start..end: days for a range under three weeks, else weeks
    from `start` (the last one may be shorter). Each: (first day, since_ms, until_ms)."""
    days = (end - start).days + 1
    step = 1 if days < WEEKLY_FROM_DAYS else 7
    out = []
    first = start
    while first <= end:
        last = min(first + timedelta(days=step - 1), end)
        out.append((first, *window_ms(first, last, zone)))
        first = last + timedelta(days=1)
    return out


def margin_over_time(
    frame: pd.DataFrame,
    pricing: Pricing,
    span: Span,
    periods: list[tuple[date, int, int]],
    tiers: tuple[str, ...] | None = None,
    covered: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Revenue, cost and margin per period (see buckets), for all tiers and per tier, by the
    same rule as margins(). Periods wholly outside the log are left out."""
    return over_time(tiers_per_period(frame, pricing, span, periods, covered), tiers)


def tiers_per_period(
    frame: pd.DataFrame,
    pricing: Pricing,
    span: Span,
    periods: list[tuple[date, int, int]],
    covered: pd.DataFrame | None = None,
) -> list[tuple[date, TierRows]]:
    """Every tier's margins in each period of the log: what over_time() narrows to a tier filter."""
    if covered is None:
        covered = coverage(frame)
    starts, ends = covered["start_ms"].to_numpy(), covered["end_ms"].to_numpy()
    out = []
    for first, since_ms, until_ms in periods:
        if since_ms > span.newest_ts or until_ms < span.oldest_ts:
            continue
        part = replace(span, since_ms=max(since_ms, span.since_ms or since_ms), until_ms=until_ms)
        if span.until_ms is not None:
            part = replace(part, until_ms=min(until_ms, span.until_ms))
        # Only the calls that pay into the period or are made in it: the others add nothing to
        # its revenue and can't be the latest call of an install it counts (a year of weeks
        # otherwise passes over every call 52 times).
        since, until = float(part.since_ms or since_ms), part.until_prime  # since_ms set just above
        reaching = (starts <= until) & ((ends > since) | (starts >= since))
        found = activity(frame, part, covered[reaching])
        out.append((first, _tier_rows(_worst_first(_installs(found, pricing)), found, pricing)))
    return out


def over_time(per_period: list[tuple[date, TierRows]], tiers: tuple[str, ...] | None = None) -> pd.DataFrame:
    """margin_over_time's table from tiers_per_period: a tier filter costs no new margins."""
    rows = []
    for first, every in per_period:
        narrowed = every.of(tiers)
        rows.append({"period": first, "tier": ALL_TIERS, **narrowed.table()[1]})
        for row in [*narrowed.rows, *([narrowed.unattributed] if narrowed.unattributed else [])]:
            if row["installs"] or row["cost_usd"] or row["revenue_usd"]:
                rows.append({"period": first, **{name: row[name] for name in _OVER_TIME_COLUMNS}})
    return pd.DataFrame(
        {
            name: pd.Series(
                [r[name] for r in rows],
                dtype=object if name in ("tier", "period") else float,
            )
            for name in ["period", *_OVER_TIME_COLUMNS]
        }
    )


_OVER_TIME_COLUMNS = ["tier", "revenue_usd", "cost_usd", "margin_usd", "margin_pct"]


def coverage_note(span: Span, zone_date_time) -> str | None:
    """The sentence to show where figures are when the range reaches beyond the log, else None.
    `zone_date_time(ms)` writes a ts as a local date and time."""
    if not span.beyond_log:
        return None
    return (
        f"The log covers {zone_date_time(span.oldest_ts)} to {zone_date_time(span.newest_ts)}; "
        "revenue is counted only where there is data."
    )


def loss_makers(result: Margins) -> pd.DataFrame:
    """Per tier: how many installs cost more than they pay ("12 of 310 pro installs ..."),
    the tiers with most losing installs first (ties by name)."""
    installs = result.by_install
    codes, names = pd.factorize(installs["tier"])  # not groupby: a tier may be a lone surrogate
    count = np.bincount(codes, minlength=len(names))
    losing = np.bincount(codes, weights=(installs["margin_usd"] < 0).to_numpy(dtype=float), minlength=len(names))
    table = pd.DataFrame(
        {
            "tier": pd.Series(np.asarray(names, dtype=object), dtype=object),
            "installs": count.astype(int),
            "losing": losing.astype(int),
        }
    )
    table["losing_share"] = table["losing"] / table["installs"]
    keys = list(zip((-losing).tolist(), table["tier"].tolist()))
    order = sorted(range(len(keys)), key=keys.__getitem__)
    return table.iloc[order].reset_index(drop=True)


def costliest_tiers(by_tier: pd.DataFrame, limit: int) -> pd.DataFrame:
    """The `limit` rows of by_tier that cost the most: what a chart can show of 10,000 tiers."""
    order = np.argsort(-by_tier["cost_usd"].to_numpy(dtype=float), kind="stable")[:limit]
    return by_tier.iloc[np.sort(order)]


def job_costs(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per job (calls sharing a job_id): its cost, calls, tier, model, whether it
    delivered a summary (a successful analyze) and whether it ran on hardware alone at $0.

    Tier and model are the job's analyze call's where it has one (that is where the summary
    is made), else its first call's.
    """
    jobs = frame["job_id"]
    has_job = (jobs.notna() & (jobs != "")).to_numpy()
    codes, job_ids = pd.factorize(jobs[has_job])
    if not len(job_ids):
        return pd.DataFrame(
            {
                "job_id": pd.Series([], dtype=object),
                "cost_usd": pd.Series([], dtype=float),
                "calls": pd.Series([], dtype=int),
                "tier": pd.Series([], dtype=object),
                "model": pd.Series([], dtype=object),
                "summary": pd.Series([], dtype=bool),
                "hardware_only": pd.Series([], dtype=bool),
            }
        )
    n = len(job_ids)
    cost = np.bincount(codes, weights=np.nan_to_num(frame["cost_usd"].to_numpy(dtype=float)[has_job]), minlength=n)
    calls = np.bincount(codes, minlength=n)
    pipeline = (frame["pipeline"] == "analyze").to_numpy()[has_job]
    succeeded = (frame["status"] == "success").to_numpy()[has_job]
    summary = np.bincount(codes, weights=(pipeline & succeeded).astype(float), minlength=n) > 0
    on_hardware = (frame["backend"] == "hardware").to_numpy()[has_job]
    hardware_only = (np.bincount(codes, weights=(~on_hardware).astype(float), minlength=n) == 0) & (cost == 0)
    # The row whose tier and model a job takes: its first analyze call, else its first call
    # (two passes, no sort of every call).
    rows = np.arange(len(codes))
    firsts = np.full(n, len(codes))
    np.minimum.at(firsts, codes[pipeline], rows[pipeline])
    first_any = np.full(n, len(codes))
    np.minimum.at(first_any, codes, rows)
    firsts = np.where(firsts < len(codes), firsts, first_any)
    return pd.DataFrame(
        {
            "job_id": pd.Series(np.asarray(job_ids, dtype=object), dtype=object),
            "cost_usd": cost,
            "calls": calls,
            # Object columns: pandas would infer its str type, which can't hold a lone surrogate.
            "tier": pd.Series(_keys(frame["tier"], has_job)[firsts], dtype=object),
            "model": pd.Series(_keys(frame["model"], has_job)[firsts], dtype=object),
            "summary": summary,
            "hardware_only": hardware_only,
        }
    )


def _keys(column: pd.Series, rows: np.ndarray) -> np.ndarray:
    groups = group_by(column)
    return np.asarray(groups.labels, dtype=object)[groups.codes[rows]]


def job_cost_stats(jobs: pd.DataFrame, by: str) -> pd.DataFrame:
    """Per tier or model: jobs that delivered a summary and their cost (mean, p50, p95), the
    cost per summary job (every job's cost / summary jobs), jobs without a summary and what
    they cost, and hardware-only jobs at $0 (counted apart, never as cheap summaries)."""
    columns = [
        by,
        "summary_jobs",
        "cost_per_summary_job_usd",
        "p50_cost_usd",
        "p95_cost_usd",
        "jobs_without_summary",
        "cost_without_summary_usd",
        "hardware_only_jobs",
    ]
    if jobs.empty:
        return pd.DataFrame({name: pd.Series([], dtype=object if name == by else float) for name in columns})
    rows = []
    # Sorted runs of factorized keys, not groupby: a tier or model may be a lone surrogate.
    codes, keys = pd.factorize(jobs[by])
    order = np.argsort(codes, kind="stable")
    starts = np.flatnonzero(np.r_[True, codes[order][1:] != codes[order][:-1]])
    # Three columns, not the jobs frame, per group: a copy of a million jobs' rows took seconds.
    cost = jobs["cost_usd"].to_numpy(dtype=float)
    summary = jobs["summary"].to_numpy(dtype=bool)
    hardware_only = jobs["hardware_only"].to_numpy(dtype=bool)
    for rows_of in np.split(order, starts[1:]):
        spent, summed, free = cost[rows_of], summary[rows_of], hardware_only[rows_of]
        summaries = pd.Series(spent[summed & ~free])
        count = len(summaries)
        rows.append(
            {
                by: keys[codes[rows_of[0]]],
                "summary_jobs": count,
                "cost_per_summary_job_usd": float(pd.Series(spent).sum()) / count if count else math.nan,
                "p50_cost_usd": float(summaries.quantile(0.5)) if count else math.nan,
                "p95_cost_usd": float(summaries.quantile(0.95)) if count else math.nan,
                "jobs_without_summary": int((~summed).sum()),
                "cost_without_summary_usd": float(pd.Series(spent[~summed]).sum()),
                "hardware_only_jobs": int(free.sum()),
            }
        )
    table = pd.DataFrame(
        {name: pd.Series([r[name] for r in rows], dtype=object if name == by else float) for name in columns}
    )
    # The costliest per summary first, as every table puts what matters first.
    return table.sort_values(
        "cost_per_summary_job_usd", ascending=False, kind="stable", na_position="last"
    ).reset_index(drop=True)


def unit_economics(frame: pd.DataFrame, jobs: pd.DataFrame) -> dict:
    """Cost per summary job (`jobs` = job_costs(frame)): the cost of every call carrying a job
    id / the jobs that delivered a summary; the jobs without one and their cost apart; cost per
    credit charged, and what failed calls cost."""
    cost = np.nan_to_num(frame["cost_usd"].to_numpy(dtype=float))
    credits = float(np.nansum(frame["credit_charged"].to_numpy(dtype=float)))
    status = frame["status"]
    summaries = int(jobs["summary"].sum()) if len(jobs) else 0
    summary_costs = jobs.loc[jobs["summary"] & ~jobs["hardware_only"], "cost_usd"] if len(jobs) else pd.Series([])
    without = jobs[~jobs["summary"]] if len(jobs) else jobs
    return {
        "jobs": len(jobs),
        "summary_jobs": summaries,
        "job_cost_usd": float(jobs["cost_usd"].sum()) if len(jobs) else 0.0,
        "cost_per_job_usd": float(jobs["cost_usd"].sum()) / summaries if summaries else None,
        "p50_job_cost_usd": float(summary_costs.quantile(0.5)) if len(summary_costs) else None,
        "p95_job_cost_usd": float(summary_costs.quantile(0.95)) if len(summary_costs) else None,
        "jobs_without_summary": len(without),
        "cost_without_summary_usd": float(without["cost_usd"].sum()) if len(without) else 0.0,
        "hardware_only_jobs": int(jobs["hardware_only"].sum()) if len(jobs) else 0,
        "credits_charged": credits,
        "cost_per_credit_usd": float(cost.sum()) / credits if credits else None,
        "error_cost_usd": float(cost[(status == "error").to_numpy()].sum()),
        "refused_cost_usd": float(cost[(status == "refused").to_numpy()].sum()),
    }


def month_end_forecast(result: Margins, end: date) -> dict:
    """The calendar month of `end` at the range's daily run rate: cost, revenue, margin."""
    days_in_month = calendar.monthrange(end.year, end.month)[1]
    per_day = result.total["cost_usd"] / result.days if result.days else 0.0
    revenue_per_day = result.total["revenue_usd"] / result.days if result.days else 0.0
    cost = per_day * days_in_month
    revenue = revenue_per_day * days_in_month
    return {
        "month": f"{end.year:04d}-{end.month:02d}",
        "days_in_month": days_in_month,
        "cost_usd": cost,
        "revenue_usd": revenue,
        "margin_usd": revenue - cost,
        "margin_pct": _pct(revenue - cost, revenue),
    }


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _plain(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    return value


def cost_per_install_month(result: Margins) -> pd.DataFrame:
    """Each install's cost scaled to a month, beside its tier's price (for the spread chart)."""
    installs = result.by_install
    months = months_of(result.days)
    return pd.DataFrame(
        {
            "tier": installs["tier"],
            "cost_per_month_usd": installs["cost_usd"] / months if months else installs["cost_usd"],
            "price_per_month": installs["price_per_month"],
        }
    )
