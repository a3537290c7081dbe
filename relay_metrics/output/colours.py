"""One colour vocabulary for every chart: a colour means the same thing on every page.

- Figures: cost blue, calls slate, revenue teal; margin is drawn as profit (green) or
  loss (red); a tier's price is black.
- Statuses: success green, error red, refused amber, anything else grey.
- Tiers: each tier name has its own colour, fixed by its name (never by its position among
  the tiers a filter left), so "pro" is the same purple on every chart. None of the tier
  colours is red, green, amber, blue or black: those already mean something.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

COST = "#4c78a8"
CALLS = "#5f6673"  # slate
REVENUE = "#2a9d8f"
PROFIT = "#3e8e41"
LOSS = "#d62728"
PRICE = "#111111"
NEUTRAL = "#9e9e9e"  # zero lines, and what has no meaning of its own
EMPTY = "#f1f3f5"  # the low end of a count's shading (heatmap): almost no calls

SUCCESS = PROFIT
ERROR = LOSS
REFUSED = "#f2a02b"
OTHER_STATUS = NEUTRAL
STATUS = {"success": SUCCESS, "error": ERROR, "refused": REFUSED}

# Known tiers first, then a stable pick by name for any other.
TIER_PALETTE = ("#9d755d", "#9467bd", "#17becf", "#e377c2", "#bcbd22", "#8c564b", "#7b4173", "#5254a3")
KNOWN_TIERS = {"core": TIER_PALETTE[0], "pro": TIER_PALETTE[1], "max": TIER_PALETTE[2]}
NO_TIER = "#c7c7c7"  # "unknown" (no tier in the record) and "unattributed" (no install id)
_NO_TIER_NAMES = frozenset({"unknown", "unattributed", ""})

# Other labels (backends, ...): hues that mean nothing else, in turn.
LABEL_PALETTE = ("#6b6ecf", "#8c6d31", "#637939", "#393b79", "#e7ba52", "#ad494a")

# A series name (as legends show it) -> its colour, for two-axis charts' legends.
SERIES = {"Cost": COST, "Calls": CALLS, "Revenue": REVENUE, "Profit": PROFIT, "Loss": LOSS, "Price": PRICE}


def tier_colour(tier: str) -> str:
    """The colour of a tier, the same whatever else is shown."""
    if tier in KNOWN_TIERS:
        return KNOWN_TIERS[tier]
    if tier in _NO_TIER_NAMES:
        return NO_TIER
    return TIER_PALETTE[zlib.crc32(tier.encode("utf-8", "backslashreplace")) % len(TIER_PALETTE)]


def status_colour(status: str) -> str:
    return STATUS.get(status, OTHER_STATUS)


def tier_domain(tiers: Iterable[str]) -> tuple[list[str], list[str]]:
    """(domain, range) for an Altair colour scale over these tiers."""
    names = list(dict.fromkeys(tiers))
    return names, [tier_colour(t) for t in names]


def status_domain(statuses: Iterable[str]) -> tuple[list[str], list[str]]:
    """(domain, range) for an Altair colour scale over these statuses."""
    names = list(dict.fromkeys(statuses))
    return names, [status_colour(s) for s in names]


def series_domain(names: Iterable[str]) -> tuple[list[str], list[str]]:
    """(domain, range) for a legend naming figures ("Cost", "Calls", ...)."""
    names = list(names)
    return names, [SERIES[n] for n in names]
