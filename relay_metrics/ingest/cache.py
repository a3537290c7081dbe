"""A parsed copy of the log kept in the user's cache directory, so a restarted app or CLI
parses only what was appended since the last run instead of the whole log.

What is kept is a LiveLog's state (see live): the frame as Arrow IPC, and beside it, in the
file's schema metadata, each file's identity and the offset read (device and inode, head and
seam hashes, offsets) with the counts of its lines. A LiveLog that adopts it refreshes as it
would have in the process that wrote it: a file grown is read from where it was left, one
rotated is followed, one rewritten or replaced is read again; so cached + refreshed equals a
full read of the files as they are. A cache written by another LOADER_VERSION, for another
source, unreadable, or not private to this user is ignored (and rewritten).

The cache lives in $RELAY_METRICS_CACHE, else $XDG_CACHE_HOME/relay-metrics, else
~/.cache/relay-metrics; never next to the log. Entries are written to a temporary file and
renamed into place, so two processes never see half of one: each reads a whole entry, the
last writer's or the one before.
"""

from __future__ import annotations

import hashlib
import math
import os
import pickle
import tempfile
import threading
from pathlib import Path

import pandas as pd
import pyarrow as pa

from relay_metrics.ingest.frames import dictionary_categorical
from relay_metrics.ingest.live import LiveLog, LiveState
from relay_metrics.ingest.loader import LOADER_VERSION, LoadedLog, Progress
from relay_metrics.ingest.sources import LogSource, skipped_links

CACHE_ENV = "RELAY_METRICS_CACHE"
_STATE_KEY = b"relay-metrics-state"
# A later refresh rewrites the entry once this share of what it holds has been appended since:
# rewriting the whole copy after every few lines would cost more than parsing them.
RESAVE_SHARE = 0.25


def cache_dir() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "relay-metrics"


def entry_path(source: LogSource, whole: bool, folder: Path | None = None) -> Path:
    """The entry of a source: one holding every record, one holding a window's (the app's)."""
    digest = hashlib.blake2b(repr(_source_key(source)).encode(), digest_size=12).hexdigest()
    return (folder or cache_dir()) / f"log-{digest}-{'all' if whole else 'window'}.arrow"


def restore(live: LiveLog, folder: Path | None = None) -> bool:
    """Give `live` (not yet refreshed) the cached state of its source when one fits; its next
    refresh then parses only what changed. Returns whether one was taken."""
    for whole in (True,) if live.since_ms is None else (False, True):
        state = _read(entry_path(live.source, whole, folder), live.source)
        if state is not None and live.adopt(state):
            return True
    return False


def save(live: LiveLog, folder: Path | None = None, parsed_since_save: int | None = None) -> bool:
    """Keep `live`'s state for the next run; with parsed_since_save (bytes parsed since the
    entry was last written), only once that is RESAVE_SHARE of what the entry holds. A cache
    that can't be written is skipped: it only saves time. Returns whether it was written."""
    state = live.state()
    if state is None:
        return False
    held = sum(p.end + p.rest_length - p.start for p in state.parts)
    if parsed_since_save is not None and parsed_since_save < RESAVE_SHARE * held:
        return False
    try:
        _write(entry_path(live.source, state.since_ms is None, folder), live.source, state)
    except (OSError, pa.ArrowException):
        return False
    return True


def load_cached(
    source: LogSource, progress: Progress | None = None, folder: Path | None = None, background: bool = False
) -> LoadedLog:
    """Every record of the log, as load_log(source) reads it, parsing only what the cache lacks.

    With background, the copy is written by a thread of its own while the caller goes on with
    the log; wait_for_saves() returns once it is in place.

    Raises sources.LogSourceError."""
    live = LiveLog(source)
    restore(live, folder)
    loaded = live.refresh(progress)
    if live.bytes_parsed and background:
        # Writing a 1M-row copy takes ~0.15 s, about what the CLI's figures take next: on two
        # cores the two overlap. Not a daemon: an exiting process still finishes the copy.
        thread = threading.Thread(target=save, args=(live, folder), name="relay-metrics-cache-save")
        thread.start()
        _saving.append(thread)
    elif live.bytes_parsed:
        save(live, folder)
    links = skipped_links(source)
    if not links:
        return loaded
    report = loaded.report
    return LoadedLog(loaded.frame, type(report)(**{**vars(report), "warnings": [*report.warnings, *links]}))


_saving: list[threading.Thread] = []


def wait_for_saves() -> None:
    """Return once every copy load_cached(background=True) started writing is in place."""
    while _saving:
        _saving.pop().join()


def _source_key(source: LogSource) -> tuple[str, ...]:
    items = [source] if isinstance(source, (str, os.PathLike)) else list(source)
    return tuple(str(Path(item).resolve()) for item in items)


def _write(path: Path, source: LogSource, state: LiveState) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    meta = {
        "loader_version": LOADER_VERSION,
        "source": _source_key(source),
        "state": LiveState(
            state.since_ms, state.floor_ms, state.first_ts, state.window_read, state.parts, None, state.order
        ),
    }
    table, layout = _to_arrow(state.frame)
    meta["layout"] = layout
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), _STATE_KEY: pickle.dumps(meta)})
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _read(path: Path, source: LogSource) -> LiveState | None:
    """The entry's state, when it is this loader's and this source's, whole, and only ours."""
    try:
        if not _private(path):
            return None
        with pa.memory_map(str(path)) as stream:
            table = pa.ipc.open_file(stream).read_all()
            meta = pickle.loads(table.schema.metadata[_STATE_KEY])
            if meta["loader_version"] != LOADER_VERSION or meta["source"] != _source_key(source):
                return None
            state: LiveState = meta["state"]
            frame = _from_arrow(table, meta["layout"])  # copied out of the mapped file while it is open
    except (OSError, pa.ArrowException, KeyError, TypeError, ValueError, EOFError, pickle.UnpicklingError):
        return None
    except Exception:  # an entry pickled by code since changed (a class renamed): as if absent
        return None
    return LiveState(state.since_ms, state.floor_ms, state.first_ts, state.window_read, state.parts, frame, state.order)


def _to_arrow(frame: pd.DataFrame) -> tuple[pa.Table, dict]:
    """The frame as an Arrow table, and what it takes to get the same frame back: the string
    columns stored as bytes because they hold lone surrogates (log text may; Arrow strings must
    be valid UTF-8), and the columns whose strings are Python objects."""
    layout = {
        "escaped": [],
        "object": [name for name in frame.columns if frame[name].dtype == object],
        "object_categories": [
            name
            for name in frame.columns
            if isinstance(frame[name].dtype, pd.CategoricalDtype) and frame[name].cat.categories.dtype == object
        ],
    }
    try:
        return pa.Table.from_pandas(frame, preserve_index=False), layout
    except (UnicodeEncodeError, pa.ArrowException):
        pass
    columns = {}
    for name in frame.columns:
        column = frame[name]
        try:
            pa.array(column.cat.categories if isinstance(column.dtype, pd.CategoricalDtype) else column)
            columns[name] = column
        except (UnicodeEncodeError, pa.ArrowException):
            layout["escaped"].append(name)
            columns[name] = _mapped(column, lambda text: text.encode("utf-8", "surrogatepass"))
    return pa.Table.from_pandas(pd.DataFrame(columns), preserve_index=False), layout


def _from_arrow(table: pa.Table, layout: dict) -> pd.DataFrame:
    # Object-category columns are built from their dictionary's codes by hand: to_pandas would
    # make arrow-backed str categories (each checked for uniqueness), which then have to be
    # turned back into objects one string at a time, seconds for a column with as many
    # categories as a million rows have job ids.
    direct = [
        name
        for name in layout["object_categories"]
        if name not in layout["escaped"]
        and pa.types.is_dictionary(table.schema.field(name).type)
        and table.column(name).num_chunks > 0  # none: an empty entry, which to_pandas handles
    ]
    rest = table.drop_columns(direct)
    frame = rest.to_pandas()
    for name in direct:
        column = table.column(name)
        # An entry has a record batch per block the frame's arrow-backed strings came in, each
        # batch's codes into the one dictionary written; joining them copies only the codes.
        frame[name] = dictionary_categorical(column.chunk(0) if column.num_chunks == 1 else column.combine_chunks())
    frame = frame[table.column_names]
    for name in layout["escaped"]:
        frame[name] = _mapped(frame[name], lambda data: data.decode("utf-8", "surrogatepass"))
    for name in layout["object_categories"]:
        column = frame[name]
        if name not in direct and column.cat.categories.dtype != object:
            # In one vectorized step: job_id alone has about one category per two rows.
            categories = pd.Index(column.cat.categories.to_numpy(dtype=object), dtype=object)
            frame[name] = pd.Categorical.from_codes(
                column.cat.codes.to_numpy(), dtype=pd.CategoricalDtype(categories), validate=False
            )
    for name in layout["object"]:
        if frame[name].dtype != object:
            frame[name] = frame[name].astype(object)
    return frame


def _mapped(column: pd.Series, convert) -> pd.Series:
    """Each string (each category's, for a category column) converted, as Python objects;
    missing values kept."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        categories = pd.Index([convert(value) for value in column.cat.categories], dtype=object)
        codes = column.cat.codes.to_numpy()
        return pd.Series(pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(categories)), name=column.name)
    # Missing strings are NaN, as the loader leaves them (Arrow hands back None).
    return pd.Series(
        [math.nan if pd.isna(value) else convert(value) for value in column], dtype=object, name=column.name
    )


def _private(path: Path) -> bool:
    """The entry and its folder belong to this user and no one else can write them: what is
    unpickled must be what this user's runs wrote."""
    uid = os.getuid()
    for item in (path.parent, path):
        stat = item.stat()
        if stat.st_uid != uid or stat.st_mode & 0o022:
            return False
    return True
