"""A loaded frame that grows at the end in time proportional to what is added.

Each column lives in a buffer with room to spare; a frame of the first n rows is a read-only
view of the buffers, so appending copies only the new rows, and frames handed out earlier never
change (rows are only ever written past their end). Categories only ever gain new values at the
end, so old codes stay valid.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from relay_metrics.ingest.pushdown import OrderCheck
from relay_metrics.ingest.schema import COLUMNS, NUMBER_FIELDS, STRING_FIELDS, UNIQUE_STRING_FIELDS

SPARE = 0.25  # room for this share more rows when a buffer is (re)made
MIN_SPARE_ROWS = 1 << 16

_FLOAT_COLUMNS = ("ts", *NUMBER_FIELDS)
_CATEGORY_COLUMNS = tuple(name for name in STRING_FIELDS if name not in UNIQUE_STRING_FIELDS)


class GrowingFrame:
    """Loaded frames (loader's columns) one after another."""

    def __init__(self, frames: list[pd.DataFrame]):
        self.rows, self.capacity = 0, -1
        self.floats = {name: np.empty(0) for name in _FLOAT_COLUMNS}
        self.times = np.empty(0, dtype=np.int64)  # ms since the epoch, as the frame's `time`
        self.categories = {name: pd.Index([], dtype=object) for name in _CATEGORY_COLUMNS}
        self.codes = {name: np.empty(0, dtype=_code_dtype(0)) for name in _CATEGORY_COLUMNS}
        self.strings = {name: pd.Series(np.empty(0, dtype=object), dtype=object) for name in UNIQUE_STRING_FIELDS}
        self.order = OrderCheck()
        self._reserve(sum(len(frame) for frame in frames))
        for frame in frames:
            self.append(frame)

    def append(self, frame: pd.DataFrame | None) -> None:
        if frame is None or not len(frame):
            return
        start, stop = self.rows, self.rows + len(frame)
        self._reserve(stop)
        for name in _FLOAT_COLUMNS:
            self.floats[name][start:stop] = frame[name].to_numpy()
        self.times[start:stop] = frame["time"].to_numpy(dtype="datetime64[ms]").view(np.int64)
        for name in _CATEGORY_COLUMNS:
            self._append_codes(name, frame[name], start, stop)
        for name in UNIQUE_STRING_FIELDS:
            column = frame[name].reset_index(drop=True)
            self.strings[name] = pd.concat([self.strings[name], column], ignore_index=True) if start else column
        self.order.see(frame["ts"].to_numpy())
        self.rows = stop

    def frame(self) -> pd.DataFrame:
        n = self.rows
        data = {}
        for name in COLUMNS:
            if name in self.floats:
                data[name] = _read_only(self.floats[name][:n])
            elif name == "time":  # a tz-aware column can't be a view of plain ms: copied, 8 bytes a row
                data[name] = pd.DatetimeIndex(self.times[:n].view("datetime64[ms]")).tz_localize("UTC")
            elif name in self.codes:
                dtype = pd.CategoricalDtype(self.categories[name])
                data[name] = pd.Categorical.from_codes(_read_only(self.codes[name][:n]), dtype=dtype, validate=False)
            else:
                data[name] = self.strings[name]  # a Series: its dtype (object, for surrogates) is kept
        return pd.DataFrame(data, copy=False)

    def _append_codes(self, name: str, column: pd.Series, start: int, stop: int) -> None:
        categories = self.categories[name]
        theirs = pd.Index(column.cat.categories, dtype=object)
        recode = categories.get_indexer(theirs)
        new = recode < 0
        if new.any():
            recode[new] = len(categories) + np.arange(int(new.sum()))
            # object, never pandas' str: a lone surrogate is a valid category but not UTF-8
            categories = self.categories[name] = pd.Index([*categories, *theirs[new]], dtype=object)
        dtype = _code_dtype(len(categories))
        if self.codes[name].dtype != dtype:  # more categories than the code type holds: widen
            self.codes[name] = self.codes[name].astype(dtype)
        recode = np.append(recode, -1).astype(dtype)  # code -1 (missing) reads the last entry
        self.codes[name][start:stop] = recode[column.cat.codes.to_numpy()]

    def _reserve(self, rows: int) -> None:
        if rows <= self.capacity:
            return
        capacity = rows + max(int(rows * SPARE), MIN_SPARE_ROWS)
        for name in _FLOAT_COLUMNS:
            self.floats[name] = _grown(self.floats[name], capacity, self.rows)
        self.times = _grown(self.times, capacity, self.rows)
        for name in _CATEGORY_COLUMNS:
            self.codes[name] = _grown(self.codes[name], capacity, self.rows)
        self.capacity = capacity

    @property
    def max_disorder_ms(self) -> float:
        return self.order.worst


def _grown(buffer: np.ndarray, capacity: int, rows: int) -> np.ndarray:
    grown = np.empty(capacity, dtype=buffer.dtype)
    grown[:rows] = buffer[:rows]
    return grown


def _read_only(view: np.ndarray) -> np.ndarray:
    view = view.view()
    view.flags.writeable = False
    return view


def _code_dtype(categories: int) -> np.dtype:
    # pandas' own choice for this many categories, so from_codes keeps the buffer, not a copy
    for dtype in (np.int8, np.int16, np.int32):
        if categories < np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.int64)
