"""The reference's `aggregate()`, on a loaded frame: same keys, field names, values and row order.

Where we differ on purpose: an average duration is taken over the records that have a
duration (None when none has), where the reference counts a missing one as 0; and a field of
the wrong type was already made missing by the loader, so strings are never summed.

Groups are counted with numpy.bincount over category codes: one pass per figure, no per-group
frames, so a million rows aggregate in a fraction of a second.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .schema import TOKEN_FIELDS

UNKNOWN = "unknown"
DEFAULT_TIER = "core"  # the reference's tier_snapshot when the newest record has no tier
TOP_INSTALLS = 20
MS_PER_HOUR = 3_600_000

# JavaScript objects list "array index" keys first, in numeric order, whatever the insertion
# order; the reference builds its rows from Object.entries, so its row order does the same.
_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")


def aggregate(frame: pd.DataFrame) -> dict:
    """Every figure of the reference's aggregate(entries) for the records in `frame`."""
    newest_first = newest_first_order(frame)
    model_rows = _by_field(frame, "model", newest_first)
    return {
        "summary": summary(frame),
        "by_tier": _by_field(frame, "tier", newest_first),
        "by_model": model_rows,
        "by_pipeline": _by_field(frame, "pipeline", newest_first),
        "by_backend": _by_field(frame, "backend", newest_first),
        "by_install": by_install(frame, newest_first)[:TOP_INSTALLS],
        "by_hour_utc": by_hour_utc(frame),
        "cost_vs_speed": cost_vs_speed(model_rows),
    }


def summary(frame: pd.DataFrame) -> dict:
    calls = len(frame)
    status = frame["status"]
    success = int((status == "success").sum())
    return {
        "calls": calls,
        "success": success,
        "errors": int((status == "error").sum()),
        "refused": int((status == "refused").sum()),
        "success_rate": success / calls if calls else 0,
        "total_cost_usd": _sum(frame["cost_usd"]),
        "total_duration_ms": _sum(frame["duration_ms"]),
        "avg_duration_ms": _mean(frame["duration_ms"]),
        "total_input_tokens": _sum(frame["input_tokens"]),
        "total_output_tokens": _sum(frame["output_tokens"]),
        "total_thinking_tokens": _sum(frame["thinking_tokens"]),
    }


def newest_first_order(frame: pd.DataFrame) -> np.ndarray:
    """Row positions sorted as readEntries returns them: ts descending, file order among ties."""
    return np.argsort(-frame["ts"].to_numpy(), kind="stable")


@dataclass(frozen=True)
class Groups:
    """Rows grouped by `value || "unknown"`: codes[i] is row i's group, labels[code] its key."""

    codes: np.ndarray
    labels: list[str]

    @property
    def size(self) -> int:
        return len(self.labels)

    def count(self, mask: np.ndarray | None = None) -> np.ndarray:
        codes = self.codes if mask is None else self.codes[mask]
        return np.bincount(codes, minlength=self.size)

    def total(self, values: np.ndarray) -> np.ndarray:
        """Per-group sum, a missing (NaN) value counting as 0."""
        return np.bincount(self.codes, weights=np.nan_to_num(values, nan=0.0), minlength=self.size)

    def mean(self, values: np.ndarray) -> np.ndarray:
        """Per-group mean over the values present; NaN where a group has none."""
        present = ~np.isnan(values)
        counts = self.count(present)
        sums = np.bincount(self.codes[present], weights=values[present], minlength=self.size)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)

    def distinct(self, value_codes: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """Per-group count of distinct value codes (a code per distinct value, -1 included)."""
        codes, values = self.codes, value_codes.astype(np.int64)
        if mask is not None:
            codes, values = codes[mask], values[mask]
        width = int(values.max(initial=0)) + 2
        pairs = pd.unique(codes.astype(np.int64) * width + values + 1)  # hashing beats sorting here
        return np.bincount(pairs // width, minlength=self.size)

    def first_seen(self, newest_first: np.ndarray) -> tuple[list[int], np.ndarray]:
        """Group codes in the order the reference meets them, and each group's newest row."""
        in_order = self.codes[newest_first]
        first = np.flatnonzero(~pd.Series(in_order).duplicated().to_numpy())
        codes = in_order[first]
        newest_rows = newest_first[first]
        ordered = _js_key_order([self.labels[c] for c in codes])
        position = {self.labels[c]: i for i, c in enumerate(codes)}
        pick = [position[label] for label in ordered]
        return [int(codes[i]) for i in pick], newest_rows[pick]


def group_by(column: pd.Series, missing: str = UNKNOWN) -> Groups:
    """Groups of `value || missing`: a missing or empty value goes to `missing`."""
    categories = list(column.cat.categories)
    labels = [c if c != "" else missing for c in categories]
    merged = list(dict.fromkeys(labels + [missing]))
    index = {label: i for i, label in enumerate(merged)}
    to_merged = np.array([index[label] for label in labels] + [index[missing]], dtype=np.intp)
    codes = column.cat.codes.to_numpy()  # -1 (missing) picks the last entry: `missing`
    return Groups(to_merged[codes], merged)


def _js_key_order(keys: list[str]) -> list[str]:
    indexes = sorted((k for k in keys if _ARRAY_INDEX.fullmatch(k) and int(k) < 2**32 - 1), key=int)
    index_set = set(indexes)
    return indexes + [k for k in keys if k not in index_set]


def _by_field(frame: pd.DataFrame, field: str, newest_first: np.ndarray) -> list[dict]:
    groups = group_by(frame[field])
    order, _ = groups.first_seen(newest_first)
    calls = groups.count()
    cost = groups.total(frame["cost_usd"].to_numpy())
    duration = groups.mean(frame["duration_ms"].to_numpy())
    tokens = {name: groups.total(frame[name].to_numpy()) for name in TOKEN_FIELDS} if field == "model" else {}
    rows = []
    for code in order:
        row = {field: groups.labels[code], "calls": int(calls[code]), "cost_usd": _number(cost[code])}
        row.update((name, _number(sums[code])) for name, sums in tokens.items())
        row["avg_duration_ms"] = _number(duration[code])
        if field == "model":
            row["avg_cost_usd"] = float(cost[code]) / int(calls[code])
        rows.append(row)
    if field == "tier":
        # The reference counts distinct raw install_id values: a missing one is one value,
        # and "" is another.
        installs = groups.distinct(frame["install_id"].cat.codes.to_numpy())
        for row, code in zip(rows, order):
            row["unique_installs"] = int(installs[code])
    return rows


def by_install(frame: pd.DataFrame, newest_first: np.ndarray | None = None) -> list[dict]:
    """Every install, most spend first (the reference keeps the first TOP_INSTALLS)."""
    if newest_first is None:
        newest_first = newest_first_order(frame)
    groups = group_by(frame["install_id"])
    order, newest_rows = groups.first_seen(newest_first)
    tiers = frame["tier"].to_numpy()[newest_rows] if len(newest_rows) else []
    jobs = frame["job_id"]
    real_job = (jobs.notna() & (jobs != "")).to_numpy()  # filter(Boolean)
    job_codes, _ = pd.factorize(jobs)
    calls = groups.count()
    cost = groups.total(frame["cost_usd"].to_numpy())
    summaries = groups.distinct(job_codes, real_job)
    duration = groups.mean(frame["duration_ms"].to_numpy())
    last_active = np.full(groups.size, -np.inf)
    np.maximum.at(last_active, groups.codes, frame["ts"].to_numpy())
    rows = [
        {
            "install_id": groups.labels[code],
            "tier_snapshot": tier if isinstance(tier, str) and tier else DEFAULT_TIER,
            "calls": int(calls[code]),
            "cost_usd": _number(cost[code]),
            "summaries": int(summaries[code]),
            "avg_duration_ms": _number(duration[code]),
            "last_active_at": _number(last_active[code]),
        }
        for code, tier in zip(order, tiers)
    ]
    return sorted(rows, key=lambda r: -r["cost_usd"])  # stable, like Array.prototype.sort


def by_hour_utc(frame: pd.DataFrame) -> list[dict]:
    hours = hour_of_day_utc(frame["ts"].to_numpy())
    calls = np.bincount(hours, minlength=24)
    cost = np.bincount(hours, weights=np.nan_to_num(frame["cost_usd"].to_numpy()), minlength=24)
    return [{"hour_utc": h, "calls": int(calls[h]), "cost_usd": _number(cost[h])} for h in range(24)]


def hour_of_day_utc(ts: np.ndarray) -> np.ndarray:
    # Date(ts) truncates fractional ms toward zero; floor-mod then gives getUTCHours().
    return (np.trunc(ts).astype(np.int64) // MS_PER_HOUR % 24).astype(np.intp)


def cost_vs_speed(model_rows: list[dict]) -> list[dict]:
    rows = [
        {"model": r["model"], "avg_cost_usd": r["avg_cost_usd"], "avg_duration_ms": r["avg_duration_ms"], "calls": r["calls"]}
        for r in model_rows
    ]
    # Fastest first; a model with no durations at all has no place on the axis, so it goes last.
    return sorted(rows, key=lambda r: (r["avg_duration_ms"] is None, r["avg_duration_ms"] or 0))


def _sum(column: pd.Series) -> float | int:
    return _number(column.sum())  # NaN (a missing value) counts as 0, as `x || 0` does


def _mean(column: pd.Series) -> float | None:
    return _number(column.mean()) if column.notna().any() else None


def _number(value) -> float | int | None:
    """A figure as JSON.stringify would print it: whole numbers without a fraction."""
    if value is None:
        return None
    value = float(value)
    if math.isnan(value):
        return None
    return int(value) if value.is_integer() and abs(value) < 2**53 else value
