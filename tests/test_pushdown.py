"""A window reads only the parts of the log that can hold it, and its result is exactly the
full read's records in that window, also when the log breaks the disorder bound."""

from __future__ import annotations

import gzip
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relay_metrics.demo import MAX_DISORDER_MS, write_demo_log
from relay_metrics.ingest import pushdown
from relay_metrics.ingest.loader import load_log
from relay_metrics.ingest.pushdown import DISORDER_BOUND_MS
from relay_metrics.ingest.sources import LOG_NAME
from tests.helpers import assert_same_frame, examples, lines_of, record

END = 1_790_000_000_000
DAY = 86_400_000


@pytest.fixture(scope="module")
def demo_lines(tmp_path_factory) -> list[bytes]:
    """60 days, 40,000 records (about 12 MB): enough for the binary search to skip most."""
    path = tmp_path_factory.mktemp("demo") / "relay-calls.ndjson"
    write_demo_log(path, 40_000, 60, 5, END)
    return path.read_bytes().splitlines(keepends=True)


def in_window(frame, since, until):
    since = -math.inf if since is None else since
    until = math.inf if until is None else until
    return frame[(frame["ts"] >= since) & (frame["ts"] <= until)]


def assert_window_exact(source, since, until):
    full = load_log(source).frame
    windowed = load_log(source, since, until)
    assert_same_frame(windowed.frame, in_window(full, since, until))
    assert windowed.report.in_window == len(windowed.frame)
    return windowed.report


WINDOWS = {
    "last 7 days": (END - 7 * DAY, None),
    "a middle week": (END - 30 * DAY, END - 23 * DAY),
    "up to a day": (None, END - 50 * DAY),
    "one hour": (END - 10 * DAY, END - 10 * DAY + 3_600_000),
    "before the log": (END - 400 * DAY, END - 300 * DAY),
    "after the log": (END + DAY, None),
}


@pytest.mark.parametrize("since, until", WINDOWS.values(), ids=WINDOWS.keys())
def test_a_window_reads_a_part_and_keeps_exactly_its_records(tmp_path, demo_lines, since, until):
    path = tmp_path / "relay-calls.ndjson"
    path.write_bytes(b"".join(demo_lines))
    report = assert_window_exact(path, since, until)
    read = report.window_read
    assert read.fell_back is None
    assert read.bytes_read + read.bytes_skipped == path.stat().st_size
    assert read.bytes_read < path.stat().st_size * 0.25


def test_demo_disorder_is_measured_and_under_the_bound(tmp_path, demo_lines):
    path = tmp_path / "relay-calls.ndjson"
    path.write_bytes(b"".join(demo_lines))
    disorder = load_log(path).report.max_disorder_ms
    assert MAX_DISORDER_MS * 0.5 < disorder <= MAX_DISORDER_MS  # the demo does trail, within its timeout
    assert DISORDER_BOUND_MS >= 10 * MAX_DISORDER_MS


def rotated(tmp_path, lines: list[bytes], parts: int = 4, gzipped: int = 2):
    """The lines spread over relay-calls.ndjson.{parts-1}..1 and the current file, the oldest
    `gzipped` of them compressed."""
    step = len(lines) // parts
    for k in range(parts):
        data = b"".join(lines[k * step : (k + 1) * step if k < parts - 1 else None])
        number = parts - 1 - k
        name = "relay-calls.ndjson" + (f".{number}" if number else "")
        if number and k < gzipped:
            (tmp_path / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (tmp_path / name).write_bytes(data)
    return tmp_path


@pytest.mark.parametrize("since, until", WINDOWS.values(), ids=WINDOWS.keys())
def test_rotated_files_outside_the_window_are_skipped(tmp_path, demo_lines, since, until):
    folder = rotated(tmp_path, demo_lines)
    report = assert_window_exact(folder, since, until)
    assert report.window_read.fell_back is None
    assert report.files == [
        str(folder / n)
        for n in ("relay-calls.ndjson.3.gz", "relay-calls.ndjson.2.gz", "relay-calls.ndjson.1", "relay-calls.ndjson")
    ]


def test_last_week_skips_every_older_rotated_file(tmp_path, demo_lines):
    folder = rotated(tmp_path, demo_lines)
    report = assert_window_exact(folder, END - 7 * DAY, None)
    skipped = report.window_read.files_skipped
    assert skipped == [
        str(folder / "relay-calls.ndjson.3.gz"),
        str(folder / "relay-calls.ndjson.2.gz"),
        str(folder / "relay-calls.ndjson.1"),
    ]


def broken(lines: list[bytes], how: str, since: float) -> list[bytes]:
    """The demo log with its ts order broken by far more than the bound."""
    lines = list(lines)
    n = len(lines)
    if how == "a stale record written at the end":  # ts inside the middle window, unread suffix
        lines.append(_with_ts(lines[n // 2], END - 26 * DAY))
    elif how == "a stale record inside the part read":
        inside = next(i for i, line in enumerate(lines) if json.loads(line)["ts"] > since + DAY)
        lines.insert(inside, _with_ts(lines[inside], since - 20 * DAY))
    elif how == "a clock that ran a month ahead for a while":
        for i in range(n // 10, n // 10 + n // 30):
            lines[i] = _with_ts(lines[i], json.loads(lines[i])["ts"] + 35 * DAY)
    elif how == "a record from the future at the top":
        lines.insert(0, _with_ts(lines[0], END - 2 * DAY))
    return lines


def _with_ts(line: bytes, ts: float) -> bytes:
    return json.dumps({**json.loads(line), "ts": ts}, separators=(",", ":")).encode() + b"\n"


BROKEN = [
    "a stale record written at the end",
    "a stale record inside the part read",
    "a clock that ran a month ahead for a while",
    "a record from the future at the top",
]


@pytest.mark.parametrize("how", BROKEN)
@pytest.mark.parametrize(
    "since, until", [WINDOWS["last 7 days"], WINDOWS["a middle week"]], ids=["last week", "middle week"]
)
def test_a_log_out_of_order_beyond_the_bound_still_gives_the_exact_window(tmp_path, demo_lines, how, since, until):
    path = tmp_path / "relay-calls.ndjson"
    path.write_bytes(b"".join(broken(demo_lines, how, since)))
    report = assert_window_exact(path, since, until)
    assert report.max_disorder_ms > DISORDER_BOUND_MS
    assert report.window_read.fell_back and "the whole log was read" in report.window_read.fell_back
    assert report.window_read.fell_back in report.warnings
    assert report.window_read.bytes_skipped == 0 and report.lines == len(broken(demo_lines, how, since))


@pytest.mark.parametrize(
    "floor, longest, bound",
    [
        (DISORDER_BOUND_MS, 0, DISORDER_BOUND_MS),
        (DISORDER_BOUND_MS, 90_000, DISORDER_BOUND_MS),
        (60_000, 20 * 60_000, 40 * 60_000),
    ],
)
def test_the_bound_is_twice_the_longest_call_with_the_floor_below(floor, longest, bound):
    assert pushdown.disorder_bound(floor, longest) == bound


def _long_calls(demo_lines: list[bytes], every: int, minutes: float) -> list[bytes]:
    """Every `every`-th call (and the last) lasted `minutes`, written when it ended: it trails by that."""
    lines = [json.loads(line) for line in demo_lines]
    for i in [*range(every, len(lines), every), len(lines) - 1]:
        lines[i]["duration_ms"] = minutes * 60_000
        lines[i]["ts"] = lines[i - 1]["ts"] - (minutes - 1) * 60_000  # started that long before it ended
    return [json.dumps(r, separators=(",", ":")).encode() + b"\n" for r in lines]


def test_long_calls_seen_before_planning_widen_the_bound_and_the_window_stays_partial(tmp_path, demo_lines):
    path = tmp_path / "relay-calls.ndjson"
    path.write_bytes(b"".join(_long_calls(demo_lines, 50, 25)))  # 25-minute calls, the last ones too
    since, until = WINDOWS["a middle week"]
    report = assert_window_exact(path, since, until)
    assert report.max_disorder_ms > DISORDER_BOUND_MS  # beyond the floor, within twice the longest call
    assert report.longest_call_ms == 25 * 60_000
    assert report.window_read.disorder_bound_ms == 50 * 60_000
    assert report.window_read.fell_back is None and report.window_read.bytes_skipped > 0


def test_a_long_call_the_plan_did_not_see_makes_the_read_whole(tmp_path, demo_lines):
    lines = list(demo_lines)
    middle = len(lines) // 2
    record_ = json.loads(lines[middle])
    lines[middle] = json.dumps({**record_, "duration_ms": 40 * 60_000}).encode() + b"\n"  # no disorder, a long call
    path = tmp_path / "relay-calls.ndjson"
    path.write_bytes(b"".join(lines))
    since = json.loads(lines[middle - 100])["ts"]
    report = assert_window_exact(path, since, None)
    assert report.window_read.disorder_bound_ms == DISORDER_BOUND_MS
    assert report.window_read.fell_back.startswith("a call lasted 2,400.0 s")
    assert report.window_read.bytes_skipped == 0


def test_counts_cover_what_was_read_and_line_numbers_only_where_known(tmp_path, demo_lines):
    lines = list(demo_lines)
    lines[10] = b"not json, early\n"
    lines[-10] = b"not json, late\n"
    path = tmp_path / "relay-calls.ndjson"
    path.write_bytes(b"".join(lines))
    full = load_log(path).report
    assert [(s.line, s.text) for s in full.samples] == [(11, "not json, early"), (len(lines) - 9, "not json, late")]
    windowed = load_log(path, END - 7 * DAY).report
    assert [(s.line, s.text) for s in windowed.samples] == [(None, "not json, late")]  # read began mid-file
    assert windowed.lines == windowed.records + windowed.blank + windowed.rejected_total + windowed.pending
    assert windowed.lines < full.lines / 4


def test_a_window_from_the_top_keeps_line_numbers(tmp_path, demo_lines):
    lines = list(demo_lines)
    lines[10] = b"not json, early\n"
    path = tmp_path / "relay-calls.ndjson"
    path.write_bytes(b"".join(lines))
    report = load_log(path, None, END - 50 * DAY).report
    assert [(s.line, s.text) for s in report.samples] == [(11, "not json, early")]


def test_the_pending_last_line_is_seen_when_the_window_reaches_the_end(tmp_path, demo_lines):
    path = tmp_path / "relay-calls.ndjson"
    path.write_bytes(b"".join(demo_lines) + b'{"ts":17900')
    report = load_log(path, END - 7 * DAY).report
    assert report.pending == 1 and report.pending_lines[0].line is None


# Bounded disorder, junk anywhere: the windowed read equals the full read's window.
T = 1_700_000_000_000
MINUTE = 60_000


@st.composite
def ordered_logs(draw):
    n = draw(st.integers(1, 400))
    steps = draw(st.lists(st.integers(0, 30 * MINUTE), min_size=n, max_size=n))
    trail = draw(st.lists(st.integers(0, DISORDER_BOUND_MS), min_size=n, max_size=n))
    items, clock = [], T
    for step, behind in zip(steps, trail):
        clock += step
        kind = draw(st.sampled_from(["record"] * 8 + ["blank", "junk", "no ts"]))
        if kind == "record":
            items.append(record(ts=clock - behind, install_id=f"i{clock % 7}", cost_usd=0.01, tier="pro"))
        else:
            items.append({"blank": "", "junk": "{oops", "no ts": '{"tier":"x"}'}[kind])
    tail = draw(st.sampled_from([b"", b'{"ts":1', b"\n\n"]))
    return lines_of(*items) + tail, clock


@st.composite
def windows(draw, last: int):
    """A window with at least one bound, anywhere from before the log to after it."""
    ends = st.integers(T - 60 * MINUTE, last + 60 * MINUTE)
    kind = draw(st.sampled_from(["since", "until", "both"]))
    since = draw(ends) if kind != "until" else None
    until = draw(st.integers(since or T, last + 60 * MINUTE)) if kind != "since" else None
    return since, until


@settings(
    max_examples=examples(150),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(log=ordered_logs(), data=st.data())
def test_any_window_of_a_log_within_the_bound_is_exact(tmp_path_factory, log, data):
    raw, last = log
    since, until = data.draw(windows(last), label="window")
    path = tmp_path_factory.mktemp("log") / "relay-calls.ndjson"
    path.write_bytes(raw)
    with pytest.MonkeyPatch.context() as patch:  # small pieces, so a tiny log is searched too
        patch.setattr(pushdown, "PROBE_BYTES", 64)
        patch.setattr(pushdown, "SETTLE_BYTES", 128)
        patch.setattr(pushdown, "CHECKPOINTS", 4)
        report = assert_window_exact(path, since, until)
    assert report.window_read.fell_back is None


@settings(
    max_examples=examples(100),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(log=ordered_logs(), data=st.data())
def test_any_window_of_rotated_files_within_the_bound_is_exact(tmp_path_factory, log, data):
    raw, last = log
    lines = raw.splitlines(keepends=True)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(lines)), min_size=1, max_size=3), label="cuts"))
    parts = [b"".join(lines[a:b]) for a, b in zip([0, *cuts], [*cuts, len(lines)])]
    folder = tmp_path_factory.mktemp("rotated")
    for number, part in zip(range(len(parts) - 1, -1, -1), parts):
        name = LOG_NAME + (f".{number}" if number else "")
        if number and data.draw(st.booleans(), label=f"gzip .{number}"):
            (folder / (name + ".gz")).write_bytes(gzip.compress(part))
        else:
            (folder / name).write_bytes(part)
    since, until = data.draw(windows(last), label="window")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pushdown, "PROBE_BYTES", 64)
        patch.setattr(pushdown, "SETTLE_BYTES", 128)
        patch.setattr(pushdown, "CHECKPOINTS", 4)
        report = assert_window_exact(folder, since, until)
    assert report.window_read.fell_back is None
