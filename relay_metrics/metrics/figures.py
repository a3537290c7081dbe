"""The reference's `aggregate()`, on a loaded frame: same keys, field names, values and row order.

Where we differ on purpose: an average duration is taken over the records that have a
duration (None when none has), where the reference counts a missing one as 0; and a field of
the wrong type was already made missing by the loader, so strings are never summed.

Groups are counted with numpy.bincount over category codes: one pass per figure, no per-group
frames and no sort of all rows, so a million rows aggregate in a fraction of a second.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from relay_metrics.ingest.schema import TOKEN_FIELDS

UNKNOWN = "unknown"
DEFAULT_TIER = "core"  # the reference's tier_snapshot when the newest record has no tier
TOP_INSTALLS = 20
# Groups.distinct marks (group, value) pairs in a table of this many cells at most (bytes).
DENSE_PAIRS = 1 << 22
# aggregate()'s keys, in the reference's order.
FIGURES = ("summary", "by_tier", "by_model", "by_pipeline", "by_backend", "by_install", "by_hour_utc", "cost_vs_speed")
MS_PER_HOUR = 3_600_000

# JavaScript objects list "array index" keys first, in numeric order, whatever the insertion
# order; the reference builds its rows from Object.entries, so its row order does the same.
_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")


def aggregate(frame: pd.DataFrame) -> dict:
    """Every figure of the reference's aggregate(entries) for the records in `frame`."""
    found: dict[str, Any] = {
        "summary": summary(frame),
        "by_tier": by_field(frame, "tier"),
        "by_model": by_field(frame, "model"),
        "by_pipeline": by_field(frame, "pipeline"),
        "by_backend": by_field(frame, "backend"),
        "by_hour_utc": by_hour_utc(frame),
        "by_install": by_install(frame, top=TOP_INSTALLS),
    }
    found["cost_vs_speed"] = cost_vs_speed(found["by_model"])
    return {key: found[key] for key in FIGURES}


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


@dataclass(frozen=True)
class Groups:
    """Rows grouped by `value || "unknown"`: codes[i] is row i's group, labels[code] its key."""

    codes: np.ndarray
    labels: list[str]

    @property
    def size(self) -> int:
        return len(self.labels)

    @cached_property
    def _rows(self) -> np.ndarray:
        # Rows per group: count() and every mean() need it, one pass over the codes for all.
        return np.bincount(self.codes, minlength=self.size)

    def count(self, mask: np.ndarray | None = None) -> np.ndarray:
        if mask is None:
            return self._rows.copy()
        return np.bincount(self.codes[mask], minlength=self.size)

    def total(self, values: np.ndarray) -> np.ndarray:
        """Per-group sum, a missing (NaN) value counting as 0."""
        return np.bincount(self.codes, weights=_zeroed(values), minlength=self.size)

    def mean(self, values: np.ndarray) -> np.ndarray:
        """Per-group mean over the values present; NaN where a group has none."""
        missing = np.isnan(values)
        # Rows less the few without a value: no second pass over every row's weight.
        counts = self._rows - np.bincount(self.codes[missing], minlength=self.size)
        sums = np.bincount(self.codes, weights=_zeroed(values, missing), minlength=self.size)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)

    def latest(self, ts: np.ndarray) -> np.ndarray:
        """Per-group max of `ts` (-inf where a group has no rows)."""
        out = np.full(self.size, -np.inf)
        np.maximum.at(out, self.codes, ts)
        return out

    def distinct(self, value_codes: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """Per-group count of distinct value codes (a code per distinct value, -1 included)."""
        codes, values = self.codes, np.add(value_codes, 1, dtype=np.intp)  # -1 (missing) is a value too
        if mask is not None:
            codes, values = codes[mask], values[mask]
        width = int(values.max(initial=0)) + 1
        if self.size * width <= DENSE_PAIRS:
            # Few groups and values (installs per tier): mark each (group, value) pair in a
            # table and count the marks per group, half the work of the general way below.
            seen = np.zeros(self.size * width, dtype=bool)
            seen[codes * width + values] = True
            return np.count_nonzero(seen.reshape(self.size, width), axis=1)
        # Most values (a job id, an install) belong to one group. Give each value one group
        # that has it, count values per such group, then add the few (group, value) pairs
        # found elsewhere: no hashing of a million pairs.
        owner = np.full(int(values.max(initial=0)) + 1, -1, dtype=np.intp)
        owner[values] = codes  # repeated values: any one of their groups, which is all we need
        counts = np.bincount(owner[owner >= 0], minlength=self.size)
        elsewhere = owner[values] != codes
        if elsewhere.any():
            width = len(owner)
            pairs = pd.unique(codes[elsewhere].astype(np.int64) * width + values[elsewhere])
            counts += np.bincount(pairs // width, minlength=self.size)
        return counts

    def newest(self, ts: np.ndarray) -> tuple[list[int], np.ndarray]:
        """Group codes in the order the reference meets them, and each group's newest row,
        without sorting the rows as readEntries does.

        readEntries sorts newest first, keeping file order among equal ts, and groupBy meets a
        group at its first row there: its newest row, the earliest in the file on a tie. So
        groups are met by their newest ts, descending, then by that row's position.
        """
        latest = self.latest(ts)
        candidates = np.flatnonzero(ts == latest[self.codes])
        codes, first = np.unique(self.codes[candidates], return_index=True)
        rows = candidates[first]  # candidates ascend, so this is the earliest such row
        met = np.lexsort((rows, -latest[codes]))
        return self._js_order(codes[met], rows[met])

    def _js_order(self, codes: np.ndarray, rows: np.ndarray) -> tuple[list[int], np.ndarray]:
        ordered = _js_key_order([self.labels[c] for c in codes])
        position = {self.labels[c]: i for i, c in enumerate(codes)}
        pick = [position[label] for label in ordered]
        return [int(codes[i]) for i in pick], rows[pick]


def group_by(column: pd.Series, missing: str = UNKNOWN) -> Groups:
    """Groups of `value || missing`: a missing or empty value goes to `missing`."""
    categories = list(column.cat.categories)
    labels = [c if c != "" else missing for c in categories]
    merged = list(dict.fromkeys([*labels, missing]))
    index = {label: i for i, label in enumerate(merged)}
    to_merged = np.array([index[label] for label in labels] + [index[missing]], dtype=np.intp)
    codes = column.cat.codes.to_numpy()  # -1 (missing) picks the last entry: `missing`
    return Groups(to_merged[codes], merged)


def _js_key_order(keys: list[str]) -> list[str]:
    indexes = sorted((k for k in keys if _ARRAY_INDEX.fullmatch(k) and int(k) < 2**32 - 1), key=int)
    index_set = set(indexes)
    return indexes + [k for k in keys if k not in index_set]


def by_field(frame: pd.DataFrame, field: str) -> list[dict]:
    """The reference's by_tier / by_model / by_pipeline / by_backend rows for `field`."""
    groups = group_by(frame[field])
    order, _ = groups.newest(frame["ts"].to_numpy())
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


def by_install(frame: pd.DataFrame, top: int | None = None) -> list[dict]:
    """Every install (or the first `top`), most spend first, as the reference sorts them."""
    groups = group_by(frame["install_id"])
    order, newest_rows = groups.newest(frame["ts"].to_numpy())
    cost = groups.total(frame["cost_usd"].to_numpy())
    ranked = np.argsort(-cost[order], kind="stable")[:top]  # stable, like Array.prototype.sort
    order, newest_rows = [order[i] for i in ranked], newest_rows[ranked]
    tier = frame["tier"]
    tier_names = [*tier.cat.categories, None]  # code -1 (missing) reads the last entry
    tier_codes = tier.cat.codes.to_numpy()[newest_rows]
    jobs = job_codes(frame["job_id"])
    calls = groups.count()
    summaries = groups.distinct(jobs, jobs >= 0)
    duration = groups.mean(frame["duration_ms"].to_numpy())
    last_active = groups.latest(frame["ts"].to_numpy())
    return [
        {
            "install_id": groups.labels[code],
            "tier_snapshot": tier_names[tier_code] or DEFAULT_TIER,
            "calls": int(calls[code]),
            "cost_usd": _number(cost[code]),
            "summaries": int(summaries[code]),
            "avg_duration_ms": _number(duration[code]),
            "last_active_at": _number(last_active[code]),
        }
        for code, tier_code in zip(order, tier_codes)
    ]


def job_codes(jobs: pd.Series) -> np.ndarray:
    """Per row a code for its job id, -1 where there is none: missing or "" (filter(Boolean))."""
    if isinstance(jobs.dtype, pd.CategoricalDtype):  # as the loader makes it: the codes are there
        codes, uniques = jobs.cat.codes.to_numpy(), jobs.cat.categories
    else:  # strings of any kind, which may hold lone surrogates
        codes, uniques = pd.factorize(jobs)
    # One compare over the object array (~10 ms for 500k ids); an index lookup would first
    # hash every id, and pandas' == on an Index is several times slower.
    found = np.flatnonzero(np.asarray(uniques, dtype=object) == "")
    return np.where(codes == found[0], -1, codes) if len(found) else codes


def by_hour_utc(frame: pd.DataFrame) -> list[dict]:
    hours = hour_of_day_utc(frame["ts"].to_numpy())
    calls = np.bincount(hours, minlength=24)
    cost = np.bincount(hours, weights=_zeroed(frame["cost_usd"].to_numpy()), minlength=24)
    return [{"hour_utc": h, "calls": int(calls[h]), "cost_usd": _number(cost[h])} for h in range(24)]


def hour_of_day_utc(ts: np.ndarray) -> np.ndarray:
    # Date(ts) truncates fractional ms toward zero; floor-mod then gives getUTCHours().
    return (np.trunc(ts).astype(np.int64) // MS_PER_HOUR % 24).astype(np.intp)


def cost_vs_speed(model_rows: list[dict]) -> list[dict]:
    rows = [
        {
            "model": r["model"],
            "avg_cost_usd": r["avg_cost_usd"],
            "avg_duration_ms": r["avg_duration_ms"],
            "calls": r["calls"],
        }
        for r in model_rows
    ]
    # Fastest first; a model with no durations at all has no place on the axis, so it goes last.
    return sorted(rows, key=lambda r: (r["avg_duration_ms"] is None, r["avg_duration_ms"] or 0))


def _zeroed(values: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    """A missing (NaN) value as 0, as `x || 0` counts it; `missing` is np.isnan(values) when
    the caller has it. A third of nan_to_num's cost, and no copy when nothing is missing."""
    if missing is None:
        missing = np.isnan(values)
    return np.where(missing, 0.0, values) if missing.any() else values


def _sum(column: pd.Series) -> float | int | None:
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
