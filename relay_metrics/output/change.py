"""A change against the previous period, as a metric card shows it: absolute and percent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from relay_metrics.output import fmt


@dataclass(frozen=True)
class Change:
    text: str | None  # None: nothing to compare with
    arrow: Literal["auto", "off"]  # "auto", or "off" for no change (no arrow on zero)


def change(current: float | None, previous: float | None, show: Callable[..., str]) -> Change:
    """`show(difference, signed=True)` writes the absolute change (fmt.money, fmt.count, ...);
    the percent of the previous value follows it, when that is not zero. Signs are ASCII:
    st.metric reads its arrow from them."""
    if current is None or previous is None or fmt.is_missing(current) or fmt.is_missing(previous):
        return Change(None, "off")
    difference = float(current) - float(previous)
    if difference == 0:
        return Change(f"{show(0.0, signed=True)} (0%)", "off")
    percent = f" ({fmt.percent(difference / abs(float(previous)) * 100, signed=True)})" if previous else ""
    return Change(show(difference, signed=True) + percent, "auto")


def percent_points(value: float, *, signed: bool = True) -> str:
    """A change of a figure that is already in percent (margin %): 1.5 -> "+1.5 pts"."""
    return fmt.points(value / 100, signed=signed)
