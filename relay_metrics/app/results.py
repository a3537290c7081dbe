"""Figures of a view kept across reruns, sessions and pages.

A page's figures depend only on the log's contents, the filters, the zone and the dates; a
click that returns to an earlier choice, a page switch, a new session or a rerun for another
widget then costs a lookup instead of a pass over a million rows. Kept once per server
process (cache_resource), shared by every session: callers never mutate what they get.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import streamlit as st

from relay_metrics.app.sidebar import View
from relay_metrics.metrics.filters import Filters, apply_filters

T = TypeVar("T")

# Arguments are keyed by their repr, which is exact for these; a DataFrame's is not.
_KEYABLE = (str, int, float, bool, date, type(None))


def of_view(view: View, compute: Callable[..., T], *args: Any, filters: Filters | None = None) -> T:
    """compute(rows, *args) for the rows `filters` keep (the view's by default), kept per log
    contents, filters, zone and arguments."""
    if not all(isinstance(arg, _KEYABLE) or _keyable_tuple(arg) for arg in args):
        raise TypeError(f"{compute.__qualname__}: only plain values can key a kept result")
    filters = filters or view.filters
    # repr: a tier named in the log may hold a lone surrogate, which Streamlit's hashing can't encode.
    key = repr((filters, view.zone, args))
    return _kept(view.log_key, function_key(compute), key, compute, view, filters, args)


def function_key(function: Callable) -> str:
    """What names a function across reruns: a page's own functions are defined anew on each
    run (and a lambda has no name of its own), so their file and line say which one it is."""
    code = getattr(function, "__code__", None)
    return f"{code.co_filename}:{code.co_firstlineno}:{function.__qualname__}" if code else repr(function)


def row_count(view: View) -> int:
    return of_view(view, len)


def _keyable_tuple(value: Any) -> bool:
    return isinstance(value, tuple) and all(isinstance(v, _KEYABLE) or _keyable_tuple(v) for v in value)


@st.cache_resource(max_entries=128, ttl=3600, show_spinner=False)
def _kept(log_key: tuple, name: str, key: str, _compute: Callable, _view: View, _filters: Filters, _args: tuple):
    # What has a leading underscore isn't hashed: log_key, name and key say what it is.
    rows = _view.frame if _filters == _view.filters else apply_filters(_view.log.frame, _filters)
    return _compute(rows, *_args)
