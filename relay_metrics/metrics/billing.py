"""Real revenue from a billing export: who paid what, for which period.

A CSV with one row per subscription period: install id, tier, amount, interval (month or year),
start, end (empty: still active), and optionally trial and refunded flags and a trial end.
`[billing.columns]` in pricing.toml maps these fields to the file's own column names, so
Stripe's subscription export or a RevenueCat export is read as it comes (README, "Growth").

Revenue of a period = its monthly amount (a yearly plan: amount / 12) / P x its time inside the
range, P = 30.4375 days, as the activity rule prorates a month. Trials and refunded periods earn
nothing; a trial end, where given, starts the paid part of the period. The whole file is read
before anything is used: the first bad cell stops the read with its line and column.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from relay_metrics.metrics.pricing import BILLING_FIELDS
from relay_metrics.metrics.revenue import PERIOD_MS

FROM_BILLING = "from billing"
REQUIRED = ("install_id", "tier", "amount", "interval", "start", "end")
MAX_BYTES = 200_000_000  # a billing export is a few MB; anything this big is the wrong file

_MONTH = {"month", "monthly", "p1m", "1m", "mo"}
_YEAR = {"year", "yearly", "annual", "annually", "p1y", "p12m", "1y", "yr"}
_TRUE = {"true", "t", "yes", "y", "1", "trialing", "refunded"}
# Stripe's subscription statuses other than "trialing", so its Status column can be the trial flag.
_FALSE = {
    "false",
    "f",
    "no",
    "n",
    "0",
    "active",
    "past_due",
    "canceled",
    "unpaid",
    "incomplete",
    "incomplete_expired",
    "paused",
}
_AMOUNT = re.compile(r"[$€£]?\s*(\d{1,3}(,\d{3})+|\d+)(\.\d+)?")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class BillingError(ValueError):
    """The billing export can't be used; the message names the file, line and column."""


@dataclass(frozen=True)
class Billing:
    """Every period of the export, one row each (`line` is its line in the file).

    Columns: line, install_id, tier, amount_usd, interval, monthly_usd, start_ms, end_ms (inf:
    active), paid_from_ms (after any trial end), trial, refunded.
    """

    periods: pd.DataFrame
    source: str

    def paying(self) -> pd.DataFrame:
        """The paid intervals (trials and refunds earn nothing): install_id, tier, start_ms,
        end_ms, monthly_usd, as growth's activity intervals."""
        rows = self.periods[~self.periods["trial"] & ~self.periods["refunded"]]
        start = rows["paid_from_ms"].to_numpy(dtype=float)
        end = rows["end_ms"].to_numpy(dtype=float)
        keep = end > start
        return pd.DataFrame(
            {
                "install_id": pd.Series(rows["install_id"].to_numpy(dtype=object)[keep], dtype=object),
                "tier": pd.Series(rows["tier"].to_numpy(dtype=object)[keep], dtype=object),
                "start_ms": start[keep],
                "end_ms": end[keep],
                "monthly_usd": rows["monthly_usd"].to_numpy(dtype=float)[keep],
            }
        )


def load_billing(path: str | Path, columns: dict[str, str] | None = None) -> Billing:
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise BillingError(f"{path}: {path.stat().st_size:,} bytes is too big for a billing export")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BillingError(f"{path}: billing file not found") from None
    except OSError as exc:
        raise BillingError(f"{path}: cannot read billing file ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")  # a spreadsheet's export may start with a BOM
    except UnicodeDecodeError as exc:
        raise BillingError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    return parse_billing(text, columns or {}, str(path))


def parse_billing(text: str, columns: dict[str, str], name: str = "billing.csv") -> Billing:
    """Every row of the export, or BillingError at the first bad one: nothing half-read."""
    names = {field: columns.get(field, field) for field in BILLING_FIELDS}
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise BillingError(f"{name}, line 1: not valid CSV ({exc})") from None
    if not header:
        raise BillingError(f"{name}: empty file (expected a header row naming the columns)")
    header = [cell.strip() for cell in header]
    position: dict[str, int] = {}
    for field, column in names.items():
        if column in header:
            position[field] = header.index(column)
        elif field in REQUIRED or field in columns:
            hint = "" if field in columns else f" (or map {field} in [billing.columns])"
            raise BillingError(f"{name}, line 1: no column {column!r} for {field}{hint}")
    rows: list[tuple] = []
    try:
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue  # a blank line
            rows.append(_row(record, position, names, name, line))
    except csv.Error as exc:
        raise BillingError(f"{name}, line {reader.line_num}: not valid CSV ({exc})") from None
    data = list(zip(*rows)) if rows else [()] * 11  # the 11 fields of _row
    periods = pd.DataFrame(
        {
            "line": np.array(data[0], dtype=np.int64),
            "install_id": pd.Series(data[1], dtype=object),
            "tier": pd.Series(data[2], dtype=object),
            "amount_usd": np.array(data[3], dtype=float),
            "interval": pd.Series(data[4], dtype=object),
            "monthly_usd": np.array(data[5], dtype=float),
            "start_ms": np.array(data[6], dtype=float),
            "end_ms": np.array(data[7], dtype=float),
            "paid_from_ms": np.array(data[8], dtype=float),
            "trial": np.array(data[9], dtype=bool),
            "refunded": np.array(data[10], dtype=bool),
        }
    )
    return Billing(periods, name)


def _row(record: list[str], position: dict[str, int], names: dict[str, str], name: str, line: int) -> tuple:
    def cell(field: str) -> str:
        index = position.get(field)
        return record[index].strip() if index is not None and index < len(record) else ""

    def fail(field: str, message: str) -> BillingError:
        return BillingError(f"{name}, line {line}, column {names[field]!r}: {message}")

    install_id = cell("install_id")
    if not install_id:
        raise fail("install_id", "empty install id")
    tier = cell("tier")
    if not tier:
        raise fail("tier", "empty tier")
    amount = _amount(cell("amount"))
    if amount is None:
        raise fail("amount", f"{cell('amount')!r} is not an amount (expected a number >= 0 like 9.99)")
    interval = cell("interval").lower()
    if interval in _MONTH:
        interval, monthly = "month", amount
    elif interval in _YEAR:
        interval, monthly = "year", amount / 12
    else:
        raise fail("interval", f"{cell('interval')!r} is not an interval (expected month or year)")
    start = _when(cell("start"))
    if start is None:
        raise fail("start", f"{cell('start')!r} is not a date or time (expected e.g. 2026-01-05 or 2026-01-05T09:30Z)")
    end_text = cell("end")
    end = math.inf if not end_text else _when(end_text)
    if end is None:
        raise fail("end", f"{end_text!r} is not a date or time (leave it empty while the subscription is active)")
    if end < start:
        raise fail("end", f"{end_text!r} is before the start {cell('start')!r}")
    trial, refunded = _flag(cell("trial")), _flag(cell("refunded"))
    if trial is None:
        raise fail("trial", f"{cell('trial')!r} is not a yes/no flag (expected true/false, yes/no, 1/0 or empty)")
    if refunded is None:
        raise fail("refunded", f"{cell('refunded')!r} is not a yes/no flag or a refund time")
    trial_end_text = cell("trial_end")
    trial_end = start if not trial_end_text else _when(trial_end_text)
    if trial_end is None:
        raise fail("trial_end", f"{trial_end_text!r} is not a date or time")
    paid_from = min(max(start, trial_end), end)
    return (line, install_id, tier, amount, interval, monthly, start, end, paid_from, trial, refunded)


def _amount(text: str) -> float | None:
    if not _AMOUNT.fullmatch(text):
        return None
    return float(re.sub(r"[^\d.]", "", text))


def _flag(text: str) -> bool | None:
    """Yes/no; a date (RevenueCat's refunded_at) says yes, an empty cell no."""
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE or not lowered:
        return False
    return True if _when(text) is not None else None


def _when(text: str) -> float | None:
    """ms epoch of a date (its UTC midnight), an ISO date and time (UTC unless it names an
    offset, "T" or a space between), or a Unix time in seconds (ms when it has 13+ digits)."""
    if re.fullmatch(r"\d{9,}", text):
        return float(text) if len(text) >= 13 else float(text) * 1000
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            moment = datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        else:
            moment = datetime.fromisoformat(text.replace(" UTC", "").replace("z", "Z"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH).total_seconds() * 1000


def revenue_by_install_from_billing(billing: Billing, since_ms: float | None, until_ms: float) -> pd.DataFrame:
    """Billing's revenue per install over [since, until'] (`until_ms` is until' already), with
    the columns of revenue.revenue_by_install: install_id, tier (of its latest paid period
    starting at or before until'), revenue_usd, covered_ms (paid time inside the range).

    Holds the installs with paid time in the range; an install of the log missing here is
    unpaid (revenue 0), and an install here missing from the log is revenue with no cost.
    """
    paid = billing.paying()
    since = -math.inf if since_ms is None else float(since_ms)
    start, end = paid["start_ms"].to_numpy(), paid["end_ms"].to_numpy()
    overlap = np.clip(np.minimum(end, until_ms) - np.maximum(start, since), 0.0, None)
    started = start <= until_ms
    codes, labels = pd.factorize(paid["install_id"])
    n = len(labels)
    revenue = np.bincount(codes, weights=paid["monthly_usd"].to_numpy() / PERIOD_MS * overlap, minlength=n)
    covered = np.bincount(codes, weights=overlap, minlength=n)
    # The tier of each install's latest period started by until' (ties: the later row).
    order = np.lexsort((start, codes))
    latest = np.full(n, -1)
    rows = order[started[order]]
    latest[codes[rows]] = rows
    keep = covered > 0
    tiers = paid["tier"].to_numpy(dtype=object)
    result = pd.DataFrame(
        {
            "install_id": pd.Series(np.asarray(labels, dtype=object)[keep], dtype=object),
            "tier": pd.Series(tiers[latest[keep]], dtype=object),
            "revenue_usd": revenue[keep],
            "covered_ms": covered[keep],
        }
    )
    return result.sort_values("install_id", kind="stable").reset_index(drop=True)


def unmatched(
    billing: Billing, log_installs: set, range_installs: set, since_ms: float | None, until_ms: float
) -> tuple[pd.DataFrame, list]:
    """Billing rows of the range whose install the log never names, and installs of the range
    with no billing row at all: what Data quality lists when a billing export is in use."""
    periods = billing.periods
    since = -math.inf if since_ms is None else float(since_ms)
    in_range = (periods["start_ms"] <= until_ms) & (periods["end_ms"] >= since)
    orphan = in_range & ~periods["install_id"].isin(log_installs)
    rows = periods.loc[orphan, ["line", "install_id", "tier", "amount_usd", "interval", "start_ms", "end_ms"]]
    billed = set(periods["install_id"])
    return rows.reset_index(drop=True), sorted(i for i in range_installs if i not in billed)
