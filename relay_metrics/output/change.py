"""A change against the previous period, as a metric card shows it: absolute and percent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Change:
    text: str | None  # None: nothing to compare with
    arrow: str  # "auto", or "off" for no change (no arrow on zero)


def change(current: float | None, previous: float | None, absolute: Callable[[float], str]) -> Change:
    """`absolute` writes the signed difference (e.g. "+$12.00"); the percent of the previous
    value follows it, when that is not zero."""
    if current is None or previous is None:
        return Change(None, "off")
    delta = current - previous
    if delta == 0:
        return Change(f"{absolute(0.0)} (0%)", "off")
    percent = f" ({delta / abs(previous) * 100:+,.1f}%)" if previous else ""
    return Change(absolute(delta) + percent, "auto")


def signed_money(value: float, digits: int = 2) -> str:
    sign = "+" if value > 0 else "-" if value < 0 else "±"  # ASCII: st.metric reads the arrow from it
    return f"{sign}${abs(value):,.{digits}f}"


def signed_count(value: float) -> str:
    return f"{value:+,.0f}" if value else "±0"


def signed_points(value: float) -> str:
    return f"{value:+,.1f} pts" if value else "±0.0 pts"


def signed_seconds(ms: float) -> str:
    return f"{ms / 1000:+,.2f} s" if ms else "±0.00 s"
