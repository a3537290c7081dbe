"""Turn the audit log into a typed DataFrame plus a report of every line that isn't a record.

Which lines count follows the reference's `readEntries`: a line is a record when it is a JSON
object whose `ts` is a number; blank lines are skipped. Unlike the reference we count and
sample what we skip, accept a UTF-8 BOM, and treat a field of the wrong type as missing.

Speed comes from pyarrow's JSON reader, which parses a block of lines in C++ on all cores.
It is trusted only where its answer provably equals a line-by-line JSON.parse: every line
looks like one object, row count equals line count, no `null`, NaN or Infinity anywhere.
Any block that fails a check is split and retried, down to an exact line-by-line parse.
"""

from __future__ import annotations

import codecs
import io
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from . import report as rpt
from .report import LoadReport
from .schema import (
    ARROW_SCHEMA,
    COLUMNS,
    MAX_ABS_TS_MS,
    NUMBER_FIELDS,
    STRING_FIELDS,
    UNIQUE_STRING_FIELDS,
)
from .sources import LogSource, TruncatedFile, read_chunks, resolve_files

CHUNK_BYTES = 16 << 20
# Below this size a block that pyarrow can't take whole is parsed line by line.
EXACT_BELOW_BYTES = 64 << 10
SPLIT_WAYS = 8

_BOM = b"\xef\xbb\xbf"
# What JavaScript's String.prototype.trim() strips: a line of only these is blank.
_JS_WHITESPACE = " \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"

_PARSE_OPTIONS = pj.ParseOptions(explicit_schema=ARROW_SCHEMA, unexpected_field_behavior="ignore")
_READ_OPTIONS = pj.ReadOptions(block_size=1 << 20, use_threads=True)

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
) -> LoadedLog:
    """Read every file of `source` (oldest first) and keep records with since <= ts <= until.

    Raises sources.LogSourceError when the log can't be read at all.
    """
    files = resolve_files(source)
    report = LoadReport(files=[str(f) for f in files])
    window = (-math.inf if since_ms is None else since_ms, math.inf if until_ms is None else until_ms)
    sizes = [max(f.stat().st_size, 1) for f in files]
    total, done = float(sum(sizes)), 0
    pieces: list[pa.Table | pd.DataFrame] = []
    for path, size in zip(files, sizes):
        reader = _FileReader(path, report, window, pieces)
        for fraction in reader.run():
            if progress:
                progress((done + fraction * size) / total)
        done += size
    frame = _concat(pieces)
    report.in_window = len(frame)
    if progress:
        progress(1.0)
    return LoadedLog(frame, report)


class _FileReader:
    def __init__(self, path: Path, report: LoadReport, window, pieces: list):
        self.path, self.name = path, str(path)
        self.report, self.window, self.pieces = report, window, pieces

    def run(self):
        """Parse the file chunk by chunk, yielding the share of the file read so far."""
        carry, next_line, size = b"", 1, max(self.path.stat().st_size, 1)
        try:
            for number, (chunk, position) in enumerate(read_chunks(self.path, CHUNK_BYTES)):
                start = len(_BOM) if number == 0 and chunk.startswith(_BOM) else 0
                if carry:  # complete the line the last chunk ended in
                    newline = chunk.find(b"\n", start)
                    if newline < 0:
                        carry += chunk[start:]
                        continue
                    head = carry + chunk[start : newline + 1]
                    next_line += self._block(head, 0, len(head), next_line)
                    start, carry = newline + 1, b""
                cut = chunk.rfind(b"\n", start) + 1
                if cut > start:
                    next_line += self._block(chunk, start, cut, next_line)
                carry = chunk[max(cut, start):]
                yield min(position / size, 1.0)
        except TruncatedFile as exc:
            self.report.warnings.append(str(exc))
        if carry:
            self._last_line(carry, next_line)

    def _last_line(self, raw: bytes, line_no: int) -> None:
        # The relay may be mid-append: an unparsable unterminated last line is "pending".
        self.report.lines += 1
        outcome = _parse_line(raw)
        if outcome in (rpt.INVALID_JSON, rpt.NOT_UTF8):
            self.report.add_pending(self.name, line_no, raw)
            return
        builder = _ExactBuilder(self.report)
        builder.add(outcome, self.name, line_no, raw)
        self._keep(builder.table())

    def _block(self, data: bytes, start: int, end: int, first_line: int) -> int:
        """Parse data[start:end], whole lines ending in "\n"; return how many lines it held."""
        parsed = _fast_parse(data, start, end, self.report)
        if parsed is not None:
            table, lines = parsed
            self._keep(table)
            return lines
        parts = list(_split_lines(data, start, end, SPLIT_WAYS)) if end - start > EXACT_BELOW_BYTES else []
        if len(parts) < 2:  # small, or one long line: nothing left to narrow down
            return self._exact(data[start:end], first_line)
        lines = 0
        for part_start, part_end in parts:
            lines += self._block(data, part_start, part_end, first_line + lines)
        return lines

    def _exact(self, block: bytes, first_line: int) -> int:
        builder = _ExactBuilder(self.report)
        lines = block.split(b"\n")[:-1]  # the block ends with "\n"
        self.report.lines += len(lines)
        for offset, raw in enumerate(lines):
            builder.add(_parse_line(raw), self.name, first_line + offset, raw)
        self._keep(builder.table())
        return len(lines)

    def _keep(self, piece: pa.Table | pd.DataFrame) -> None:
        since, until = self.window
        if since == -math.inf and until == math.inf:
            self.pieces.append(piece)
        elif isinstance(piece, pa.Table):
            ts = piece.column("ts")
            self.pieces.append(piece.filter(pc.and_(pc.greater_equal(ts, since), pc.less_equal(ts, until))))
        else:
            self.pieces.append(piece[(piece["ts"] >= since) & (piece["ts"] <= until)])


def _fast_parse(data: bytes, start: int, end: int, report: LoadReport) -> tuple[pa.Table, int] | None:
    """pyarrow's parse of data[start:end] (whole lines) and its line count, or None where the
    answer might differ from JSON.parse line by line."""
    if data.find(b"null", start, end) >= 0:
        return None  # a JSON null must be counted per field, and pyarrow reads it as absent
    buf = np.frombuffer(data, dtype=np.uint8, count=end - start, offset=start)
    ends = np.flatnonzero(buf == 10)
    starts = np.empty_like(ends)
    starts[0], starts[1:] = 0, ends[:-1] + 1
    ends = ends - (buf[ends - 1] == 13) * (ends > starts)  # CRLF: look before the \r
    filled = ends > starts
    n_records = int(filled.sum())
    if not (buf[starts[filled]] == 123).all() or not (buf[ends[filled] - 1] == 125).all():
        return None  # a line not shaped {...}: blank-with-spaces, split or foreign
    if buf.max(initial=0) >= 0x80 and not _is_utf8(data, start, end):
        return None  # pyarrow does not check UTF-8 in strings; JSON.parse's input is text
    source = pa.BufferReader(pa.py_buffer(data).slice(start, end - start))
    try:
        table = pj.read_json(source, read_options=_READ_OPTIONS, parse_options=_PARSE_OPTIONS)
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None
    # A line holding two objects gives an extra row; with every line shaped {...} nothing else
    # can, so equal counts mean one object per line.
    if table.num_rows != n_records:
        return None
    ts = table.column("ts")
    # pyarrow takes NaN and Infinity literals, which JSON.parse rejects; NaN fails <= too.
    if ts.null_count or not pc.all(pc.less_equal(pc.abs(ts), MAX_ABS_TS_MS)).as_py():
        return None
    if any(pc.all(pc.is_finite(table.column(name))).as_py() is False for name in NUMBER_FIELDS):
        return None
    columns = []
    for name in ARROW_SCHEMA.names:
        column = table.column(name)
        if name in NUMBER_FIELDS:
            negative = pc.less(column, 0)
            bad = pc.sum(negative).as_py() or 0
            if bad:
                report.field_problems[name] += bad
                column = pc.if_else(negative, pa.scalar(None, pa.float64()), column)
        columns.append(column)
    report.lines += len(ends)
    report.blank += len(ends) - n_records
    report.records += n_records
    return pa.table(columns, schema=ARROW_SCHEMA), len(ends)


def _is_utf8(data: bytes, start: int, end: int) -> bool:
    try:
        codecs.utf_8_decode(memoryview(data)[start:end], "strict", True)
    except UnicodeDecodeError:
        return False
    return True


def _split_lines(data: bytes, start: int, end: int, ways: int):
    """Cut data[start:end], whole lines, into about `ways` runs of whole lines."""
    step = max((end - start) // ways, 1)
    while start < end:
        cut = data.find(b"\n", min(start + step, end) - 1, end) + 1 or end
        yield start, cut
        start = cut


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _parse_line(raw: bytes):
    """A line as JSON.parse would see it: the decoded object, None when blank, or a reason."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return rpt.NOT_UTF8
    if not text.strip(_JS_WHITESPACE):
        return None
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        # orjson refuses what JSON.parse takes: lone surrogates and numbers beyond a double.
        try:
            value = json.loads(text, parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            return rpt.INVALID_JSON
    if not isinstance(value, dict):
        return rpt.NOT_OBJECT
    return value


def _as_number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf
    return number


class _ExactBuilder:
    """Columns of records parsed one line at a time."""

    def __init__(self, report: LoadReport):
        self.report = report
        self.columns: dict[str, list] = {name: [] for name in ARROW_SCHEMA.names}

    def add(self, outcome, file: str, line_no: int, raw: bytes) -> None:
        report = self.report
        if outcome is None:
            report.blank += 1
            return
        if isinstance(outcome, str):
            report.reject(file, line_no, outcome, raw)
            return
        ts = _as_number(outcome.get("ts"))
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
            number = _as_number(outcome[name])
            if number is None or not (0 <= number < math.inf):
                report.field_problems[name] += 1
                number = math.nan
            columns[name].append(number)

    def table(self) -> pa.Table | pd.DataFrame:
        try:
            return pa.table(self.columns, schema=ARROW_SCHEMA)
        except UnicodeEncodeError:  # a lone surrogate: only a Python str can hold it
            return self.frame()

    def frame(self) -> pd.DataFrame:
        data = {}
        for name, values in self.columns.items():
            if name in UNIQUE_STRING_FIELDS:
                # NaN for missing, as in the arrow-backed column this may be joined to
                data[name] = pd.Series(np.array([np.nan if v is None else v for v in values], dtype=object), dtype=object)
            elif name in STRING_FIELDS:
                data[name] = _categorical(values)
            else:
                data[name] = np.asarray(values, dtype=np.float64)
        return pd.DataFrame(data)


def _categorical(values: list) -> pd.Categorical:
    # Object categories, not pandas' arrow-backed str: JSON may decode to lone surrogates,
    # which are valid Python strings but not UTF-8, and must be kept exactly.
    codes, uniques = pd.factorize(np.array(values, dtype=object))
    return pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype=object))


def _table_to_frame(table: pa.Table) -> pd.DataFrame:
    data = {}
    for name in ARROW_SCHEMA.names:
        column = table.column(name)
        if name in UNIQUE_STRING_FIELDS:
            data[name] = column.to_pandas()  # arrow-backed str, no copy
        elif name in STRING_FIELDS:
            # One dictionary for the whole column, built in C++: far cheaper than merging
            # per-block categoricals when a column (job_id) has a value per pair of rows.
            encoded = column.dictionary_encode().combine_chunks()
            data[name] = pd.Categorical.from_codes(
                encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32),
                categories=pd.Index(encoded.dictionary.to_numpy(zero_copy_only=False), dtype=object),
            )
        else:
            data[name] = column.to_numpy()
    return pd.DataFrame(data)


def _merge_categoricals(columns: list[pd.Series]) -> pd.Categorical:
    # Not union_categoricals: it hashes categories as UTF-8, which a lone surrogate is not.
    merged: dict[str, int] = {}
    for column in columns:
        for category in column.cat.categories:
            merged.setdefault(category, len(merged))
    codes = []
    for column in columns:
        recode = np.array([merged[c] for c in column.cat.categories] + [-1], dtype=np.int32)
        codes.append(recode[column.cat.codes.to_numpy()])  # code -1 (missing) reads the last entry
    return pd.Categorical.from_codes(np.concatenate(codes), categories=pd.Index(list(merged), dtype=object))


def _concat(pieces: list[pa.Table | pd.DataFrame]) -> pd.DataFrame:
    """One frame in file order; runs of arrow tables are joined in arrow before pandas sees them."""
    frames: list[pd.DataFrame] = []
    run: list[pa.Table] = []
    for piece in pieces:
        if isinstance(piece, pa.Table):
            run.append(piece)
            continue
        if run:
            frames.append(_table_to_frame(pa.concat_tables(run)))
            run = []
        frames.append(piece)
    if run or not frames:
        frames.append(_table_to_frame(pa.concat_tables(run) if run else ARROW_SCHEMA.empty_table()))
    frames = [f.reset_index(drop=True) for f in frames]
    if len(frames) == 1:
        data = dict(frames[0].items())
    else:
        data = {}
        for name in ARROW_SCHEMA.names:
            if name in UNIQUE_STRING_FIELDS:
                data[name] = pd.concat([f[name] for f in frames], ignore_index=True)
            elif name in STRING_FIELDS:
                data[name] = _merge_categoricals([f[name] for f in frames])
            else:
                data[name] = np.concatenate([f[name].to_numpy() for f in frames])
    ts = data["ts"]
    # JavaScript's Date truncates fractional milliseconds toward zero.
    data["time"] = pd.DatetimeIndex(np.trunc(ts).astype("int64").astype("datetime64[ms]")).tz_localize("UTC")
    return pd.DataFrame(data, columns=list(COLUMNS))
