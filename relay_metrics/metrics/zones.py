"""Time zones: a record's local wall-clock time, computed from its raw `ts`.

Day boundaries and hours of the day in a zone come from each record's own UTC offset at
that instant, never from shifting UTC buckets (a zone's day is not always 24 h long and
some offsets are not whole hours).

Speed: a zone's offset changes only at its transitions, and tzdata never holds two
transitions less than 24 h apart (checked over every zone of the tzdata package), so each
UTC day holds at most one. We look up the offset at the start and end of each UTC day that
holds records (a few dozen Python calls for a month of data), bisect for the exact
transition instant in a day whose two ends differ, and map a million rows onto the few
resulting segments with one `searchsorted`.
"""

from __future__ import annotations

import time as _time
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

import numpy as np
import pandas as pd

MS_PER_DAY = 86_400_000
MS_PER_HOUR = 3_600_000
WEEKDAY_NAMES: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
UTC = "UTC"

# Offered first in a zone picker; all of tzdata follows.
COMMON_ZONES: tuple[str, ...] = (
    UTC,
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
)

# "localtime" and "posixrules" name whatever the server is configured with, not a place.
_AVAILABLE = available_timezones() - {"localtime", "posixrules"}
ZONES: list[str] = list(dict.fromkeys([z for z in COMMON_ZONES if z == UTC or z in _AVAILABLE] + sorted(_AVAILABLE)))
_ZONE_SET = frozenset(ZONES)

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_EPOCH_DAY = date(1970, 1, 1)
_ONE_MS = timedelta(milliseconds=1)
# datetime can't go beyond years 1..9999; an offset outside that range is the one at its edge.
_MIN_MS = (datetime(1, 1, 2, tzinfo=timezone.utc) - _EPOCH) // _ONE_MS
_MAX_MS = (datetime(9999, 12, 30, tzinfo=timezone.utc) - _EPOCH) // _ONE_MS


class UnknownZone(ValueError):
    """A zone name that is not in ZONES (an IANA name from tzdata, or "UTC")."""


def is_zone(name: object) -> bool:
    return isinstance(name, str) and name in _ZONE_SET


@lru_cache(maxsize=64)
def _tz(zone: str) -> tzinfo:
    if not is_zone(zone):
        raise UnknownZone(f"unknown time zone {zone!r}")
    return timezone.utc if zone == UTC else ZoneInfo(zone)


def _offset_ms(ms: int, tz: tzinfo) -> int:
    """The UTC offset, in ms, that `tz` has at instant `ms`."""
    moment = _EPOCH + timedelta(milliseconds=min(max(ms, _MIN_MS), _MAX_MS))
    return moment.astimezone(tz).utcoffset() // _ONE_MS


def local_ms(ts: np.ndarray, zone: str) -> np.ndarray:
    """Each instant's local wall-clock time in `zone`, as ms since 1970-01-01T00:00 local.

    `ts` is raw ms epoch; like JavaScript's Date, a fractional ms is truncated toward zero.
    """
    ms = np.trunc(np.asarray(ts, dtype=np.float64)).astype(np.int64)
    tz = _tz(zone)
    if zone == UTC or len(ms) == 0:
        return ms
    starts, offsets = _segments(_days_present(ms // MS_PER_DAY), tz)
    if len(offsets) == 1:
        return ms + offsets[0]
    return ms + offsets[np.searchsorted(starts, ms, side="right") - 1]


def _days_present(days: np.ndarray) -> np.ndarray:
    """The distinct values of `days`, ascending."""
    low, high = int(days.min()), int(days.max())
    if high - low <= 4 * len(days) + 4096:  # a dense range: count, don't hash
        return np.flatnonzero(np.bincount(days - low)) + low
    return np.sort(pd.unique(days))


def _segments(days: np.ndarray, tz: tzinfo) -> tuple[np.ndarray, np.ndarray]:
    """Ascending start instants and the offset in force from each, covering `days` (UTC days)."""
    offset_at: dict[int, int] = {}

    def offset(ms: int) -> int:
        if ms not in offset_at:
            offset_at[ms] = _offset_ms(ms, tz)
        return offset_at[ms]

    starts: list[int] = []
    offsets: list[int] = []

    def add(start: int, value: int) -> None:
        if not offsets or offsets[-1] != value:
            starts.append(start)
            offsets.append(value)

    for day in days.tolist():
        start, end = day * MS_PER_DAY, (day + 1) * MS_PER_DAY
        before, after = offset(start), offset(end)
        add(start, before)
        if after != before:
            # The one transition of this day: the first ms in (start, end] with the new offset.
            low, high = start, end
            while high - low > 1:
                middle = (low + high) // 2
                if offset(middle) == after:
                    high = middle
                else:
                    low = middle
            if high < end:
                add(high, after)
    return np.array(starts, dtype=np.int64), np.array(offsets, dtype=np.int64)


def _local_scalar(ms: int, tz: tzinfo) -> int:
    return ms + _offset_ms(ms, tz)


def date_of_ms(ms: float, zone: str) -> date:
    """The local date in `zone` of instant `ms` (ms epoch)."""
    local = _local_scalar(int(np.trunc(ms)), _tz(zone))
    return _EPOCH_DAY + timedelta(days=local // MS_PER_DAY)


def today_in(zone: str, now_ms: float | None = None) -> date:
    return date_of_ms(_time.time() * 1000 if now_ms is None else now_ms, zone)


def window_ms(start: date, end: date, zone: str) -> tuple[int, int]:
    """Inclusive ms bounds of the local days start..end in `zone`.

    A day starts at its first instant whose local date is that day: local midnight, or the
    end of a DST gap where midnight does not exist. So a window's length follows DST.
    """
    tz = _tz(zone)
    since = _day_start(start, tz)
    if end >= date.max:
        return since, _MAX_MS
    return since, _day_start(end + timedelta(days=1), tz) - 1


def _day_start(day: date, tz: tzinfo) -> int:
    midnight = datetime.combine(day, time())
    target = (day - _EPOCH_DAY).days * MS_PER_DAY  # the day's start as local ms
    early, late = sorted((midnight.replace(tzinfo=tz, fold=fold) - _EPOCH) // _ONE_MS for fold in (0, 1))
    if _local_scalar(early, tz) >= target:
        return early  # midnight exists (the earlier one if it happens twice)
    # Midnight falls in a DST gap: the day starts when the gap ends, somewhere in (early, late].
    while late - early > 1:
        middle = (early + late) // 2
        if _local_scalar(middle, tz) >= target:
            late = middle
        else:
            early = middle
    return late
