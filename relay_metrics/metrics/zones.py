"""Time zones: a record's local wall-clock time, computed from its raw `ts`.

Day boundaries and hours of the day in a zone come from each record's own UTC offset at
that instant, never from shifting UTC buckets (a zone's day is not always 24 h long and
some offsets are not whole hours).

The offsets come from pandas (`tz_convert` for instants, `tz_localize` with
ambiguous/nonexistent for local midnights) over the zoneinfo database: one vectorised pass
for a million rows, no search of our own except inside a DST gap that swallows midnight.
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
_REACH_MS = 26 * MS_PER_HOUR  # beyond any UTC offset (Apia crossed the date line: -11 h -> +13 h)


class UnknownZone(ValueError):
    """A zone name that is not in ZONES (an IANA name from tzdata, or "UTC")."""


def is_zone(name: object) -> bool:
    return isinstance(name, str) and name in _ZONE_SET


@lru_cache(maxsize=64)
def _tz(zone: str) -> tzinfo:
    if not is_zone(zone):
        raise UnknownZone(f"unknown time zone {zone!r}")
    return timezone.utc if zone == UTC else ZoneInfo(zone)


def local_ms(ts: np.ndarray, zone: str) -> np.ndarray:
    """Each instant's local wall-clock time in `zone`, as ms since 1970-01-01T00:00 local.

    `ts` is raw ms epoch; like JavaScript's Date, a fractional ms is truncated toward zero.
    """
    ms = np.trunc(np.asarray(ts, dtype=np.float64)).astype(np.int64)
    tz = _tz(zone)
    if zone == UTC or len(ms) == 0:
        return ms
    clamped = np.clip(ms, _MIN_MS, _MAX_MS)
    instants = pd.DatetimeIndex(clamped.view("datetime64[ms]")).tz_localize(timezone.utc).tz_convert(tz)
    offsets = instants.tz_localize(None).as_unit("ms").asi8 - clamped
    return ms + offsets


def date_of_ms(ms: float, zone: str) -> date:
    """The local date in `zone` of instant `ms` (ms epoch)."""
    local = int(local_ms(np.array([ms], dtype=np.float64), zone)[0])
    return _EPOCH_DAY + timedelta(days=local // MS_PER_DAY)


def today_in(zone: str, now_ms: float | None = None) -> date:
    return date_of_ms(_time.time() * 1000 if now_ms is None else now_ms, zone)


def window_ms(start: date, end: date, zone: str) -> tuple[int, int]:
    """Inclusive ms bounds of the local days start..end in `zone`.

    A day starts at its first instant whose local date is that day: local midnight, or the
    end of a DST gap where midnight does not exist. So a window's length follows DST.
    """
    since = _day_start(start, zone)
    if end >= date.max:
        return since, _MAX_MS
    return since, _day_start(end + timedelta(days=1), zone) - 1


def _day_start(day: date, zone: str) -> int:
    midnight = pd.Timestamp(datetime.combine(day, time())).as_unit("ms")
    start = midnight.tz_localize(_tz(zone), ambiguous=True, nonexistent="NaT")  # True: the earlier midnight
    if start is not pd.NaT:
        return int(start.as_unit("ms").asm8.astype(np.int64))
    # Midnight falls in a gap: the day starts when the gap ends. pandas' nonexistent="shift_forward"
    # is off for gaps that are not whole hours (Kuala Lumpur 1905: 4 min 35 s), so take the first
    # second whose local time reaches midnight (tzdata's transitions fall on whole seconds, and no
    # offset is beyond 26 h).
    target = (day - _EPOCH_DAY).days * MS_PER_DAY  # the day's start as local ms
    seconds = np.arange(target - _REACH_MS, target + _REACH_MS, 1000, dtype=np.int64)
    return int(seconds[np.argmax(local_ms(seconds, zone) >= target)])
