"""Narrowing the loaded frame to what a founder (or a script) asked to see."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from relay_metrics.metrics.figures import UNKNOWN

# The fields a view can be narrowed by, each matched on its group key (`value || "unknown"`).
FILTER_FIELDS: tuple[str, ...] = ("tier", "model", "pipeline", "backend", "status")


@dataclass(frozen=True)
class Filters:
    """Inclusive ms bounds (None: unbounded) and, per field, the keys to keep (None: all)."""

    since_ms: float | None = None
    until_ms: float | None = None
    tier: tuple[str, ...] | None = None
    model: tuple[str, ...] | None = None
    pipeline: tuple[str, ...] | None = None
    backend: tuple[str, ...] | None = None
    status: tuple[str, ...] | None = None

    def narrowed_fields(self) -> list[str]:
        return [name for name in FILTER_FIELDS if getattr(self, name) is not None]


def apply_filters(frame: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    mask = np.ones(len(frame), dtype=bool)
    ts = frame["ts"].to_numpy()
    if filters.since_ms is not None:
        mask &= ts >= filters.since_ms
    if filters.until_ms is not None:
        mask &= ts <= filters.until_ms
    for name in filters.narrowed_fields():
        mask &= key_in(frame[name], getattr(filters, name))
    return frame if mask.all() else frame[mask]


def key_in(column: pd.Series, keys: tuple[str, ...]) -> np.ndarray:
    """Rows whose group key is one of `keys`; "unknown" also takes missing and empty values."""
    wanted = set(keys)
    categories = column.cat.categories
    hit = np.array([c in wanted or (c == "" and UNKNOWN in wanted) for c in categories] + [UNKNOWN in wanted])
    return hit[column.cat.codes.to_numpy()]  # code -1 (missing) reads the last entry
