"""Turn the audit log into a typed DataFrame plus a report of every line that isn't a record.

Which lines count follows the reference's `readEntries`: a line is a record when it is a JSON
object whose `ts` is a number; blank lines are skipped. Unlike the reference we count and
sample what we skip, accept a UTF-8 BOM, and treat a field of the wrong type as missing.

Speed comes from pyarrow's JSON reader, run on one block of lines per core at a time.
It is trusted only where its answer provably equals a line-by-line JSON.parse: every line
looks like one object, row count equals line count, the text is UTF-8 and holds no `null`,
no number is NaN or Infinity. When a check fails on some lines, those are parsed line by line
and the runs between them retried; when the trouble can't be pinned on lines, the block is
split and retried, down to an exact line-by-line parse. Memory stays low because each parsed
block is shrunk at once (category strings become dictionary codes) and the frame is built
column by column from those pieces.
"""

from __future__ import annotations

import codecs
import math
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from relay_metrics.ingest import report as rpt
from relay_metrics.ingest.frames import concat_frames, dictionary_categorical
from relay_metrics.ingest.jsonline import as_number, parse_line
from relay_metrics.ingest.pushdown import (
    DISORDER_BOUND_MS,
    OrderCheck,
    Span,
    Witness,
    broken_bound,
    plan_window,
    whole_read_instead,
)
from relay_metrics.ingest.report import LoadReport
from relay_metrics.ingest.schema import (
    ARROW_SCHEMA,
    COLUMNS,
    MAX_ABS_TS_MS,
    NUMBER_FIELDS,
    STRING_FIELDS,
)
from relay_metrics.ingest.sources import LogSource, TruncatedFile, read_chunks, resolve_files, skipped_links

# Raise when a change here (or in what it calls) can change any frame or report: parsed copies
# kept by an older loader (see ingest.cache) are then ignored.
LOADER_VERSION = 2

CHUNK_BYTES = 4 << 20
# A line longer than this is rejected as LINE_TOO_LONG while it is read, never held whole
# (a file without a newline, /dev/zero-like, would otherwise grow one line without bound).
# Real records are about a kilobyte; no line of a chunk can be longer than a chunk.
MAX_LINE_BYTES = CHUNK_BYTES
LINE_TOO_LONG = "line too long"
# Below this size a block that pyarrow can't take whole is parsed line by line.
EXACT_BELOW_BYTES = 64 << 10
SPLIT_WAYS = 8
# One block per core parses at a time, each on a single thread: cheaper in total than one
# block on all cores, and the checks of one block run while another parses. Capped because
# every worker holds a block and its parse in memory.
_CPUS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
WORKERS = min(_CPUS, 8)

_BOM = b"\xef\xbb\xbf"

_PARSE_OPTIONS = pj.ParseOptions(explicit_schema=ARROW_SCHEMA, unexpected_field_behavior="ignore")
_READ_OPTIONS = pj.ReadOptions(block_size=CHUNK_BYTES, use_threads=False)  # a block in one piece

Progress = Callable[[float], None]


@dataclass(frozen=True)
class LoadedLog:
    frame: pd.DataFrame
    report: LoadReport


def load_log(
    source: LogSource,
    since_ms: float | None = None,
    until_ms: float | None = None,
    progress: Progress | None = None,
    disorder_bound_ms: float = DISORDER_BOUND_MS,
) -> LoadedLog:
    """Read the files of `source` (oldest first) and keep records with since <= ts <= until.

    With a window, only the parts of the log that can hold its records are read (see
    pushdown; `disorder_bound_ms` is the bound's floor, the log's longest calls may raise it);
    if what was read breaks the bound, everything is read after all and the report says why.
    Raises sources.LogSourceError when the log can't be read at all.
    """
    files = resolve_files(source)
    links = skipped_links(source)
    window = (-math.inf if since_ms is None else since_ms, math.inf if until_ms is None else until_ms)
    if window == (-math.inf, math.inf) or disorder_bound_ms == math.inf:
        loaded, _ = _read_files(files, window, _whole(files), [], progress)
        loaded.report.warnings.extend(links)
        return loaded
    plan = plan_window(files, window, disorder_bound_ms)
    loaded, order = _read_files(files, window, plan.spans, plan.witnesses, progress)
    read = plan.window_read
    broken = broken_bound(read, order)
    if broken:
        read = whole_read_instead(read, broken)
        loaded, _ = _read_files(files, window, _whole(files), [], progress)
        loaded.report.warnings.append(broken)
    loaded.report.window_read = read
    loaded.report.warnings.extend(links)
    return loaded


def _whole(files: list[Path]) -> list[Span]:
    return [Span(i, path, 0, None, path.stat().st_size) for i, path in enumerate(files)]


def _read_files(
    files: list[Path], window, spans: list[Span], witnesses: list[Witness], progress
) -> tuple[LoadedLog, OrderCheck]:
    """Parse the spans of files in order. Witnesses, records seen outside the spans, join the
    disorder check where they lie in the log; the check is returned with the log."""
    report = LoadReport(files=[str(f) for f in files])
    order = OrderCheck(witnesses)
    sizes = [max(span.length(), 1) for span in spans]
    total, done = float(sum(sizes)), 0
    pieces: list[pa.Table | pd.DataFrame] = []
    with ThreadPoolExecutor(WORKERS, thread_name_prefix="relay-metrics-parse") as pool:
        for span, size in zip(spans, sizes):
            order.reading(span.file, span.start, span.stop)
            first_line = 1 if span.start == 0 else None
            reader = _FileReader(span.path, report, window, pieces, pool, span.start, span.stop, first_line, order)
            for fraction in reader.run():
                if progress:
                    progress((done + fraction * size) / total)
            done += size
    report.max_disorder_ms = order.finish()
    report.longest_call_ms = order.longest
    frame = _concat(pieces)
    # pyarrow's allocator keeps freed pages for reuse; the parsed blocks are gone for good, so
    # hand their pages back rather than carry them through whatever the caller does next.
    pa.default_memory_pool().release_unused()
    report.in_window = len(frame)
    if progress:
        progress(1.0)
    return LoadedLog(frame, report), order


@dataclass(frozen=True)
class FileRange:
    """The complete lines of one file from a line start to its end, unfiltered."""

    frame: pd.DataFrame
    report: LoadReport
    end: int  # byte offset just past the last complete line
    next_line: int | None  # the number of the line that starts at `end`, None when unknown
    rest: bytes  # the unterminated bytes after `end`, not yet parsed


def read_range(
    path: Path, start: int, first_line: int | None, stream=None, progress: Progress | None = None
) -> FileRange:
    """Parse path's complete lines from `start` (0 or just past a "\n") to its end; first_line
    is the number of the line at `start`, None when unknown.

    Raises sources.LogSourceError."""
    report = LoadReport(files=[str(path)])
    pieces: list[pa.Table | pd.DataFrame] = []
    with ThreadPoolExecutor(WORKERS, thread_name_prefix="relay-metrics-parse") as pool:
        # What a refresh reads is small: in blocks small enough that every core gets one.
        size = os.fstat(stream.fileno()).st_size if stream else path.stat().st_size
        chunk_bytes = min(CHUNK_BYTES, max((size - start) // WORKERS + 1, EXACT_BELOW_BYTES * 4))
        reader = _FileReader(
            path,
            report,
            (-math.inf, math.inf),
            pieces,
            pool,
            start,
            None,
            first_line,
            stream=stream,
            parse_rest=False,
            chunk_bytes=chunk_bytes,
        )
        for fraction in reader.run():
            if progress:
                progress(fraction)
    frame = _concat(pieces)
    pa.default_memory_pool().release_unused()
    return FileRange(frame, report, reader.end, reader.next_line if reader.numbered else None, reader.carry)


def read_rest(path: Path, rest: bytes, line_no: int | None) -> tuple[pd.DataFrame, LoadReport]:
    """An unterminated last line as a full read counts it: a record, or pending."""
    report = LoadReport(files=[str(path)])
    pieces: list[pa.Table | pd.DataFrame] = []
    if rest:
        _unterminated(rest, str(path), line_no, report, pieces.append)
    return _concat(pieces), report


@dataclass(frozen=True)
class _TooLong:
    """A line past MAX_LINE_BYTES: its first bytes (for the sample) and where it starts."""

    head: bytes
    offset: int


def _done(value) -> Future:
    future: Future = Future()
    future.set_result(value)
    return future


@dataclass(frozen=True)
class _Parsed:
    """A block pyarrow parsed exactly: its records (compacted) and how its lines were counted."""

    table: pa.Table
    lines: int
    records: int
    negative: dict[str, int]  # per number field, values dropped for being negative


class _FileReader:
    def __init__(
        self,
        path: Path,
        report: LoadReport,
        window,
        pieces: list,
        pool: ThreadPoolExecutor,
        start: int = 0,
        stop: int | None = None,
        first_line: int | None = 1,
        order: OrderCheck | None = None,
        stream=None,
        parse_rest: bool = True,
        chunk_bytes: int = CHUNK_BYTES,
    ):
        self.path, self.name = path, str(path)
        self.report, self.window, self.pieces, self.pool = report, window, pieces, pool
        self.start, self.stop, self.stream = start, stop, stream
        # Line numbers are known only when the read starts at the top of the file.
        self.numbered = first_line is not None
        self.next_line = first_line or 1
        self.order = order
        # Parse the unterminated rest as a full read does (a span that stops early has none).
        self.parse_rest = parse_rest and stop is None
        self.chunk_bytes = chunk_bytes
        self.carry = b""  # the unterminated rest, once everything is read
        self.end = start  # just past the last complete line read

    def run(self) -> Iterator[float]:
        """Parse the file, yielding the share of it done so far.

        Blocks are parsed in the pool, and their results taken in file order, so line numbers
        and the order of records are those of the file.
        """
        in_flight: deque = deque()
        for data, start, end, share in self._blocks():
            if isinstance(data, _TooLong):
                in_flight.append((_done(data), data, start, end, share))
            else:
                in_flight.append((self.pool.submit(_fast_parse, data, start, end), data, start, end, share))
            if len(in_flight) > WORKERS:  # bounds how many blocks are held in memory at once
                future, data, start, end, share = in_flight.popleft()
                self.next_line += self._settle(future.result(), data, start, end, self.next_line)
                yield share
        while in_flight:
            future, data, start, end, share = in_flight.popleft()
            self.next_line += self._settle(future.result(), data, start, end, self.next_line)
            yield share
        if self.carry and self.parse_rest:
            _unterminated(self.carry, self.name, self._line(self.next_line), self.report, self._keep)

    def _line(self, number: int) -> int | None:
        return number if self.numbered else None

    def _blocks(self) -> Iterator[tuple[bytes | _TooLong, int, int, float]]:
        """Runs of whole lines: (data, start, end, share of the file read); the unterminated
        rest of the file is left in self.carry. A line longer than MAX_LINE_BYTES comes as a
        _TooLong, its head only: the rest is skipped as it is read, never held."""
        carry = b""
        too_long: _TooLong | None = None  # the line being skipped, when one is
        span = max((self.stop if self.stop is not None else self.path.stat().st_size) - self.start, 1)
        position = self.start  # in the file's (decompressed) bytes
        try:
            chunks = read_chunks(self.path, self.chunk_bytes, self.start, self.stop, self.stream)
            for number, (chunk, read_to) in enumerate(chunks):
                share = min((read_to - self.start) / span, 1.0)
                position += len(chunk)
                start = len(_BOM) if number == 0 and self.start == 0 and chunk.startswith(_BOM) else 0
                if too_long is not None:  # skip to the end of the line being skipped
                    newline = chunk.find(b"\n", start)
                    if newline < 0:
                        continue
                    yield too_long, 0, 0, share
                    start, too_long = newline + 1, None
                elif carry:  # complete the line the last chunk ended in
                    newline = chunk.find(b"\n", start)
                    if len(carry) + (len(chunk) - start if newline < 0 else newline - start) > MAX_LINE_BYTES:
                        too_long = _TooLong(carry[: rpt.SAMPLE_CHARS * 4], position - len(chunk) - len(carry))
                        carry = b""
                        if newline < 0:
                            continue
                        yield too_long, 0, 0, share
                        start, too_long = newline + 1, None
                    elif newline < 0:
                        carry += chunk[start:]
                        continue
                    else:
                        head = carry + chunk[start : newline + 1]
                        yield head, 0, len(head), share
                        start, carry = newline + 1, b""
                cut = chunk.rfind(b"\n", start) + 1
                if cut > start:
                    yield chunk, start, cut, share
                carry = chunk[max(cut, start) :]
                if len(carry) > MAX_LINE_BYTES:
                    too_long = _TooLong(carry[: rpt.SAMPLE_CHARS * 4], position - len(carry))
                    carry = b""
        except TruncatedFile as exc:
            self.report.warnings.append(str(exc))
        if too_long is not None:
            # Unterminated and already too long: a full read rejects it; a refresh (which
            # parses the rest itself) starts there again next time, holding no more than now.
            if self.parse_rest:
                yield too_long, 0, 0, 1.0
                carry = b""
            else:
                carry, position = too_long.head, too_long.offset + len(too_long.head)
        self.carry = carry
        self.end = position - len(carry)

    def _settle(self, parsed: _Parsed | np.ndarray | None, data: bytes, start: int, end: int, first_line: int) -> int:
        """Keep the fast parse of data[start:end], or narrow down where it failed; return the
        block's line count."""
        if isinstance(parsed, _TooLong):
            self.report.lines += 1
            self.report.reject(self.name, self._line(first_line), LINE_TOO_LONG, parsed.head)
            return 1
        if isinstance(parsed, _Parsed):
            report = self.report
            report.lines += parsed.lines
            report.blank += parsed.lines - parsed.records
            report.records += parsed.records
            report.field_problems.update(parsed.negative)
            self._keep(parsed.table)
            return parsed.lines
        if end - start <= EXACT_BELOW_BYTES:
            return self._exact(data[start:end], first_line)
        if parsed is not None:
            return self._around(parsed, data, start, end, first_line)
        parts = list(_split_lines(data, start, end, SPLIT_WAYS))
        if len(parts) < 2:  # one long line: nothing left to narrow down
            return self._exact(data[start:end], first_line)
        return self._in_order(data, [(part, True) for part in parts], first_line)

    def _around(self, suspects: np.ndarray, data: bytes, start: int, end: int, first_line: int) -> int:
        """Parse the suspect lines (rows of start, end offsets) one by one and the runs of
        lines between them fast again; return the block's line count."""
        cuts: list[list[int]] = []  # suspect lines, neighbours merged
        for line_start, line_end in suspects.tolist():
            if cuts and cuts[-1][1] == line_start:
                cuts[-1][1] = line_end
            else:
                cuts.append([line_start, line_end])
        if len(cuts) > (end - start) // EXACT_BELOW_BYTES:
            # Good runs this short, on average, are best parsed line by line too.
            return self._exact(data[start:end], first_line)
        spans, position = [], start
        for cut_start, cut_end in cuts:
            if cut_start > position:
                spans.append(((position, cut_start), True))
            spans.append(((cut_start, cut_end), False))
            position = cut_end
        if position < end:
            spans.append(((position, end), True))
        return self._in_order(data, spans, first_line)

    def _in_order(self, data: bytes, spans: list[tuple[tuple[int, int], bool]], first_line: int) -> int:
        """Parse consecutive spans of whole lines of data, fast (in the pool) or exactly, as
        each is marked; return their line count."""
        futures = [self.pool.submit(_fast_parse, data, *span) if fast else None for span, fast in spans]
        lines = 0
        for future, ((start, end), _) in zip(futures, spans):
            if future is not None:
                lines += self._settle(future.result(), data, start, end, first_line + lines)
            else:
                lines += self._exact(data[start:end], first_line + lines)
        return lines

    def _exact(self, block: bytes, first_line: int) -> int:
        builder = _ExactBuilder(self.report)
        lines = block.split(b"\n")[:-1]  # the block ends with "\n"
        self.report.lines += len(lines)
        for offset, raw in enumerate(lines):
            builder.add(parse_line(raw), self.name, self._line(first_line + offset), raw)
        self._keep(builder.table())
        return len(lines)

    def _keep(self, piece: pa.Table | pd.DataFrame) -> None:
        if self.order:
            ts, durations = (
                piece.column(n) if isinstance(piece, pa.Table) else piece[n] for n in ("ts", "duration_ms")
            )
            self.order.see(np.asarray(ts), np.asarray(durations, dtype=np.float64))  # null: NaN
        since, until = self.window
        if since == -math.inf and until == math.inf:
            self.pieces.append(piece)
        elif isinstance(piece, pa.Table):
            ts = piece.column("ts")
            self.pieces.append(piece.filter(pc.and_(pc.greater_equal(ts, since), pc.less_equal(ts, until))))
        else:
            self.pieces.append(piece[(piece["ts"] >= since) & (piece["ts"] <= until)])


def _unterminated(raw: bytes, file: str, line_no: int | None, report: LoadReport, keep) -> None:
    # The relay may be mid-append: an unparsable unterminated last line is "pending".
    report.lines += 1
    outcome = parse_line(raw)
    if outcome in (rpt.INVALID_JSON, rpt.NOT_UTF8):
        report.add_pending(file, line_no, raw)
        return
    builder = _ExactBuilder(report)
    builder.add(outcome, file, line_no, raw)
    keep(builder.table())


def _fast_parse(data: bytes, start: int, end: int) -> _Parsed | np.ndarray | None:
    """pyarrow's parse of data[start:end] (whole lines) where it provably equals JSON.parse line
    by line. Otherwise the lines in the way, as rows of (start, end) offsets into data, or None
    when the trouble can't be pinned on lines. Runs in the pool: it reads no shared state."""
    buf = np.frombuffer(data, dtype=np.uint8, count=end - start, offset=start)
    scratch = _scratch(len(buf))
    lines = _Lines(buf, scratch, start)
    if lines.misshapen.any():
        return lines.ranges(lines.misshapen)  # not {...}: blank-with-spaces, split or foreign
    if buf.max(initial=0) >= 0x80:
        # pyarrow does not check UTF-8 in strings; JSON.parse's input is text.
        undecodable = _undecodable_lines(data, start, end, lines)
        if len(undecodable):
            return lines.ranges(undecodable)
    # A JSON null must be counted per field, and pyarrow reads it as absent.
    nulls = _null_literals(buf, scratch)
    if len(nulls):
        return lines.ranges(lines.holding(nulls))
    deep = _maybe_too_deep(buf, scratch, lines)
    if len(deep):
        return lines.ranges(deep)  # pyarrow takes any depth; jsonline rejects past json's reach
    source = pa.BufferReader(pa.py_buffer(data).slice(start, end - start))
    try:
        table = pj.read_json(source, read_options=_READ_OPTIONS, parse_options=_PARSE_OPTIONS)
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None
    # A line holding two objects gives an extra row; with every line shaped {...} nothing else
    # can, so equal counts mean one object per line, row i on the i-th non-blank line.
    if table.num_rows != lines.records:
        return None
    if not _numbers_json_can_hold(table):
        return lines.ranges(lines.filled_index[_rows_json_rejects(table)])
    columns, negative = [], {}
    for name in ARROW_SCHEMA.names:
        column = table.column(name)
        if name in NUMBER_FIELDS:
            below = pc.less(column, 0)
            bad = pc.sum(below).as_py() or 0
            if bad:
                negative[name] = bad
                column = pc.if_else(below, pa.scalar(None, pa.float64()), column)
        columns.append(column)
    return _Parsed(_compact(pa.table(columns, schema=ARROW_SCHEMA)), lines.count, lines.records, negative)


class _Lines:
    """The whole lines of buf, a block that starts at `offset` in its data."""

    def __init__(self, buf: np.ndarray, scratch: np.ndarray, offset: int):
        self.offset = offset
        self.newlines = np.equal(buf, 10, out=scratch[: len(buf)]).nonzero()[0]
        self.starts = np.empty_like(self.newlines)
        self.starts[0], self.starts[1:] = 0, self.newlines[:-1] + 1
        ends = self.newlines - (buf[self.newlines - 1] == 13) * (self.newlines > self.starts)  # CRLF
        filled = ends > self.starts
        self.filled_index = np.flatnonzero(filled)
        self.count, self.records = len(self.newlines), len(self.filled_index)
        shaped = (buf[self.starts] == 123) & (buf[ends - 1] == 125)  # read only where filled
        self.misshapen = filled & ~shaped

    def holding(self, positions: np.ndarray) -> np.ndarray:
        """The lines (indexes) holding these byte positions of buf."""
        return np.unique(np.searchsorted(self.newlines, positions))

    def ranges(self, lines: np.ndarray) -> np.ndarray:
        """(start, end) offsets into the data of these lines (a mask or indexes), "\n" included."""
        return np.column_stack((self.starts[lines], self.newlines[lines] + 1)) + self.offset


def _undecodable_lines(data: bytes, start: int, end: int, lines: _Lines) -> np.ndarray:
    """The lines of data[start:end] that are not UTF-8, all found in one pass over the block."""
    found, position = [], start
    while position < end:
        try:
            codecs.utf_8_decode(memoryview(data)[position:end], "strict", True)
            break
        except UnicodeDecodeError as exc:
            line = int(lines.holding(np.array([position - start + exc.start]))[0])
            found.append(line)
            position = start + int(lines.newlines[line]) + 1  # go on after that line
    return np.array(found, dtype=np.intp)


def _numbers_json_can_hold(table: pa.Table) -> bool:
    # pyarrow takes NaN and Infinity literals, which JSON.parse rejects; NaN fails <= too.
    ts = table.column("ts")
    if ts.null_count or not pc.all(pc.less_equal(pc.abs(ts), MAX_ABS_TS_MS)).as_py():
        return False
    return all(pc.all(pc.is_finite(table.column(name))).as_py() is not False for name in NUMBER_FIELDS)


def _rows_json_rejects(table: pa.Table) -> np.ndarray:
    """Rows failing _numbers_json_can_hold: a ts missing or out of range, or NaN, Infinity."""
    fine = pc.less_equal(pc.abs(table.column("ts")), MAX_ABS_TS_MS).fill_null(False)
    for name in NUMBER_FIELDS:
        fine = pc.and_(fine, pc.is_finite(table.column(name)).fill_null(True))
    return ~fine.to_numpy(zero_copy_only=False)


def _compact(table: pa.Table) -> pa.Table:
    """The table with category strings as dictionary codes, so a block's strings are freed now."""
    columns = [
        column.dictionary_encode() if name in STRING_FIELDS else column
        for name, column in zip(table.column_names, table.columns)
    ]
    return pa.table(columns, names=table.column_names)


_scratch_space = threading.local()


def _scratch(size: int) -> np.ndarray:
    """A bool buffer reused per thread: a fresh one per block costs a page fault per 4 KB."""
    buffer = getattr(_scratch_space, "buffer", None)
    if buffer is None or len(buffer) < size:
        buffer = _scratch_space.buffer = np.empty(size, dtype=bool)
    return buffer


DEEP_SUSPECT = 500  # fewer openers than this can't nest past json's recursion (~1,000 levels)
_NULL_WORD = np.frombuffer(b"null", dtype=np.uint32)[0]


def _null_literals(buf: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    """Where the bytes "null" occur in buf. Four word compares, one per alignment, are twice
    as fast as bytes.find, which skips poorly through text so full of "n"."""
    found = []
    for offset in range(min(4, len(buf))):
        words = (len(buf) - offset) // 4
        hits = np.equal(buf[offset : offset + 4 * words].view(np.uint32), _NULL_WORD, out=scratch[:words])
        if hits.any():
            found.append(offset + 4 * np.flatnonzero(hits))
    return np.concatenate(found) if found else np.empty(0, dtype=np.intp)


def _maybe_too_deep(buf: np.ndarray, scratch: np.ndarray, lines: _Lines) -> np.ndarray:
    """The lines (indexes) holding more than DEEP_SUSPECT "[" or "{", which alone can nest as
    deep as json can't reach; the exact path decides. Two byte counts rule out most blocks:
    numpy's compare-and-count, a third of what bytes.count takes for one byte."""
    brackets = np.count_nonzero(np.equal(buf, ord("["), out=scratch[: len(buf)]))
    openers = brackets + np.count_nonzero(np.equal(buf, ord("{"), out=scratch[: len(buf)]))
    if openers - lines.records < DEEP_SUSPECT:  # each record's line holds one "{" of its own
        return np.empty(0, dtype=np.intp)
    at = np.flatnonzero((buf == ord("[")) | (buf == ord("{")))
    per_line = np.diff(np.searchsorted(at, np.append(lines.starts, len(buf))))
    return np.flatnonzero(per_line > DEEP_SUSPECT)


def _split_lines(data: bytes, start: int, end: int, ways: int):
    """Cut data[start:end], whole lines, into about `ways` runs of whole lines."""
    step = max((end - start) // ways, 1)
    while start < end:
        cut = data.find(b"\n", min(start + step, end) - 1, end) + 1 or end
        yield start, cut
        start = cut


class _ExactBuilder:
    """Columns of records parsed one line at a time."""

    def __init__(self, report: LoadReport):
        self.report = report
        self.columns: dict[str, list] = {name: [] for name in ARROW_SCHEMA.names}

    def add(self, outcome, file: str, line_no: int | None, raw: bytes) -> None:
        report = self.report
        if outcome is None:
            report.blank += 1
            return
        if isinstance(outcome, str):
            report.reject(file, line_no, outcome, raw)
            return
        ts = as_number(outcome.get("ts"))
        if ts is None:
            report.reject(file, line_no, rpt.TS_NOT_NUMBER, raw)
            return
        if not abs(ts) <= MAX_ABS_TS_MS:
            report.reject(file, line_no, rpt.TS_OUT_OF_RANGE, raw)
            return
        report.records += 1
        columns = self.columns
        columns["ts"].append(ts)
        for name in STRING_FIELDS:
            value = outcome.get(name)
            if value is not None and not isinstance(value, str):
                report.field_problems[name] += 1
                value = None
            elif value is None and name in outcome:
                report.field_problems[name] += 1
            columns[name].append(value)
        for name in NUMBER_FIELDS:
            if name not in outcome:
                columns[name].append(math.nan)
                continue
            number = as_number(outcome[name])
            if number is None or not (0 <= number < math.inf):
                report.field_problems[name] += 1
                number = math.nan
            columns[name].append(number)

    def table(self) -> pa.Table | pd.DataFrame:
        try:
            return _compact(pa.table(self.columns, schema=ARROW_SCHEMA))
        except UnicodeEncodeError:  # a lone surrogate: only a Python str can hold it
            return self.frame()

    def frame(self) -> pd.DataFrame:
        data = {}
        for name, values in self.columns.items():
            if name in STRING_FIELDS:
                data[name] = _categorical(values)
            else:
                data[name] = np.asarray(values, dtype=np.float64)
        return pd.DataFrame(data)


def _categorical(values: list) -> pd.Categorical:
    # Object categories, not pandas' arrow-backed str: JSON may decode to lone surrogates,
    # which are valid Python strings but not UTF-8, and must be kept exactly.
    codes, uniques = pd.factorize(np.array(values, dtype=object))
    return pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype=object))


def _table_to_frame(run: list[pa.Table]) -> pd.DataFrame:
    """One frame from a run of compacted tables, which it empties: each arrow column is let go
    as soon as its pandas column is built, so the two copies of the data never coexist."""
    table = pa.concat_tables(run) if run else _compact(ARROW_SCHEMA.empty_table())
    run.clear()
    columns = dict(zip(table.column_names, table.columns))
    del table
    data = {}
    for name in ARROW_SCHEMA.names:
        column = columns.pop(name)
        if name in STRING_FIELDS:
            # One dictionary for all blocks, merged in C++.
            data[name] = dictionary_categorical(column.combine_chunks())
        else:
            data[name] = column.to_numpy()
    return pd.DataFrame(data, copy=False)


def _concat(pieces: list[pa.Table | pd.DataFrame]) -> pd.DataFrame:
    """One frame in file order from the pieces, which it empties; runs of arrow tables are
    joined in arrow before pandas sees them."""
    runs: list[list[pa.Table] | pd.DataFrame] = []
    for piece in pieces:
        if not isinstance(piece, pa.Table):
            runs.append(piece)
        elif runs and isinstance(runs[-1], list):
            runs[-1].append(piece)
        else:
            runs.append([piece])
    pieces.clear()
    frames = [_table_to_frame(run) if isinstance(run, list) else run for run in runs or [[]]]
    data = dict(concat_frames([f.reset_index(drop=True) for f in frames]).items())
    ts = data["ts"].to_numpy()
    # JavaScript's Date truncates fractional milliseconds toward zero.
    data["time"] = pd.DatetimeIndex(np.trunc(ts).astype("int64").astype("datetime64[ms]")).tz_localize("UTC")
    return pd.DataFrame({name: data.pop(name) for name in COLUMNS}, copy=False)
