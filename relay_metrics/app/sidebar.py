"""The sidebar every page shares: the log, the date range, the filters and the time zone.

Its widgets are bound to the URL, so a copied link opens the same view, and re-assigned in
session state before they are drawn, so the choices survive a switch to another page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

import numpy as np
import pandas as pd
import streamlit as st

from relay_metrics.app import auth, source
from relay_metrics.app.source import LogChoice
from relay_metrics.ingest.loader import LoadedLog
from relay_metrics.ingest.sources import LogSourceError
from relay_metrics.metrics.breakdowns import previous_window
from relay_metrics.metrics.figures import group_by
from relay_metrics.metrics.filters import Filters, apply_filters
from relay_metrics.metrics.revenue import PERIOD_MS
from relay_metrics.metrics.zones import ZONES, date_of_ms, today_in, window_ms
from relay_metrics.output.export import visible

# URL parameter (and session key) -> record field it narrows.
FILTER_KEYS = {"tiers": "tier", "models": "model", "pipelines": "pipeline", "backends": "backend", "statuses": "status"}
FILTER_LABELS = {
    "tiers": "Tiers",
    "models": "Models",
    "pipelines": "Pipelines",
    "backends": "Backends",
    "statuses": "Statuses",
}
STATE_KEYS = ("tz", "dates", *FILTER_KEYS)
PRESETS = {"7d": 7, "30d": 30, "90d": 90, "All": None}
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class View:
    """What every page draws from: the log, the chosen window and filters, the rows they keep."""

    choice: LogChoice
    log: LoadedLog
    log_key: tuple  # what identifies the loaded contents, for caches of figures over them
    load_note: str  # what the last read of the log cost
    zone: str
    start: date
    end: date
    filters: Filters
    notices: tuple[str, ...]
    first_ts: float | None = None  # of the log's first record, read or not

    @cached_property
    def frame(self) -> pd.DataFrame:
        """The records every filter keeps; shared, never mutate. Narrowed on first use only: a
        page whose figures are all kept (app.results) never pays for it."""
        return apply_filters(self.log.frame, self.filters)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def sidebar() -> View:
    _keep_state()
    link = _link_values()
    notices: list[str] = []
    with st.sidebar:
        forced, upload = _log_controls()
        zone = st.selectbox(
            "Time zone", ZONES, key="tz", bind="query-params", help="Days and hours of day are counted in this zone."
        )
        log = _load(upload, needed_window(_dates_asked(zone), zone), forced)
        start, end = _date_section(log.loaded.frame, log.first_ts, zone, notices)
        needed = needed_window((start, end), zone)
        if log.since_ms is not None and needed[0] < log.since_ms:
            # The dates picked reach back past what was read: read back that far (once).
            log = _load(upload, needed, False)
        frame = log.loaded.frame
        selections = {field: _filter_widget(frame, log.key, key, field) for key, field in FILTER_KEYS.items()}
    rejected = _rejected_link_values(link)
    if rejected:
        notices.append(
            "The link had settings that don't apply to this log; they were reset: " + ", ".join(rejected) + "."
        )
    since_ms, until_ms = window_ms(start, end, zone)
    filters = Filters(since_ms, until_ms, **selections)
    return View(
        log.choice,
        log.loaded,
        log.key,
        log.note,
        zone,
        start,
        end,
        filters,
        tuple(notices),
        log.first_ts,
    )


def _keep_state() -> None:
    # Streamlit forgets a widget's value when the page that drew it is left; writing the
    # value back before the widget is drawn again keeps it across pages.
    for key in STATE_KEYS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def _link_values() -> dict[str, list[str]]:
    """The URL's settings on the session's first run, to tell the user if some were dropped."""
    if st.session_state.get("_link_checked"):
        return {}
    st.session_state["_link_checked"] = True
    return {key: st.query_params.get_all(key) for key in STATE_KEYS if key in st.query_params}


def _rejected_link_values(link: dict[str, list[str]]) -> list[str]:
    rejected = []
    for key, values in link.items():
        current = st.session_state.get(key)
        if key == "tz":
            kept = values[-1:] == [current]
        elif key == "dates":
            kept = isinstance(current, (tuple, list)) and [d.isoformat() for d in current if d] == values
        else:
            kept = set(values) <= set(current or [])
        if not kept:
            rejected.append("time zone" if key == "tz" else "dates" if key == "dates" else FILTER_LABELS[key].lower())
    return rejected


def _log_controls():
    forced = st.button("Reload", help="Read the lines the relay appended since the last load.", width="stretch")
    if not auth.uploads_on():  # off unless the operator turned it on (README, Security)
        return forced, None
    with st.expander("Look at a copy of a log"):
        upload = st.file_uploader(
            "Upload relay-calls.ndjson (or .gz)",
            type=source.UPLOAD_TYPES,
            key="upload",
            help="Parsed for your session only; the server's log is untouched.",
        )
    return forced, upload


@dataclass(frozen=True)
class _Log:
    choice: LogChoice
    loaded: LoadedLog
    note: str  # what reading it cost
    key: tuple  # for caches of figures over it
    first_ts: float | None  # of the log's first record, read or not
    since_ms: float | None  # every record from here on is held; None: every record


def _load(upload, window: tuple[float, float], forced: bool) -> _Log:
    try:
        if upload is not None:
            choice, loaded = source.load_upload(upload)
            first = loaded.frame["ts"].min() if len(loaded.frame) else None
            return _Log(
                choice,
                loaded,
                "An uploaded copy, parsed once for this session.",
                ("upload", upload.file_id),
                first,
                None,
            )
        choice = source.configured_log()
        got = source.load(choice, *window, force=forced)
    except LogSourceError as exc:
        st.error("The log can't be read. Nothing is shown until it can.")
        st.code(str(exc), language=None)
        st.stop()
    return _Log(choice, got.loaded, got.note, source.log_key(choice, got), got.first_ts, got.since_ms)


def _dates_asked(zone: str) -> tuple[date, date]:
    """The dates this run will show, as far as they are known before the log is read: the
    picker's, a link's, the last range shown, else the last 30 days."""
    picked = st.session_state.get("dates")
    if isinstance(picked, (tuple, list)) and len(picked) == 2 and all(picked):
        return tuple(sorted(picked))
    try:
        linked = sorted(date.fromisoformat(d) for d in st.query_params.get_all("dates"))
    except ValueError:
        linked = []
    if len(linked) == 2:
        return linked[0], linked[1]
    return st.session_state.get("_last_range", default_range(zone))


def default_range(zone: str) -> tuple[date, date]:
    today = today_in(zone)
    return today - timedelta(days=DEFAULT_DAYS - 1), today


def needed_window(dates: tuple[date, date], zone: str) -> tuple[float, float]:
    """The ts a page reads for these dates: the Overview compares with the period before, and
    calls up to a month before that period pay into it (the revenue rule)."""
    since_ms, until_ms = window_ms(*dates, zone)
    return previous_window(since_ms, until_ms)[0] - PERIOD_MS, until_ms


def _date_section(frame: pd.DataFrame, first_ts: float | None, zone: str, notices: list[str]) -> tuple[date, date]:
    default = default_range(zone)
    first = last = None
    if len(frame):
        ts = frame["ts"].to_numpy()
        # The frame may start later than the log (see source): the log's first record is known.
        first = date_of_ms(min(ts.min(), first_ts if first_ts is not None else ts.min()), zone)
        last = date_of_ms(ts.max(), zone)
        if last < default[0] or first > default[1]:
            # An old log (or a copy) has nothing in the last 30 days: show its last 30 days.
            default = (last - timedelta(days=DEFAULT_DAYS - 1), last)
            if "dates" not in st.session_state:
                notices.append(
                    f"No calls in the last {DEFAULT_DAYS} days; showing the {DEFAULT_DAYS} days up to the newest record ({last.isoformat()})."
                )
    anchor = default[1]
    st.pills(
        "Quick range",
        list(PRESETS),
        key="preset",
        on_change=_apply_preset,
        args=(anchor, first or anchor),
        selection_mode="single",
    )
    picked: tuple[date, ...] | date | None = st.date_input(
        "Dates", value=default, key="dates", bind="query-params", format="YYYY-MM-DD"
    )
    picked = tuple(picked) if isinstance(picked, (tuple, list)) else (picked,) if picked else ()
    if len(picked) == 2:
        start, end = sorted(picked)
        st.session_state["_last_range"] = (start, end)
        return start, end
    start, end = st.session_state.get("_last_range", default)
    if len(picked) == 1:
        st.caption("Pick an end date; until then the previous range is shown.")
    else:
        st.caption("No dates picked; showing the default range.")
    return start, end


def _apply_preset(anchor: date, first: date) -> None:
    preset = st.session_state.get("preset")
    days = None if preset is None else PRESETS.get(preset)  # PRESETS.get(None) is None too
    start = first if days is None else anchor - timedelta(days=days - 1)
    st.session_state["dates"] = (min(start, anchor), anchor)
    st.session_state["preset"] = None  # a preset is an action, not a state to keep


# Any client of the relay can invent a tier (or model...): a filter lists at most this many
# values, those with the most cost; any other is found by typing its exact name.
MAX_LISTED = 50


@dataclass(frozen=True)
class _Options:
    listed: tuple[str, ...]  # the top MAX_LISTED by cost (then calls), alphabetical
    known: frozenset[str]  # every value the log holds


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def _options(log_key: tuple, field: str, _frame: pd.DataFrame) -> _Options:
    # The same for every rerun over one log: counted once, not on every filter change.
    groups = group_by(_frame[field])
    calls = groups.count()
    cost = np.nan_to_num(groups.total(_frame["cost_usd"].to_numpy()))
    present = [code for code in range(len(groups.labels)) if calls[code]]
    top = sorted(present, key=lambda code: (-cost[code], -calls[code]))[:MAX_LISTED]
    return _Options(
        tuple(sorted(groups.labels[code] for code in top)), frozenset(groups.labels[code] for code in present)
    )


def _filter_widget(frame: pd.DataFrame, log_key: tuple, key: str, field: str) -> tuple[str, ...] | None:
    options = _options(log_key, field, frame)
    if key in st.session_state:  # a value kept from another log or page (or typed) must be in this log
        st.session_state[key] = [v for v in st.session_state[key] if v in options.known]
    # Values picked before (or in a link, on the first run) stay options, listed or not.
    picked = st.session_state[key] if key in st.session_state else st.query_params.get_all(key)
    chosen_before = [v for v in picked or [] if v in options.known and v not in options.listed]
    hidden = len(options.known) - len(options.listed)
    # format_func: a label may hold a lone surrogate, which can't travel to the browser as is.
    chosen = st.multiselect(
        FILTER_LABELS[key],
        sorted({*options.listed, *chosen_before}),
        key=key,
        bind="query-params",
        placeholder="All" if not hidden else f"All (top {len(options.listed)} listed)",
        format_func=visible,
        accept_new_options=bool(hidden),
        help=None
        if not hidden
        else f"{len(options.known):,} values in this log; the {len(options.listed)} with the most cost are "
        "listed. Type another's exact name to pick it.",
    )
    return tuple(v for v in chosen if v in options.known) or None
