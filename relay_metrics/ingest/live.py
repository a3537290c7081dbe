"""A log kept current by parsing only what was appended since the last look.

Each file read is remembered by its identity (device and inode, a hash of its first bytes,
and a hash of the bytes just before where reading stopped) and by the offset just past its
last complete line. A refresh reads each file of the source from that offset; a file that
is new, shorter than the offset, or whose hashed bytes changed is read again from the top. A
file renamed by rotation keeps its inode, so it is followed to its new name, not reread; a
rotated file that was compressed is a new file and is read once more. Files gone from the
source are dropped. The unterminated last line is parsed again at every refresh (it is a
record once complete, "pending" until then), so the frame and report always equal one full
read of the files as they are.

Given since_ms, the first read skips what lies before the window as load_log does (see
pushdown), and the frame then holds exactly the full read's records from since_ms on, plus
some before; the report counts the lines read.
"""

from __future__ import annotations

import copy
import hashlib
import math
import os
import threading
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from relay_metrics.ingest.frames import concat_frames, empty_frame
from relay_metrics.ingest.loader import LoadedLog, Progress, read_range, read_rest
from relay_metrics.ingest.pushdown import (
    DISORDER_BOUND_MS,
    PROBE_BYTES,
    OrderCheck,
    Witness,
    broken_bound,
    first_record,
    plan_window,
    whole_read_instead,
)
from relay_metrics.ingest.report import LoadReport, WindowRead
from relay_metrics.ingest.sources import LogSource, is_compressed, open_log, resolve_files

HASHED_BYTES = 4096


@dataclass(frozen=True, eq=False, kw_only=True)
class _Part:
    """One file as far as it has been read; its records are rows of the log's columns."""

    path: Path
    device: int
    inode: int
    size: int  # a .gz is read whole: its size and mtime say whether it changed
    mtime_ns: int
    start: int  # the first byte parsed: past 0 when a window's read skipped the file's head
    head_hash: bytes  # of the first min(HASHED_BYTES, end) bytes
    seam_hash: bytes  # of the HASHED_BYTES (or fewer) bytes before `end`
    end: int
    next_line: int | None  # None when the lines before `start` were never counted
    rows: int  # records of the complete lines before `end`
    report: LoadReport  # how those lines were counted
    rest_rows: int  # records of the unterminated rest after `end` (0 or 1)
    rest_report: LoadReport
    rest_length: int
    rest_hash: bytes


@dataclass(frozen=True)
class _Update:
    """What a refresh learnt of one file: its part, the part it continues (if any), and the
    records read now (None: nothing read, the old part's rows stand)."""

    part: _Part
    old: _Part | None = None
    added: pd.DataFrame | None = None
    rest: pd.DataFrame | None = None


@dataclass(frozen=True)
class LiveState:
    """Everything a LiveLog knows after a refresh: enough for another LiveLog (in another
    process, see ingest.cache) to carry on from there as if it had read the files itself."""

    since_ms: float | None
    floor_ms: float
    first_ts: float | None
    window_read: WindowRead | None
    parts: tuple[_Part, ...]
    frame: pd.DataFrame
    order: OrderCheck


class LiveLog:
    """The parsed log of `source`, brought up to date by refresh(). Safe to share between
    threads: refreshes take turns, and each returns a LoadedLog that is never changed after."""

    def __init__(self, source: LogSource, since_ms: float | None = None, disorder_bound_ms: float = DISORDER_BOUND_MS):
        self.source = source
        # Every record with ts >= since_ms is held (and some before); None: every record. The
        # first read skips what lies before, as load_log does for a window; see pushdown.
        self.since_ms = since_ms
        self.floor_ms = disorder_bound_ms  # the bound's floor; the log's calls may raise it
        self.first_ts: float | None = None  # of the log's first record, read or not
        self._window_read: WindowRead | None = None
        self._parts: list[_Part] = []
        self._frame: pd.DataFrame | None = None  # every row held, handed out, never changed after
        self._order = OrderCheck()  # the disorder of those rows, in log order
        self._loaded: LoadedLog | None = None
        self._lock = threading.Lock()
        self.bytes_parsed = 0  # by the last refresh: the cost of keeping up

    @property
    def version(self) -> tuple:
        """Changes exactly when the frame or report may have: what each file was read to."""
        return tuple((str(p.path), p.device, p.inode, p.end, p.rest_length) for p in self._parts)

    def refresh(self, progress: Progress | None = None) -> LoadedLog:
        """The log as its files are now, parsing only what changed since the last refresh.

        Raises sources.LogSourceError when the log can't be read; the last good state is kept.
        """
        with self._lock:
            files = resolve_files(self.source)
            if self._frame is None and self.since_ms is not None:
                updates = self._first_window_read(files, self.since_ms, progress)
            else:
                known = {(p.device, p.inode): p for p in self._parts}
                updates = [self._caught_up(files, index, known, progress) for index in range(len(files))]
            self.bytes_parsed = sum(
                u.part.end + u.part.rest_length - (u.old.end if u.old else u.part.start)
                for u in updates
                if u.added is not None
            )
            parts = [u.part for u in updates]
            if self._loaded is None or [id(p) for p in parts] != [id(p) for p in self._parts]:
                if self._frame is not None and self._appends_only(updates):
                    kept, new = [self._frame], [updates[-1].added, updates[-1].rest]
                else:
                    kept, new = [], self._kept(updates)
                    self._order = OrderCheck()
                for piece in new:
                    if piece is not None:
                        self._order.see(piece["ts"].to_numpy(), piece["duration_ms"].to_numpy())
                self._frame = concat_frames(kept + new)  # a copy: frames handed out earlier stay as they were
                self._parts = parts
                self._loaded = _loaded(files, parts, self._frame, self._order, self._window_read)
                frame_first = self._loaded.frame["ts"].min() if len(self._loaded.frame) else None
                self.first_ts = min((t for t in (self.first_ts, frame_first) if t is not None), default=None)
            if progress:
                progress(1.0)
            return self._loaded

    def state(self) -> LiveState | None:
        """What the last refresh left (None before the first)."""
        with self._lock:
            if self._frame is None:
                return None
            return LiveState(
                self.since_ms,
                self.floor_ms,
                self.first_ts,
                self._window_read,
                tuple(self._parts),
                self._frame,
                copy.deepcopy(self._order),  # refreshes go on changing ours
            )

    def adopt(self, state: LiveState) -> bool:
        """Carry on from `state` (a refresh then reads only what changed since) when it holds
        everything this log must: before the first refresh, with the same bound's floor, from
        no later than since_ms. Returns whether it was taken."""
        with self._lock:
            fits = state.since_ms is None or (self.since_ms is not None and state.since_ms <= self.since_ms)
            if self._frame is not None or not fits or state.floor_ms != self.floor_ms:
                return False
            self.since_ms, self.first_ts, self._window_read = state.since_ms, state.first_ts, state.window_read
            self._parts, self._frame, self._order = list(state.parts), state.frame, copy.deepcopy(state.order)
            return True

    def _first_window_read(self, files: list[Path], since_ms: float, progress: Progress | None) -> list[_Update]:
        """Each file read from where the window can begin, as load_log plans it; the whole log
        when the records seen are more out of order than the bound allows."""
        plan = plan_window(files, (since_ms, math.inf), self.floor_ms)
        starts = {span.file: span.start for span in plan.spans}
        updates = []
        for index, path in enumerate(files):
            with open_log(path) as stream:
                stat = os.fstat(stream.fileno())
                if index not in starts and is_compressed(path):
                    updates.append(_Update(_untouched(path, stat)))
                    continue
                start = starts[index] if index in starts else _last_line_end(stream, stat.st_size)
                updates.append(_read(path, stream, stat, None, _progress_of(progress, index, len(files)), start))
        self.first_ts = min((w.ts for w in plan.witnesses), default=None)
        broken = broken_bound(plan.window_read, _order_of(updates, plan.witnesses))
        self._window_read = plan.window_read
        if not broken:
            if all(starts.get(index) == 0 for index in range(len(files))):
                # The window began before the log: every byte was read, so this log holds every
                # record, and a view of the whole history (Growth's) reuses it, not reads it again.
                self.since_ms = None
            return updates
        self.since_ms = None
        self._window_read = whole_read_instead(plan.window_read, broken)
        return [self._caught_up(files, index, {}, progress) for index in range(len(files))]

    def _caught_up(self, files: list[Path], index: int, known: dict, progress: Progress | None) -> _Update:
        """The file's part, read on from where it was left when it is the same file grown."""
        path = files[index]
        progress = _progress_of(progress, index, len(files))
        with open_log(path) as stream:
            stat = os.fstat(stream.fileno())
            old = known.get((stat.st_dev, stat.st_ino))
            if is_compressed(path):
                if old and (old.size, old.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
                    return _Update(_renamed(old, path), old)
                if self.since_ms is not None and self._before_window(files, index, self.since_ms):
                    return _Update(_untouched(path, stat))  # newly compressed history: not needed
                return _read(path, stream, stat, None, progress)
            if old and _grown_from(old, stream, stat.st_size):
                if stat.st_size == old.end + old.rest_length and _hash(stream.read(old.rest_length)) == old.rest_hash:
                    return _Update(_renamed(old, path), old)
                return _read(path, stream, stat, old, progress)
            return _read(path, stream, stat, None, progress)

    def _before_window(self, files: list[Path], index: int, since_ms: float) -> bool:
        """Whether a later file's first record shows this one holds nothing of the window."""
        bound = self._window_read.disorder_bound_ms if self._window_read else self.floor_ms
        low = since_ms - bound
        return any(first is not None and first[1] < low for first in map(first_record, files[index + 1 :]))

    def _appends_only(self, updates: list[_Update]) -> bool:
        """Whether the only change is lines added to the last file, after its last row."""
        if len(updates) != len(self._parts):
            return False
        *before, last = updates
        return (
            all(u.part is old for u, old in zip(before, self._parts))
            and last.old is self._parts[-1]
            and last.old.path == last.part.path
            and last.old.rest_rows == 0  # else those rows would have to be taken back
        )

    def _kept(self, updates: list[_Update]) -> list[pd.DataFrame | None]:
        """The rows kept of the old frame and the records read now, in log order."""
        old_frame = self._frame if self._frame is not None else empty_frame()  # no old rows: none kept
        offsets, row = {}, 0
        for part in self._parts:
            offsets[id(part)] = row
            row += part.rows + part.rest_rows
        pieces = []
        for u in updates:
            if u.added is None and u.old is None:  # untouched: nothing of it was read
                continue
            if u.added is None:  # unchanged, maybe renamed: its old rows, rest and all
                at = offsets[id(u.old)]
                pieces.append(old_frame.iloc[at : at + u.part.rows + u.part.rest_rows])
                continue
            if u.old is not None:  # grown: its old complete lines, then what was added
                at = offsets[id(u.old)]
                pieces.append(old_frame.iloc[at : at + u.old.rows])
            pieces += [u.added, u.rest]
        return pieces


def _loaded(
    files: list[Path], parts: list[_Part], frame: pd.DataFrame, order: OrderCheck, window_read: WindowRead | None
) -> LoadedLog:
    report = LoadReport(files=[str(f) for f in files], window_read=window_read)
    for part in parts:
        report.absorb(part.report)
        report.absorb(part.rest_report)
    report.in_window = len(frame)
    report.max_disorder_ms = order.worst
    report.longest_call_ms = order.longest
    if window_read and window_read.fell_back:
        report.warnings.append(window_read.fell_back)
    return LoadedLog(frame, report)


def _order_of(updates: list[_Update], witnesses: list[Witness]) -> OrderCheck:
    """The disorder and longest call of the records read and the planning's witnesses, in log order."""
    order = OrderCheck(witnesses)
    for index, u in enumerate(updates):
        order.reading(index, u.part.start if u.added is not None else math.inf)
        for piece in (u.added, u.rest):
            if piece is not None:
                order.see(piece["ts"].to_numpy(), piece["duration_ms"].to_numpy())
    order.finish()
    return order


def _untouched(path: Path, stat: os.stat_result) -> _Part:
    """A compressed file of history before the window: known, never read."""
    nothing = LoadReport(files=[str(path)])
    return _Part(
        path=path,
        device=stat.st_dev,
        inode=stat.st_ino,
        size=stat.st_size,
        mtime_ns=stat.st_mtime_ns,
        start=0,
        head_hash=b"",
        seam_hash=b"",
        end=0,
        next_line=1,
        rows=0,
        report=nothing,
        rest_rows=0,
        rest_report=nothing,
        rest_length=0,
        rest_hash=_hash(b""),
    )


def _last_line_end(stream, size: int) -> int:
    """The offset just past the file's last "\n" (0 when it has none)."""
    position = size
    while position > 0:
        step = min(PROBE_BYTES, position)
        stream.seek(position - step)
        newline = stream.read(step).rfind(b"\n")
        if newline >= 0:
            return position - step + newline + 1
        position -= step
    return 0


def _progress_of(progress: Progress | None, index: int, count: int) -> Progress | None:
    if progress is None:
        return None
    return lambda fraction: progress((index + fraction) / count)


def _grown_from(old: _Part, stream, size: int) -> bool:
    """Whether the open file still holds what `old` read, so reading on from old.end is right.
    Leaves the stream at old.end."""
    return size >= old.end and _hashes(stream, old.end) == (old.head_hash, old.seam_hash)


def _hashes(stream, end: int) -> tuple[bytes, bytes]:
    """Hashes of the file's first bytes and of the bytes just before `end`; the stream is left at `end`."""
    stream.seek(0)
    head = _hash(stream.read(min(HASHED_BYTES, end)))
    seam = max(end - HASHED_BYTES, 0)
    stream.seek(seam)
    return head, _hash(stream.read(end - seam))


def _read(
    path: Path, stream, stat: os.stat_result, old: _Part | None, progress: Progress | None, start: int = 0
) -> _Update:
    first_line = 1 if start == 0 else None
    if old:
        start, first_line = old.end, old.next_line
    new = read_range(path, start, first_line, stream, progress)
    report = _joined(_renamed(old, path).report, new.report) if old else new.report
    rest, rest_report = read_rest(path, new.rest, new.next_line)
    head_hash, seam_hash = _hashes(stream, new.end)
    part = _Part(
        path=path,
        device=stat.st_dev,
        inode=stat.st_ino,
        size=stat.st_size,
        mtime_ns=stat.st_mtime_ns,
        start=old.start if old else start,
        head_hash=head_hash,
        seam_hash=seam_hash,
        end=new.end,
        next_line=new.next_line,
        rows=(old.rows if old else 0) + len(new.frame),
        report=report,
        rest_rows=len(rest),
        rest_report=rest_report,
        rest_length=len(new.rest),
        rest_hash=_hash(new.rest),
    )
    return _Update(part, old, new.frame, rest)


def _renamed(part: _Part, path: Path) -> _Part:
    """The part of a file that rotation renamed: same lines, the new name in its samples."""
    if part.path == path:
        return part
    return replace(
        part, path=path, report=_relabelled(part.report, path), rest_report=_relabelled(part.rest_report, path)
    )


def _relabelled(report: LoadReport, path: Path) -> LoadReport:
    name = str(path)
    return replace(
        report,
        files=[name],
        samples=[replace(s, file=name) for s in report.samples],
        pending_lines=[replace(s, file=name) for s in report.pending_lines],
    )


def _joined(first: LoadReport, then: LoadReport) -> LoadReport:
    joined = LoadReport(files=list(first.files))
    joined.absorb(first)
    joined.absorb(then)
    return joined


def _hash(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()
