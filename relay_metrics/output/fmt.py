"""One vocabulary for showing numbers: every page, chart and table formats through here.

Rules (the same kind of figure is always shown the same way):
- money: "$1,234.56" (totals, revenue, cost, margin, prices); negative "-$12.30".
- unit costs (per call, per job, per summary, per credit): below $1 four significant digits
  ("$0.01751", "$0.02500"), from $1 on like money.
- percent: one decimal, "37.5%"; `percent` takes a value already in percent (margin %),
  `share` a fraction (success rate 0.375).
- counts: thousands separators, "103,082".
- durations: "850 ms" below 1 s, "15.9 s" below a minute, then "2 m 5 s" (and "1 h 2 m" past an hour).
- times: "2026-01-01 14:03 CET", always with their zone.
- missing (None, NaN, NaT, pd.NA): an en dash, "–".

Each function takes `signed=True` (where a change makes sense) to show a delta: "+$1.20".
The D3_* formats and `vega_duration` are the same rules for Altair axes and tooltips.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

DASH = "–"  # en dash: a missing value


def is_missing(value: object) -> bool:
    """None, NaN, NaT or pd.NA (and inf, which no figure should show)."""
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    if isinstance(value, (float, np.floating)):
        return not math.isfinite(float(value))
    return False


def _sign(value: float, signed: bool) -> str:
    if value < 0:
        return "-"
    return "+" if signed and value > 0 else ""


def money(value: float | None, *, signed: bool = False) -> str:
    """$1,234.56; -$12.30; with `signed`, +$1.20."""
    if value is None or is_missing(value):
        return DASH
    cents = round(float(value), 2)
    return f"{_sign(cents, signed)}${abs(cents):,.2f}"


def unit_cost(value: float | None, *, signed: bool = False) -> str:
    """A cost per call, job, summary or credit: below $1 with 4 significant digits ($0.01751)."""
    if value is None or is_missing(value):
        return DASH
    value = float(value)
    if value == 0 or abs(value) >= 1:
        return money(value, signed=signed)
    decimals = 3 - math.floor(math.log10(abs(value)))
    rounded = round(value, decimals)
    if abs(rounded) >= 1:  # 0.99996 rounds up to a dollar
        return money(rounded, signed=signed)
    return f"{_sign(rounded, signed)}${abs(rounded):.{decimals}f}"


def percent(value: float | None, *, signed: bool = False) -> str:
    """A value already in percent (37.5 -> "37.5%"), one decimal."""
    if value is None or is_missing(value):
        return DASH
    tenths = round(float(value), 1)
    return f"{_sign(tenths, signed)}{abs(tenths):.1f}%"


def share(value: float | None, *, signed: bool = False) -> str:
    """A fraction as a percent (0.375 -> "37.5%"), one decimal."""
    return DASH if value is None or is_missing(value) else percent(float(value) * 100, signed=signed)


def points(value: float | None, *, signed: bool = True) -> str:
    """A change of a share (a fraction) in percentage points: 0.012 -> "+1.2 pts" (always signed)."""
    if value is None or is_missing(value):
        return DASH
    tenths = round(float(value) * 100, 1)
    return f"{_sign(tenths, True)}{abs(tenths):.1f} pts"


def count(value: float | None, *, signed: bool = False) -> str:
    """A count with thousands separators: 103,082 (rounded if it isn't whole)."""
    if value is None or is_missing(value):
        return DASH
    whole = round(float(value))
    return f"{_sign(whole, signed)}{abs(whole):,}"


def count_short(value: float | None, *, signed: bool = False) -> str:
    """A count for a narrow card: with separators below ten million, else 3 significant
    digits and a word: "12.8 billion". The full count belongs in the card's help."""
    if value is None or is_missing(value):
        return DASH
    value = float(value)
    if abs(round(value)) < 10_000_000:
        return count(value, signed=signed)
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if abs(value) >= size * 0.9995:
            scaled = abs(value) / size
            digits = 2 - math.floor(math.log10(round(scaled, 2 - math.floor(math.log10(scaled)))))
            return f"{_sign(value, signed)}{scaled:,.{max(digits, 0)}f} {word}"
    return count(value, signed=signed)  # not reached: 10 million and up is a million or more


def delta(value: object, show: Callable[..., str]) -> str | None:
    """A metric card's change: `show(value, signed=True)`, or None (no delta drawn) when missing."""
    return None if is_missing(value) else show(value, signed=True)


def duration(ms: float | None, *, signed: bool = False) -> str:
    """850 ms; 15.9 s; 2 m 5 s; 1 h 2 m."""
    if ms is None or is_missing(ms):
        return DASH
    ms = float(ms)
    sign = _sign(round(ms), signed)
    ms = abs(ms)
    if round(ms) < 1000:
        return f"{sign}{round(ms):,} ms"
    tenths = round(ms / 100)  # in tenths of a second
    if tenths < 600:
        return f"{sign}{tenths / 10:.1f} s"
    seconds = round(ms / 1000)
    if seconds < 3600:
        return f"{sign}{seconds // 60} m {seconds % 60} s"
    minutes = round(ms / 60_000)
    return f"{sign}{minutes // 60:,} h {minutes % 60} m"


def timestamp(value: float | datetime | pd.Timestamp | None, zone: str = "UTC") -> str:
    """A moment in `zone`, with the zone: "2026-01-01 14:03 CET". Numbers are epoch ms."""
    if is_missing(value):
        return DASH
    if isinstance(value, (int, float, np.integer, np.floating)):
        moment = pd.Timestamp(int(value), unit="ms", tz="UTC")
    else:
        moment = pd.Timestamp(value)
        if moment.tzinfo is None:
            moment = moment.tz_localize("UTC")
    local = moment.tz_convert(ZoneInfo(zone))
    name = local.tzname() or zone
    if name[:1] in "+-":  # zones without an abbreviation: "+0530" -> "UTC+0530"
        name = "UTC" + name
    return f"{local:%Y-%m-%d %H:%M} {name}"


def day(value: date | datetime | pd.Timestamp | None) -> str:
    """A calendar day: 2026-01-01."""
    if is_missing(value):
        return DASH
    return f"{pd.Timestamp(value):%Y-%m-%d}"


def text(value: object) -> str:
    """A label as text ("–" when missing); log text keeps any lone surrogate visible as an escape."""
    if is_missing(value):
        return DASH
    shown = str(value)
    try:
        shown.encode("utf-8")
    except UnicodeEncodeError:
        shown = shown.encode("utf-8", "backslashreplace").decode("utf-8")
    return shown


# ── the same rules for Altair (d3-format strings and Vega expressions) ─────────────────────

D3_MONEY = "$,.2f"
D3_UNIT_COST = "$,.4r"  # 4 significant digits; tooltips of costs below $1
D3_UNIT_COST_AXIS = "$,.4~r"  # axis ticks are round: no trailing zeros
D3_COUNT = ",d"
D3_SHARE = ".1%"  # a fraction
D3_PERCENT = ".1f"  # a value already in percent; put "%" in the title


def vega_duration(value: str = "datum.value") -> str:
    """A Vega expression showing the ms in `value` by `duration`'s rule (for labelExpr or calculate)."""
    return (
        f"isValid({value}) && isFinite({value}) ? "
        f"(abs({value}) < 999.5 ? format({value}, ',.0f') + ' ms' : "
        f"abs({value}) < 59950 ? format({value} / 1000, '.1f') + ' s' : "
        f"floor(round({value} / 1000) / 60) + ' m ' + (round({value} / 1000) % 60) + ' s') : '{DASH}'"
    )
