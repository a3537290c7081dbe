"""The dashboard's tables, each from the already-filtered frame: small pandas DataFrames.

The reference's figures come from `figures` (never recomputed here); this module adds what
the dashboard shows beyond them: local-time days and hours, percentiles, per-summary costs,
one install's drill-down, and the data-quality tables.

Speed: groups are counted with numpy.bincount over category codes (`figures.group_by`),
local times come from `zones.local_ms`, and no per-row Python runs except over one
install's rows, so most tables take 10-60 ms on a million rows (job ids too: the loader
keeps them as category codes); `figures.by_install` takes ~200 ms.

Text from the log (install ids, models, errors) may hold lone surrogates, which pandas' str
dtype cannot; label columns are therefore built as object columns, and sorted in Python.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from relay_metrics.ingest.report import LoadReport
from relay_metrics.metrics import figures
from relay_metrics.metrics.figures import group_by
from relay_metrics.metrics.filters import key_in
from relay_metrics.metrics.zones import MS_PER_DAY, MS_PER_HOUR, WEEKDAY_NAMES, local_ms

OVERVIEW_KEYS: tuple[str, ...] = (
    "calls",
    "success_rate",
    "total_cost_usd",
    "cost_per_summary_usd",
    "avg_duration_ms",
    "p95_duration_ms",
    "total_tokens",
)
CALL_COLUMNS: tuple[str, ...] = (
    "time",
    "tier",
    "pipeline",
    "backend",
    "model",
    "status",
    "duration_ms",
    "cost_usd",
    "job_id",
    "error",
)
TIER_COLUMNS = ("tier", "calls", "cost_usd", "avg_duration_ms", "unique_installs")
MODEL_COLUMNS = (
    "model",
    "calls",
    "cost_usd",
    "input_tokens",
    "output_tokens",
    "thinking_tokens",
    "avg_duration_ms",
    "avg_cost_usd",
)
INSTALL_COLUMNS = ("install_id", "tier_snapshot", "calls", "cost_usd", "summaries", "avg_duration_ms", "last_active_at")
_EPOCH_DAY = date(1970, 1, 1)


# ── overview ─────────────────────────────────────────────────────────────────────────────


def overview(frame: pd.DataFrame) -> dict:
    """The Overview page's metric cards; None where a figure has nothing to go on."""
    s = figures.summary(frame)
    job_cost, summaries = _summary_jobs(frame)
    durations = _present(frame["duration_ms"].to_numpy())
    return {
        "calls": s["calls"],
        "success_rate": s["success_rate"],
        "total_cost_usd": s["total_cost_usd"],
        "cost_per_summary_usd": job_cost / summaries if summaries else None,
        "avg_duration_ms": s["avg_duration_ms"],
        "p95_duration_ms": float(np.percentile(durations, 95)) if len(durations) else None,
        "total_tokens": s["total_input_tokens"] + s["total_output_tokens"] + s["total_thinking_tokens"],
    }


def deltas(current: dict, previous: dict) -> dict:
    """current - previous for each overview key; None where either side is None, and
    everywhere when the previous period had no calls (a change from nothing says nothing)."""
    if not previous.get("calls"):
        return dict.fromkeys(current)
    return {
        key: None if current.get(key) is None or previous.get(key) is None else current[key] - previous[key]
        for key in current
    }


def previous_window(since_ms: int, until_ms: int) -> tuple[int, int]:
    """The inclusive window of the same length that ends just before `since_ms`."""
    length = until_ms - since_ms + 1
    return since_ms - length, since_ms - 1


def daily(frame: pd.DataFrame, zone: str, start: date, end: date) -> pd.DataFrame:
    """One row per local day start..end (days without calls included, as zeros)."""
    n_days = max((end - start).days + 1, 0)
    day = _local_days(frame, zone) - (start - _EPOCH_DAY).days
    cost = _zeroed(frame["cost_usd"])
    errors = (frame["status"] == "error").to_numpy()
    refused = (frame["status"] == "refused").to_numpy()
    keep = (day >= 0) & (day < n_days)
    if not keep.all():  # index the arrays, not the frame: copying a frame costs more
        day, cost, errors, refused = day[keep], cost[keep], errors[keep], refused[keep]
    return pd.DataFrame(
        {
            "day": pd.date_range(start, periods=n_days, freq="D", unit="ms"),
            "calls": np.bincount(day, minlength=n_days),
            "cost_usd": np.bincount(day, weights=cost, minlength=n_days),
            "errors": np.bincount(day[errors], minlength=n_days),
            "refused": np.bincount(day[refused], minlength=n_days),
        }
    )


def status_mix(frame: pd.DataFrame) -> pd.DataFrame:
    """Calls per status key, most first; share of all calls."""
    groups = group_by(frame["status"])
    calls = groups.count()
    order = sorted(np.flatnonzero(calls).tolist(), key=lambda c: (-calls[c], groups.labels[c]))
    total = max(len(frame), 1)
    return pd.DataFrame(
        {
            "status": _labels([groups.labels[c] for c in order]),
            "calls": calls[order].astype(np.int64),
            "share": calls[order] / total,
        }
    )


# ── the reference's tables, plus what the pages add ─────────────────────────────────────


def tier_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The reference's by_tier rows, plus summaries and cost per install and per summary."""
    table = _rows_frame(figures.by_field(frame, "tier"), TIER_COLUMNS)
    groups = group_by(frame["tier"])
    job_codes, _ = _job_codes(frame["job_id"])
    real = job_codes >= 0
    summaries = groups.distinct(job_codes, real) if real.any() else np.zeros(groups.size, np.int64)
    code_of = {label: code for code, label in enumerate(groups.labels)}
    table["summaries"] = np.array([summaries[code_of[t]] for t in table["tier"]], dtype=np.int64)
    table["cost_per_install_usd"] = table["cost_usd"] / table["unique_installs"]
    # As the Overview and Profitability count it: job calls' cost over jobs that delivered a summary.
    delivered = real & (frame["pipeline"] == "analyze").to_numpy() & (frame["status"] == "success").to_numpy()
    summary_jobs = groups.distinct(job_codes, delivered) if delivered.any() else np.zeros(groups.size, np.int64)
    job_cost = groups.total(np.where(real, np.nan_to_num(frame["cost_usd"].to_numpy(dtype=float)), 0.0))
    per_summary = [
        job_cost[code_of[t]] / summary_jobs[code_of[t]] if summary_jobs[code_of[t]] else np.nan for t in table["tier"]
    ]
    table["cost_per_summary_usd"] = np.array(per_summary, dtype=float)
    return table


def model_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The reference's by_model rows, plus the median and 95th percentile duration."""
    table = _rows_frame(figures.by_field(frame, "model"), MODEL_COLUMNS)
    groups = group_by(frame["model"])
    p50, p95 = _group_percentiles(groups, frame["duration_ms"].to_numpy(), (50, 95))
    code_of = {label: code for code, label in enumerate(groups.labels)}
    codes = [code_of[m] for m in table["model"]]
    table["p50_duration_ms"] = p50[codes] if codes else np.array([], dtype=np.float64)
    table["p95_duration_ms"] = p95[codes] if codes else np.array([], dtype=np.float64)
    return table


def pipeline_table(frame: pd.DataFrame) -> pd.DataFrame:
    return _rows_frame(figures.by_field(frame, "pipeline"), ("pipeline", "calls", "cost_usd", "avg_duration_ms"))


def backend_table(frame: pd.DataFrame) -> pd.DataFrame:
    return _rows_frame(figures.by_field(frame, "backend"), ("backend", "calls", "cost_usd", "avg_duration_ms"))


def most_cost_first(table: pd.DataFrame) -> pd.DataFrame:
    """A table for a page: the most cost first (ties: most calls, then the reference's order).

    The tables above keep the reference's order (the CLI's JSON does too); pages show what
    costs most on top. A table with a cost per call (cost_vs_speed) ranks by that times calls."""
    cost = table["cost_usd"] if "cost_usd" in table else table["avg_cost_usd"] * table["calls"]
    calls = table["calls"] if "calls" in table else pd.Series(0, index=table.index)
    order = np.lexsort((-calls.to_numpy(dtype=np.float64), -cost.fillna(-np.inf).to_numpy(dtype=np.float64)))
    return table.iloc[order].reset_index(drop=True)


def cost_vs_speed_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The reference's cost_vs_speed rows, with each model's most common backend key."""
    rows = figures.cost_vs_speed(figures.by_field(frame, "model"))
    models, backends = group_by(frame["model"]), group_by(frame["backend"])
    pairs = np.bincount(models.codes * backends.size + backends.codes, minlength=models.size * backends.size)
    pairs = pairs.reshape(models.size, backends.size)
    code_of = {label: code for code, label in enumerate(models.labels)}
    for row in rows:
        counts = pairs[code_of[row["model"]]]
        # Most calls; a tie goes to the name that sorts first, so the answer is stable.
        row["backend"] = min(backends.labels[b] for b in np.flatnonzero(counts == counts.max()))
    return _rows_frame(
        rows, ("model", "backend", "avg_cost_usd", "avg_duration_ms", "calls"), text=("model", "backend")
    )


def installs_table(frame: pd.DataFrame, top: int | None = figures.TOP_INSTALLS, prefix: str = "") -> pd.DataFrame:
    """The reference's installs (most spend first) whose id starts with `prefix`, the first `top`.

    `last_active` is `last_active_at` as a UTC timestamp, for display.
    """
    rows = [r for r in figures.by_install(frame) if r["install_id"].startswith(prefix)]
    if top is not None:
        rows = rows[: max(top, 0)]
    table = _rows_frame(rows, INSTALL_COLUMNS, text=("install_id", "tier_snapshot"))
    table["last_active"] = _utc(table["last_active_at"].to_numpy())
    return table


# ── one install ──────────────────────────────────────────────────────────────────────────


def install_calls(frame: pd.DataFrame, install_id: str) -> pd.DataFrame:
    """One install's calls (matched on its group key: "unknown" is a missing or empty id), newest first."""
    rows = _install_rows(frame, install_id)
    order = np.argsort(-rows["ts"].to_numpy(), kind="stable")
    return rows.iloc[order][list(CALL_COLUMNS)].reset_index(drop=True)


def install_daily(frame: pd.DataFrame, install_id: str, zone: str) -> pd.DataFrame:
    """One install's calls, cost and errors per local day, days with calls only."""
    rows = _install_rows(frame, install_id)
    days, day = np.unique(_local_days(rows, zone), return_inverse=True)
    n = len(days)
    return pd.DataFrame(
        {
            "day": pd.DatetimeIndex(days.astype("datetime64[D]").astype("datetime64[ms]")),
            "calls": np.bincount(day, minlength=n),
            "cost_usd": np.bincount(day, weights=_zeroed(rows["cost_usd"]), minlength=n),
            "errors": np.bincount(day[(rows["status"] == "error").to_numpy()], minlength=n),
        }
    )


def install_jobs(frame: pd.DataFrame, install_id: str) -> pd.DataFrame:
    """One row per job id of one install (newest job first): its calls, cost and statuses.

    `statuses` lists the status key of each of the job's calls, in time order.
    """
    rows = _install_rows(frame, install_id)
    codes, n_jobs = _job_codes(rows["job_id"])
    real = np.flatnonzero(codes >= 0)
    ts = rows["ts"].to_numpy()[real]
    codes = codes[real]
    order = np.lexsort((ts, codes))  # by job, then time
    codes, ts, real = codes[order], ts[order], real[order]
    status = group_by(rows["status"])
    status_keys = [status.labels[c] for c in status.codes[real]]
    firsts = np.flatnonzero(np.diff(codes, prepend=-1))  # each job's first (earliest) call
    ends = np.append(firsts[1:], len(codes))[: len(firsts)]
    jobs = rows["job_id"].to_numpy()[real]
    cost = np.bincount(codes, weights=_zeroed(rows["cost_usd"])[real], minlength=n_jobs)[codes[firsts]]
    table = pd.DataFrame(
        {
            "job_id": _labels(jobs[firsts].tolist()),
            "first_time": _utc(ts[firsts]),
            "calls": (ends - firsts).astype(np.int64),
            "cost_usd": cost,
            "statuses": _labels([", ".join(status_keys[a:b]) for a, b in zip(firsts, ends)]),
        }
    )
    newest = np.argsort(-ts[firsts], kind="stable")
    return table.iloc[newest].reset_index(drop=True)


# ── traffic ──────────────────────────────────────────────────────────────────────────────


def hourly(frame: pd.DataFrame, zone: str) -> pd.DataFrame:
    """Calls and cost per hour of the local day in `zone`: 24 rows, hours 0..23."""
    if zone == "UTC":
        rows = figures.by_hour_utc(frame)
        calls = np.array([r["calls"] for r in rows], dtype=np.int64)
        cost: np.ndarray = np.array([r["cost_usd"] for r in rows], dtype=np.float64)
    else:
        hour = (local_ms(frame["ts"].to_numpy(), zone) // MS_PER_HOUR % 24).astype(np.intp)
        calls = np.bincount(hour, minlength=24)
        cost = np.bincount(hour, weights=_zeroed(frame["cost_usd"]), minlength=24)
    return pd.DataFrame({"hour": np.arange(24), "calls": calls, "cost_usd": cost})


def weekday_hour(frame: pd.DataFrame, zone: str) -> pd.DataFrame:
    """Calls and cost per (local weekday, local hour): 7*24 rows, Monday 00h first."""
    local = local_ms(frame["ts"].to_numpy(), zone)
    weekday = (local // MS_PER_DAY + 3) % 7  # 1970-01-01 was a Thursday
    cell = (weekday * 24 + local // MS_PER_HOUR % 24).astype(np.intp)
    weekdays = np.repeat(np.arange(7), 24)
    return pd.DataFrame(
        {
            "weekday": weekdays,
            "weekday_name": _labels([WEEKDAY_NAMES[w] for w in weekdays]),
            "hour": np.tile(np.arange(24), 7),
            "calls": np.bincount(cell, minlength=168),
            "cost_usd": np.bincount(cell, weights=_zeroed(frame["cost_usd"]), minlength=168),
        }
    )


# ── data quality ─────────────────────────────────────────────────────────────────────────


def top_errors(frame: pd.DataFrame, n: int = 20) -> pd.DataFrame:
    """The commonest error strings of records with status "error" (a missing one: "unknown")."""
    is_error = (frame["status"] == "error").to_numpy()
    groups = group_by(frame["error"])
    calls = groups.count(is_error)
    last = _group_max(groups.codes[is_error], frame["ts"].to_numpy()[is_error], groups.size)
    order = sorted(np.flatnonzero(calls).tolist(), key=lambda c: (-calls[c], -last[c], groups.labels[c]))
    order = order[: max(n, 0)]
    return pd.DataFrame(
        {
            "error": _labels([groups.labels[c] for c in order]),
            "calls": calls[order].astype(np.int64),
            "share": calls[order] / max(int(is_error.sum()), 1),
            "last_seen": _utc(last[order]),
        }
    )


def refusals_by_tier(frame: pd.DataFrame) -> pd.DataFrame:
    """Per tier key: calls, refused calls and their share; most refusals first."""
    groups = group_by(frame["tier"])
    calls = groups.count()
    refused = groups.count((frame["status"] == "refused").to_numpy())
    order = sorted(np.flatnonzero(calls).tolist(), key=lambda c: (-refused[c], -calls[c], groups.labels[c]))
    return pd.DataFrame(
        {
            "tier": _labels([groups.labels[c] for c in order]),
            "calls": calls[order].astype(np.int64),
            "refused": refused[order].astype(np.int64),
            "refused_share": refused[order] / np.maximum(calls[order], 1),
        }
    )


def rejected_table(report: LoadReport) -> pd.DataFrame:
    return _counts_frame(report.rejected, "reason", "lines")


def samples_table(report: LoadReport) -> pd.DataFrame:
    """Sample lines of each rejection reason, then the pending (unfinished) last lines."""
    samples = [*report.samples, *report.pending_lines]
    return pd.DataFrame(
        {
            "file": _labels([s.file for s in samples]),
            "line": pd.array([s.line for s in samples], dtype="Int64"),  # None: read began mid-file
            "reason": _labels([s.reason for s in samples]),
            "text": _labels([s.text for s in samples]),
        }
    )


def field_problems_table(report: LoadReport) -> pd.DataFrame:
    return _counts_frame(report.field_problems, "field", "records")


# ── helpers ──────────────────────────────────────────────────────────────────────────────


def _rows_frame(rows: list[dict], columns: tuple[str, ...], text: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Figure rows as a frame: text columns as object (they may hold lone surrogates),
    counts as int64, the other figures as float64 (None -> NaN)."""
    text = (columns[0],) if text is None else text
    data = {}
    for name in columns:
        values = [r[name] for r in rows]
        if name in text:
            data[name] = _labels(values)
        elif name in ("calls", "unique_installs", "summaries"):
            data[name] = np.array(values, dtype=np.int64)
        else:
            data[name] = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    return pd.DataFrame(data)


def _counts_frame(counts, key: str, count: str) -> pd.DataFrame:
    """A Counter as a two-column frame, most first (ties by key)."""
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return pd.DataFrame({key: _labels([k for k, _ in items]), count: np.array([v for _, v in items], dtype=np.int64)})


def _labels(values: list) -> pd.Series:
    column = np.empty(len(values), dtype=object)
    column[:] = values
    return pd.Series(column, dtype=object)


def _utc(ms: np.ndarray) -> pd.DatetimeIndex:
    """ms epoch values (NaN allowed) as UTC timestamps, truncated like JavaScript's Date."""
    ms = np.asarray(ms, dtype=np.float64)
    finite = np.isfinite(ms)
    stamps = np.full(len(ms), np.datetime64("NaT"), dtype="datetime64[ms]")
    stamps[finite] = np.trunc(ms[finite]).astype(np.int64).astype("datetime64[ms]")
    return pd.DatetimeIndex(stamps).tz_localize("UTC")


def _zeroed(column: pd.Series) -> np.ndarray:
    return np.nan_to_num(column.to_numpy(dtype=np.float64), nan=0.0)


def _present(values: np.ndarray) -> np.ndarray:
    return values[~np.isnan(values)]


def _local_days(frame: pd.DataFrame, zone: str) -> np.ndarray:
    """Each record's local day in `zone`, as days since 1970-01-01."""
    return local_ms(frame["ts"].to_numpy(), zone) // MS_PER_DAY


def _install_rows(frame: pd.DataFrame, install_id: str) -> pd.DataFrame:
    return frame[key_in(frame["install_id"], (install_id,))]


def _group_max(codes: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Per-group max of `values` (-inf where a group has none)."""
    out = np.full(size, -np.inf)
    if len(codes):
        maxima = pd.Series(values).groupby(codes, sort=False).max()
        out[maxima.index.to_numpy()] = maxima.to_numpy()
    return out


def _group_percentiles(groups: figures.Groups, values: np.ndarray, qs: tuple[float, ...]) -> list[np.ndarray]:
    """Per group, each percentile `q` of its present values (linear, as numpy); NaN if none."""
    present = ~np.isnan(values)
    codes = groups.codes[present]
    values = values[present]
    narrow = np.int16 if groups.size < 2**15 else np.int64  # int16 sorts by radix: fast
    order = np.argsort(codes.astype(narrow), kind="stable")
    values = values[order]
    ends = np.cumsum(np.bincount(codes, minlength=groups.size))
    out = [np.full(groups.size, np.nan) for _ in qs]
    start = 0
    for code, end in enumerate(ends.tolist()):
        if end > start:
            for column, found in zip(out, np.percentile(values[start:end], qs)):
                column[code] = found
        start = end
    return out


def _summary_jobs(frame: pd.DataFrame) -> tuple[float, int]:
    """The cost of every call carrying a job id, and how many jobs delivered a summary (a
    successful analyze): cost per summary job as Profitability's unit economics count it."""
    codes, _ = _job_codes(frame["job_id"])
    has_job = codes >= 0
    cost = float(np.nansum(frame["cost_usd"].to_numpy(dtype=float)[has_job]))
    delivered = has_job & (frame["pipeline"] == "analyze").to_numpy() & (frame["status"] == "success").to_numpy()
    return cost, int(np.count_nonzero(np.bincount(codes[delivered]))) if delivered.any() else 0


def _job_codes(jobs: pd.Series) -> tuple[np.ndarray, int]:
    """figures.job_codes (dense codes, -1 where there is no job id), and how many distinct ids."""
    codes = figures.job_codes(jobs)
    present = codes[codes >= 0]
    return codes, int(np.count_nonzero(np.bincount(present))) if len(present) else 0
