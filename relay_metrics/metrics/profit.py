"""Revenue, margins and unit economics: the log's costs against pricing.toml's prices.

The revenue model (also shown in the app, under "How this is computed"):
- Each install is attributed wholly to its latest tier in the range (the reference's
  tier_snapshot) and counts as an active subscriber of that tier.
- Revenue of an install = its tier's monthly price x months, months = days / 30.4375.
  Revenue of a tier = (configured subscribers, else active installs) x price x months.
- Cost of an install = the sum of its cost_usd in the range; a tier's cost = its installs'.
  Calls without an install id are "unattributed": cost, no revenue.
- Margin = revenue - cost; margin % = margin / revenue, None when revenue is 0.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from relay_metrics.metrics.figures import UNKNOWN, by_install, group_by
from relay_metrics.metrics.pricing import Pricing
from relay_metrics.metrics.zones import MS_PER_DAY

DAYS_PER_MONTH = 30.4375  # 365.25 / 12
UNATTRIBUTED = "unattributed"


def months_of(days: float) -> float:
    return days / DAYS_PER_MONTH


def window_days(since_ms: float, until_ms: float) -> float:
    return (until_ms - since_ms) / MS_PER_DAY


@dataclass(frozen=True)
class Margins:
    by_tier: pd.DataFrame  # one row per tier with installs or a price, then "unattributed"
    by_install: pd.DataFrame  # every install, worst margin first
    total: dict
    unpriced_tiers: tuple[str, ...]  # named by the log, absent from the pricing file: price 0
    days: float

    def to_dict(self) -> dict:
        return {
            "by_tier": _records(self.by_tier.drop(columns=["price_per_month"])),
            "by_install": _records(self.by_install[["install_id", "tier", "revenue_usd", "cost_usd", "margin_usd"]]),
            "total": self.total,
        }


def margins(frame: pd.DataFrame, pricing: Pricing, days: float, tiers: tuple[str, ...] | None = None) -> Margins:
    """Margins over `frame` (the records of the date range, every tier) for a range of `days`.

    `tiers` keeps only installs attributed to those tiers (and drops unattributed calls
    unless "unknown" is asked for), so an upgraded install counts where it ended up.
    """
    return margins_of_installs(by_install(frame), pricing, days, tiers)


def margins_of_installs(
    rows: list[dict], pricing: Pricing, days: float, tiers: tuple[str, ...] | None = None
) -> Margins:
    """margins() from figures.by_install's rows, which depend on the dates alone: a caller
    can keep them while prices and the tier filter change."""
    months = months_of(days)
    # Object columns, built by hand: pandas' inferred str type can't hold a lone surrogate,
    # which an install id from a request header may be.
    installs = pd.DataFrame(
        {
            "install_id": pd.Series([r["install_id"] for r in rows], dtype=object),
            "tier": pd.Series([r["tier_snapshot"] for r in rows], dtype=object),
            "cost_usd": pd.Series([r["cost_usd"] for r in rows], dtype=float),
        }
    )
    unattributed_cost = float(installs.loc[installs["install_id"] == UNKNOWN, "cost_usd"].sum())
    installs = installs[installs["install_id"] != UNKNOWN]
    if tiers is not None:
        installs = installs[installs["tier"].isin(tiers)]
        if UNKNOWN not in tiers:
            unattributed_cost = 0.0
    installs = installs.assign(price_per_month=installs["tier"].map(pricing.price).astype(float))
    installs["revenue_usd"] = installs["price_per_month"] * months
    installs["margin_usd"] = installs["revenue_usd"] - installs["cost_usd"]
    margin, ids = installs["margin_usd"].tolist(), installs["install_id"].tolist()
    worst_first = sorted(range(len(ids)), key=lambda i: (margin[i], ids[i]))
    installs = installs.iloc[worst_first].reset_index(drop=True)

    priced = [t for t in pricing.tiers if tiers is None or t in tiers]
    names = list(dict.fromkeys([*priced, *installs["tier"]]))
    counts = installs.groupby("tier").size()
    costs = installs.groupby("tier")["cost_usd"].sum()
    rows = []
    for tier in names:
        count = int(counts.get(tier, 0))
        configured = pricing.tiers.get(tier)
        subscribers = configured.subscribers if configured else None
        payers = subscribers if subscribers is not None else count
        price = pricing.price(tier)
        cost = float(costs.get(tier, 0.0))
        revenue = payers * price * months
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
                "break_even_price_usd": cost / payers / months if payers and months else None,
            }
        )
    if unattributed_cost:
        rows.append(
            {
                "tier": UNATTRIBUTED,
                "installs": 0,
                "subscribers": None,
                "price_per_month": None,
                "revenue_usd": 0.0,
                "cost_usd": unattributed_cost,
                "margin_usd": -unattributed_cost,
                "margin_pct": None,
                "cost_per_install_month_usd": None,
                "break_even_price_usd": None,
            }
        )
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
    unpriced = tuple(t for t in names if t not in pricing.tiers)
    return Margins(by_tier, installs[_INSTALL_COLUMNS], total, unpriced, days)


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
_INSTALL_COLUMNS = ["install_id", "tier", "price_per_month", "revenue_usd", "cost_usd", "margin_usd"]


def _pct(margin: float, revenue: float) -> float | None:
    return margin / revenue * 100 if revenue else None


def loss_makers(result: Margins) -> pd.DataFrame:
    """Per tier: how many installs cost more than they pay ("12 of 310 pro installs ...")."""
    installs = result.by_install
    grouped = installs.groupby("tier", sort=False)
    table = pd.DataFrame(
        {"installs": grouped.size(), "losing": grouped["margin_usd"].apply(lambda m: int((m < 0).sum()))}
    )
    table["losing_share"] = table["losing"] / table["installs"]
    return table.reset_index().sort_values("tier", kind="stable").reset_index(drop=True)


def job_costs(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per summary job (transcribe + analyze sharing a job_id): its cost, tier, model.

    Tier and model are the job's analyze call's where it has one (that is where the summary
    is made), else its first call's.
    """
    jobs = frame["job_id"]
    has_job = (jobs.notna() & (jobs != "")).to_numpy()
    codes, job_ids = pd.factorize(jobs[has_job])
    if not len(job_ids):
        return pd.DataFrame({"job_id": [], "cost_usd": [], "calls": [], "tier": [], "model": []})
    cost = np.bincount(codes, weights=np.nan_to_num(frame["cost_usd"].to_numpy()[has_job]), minlength=len(job_ids))
    calls = np.bincount(codes, minlength=len(job_ids))
    # Within each job the analyze call sorts first, so the first row of a job is the one
    # whose tier and model the job takes.
    not_analyze = (frame["pipeline"] != "analyze").to_numpy()[has_job]
    order = np.lexsort((not_analyze, codes))
    firsts = order[np.r_[True, codes[order][1:] != codes[order][:-1]]]
    return pd.DataFrame(
        {
            "job_id": pd.Series(np.asarray(job_ids, dtype=object), dtype=object),
            "cost_usd": cost,
            "calls": calls,
            "tier": _keys(frame["tier"], has_job)[firsts],
            "model": _keys(frame["model"], has_job)[firsts],
        }
    )


def _keys(column: pd.Series, rows: np.ndarray) -> np.ndarray:
    groups = group_by(column)
    return np.asarray(groups.labels, dtype=object)[groups.codes[rows]]


def job_cost_stats(jobs: pd.DataFrame, by: str) -> pd.DataFrame:
    """Cost per summary job by tier or model: jobs, mean, p50, p95."""
    if jobs.empty:
        return pd.DataFrame(columns=[by, "jobs", "cost_per_job_usd", "p50_cost_usd", "p95_cost_usd"])
    grouped = jobs.groupby(by)["cost_usd"]
    table = pd.DataFrame(
        {
            "jobs": grouped.size(),
            "cost_per_job_usd": grouped.mean(),
            "p50_cost_usd": grouped.quantile(0.5),
            "p95_cost_usd": grouped.quantile(0.95),
        }
    )
    return table.reset_index().sort_values("jobs", ascending=False, kind="stable").reset_index(drop=True)


def unit_economics(frame: pd.DataFrame, jobs: pd.DataFrame) -> dict:
    """Cost per summary job (`jobs` = job_costs(frame)), per credit charged, and what failed
    calls cost."""
    cost = np.nan_to_num(frame["cost_usd"].to_numpy())
    credits = float(np.nansum(frame["credit_charged"].to_numpy()))
    status = frame["status"]
    return {
        "jobs": len(jobs),
        "cost_per_job_usd": float(jobs["cost_usd"].mean()) if len(jobs) else None,
        "p50_job_cost_usd": float(jobs["cost_usd"].quantile(0.5)) if len(jobs) else None,
        "p95_job_cost_usd": float(jobs["cost_usd"].quantile(0.95)) if len(jobs) else None,
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
