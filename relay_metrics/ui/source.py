"""Where the app's log comes from, and the one parsed copy of it each server process keeps.

The server decides the path (`-- --log PATH`, `$RELAY_METRICS_LOG`, the relay's default
path, else built-in demo data); the browser never names a server path. It can only upload
a copy, which is parsed for that session alone.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from ..cli import DEFAULT_LOG, LOG_ENV
from ..demo import default_end_ms, write_demo_log
from ..loader import LoadedLog, load_log
from ..sources import resolve_files

# Re-check the files at most this often; a filter change within it never reparses.
SNAPSHOT_TTL_S = 60
DEMO_ROWS, DEMO_DAYS, DEMO_SEED = 300_000, 90, 1
UPLOAD_TYPES = ["ndjson", "gz", "jsonl", "log"]


@dataclass(frozen=True)
class LogChoice:
    paths: tuple[str, ...]
    origin: str  # how the server was told: shown to founders, never from the log itself
    is_demo: bool = False
    is_upload: bool = False


def app_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """Options after `--` in `streamlit run streamlit_app.py -- --log PATH`."""
    parser = argparse.ArgumentParser(prog="streamlit run streamlit_app.py --", add_help=False, allow_abbrev=False)
    parser.add_argument("--log", action="append", default=[])
    parser.add_argument("--pricing")
    known, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    return known


def configured_log() -> LogChoice:
    args = app_arguments()
    if args.log:
        return LogChoice(tuple(args.log), "the --log option")
    if os.environ.get(LOG_ENV):
        return LogChoice((os.environ[LOG_ENV],), f"${LOG_ENV}")
    if Path(DEFAULT_LOG).exists():
        return LogChoice((DEFAULT_LOG,), "the relay's default path")
    return LogChoice((demo_log_path(),), "built-in demo data", is_demo=True)


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


def file_identity(paths: tuple[str, ...]) -> tuple[tuple[str, int, int], ...]:
    """What identifies the log's current contents: each file's path, size and mtime."""
    identity = []
    for path in resolve_files(list(paths)):
        stat = path.stat()
        identity.append((str(path), stat.st_size, stat.st_mtime_ns))
    return tuple(identity)


@st.cache_resource(ttl=SNAPSHOT_TTL_S, max_entries=8, show_spinner=False)
def _snapshot(paths: tuple[str, ...]) -> tuple[tuple[str, int, int], ...]:
    # Pinned for the TTL so a live log growing under us doesn't turn every filter change
    # into a reparse; Reload or the TTL picks up new lines.
    return file_identity(paths)


@st.cache_resource(ttl=3600, max_entries=2, show_spinner="Reading the log…")
def _parsed(identity: tuple[tuple[str, int, int], ...]) -> tuple[LoadedLog, float]:
    # cache_resource, not cache_data: one copy per process shared by every session, never
    # pickled or copied. Callers must not mutate the frame.
    started = time.perf_counter()
    loaded = load_log([path for path, _, _ in identity])
    return loaded, time.perf_counter() - started


def load(choice: LogChoice) -> tuple[LoadedLog, float, tuple]:
    """The parsed log, how long parsing took, and the identity of what was parsed.

    Raises sources.LogSourceError."""
    identity = _snapshot(choice.paths)
    loaded, seconds = _parsed(identity)
    return loaded, seconds, identity


def reload() -> None:
    _snapshot.clear()
    _parsed.clear()


def load_upload(upload) -> tuple[LogChoice, LoadedLog]:
    """Parse an uploaded copy for this session only (kept in its session state)."""
    cache = st.session_state.setdefault("_upload_cache", {})
    if upload.file_id not in cache:
        cache.clear()
        suffix = ".ndjson.gz" if upload.name.endswith(".gz") else ".ndjson"
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"upload{suffix}"
            path.write_bytes(upload.getvalue())
            cache[upload.file_id] = load_log(path)
    return LogChoice(("uploaded copy",), "an uploaded copy", is_upload=True), cache[upload.file_id]
