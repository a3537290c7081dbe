"""Where the app's log comes from, and the one parsed copy of it each server process keeps.

The server decides the path (`-- --log PATH`, `$RELAY_METRICS_LOG`, the relay's default
path, else built-in demo data); the browser never names a server path. It can only upload
a copy (when the operator allows it), which is parsed for that session alone.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from relay_metrics.app import guard
from relay_metrics.demo import default_end_ms, write_demo_log
from relay_metrics.ingest import cache
from relay_metrics.ingest.live import LiveLog
from relay_metrics.ingest.loader import LoadedLog
from relay_metrics.ingest.sources import DEFAULT_LOG, LOG_ENV
from relay_metrics.ingest.upload import UploadAbandoned, load_upload_copy
from relay_metrics.metrics.zones import MS_PER_DAY

# Re-check the files at most this often; a filter change within it never reads them.
SNAPSHOT_TTL_S = 60
DEMO_ROWS, DEMO_DAYS, DEMO_SEED = 300_000, 90, 1
UPLOAD_TYPES = ["ndjson", "gz", "jsonl", "log"]


@dataclass(frozen=True)
class LogChoice:
    paths: tuple[str, ...]
    is_demo: bool = False
    is_upload: bool = False  # parsed for one session; there is no file to read further back


def app_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """Options after `--` in `streamlit run streamlit_app.py -- --log PATH`."""
    parser = argparse.ArgumentParser(prog="streamlit run streamlit_app.py --", add_help=False, allow_abbrev=False)
    parser.add_argument("--log", action="append", default=[])
    parser.add_argument("--pricing")
    parser.add_argument("--no-cache", action="store_true")  # never read or write a parsed copy (ingest.cache)
    known, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    return known


def configured_log() -> LogChoice:
    args = app_arguments()
    if args.log:
        return LogChoice(tuple(args.log))
    if os.environ.get(LOG_ENV):
        return LogChoice((os.environ[LOG_ENV],))
    if Path(DEFAULT_LOG).exists():
        return LogChoice((DEFAULT_LOG,))
    return LogChoice((demo_log_path(),), is_demo=True)


@st.cache_resource(show_spinner="Generating demo data…")
def demo_log_path() -> str:
    """Demo data made once per process, ending this hour, in a private temporary folder."""
    end_ms = default_end_ms()
    folder = Path(tempfile.gettempdir()) / f"relay-metrics-demo-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / f"relay-calls-{DEMO_ROWS}-{DEMO_DAYS}-{DEMO_SEED}-{end_ms}.ndjson"
    if not path.exists():
        write_demo_log(path, DEMO_ROWS, DEMO_DAYS, DEMO_SEED, end_ms)
    return str(path)


@dataclass(frozen=True)
class Refreshed:
    """The log as of its last refresh, and what that refresh cost."""

    loaded: LoadedLog
    version: tuple  # changes exactly when the contents may have: a key for caches over them
    since_ms: float | None  # every record from here on is held; None: every record
    first_ts: float | None  # of the log's first record, read or not
    checked: float  # time.monotonic() of the refresh
    at: float  # time.time() of the refresh, for people
    seconds: float
    bytes_parsed: int  # everything on the first read, then what was appended
    first: bool
    warm: bool = False  # the first read started from the parsed copy an earlier run left

    @property
    def note(self) -> str:
        when = time.strftime("%H:%M:%S UTC", time.gmtime(self.at))
        if self.first and self.warm:
            note = (
                f"Read from the parsed copy an earlier run left, plus {_amount(self.bytes_parsed)} appended "
                f"since, in {self.seconds:.2f} s at {when}."
            )
        elif self.first:
            note = f"Read {_amount(self.bytes_parsed)} in {self.seconds:.2f} s at {when}."
        else:
            note = f"Refreshed at {when}: {_amount(self.bytes_parsed)} appended since the last look, parsed in {self.seconds:.2f} s."
        skipped = self.loaded.report.window_read
        if skipped and skipped.bytes_skipped:
            assert self.since_ms is not None  # only a window read (from since_ms) skips lines
            day = time.strftime("%Y-%m-%d", time.gmtime(self.since_ms / 1000))
            note += (
                f" Lines before {day} ({_amount(skipped.bytes_skipped)}) were not read: the dates picked don't "
                "need them, and the counts here cover the lines read."
            )
        return note


def _amount(size: int) -> str:
    return f"{size / 1e6:,.1f} MB" if size >= 1e6 else f"{size / 1e3:,.1f} KB" if size >= 1e3 else f"{size} bytes"


class _KeptLog:
    """A live log of every record from a floor on, refreshed at most every TTL."""

    def __init__(self, paths: tuple[str, ...], since_ms: float | None):
        self.live = LiveLog(list(paths), since_ms)
        self.refreshed: Refreshed | None = None
        self.cached = not app_arguments().no_cache
        self.parsed_since_save = 0
        # One refresh at a time: the server's warm-up and a first visitor may both start one.
        self.lock = threading.Lock()

    @property
    def floor(self) -> float:
        return -math.inf if self.live.since_ms is None else self.live.since_ms  # None after a fallback too

    def refresh(self, progress=None) -> Refreshed:
        with self.lock:
            return self._refresh(progress)

    def _refresh(self, progress) -> Refreshed:
        started = time.perf_counter()
        live = self.live
        # A restarted server starts from the parsed copy an earlier run left, if it fits.
        warm = self.refreshed is None and self.cached and cache.restore(live)
        loaded = live.refresh(progress)
        seconds = time.perf_counter() - started
        self.parsed_since_save += live.bytes_parsed
        if self.cached and self.parsed_since_save:
            first = self.refreshed is None
            if cache.save(live, parsed_since_save=None if first else self.parsed_since_save):
                self.parsed_since_save = 0
        self.refreshed = Refreshed(
            loaded,
            (live.since_ms, live.version),
            live.since_ms,
            live.first_ts,
            time.monotonic(),
            time.time(),
            seconds,
            live.bytes_parsed,
            first=self.refreshed is None,
            warm=warm,
        )
        return self.refreshed


class _KeptLogs:
    """The live log of one source, holding every record from its floor on: a week's view never
    waits for a year of history. A request from before the floor reads its wider window once,
    and that log replaces the narrower one; the floor only ever moves back."""

    kept: _KeptLog | None

    def __init__(self, paths: tuple[str, ...]):
        self.paths, self.kept, self.lock = paths, None, threading.Lock()

    def covering(self, since_ms: float | None, until_ms: float) -> _KeptLog:
        wanted = -math.inf if since_ms is None else since_ms
        with self.lock:
            if self.kept is None or self.kept.floor > wanted:
                self.kept = _KeptLog(self.paths, None if since_ms is None else _floor(since_ms, until_ms))
            return self.kept


def _floor(since_ms: float, until_ms: float) -> float:
    """Reach back further than asked, by half the time asked for, to the day: a range widened a
    little, or moved back a bit, is still covered."""
    reach = max(until_ms - since_ms, MS_PER_DAY) * 1.5
    return (until_ms - reach) // MS_PER_DAY * MS_PER_DAY


@st.cache_resource(max_entries=4, show_spinner=False)
def _kept(paths: tuple[str, ...]) -> _KeptLogs:
    # cache_resource, not cache_data: one copy per process shared by every session, never
    # pickled or copied. Callers must not mutate the frame.
    return _KeptLogs(paths)


def load(
    choice: LogChoice, since_ms: float | None = None, until_ms: float = math.inf, force: bool = False
) -> Refreshed:
    """The log holding every record from since_ms on (None: every record) for a view that ends
    at until_ms, refreshed (parsing only what was appended) when it is older than the TTL or
    `force` says so; a filter change within the TTL never reads the files.

    Raises sources.LogSourceError."""
    kept = _kept(choice.paths).covering(since_ms, min(until_ms, time.time() * 1000))
    current = kept.refreshed
    if current is not None and not force and time.monotonic() - current.checked < SNAPSHOT_TTL_S:
        return current
    if current is not None:
        return kept.refresh()
    bar = st.progress(0.0, text="Reading the log…")  # the first read of a big log takes a while
    try:
        return kept.refresh(lambda done: bar.progress(min(done, 1.0), text=f"Reading the log… {done:.0%}"))
    finally:
        bar.empty()


def log_key(choice: LogChoice, got: Refreshed) -> tuple:
    """What identifies a read log's contents, for every cache of figures over them: the
    pages' and the server's warm-up must build it alike, or the warm-up fills entries no
    page reads."""
    return (choice.paths, got.version)


def warm(choice: LogChoice, since_ms: float | None, until_ms: float) -> Refreshed:
    """load() outside any page (at the server's start, see serve): no progress bar, no TTL.

    Raises sources.LogSourceError."""
    kept = _kept(choice.paths).covering(since_ms, min(until_ms, time.time() * 1000))
    return kept.refreshed or kept.refresh()


def load_upload(upload) -> tuple[LogChoice, LoadedLog]:
    """Parse an uploaded copy for this session only (kept in its session state), within the
    bounds of ingest.upload; stops when the session's browser disconnects.

    Raises sources.LogSourceError (the copy is too big, corrupt, or another is being read)."""
    cache = st.session_state.setdefault("_upload_cache", {})
    if upload.file_id not in cache:
        cache.clear()  # the last copy's frame goes before the next one is read
        cache[upload.file_id] = _parse_upload(upload)
    return LogChoice(("uploaded copy",), is_upload=True), cache[upload.file_id]


def _parse_upload(upload) -> LoadedLog:
    ctx = get_script_run_ctx()
    bar = st.progress(0.0, text="Reading the copy…")

    def progress(done: float) -> None:
        bar.progress(min(done, 1.0), text=f"Reading the copy… {done:.0%}")

    try:
        return load_upload_copy(
            upload.getvalue(),
            upload.name.endswith(".gz"),
            keep_going=lambda: ctx is None or guard.connected(ctx.session_id),
            progress=progress,
        )
    except UploadAbandoned:
        st.stop()
    finally:
        bar.empty()
