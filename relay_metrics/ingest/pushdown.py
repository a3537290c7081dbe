"""Which parts of a log can hold a window's records, judged by the log's rough ts order.

The relay writes a record when its call ends, and `ts` is when the call started, so a record
trails the records written before it by at most the longest call. Call that bound B. Then
every record before one with ts < since - B has ts < since, and every record after one with
ts > until + B has ts > until. A read of [since, until] can therefore start at such a record
found early in the log and stop at one found late, both found by binary search over line
starts; the loader's exact ts filter still decides what is kept.

B comes from the log itself: a record written after another one was running at least as long
as it trails it (it started that much earlier and ended later), so B = twice the longest
`duration_ms` seen (the slack covers write latency and clock jitter), and never less than
DISORDER_BOUND_MS (15 minutes: ten times the demo relay's 90 s timeout) for logs whose calls
are all short. The durations seen before the plan (each file's first record and last 16 KB)
set B for the plan; the loader then checks every record it read (and every witness): when
one of them ran longer than B allows, or trails by more than B, it reads the whole log
instead.

A rotated file lies wholly before the window when the first record of a later file has
ts < since - B: that record bounds everything before it, including the file's last record,
and costs no decompressing of a .gz. A file lies wholly after the window when its own first
record has ts > until + B.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple

import numpy as np

from relay_metrics.ingest.jsonline import as_number, parse_line
from relay_metrics.ingest.report import WindowRead
from relay_metrics.ingest.schema import MAX_ABS_TS_MS
from relay_metrics.ingest.sources import TruncatedFile, is_compressed, open_log, read_chunks

DISORDER_BOUND_MS = 15 * 60_000  # the floor of the bound, whatever the log's calls
DURATION_SLACK = 2  # the bound is this many times the longest call seen


def disorder_bound(floor_ms: float, longest_call_ms: float) -> float:
    """How far out of ts order a record may be, given the longest call seen (see above)."""
    return max(floor_ms, DURATION_SLACK * longest_call_ms)


PROBE_BYTES = 16 << 10
PROBE_LIMIT = 1 << 20  # a probe that finds no record in this many bytes gives up
SETTLE_BYTES = 256 << 10  # the binary search stops when the span in doubt is this small
CHECKPOINTS = 16  # evenly spaced probes in each skipped part, for the disorder check

_BOM = b"\xef\xbb\xbf"


class Span(NamedTuple):
    """Bytes [start, stop) of files[file] to read; stop None reads to the end, as it is then."""

    file: int
    path: Path
    start: int = 0
    stop: int | None = None
    size: int = 0  # the file's size when planned, for progress

    def length(self) -> int:
        return (self.size if self.stop is None else self.stop) - self.start


class Witness(NamedTuple):
    """A record looked at while planning: where it is, its ts and its duration_ms (0 if none)."""

    file: int
    position: int
    ts: float
    duration_ms: float = 0.0


class Probe(NamedTuple):
    """A record found by reading a little of a file: its line's position, ts and duration_ms."""

    position: int
    ts: float
    duration_ms: float


@dataclass
class WindowPlan:
    spans: list[Span]
    witnesses: list[Witness]
    window_read: WindowRead


class OrderCheck:
    """The log's disorder: the most a record trails the newest one before it (ms), over the
    records read and the planning's witnesses, each seen in log order; and the longest call
    among them (ms), which bounds that disorder."""

    def __init__(self, witnesses: Sequence[Witness] = ()):
        self.newest, self.worst, self.longest = -math.inf, 0.0, 0.0
        self.witnesses = sorted(witnesses)  # those not yet seen

    def see(self, ts: np.ndarray, durations: np.ndarray | None = None) -> None:
        if durations is not None and len(durations):
            self.longest = max(self.longest, float(np.nanmax(durations, initial=0.0)))
        if not len(ts):
            return
        running = np.maximum.accumulate(ts)
        self.worst = max(self.worst, float(np.max(np.maximum(running, self.newest) - ts)))
        self.newest = max(self.newest, float(running[-1]))

    def reading(self, file: int, start: float, stop: float | None = None) -> None:
        """Before records of files[file] from `start` to `stop` (None: its end) are seen: see the
        witnesses before them, and drop those among them (they are read anyway)."""
        self._see_witnesses_before((file, start))
        end = math.inf if stop is None else stop
        self.witnesses = [w for w in self.witnesses if not (w.file == file and w.position < end)]

    def finish(self) -> float:
        self._see_witnesses_before((math.inf, 0))
        return self.worst

    def _see_witnesses_before(self, place: tuple[float, float]) -> None:
        while self.witnesses and (self.witnesses[0].file, self.witnesses[0].position) < place:
            witness = self.witnesses.pop(0)
            self.see(np.array([witness.ts]), np.array([witness.duration_ms]))


def broken_bound(planned: WindowRead, order: OrderCheck) -> str | None:
    """Why a read planned with `planned`'s bound can't be trusted, given what it saw; or None."""
    bound = planned.disorder_bound_ms
    if order.worst > bound:
        return (
            f"a record trails an earlier one by {order.worst / 1000:,.1f} s, more than the "
            f"{bound / 1000:,.0f} s a partial read relies on: the whole log was read"
        )
    if disorder_bound(0.0, order.longest) > bound:
        return (
            f"a call lasted {order.longest / 1000:,.1f} s, so records may trail by more than the "
            f"{bound / 1000:,.0f} s a partial read relied on: the whole log was read"
        )
    return None


def whole_read_instead(planned: WindowRead, reason: str) -> WindowRead:
    """What to report when the log broke the bound, so every line was read after all."""
    return WindowRead(
        planned.disorder_bound_ms, bytes_read=planned.bytes_read + planned.bytes_skipped, fell_back=reason
    )


def plan_window(files: list[Path], window: tuple[float, float], floor_ms: float) -> WindowPlan:
    """The spans of `files` (oldest first) that can hold records with ts in the window; the
    bound is `floor_ms` or more, from the calls seen in each file's first and last records."""
    since, until = window
    sizes = [path.stat().st_size for path in files]
    firsts = [first_record(path) for path in files]
    witnesses = [Witness(i, *first) for i, first in enumerate(firsts) if first]
    for i, path in enumerate(files):
        if not is_compressed(path):  # a .gz's last records would cost decompressing it all
            witnesses += [Witness(i, *last) for last in _last_records(path, sizes[i])]
    bound_ms = disorder_bound(floor_ms, max((w.duration_ms for w in witnesses), default=0.0))
    low, high = since - bound_ms, until + bound_ms
    plan = WindowPlan([], witnesses, WindowRead(bound_ms))
    after_window = False
    for i, (path, first) in enumerate(zip(files, firsts)):
        later = next((first for first in firsts[i + 1 :] if first), None)
        after_window = after_window or (first is not None and first.ts > high)
        if after_window or (later is not None and later[1] < low):
            _skip(plan, i, path, 0, sizes[i])
            continue
        if is_compressed(path):
            plan.spans.append(Span(i, path, 0, None, sizes[i]))
            continue
        start, stop = 0, None
        with open_log(path) as stream:
            if since > -math.inf and (first is None or first.ts < low):
                start = _window_start(stream, sizes[i], low, i, plan.witnesses)
            if until < math.inf:
                stop = _window_stop(stream, start, sizes[i], high, i, plan.witnesses)
        _checkpoints(plan, i, path, 0, start)
        if stop is not None:
            _checkpoints(plan, i, path, stop, sizes[i])
        plan.spans.append(Span(i, path, start, stop, sizes[i]))
    read = plan.window_read
    read.bytes_read = sum(span.length() for span in plan.spans)
    read.bytes_skipped = sum(sizes) - read.bytes_read
    return plan


def _skip(plan: WindowPlan, i: int, path: Path, start: int, stop: int) -> None:
    plan.window_read.files_skipped.append(str(path))
    if not is_compressed(path):
        _checkpoints(plan, i, path, start, stop)


def _checkpoints(plan: WindowPlan, i: int, path: Path, start: int, stop: int) -> None:
    """Witnesses spread over a part that won't be read: a clock that jumped there shows."""
    if stop - start <= SETTLE_BYTES:
        return
    step = (stop - start) // CHECKPOINTS
    with open_log(path) as stream:
        for k in range(1, CHECKPOINTS):
            hit = _record_at(stream, start + k * step, stop)
            if hit:
                plan.witnesses.append(Witness(i, *hit))


def _window_start(stream: BinaryIO, size: int, low: float, i: int, witnesses: list[Witness]) -> int:
    """A line start with only records of ts < low + B before it: the last record found with
    ts < low, or 0."""
    lo, hi, best = 0, size, 0
    while hi - lo > SETTLE_BYTES:
        mid = (lo + hi) // 2
        hit = _record_at(stream, mid, hi)
        if hit is None or hit[1] >= low:
            hi = mid
        else:
            best = lo = hit[0]
        if hit:
            witnesses.append(Witness(i, *hit))
    return best


def _window_stop(stream: BinaryIO, start: int, size: int, high: float, i: int, witnesses: list[Witness]) -> int | None:
    """A line start with only records of ts > high - B from it on: the first record found
    with ts > high, or None (read to the end)."""
    lo, hi, best = start, size, None
    while hi - lo > SETTLE_BYTES:
        mid = (lo + hi) // 2
        hit = _record_at(stream, mid, hi)
        if hit is None:
            hi = mid
        elif hit[1] > high:
            best, hi = hit[0], mid
        else:
            lo = hit[0] + 1
        if hit:
            witnesses.append(Witness(i, *hit))
    return best


def _record_at(stream: BinaryIO, offset: int, limit: int) -> Probe | None:
    """The first record on a complete line starting in [offset, limit): (line start, ts)."""
    base = max(offset - 1, 0)  # from the byte before, so a line starting at offset counts
    stream.seek(base)
    data = b""
    while len(data) < PROBE_LIMIT:
        more = stream.read(PROBE_BYTES)
        if not more:
            break
        data += more
        if b"\n" in more:
            found = _first_record_in(data, base, skip_partial=offset > 0)
            if found is not None:
                return found if found[0] < limit else None
            if base + data.rfind(b"\n") + 1 >= limit:
                return None
    return None


def first_record(path: Path) -> Probe | None:
    """The file's first record (position in its decompressed bytes, ts), read from its head."""
    data = b""
    try:
        for chunk, _ in read_chunks(path, PROBE_BYTES):
            data += chunk
            found = _first_record_in(data, 0, skip_partial=False)
            if found is not None or len(data) >= PROBE_LIMIT:
                return found
    except TruncatedFile:
        pass
    return None


def _last_records(path: Path, size: int) -> list[Probe]:
    """The records on the complete lines of the file's last PROBE_BYTES: a stale record the
    relay wrote late shows there."""
    base = max(size - PROBE_BYTES, 0)
    with open_log(path) as stream:
        stream.seek(base)
        data = stream.read(size - base)
    found, position = [], 0
    while hit := _first_record_in(data[position:], base + position, skip_partial=position == 0 and base > 0):
        found.append(hit)
        position = data.find(b"\n", hit[0] - base) + 1
    return found


def _first_record_in(data: bytes, base: int, skip_partial: bool) -> Probe | None:
    """The first record among data's complete lines; data starts at file offset base. With
    skip_partial, data's first line is taken to be the tail of an earlier one: skipped."""
    position = data.find(b"\n") + 1 if skip_partial else 0
    if skip_partial and position == 0:
        return None
    if base == 0 and data.startswith(_BOM, position):
        position = len(_BOM)
    while (newline := data.find(b"\n", position)) >= 0:
        outcome = parse_line(data[position:newline])
        if isinstance(outcome, dict):
            ts = as_number(outcome.get("ts"))
            if ts is not None and abs(ts) <= MAX_ABS_TS_MS:
                duration = as_number(outcome.get("duration_ms"))
                # as the loader reads it: a negative or missing duration is none
                return Probe(base + position, ts, duration if duration is not None and duration >= 0 else 0.0)
        position = newline + 1
    return None
