"""One loaded frame from several: the only place frames of the log are joined.

Numbers and times are joined by `pd.concat`; a join always copies, so a frame handed out
earlier never changes when a later one grows from it. Category columns are unioned by
`union_categories` below rather than pandas' `union_categoricals`, which hashes categories
as UTF-8 and so fails on a lone surrogate (kept as-is in object strings at ingest, see
jsonline); `Index.get_indexer` hashes Python objects and only touches the categories, then
the codes of all but the first frame are recoded with one numpy take each.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from relay_metrics.ingest.schema import COLUMNS, STRING_FIELDS

CATEGORY_COLUMNS = STRING_FIELDS


def concat_frames(frames: list[pd.DataFrame | None]) -> pd.DataFrame:
    """The rows of `frames` one after another (None and empty ones skipped), each column
    joined by its kind; the frames share their columns (the loader's, with or without `time`)."""
    given = [frame for frame in frames if frame is not None]
    present = [frame for frame in given if len(frame)]
    if not present:
        return given[0].iloc[0:0] if given else empty_frame()
    if len(present) == 1:
        return present[0]
    data: dict[str, object] = {}
    for name in present[0].columns:
        if name in CATEGORY_COLUMNS:
            data[name] = union_categories([frame[name] for frame in present])
        elif present[0][name].dtype == np.float64:  # the numbers: plain arrays, joined without pandas' overhead
            data[name] = np.concatenate([frame[name].to_numpy() for frame in present])
        else:
            data[name] = pd.concat([frame[name] for frame in present], ignore_index=True)
    return pd.DataFrame(data, copy=False)


def union_categories(columns: list[pd.Series]) -> pd.Categorical:
    """The categorical columns one after another, categories in order of first appearance.

    The first column's categories start the union, so its codes are copied as they are (a
    refresh's 1M old rows); only the others are recoded, each with one numpy take.
    """
    categories = pd.Index(columns[0].cat.categories, dtype=object)
    recodes = []
    for column in columns:
        theirs = pd.Index(column.cat.categories, dtype=object)
        recode = categories.get_indexer(theirs)
        new = recode < 0
        if new.any():
            recode[new] = len(categories) + np.arange(int(new.sum()))
            # object, never pandas' str: a lone surrogate is a valid category but not UTF-8
            categories = pd.Index([*categories, *theirs[new]], dtype=object)
        recodes.append(recode)
    dtype = _code_dtype(len(categories))
    codes = np.empty(sum(len(column) for column in columns), dtype=dtype)
    at = 0
    for column, recode in zip(columns, recodes):
        theirs = column.cat.codes.to_numpy()
        if np.array_equal(recode, np.arange(len(recode))):
            codes[at : at + len(theirs)] = theirs  # same codes (and -1, missing, stays -1)
        else:
            codes[at : at + len(theirs)] = np.append(recode, -1).astype(dtype)[theirs]  # -1 reads the last entry
        at += len(theirs)
    return pd.Categorical.from_codes(codes, dtype=_unchecked_dtype(categories), validate=False)


def dictionary_categorical(encoded: pa.DictionaryArray) -> pd.Categorical:
    """An Arrow dictionary array as a categorical of object strings (a lone surrogate stays
    one), missing values as code -1: how the loader and the parsed copy build string columns."""
    categories = pd.Index(encoded.dictionary.to_numpy(zero_copy_only=False), dtype=object)
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    return pd.Categorical.from_codes(codes, dtype=_unchecked_dtype(categories))


def _unchecked_dtype(categories: pd.Index) -> pd.CategoricalDtype:
    """The dtype of categories known to be unique and not missing (an Arrow dictionary's, a
    union built here, a copy this user's runs wrote), without pandas' check of that: the check
    hashes every category, a fifth of a second for a million rows' job ids."""
    fastpath = getattr(pd.CategoricalDtype, "_from_fastpath", None)  # pandas-internal, pinned
    return fastpath(categories, ordered=False) if fastpath else pd.CategoricalDtype(categories)


def _code_dtype(categories: int) -> np.dtype:
    # pandas' own choice for this many categories, so from_codes keeps the array, not a copy
    for dtype in (np.int8, np.int16, np.int32):
        if categories < np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.int64)


def empty_frame() -> pd.DataFrame:
    """A frame of no records with the loaded columns' dtypes."""
    data: dict[str, object] = {}
    for name in COLUMNS:
        if name == "time":
            data[name] = pd.DatetimeIndex([], dtype="datetime64[ms, UTC]")
        elif name in CATEGORY_COLUMNS:
            data[name] = pd.Categorical([], categories=pd.Index([], dtype=object))
        else:
            data[name] = np.empty(0)
    return pd.DataFrame(data)
