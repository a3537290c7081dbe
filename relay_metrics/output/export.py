"""Tables leaving the app: CSV safe to open in a spreadsheet, and frames safe to display.

Text in the log comes from outside (install ids, models, error strings). JSON allows lone
surrogates in strings, which Python keeps but UTF-8 (and so Arrow, and so st.dataframe)
cannot carry; those are shown as backslash escapes. Everything else stays exactly as is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BOM = "\ufeff"
# A spreadsheet reads a cell starting with one of these as a formula (OWASP's list).
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """`text` as a spreadsheet will show it, never run it: a formula start gets a leading '."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def visible(text: str) -> str:
    """`text` with any lone surrogate written as a backslash escape (\\udc80); else unchanged."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """`frame` (without its index) as UTF-8 CSV with a BOM, formula starts neutralised."""
    safe = pd.DataFrame(
        {name: _map_text(column, lambda text: neutralise(visible(text))) for name, column in frame.items()},
        index=frame.index,
    )
    text = safe.to_csv(index=False, lineterminator="\r\n")
    return (BOM + text).encode("utf-8")


def display_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` that Streamlit's Arrow serialisation can carry.

    Categoricals with object categories become plain str columns; a string holding a lone
    surrogate shows it as a backslash escape; everything else is left exactly as it is.
    """
    columns = {}
    for name, column in frame.items():
        if isinstance(column.dtype, pd.CategoricalDtype) or column.dtype == object:
            mapped = _map_text(column, visible)
            if _all_text(mapped):
                mapped = mapped.astype("str")
            columns[name] = mapped
        else:
            columns[name] = column.copy()
    return pd.DataFrame(columns, index=frame.index.copy())


def _map_text(column: pd.Series, fix) -> pd.Series:
    """`column` with `fix` applied to each str value; other values (numbers, NaN) untouched.

    A categorical becomes an object column: fixing its categories could merge two of them.
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes, categories = column.cat.codes.to_numpy(), column.cat.categories
        # A few rows of a log-wide column (one install's calls: millions of job ids as
        # categories) fix only the categories they use.
        used = np.unique(codes[codes >= 0]) if len(codes) < len(categories) else np.arange(len(categories))
        lookup = np.empty(len(categories) + 1, dtype=object)
        lookup[used] = [fix(c) if isinstance(c, str) else c for c in categories[used]]
        lookup[-1] = np.nan  # code -1: missing
        return pd.Series(lookup[codes], index=column.index, dtype=object, name=column.name)
    if column.dtype == object:
        values = np.empty(len(column), dtype=object)
        values[:] = [fix(v) if isinstance(v, str) else v for v in column.to_numpy()]
        return pd.Series(values, index=column.index, dtype=object, name=column.name)
    if pd.api.types.is_string_dtype(column.dtype):
        return column.map(fix, na_action="ignore")
    return column


def _all_text(column: pd.Series) -> bool:
    values = column.to_numpy()
    return all(isinstance(v, str) or v is None or (isinstance(v, float) and np.isnan(v)) for v in values)
