"""Time windows: what `--since`/`--until` mean, and the default window of readEntries."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from relay_metrics.metrics.zones import MS_PER_DAY

DEFAULT_DAYS = 30

_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
_YEAR = re.compile(r"\d{4}")  # `--since 2026` is a year, never 2026 ms after 1970
_EPOCH_MS = re.compile(r"-?\d+")


class BadTime(ValueError):
    """A time the user wrote that we can't read; the message says what we expected."""


@dataclass(frozen=True)
class Window:
    """Inclusive bounds in ms epoch, as readEntries compares them; None is unbounded."""

    since_ms: float | None
    until_ms: float | None

    def to_dict(self) -> dict:
        return {"since_ms": _int(self.since_ms), "until_ms": _int(self.until_ms)}


def parse_when(text: str, *, end_of_day: bool = False) -> int:
    """ms epoch from a year (4 digits), ms digits, an ISO date or an ISO datetime (UTC unless it
    names an offset).

    With end_of_day, a bare date means the last millisecond of that day, so that
    `--until 2026-11-01` includes all of November 1st, and a year its December 31st.
    """
    text = text.strip()
    if _YEAR.fullmatch(text):
        year = int(text)
        if year < 1:
            raise BadTime(f"can't read time {text!r}: there is no year 0")
        if not end_of_day:
            return _ms(datetime(year, 1, 1, tzinfo=UTC))
        return _ms(datetime(year, 12, 31, tzinfo=UTC)) + MS_PER_DAY - 1
    if _EPOCH_MS.fullmatch(text):
        return int(text)
    try:
        if _DATE_ONLY.fullmatch(text):
            day = datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
            if end_of_day:
                day += timedelta(days=1, milliseconds=-1)
            return _ms(day)
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise BadTime(
            f"can't read time {text!r}: use a year (2026), ms since the epoch, a date (2026-11-01) "
            "or a date and time (2026-11-01T09:30, optionally with Z or +02:00)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return _ms(moment)


def resolve_window(since: str | None, until: str | None, everything: bool, now_ms: int | None = None) -> Window:
    """The window of a command: given bounds, everything, or readEntries' last 30 days."""
    if everything:
        return Window(None, None)
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    since_ms = parse_when(since) if since is not None else now_ms - DEFAULT_DAYS * MS_PER_DAY
    until_ms = parse_when(until, end_of_day=True) if until is not None else None
    if until_ms is not None and until_ms < since_ms:
        raise BadTime("--until is before --since: the window would be empty")
    return Window(since_ms, until_ms)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _ms(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _int(value: float | None) -> int | float | None:
    return int(value) if value is not None and float(value).is_integer() else value
