"""Property tests: whatever the bytes, the loader never raises, accounts for every line, and its
fast path (pyarrow) gives exactly what the line-by-line path gives."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relay_metrics.ingest import loader
from relay_metrics.ingest.loader import load_log
from tests.helpers import assert_same_frame, comparable_report, examples

FIELDS = [
    "ts",
    "install_id",
    "tier",
    "model",
    "status",
    "cost_usd",
    "duration_ms",
    "input_tokens",
    "job_id",
    "error",
    "extra",
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3),
    max_leaves=6,
)
plausible_records = st.fixed_dictionaries(
    {"ts": st.integers(0, 2**45) | st.floats(-1e16, 1e16, allow_nan=False)},
    optional={name: json_values | st.text(max_size=6) for name in FIELDS[1:]},
)


def as_line(value) -> bytes:
    return json.dumps(value, separators=(",", ":"), allow_nan=False).encode()


# What a hostile or broken relay can put on a line.
HOSTILE = [
    b"",
    b"  ",
    b"\r",
    b"{",
    b"\x00",
    b'{"ts":1,"tier":"a\x00b"}',
    b'{"ts":1,"tier":"a\\u0000b"}',
    b'{"ts":NaN}',
    b'{"ts":1,"cost_usd":NaN}',
    b'{"ts":Infinity}',
    b'{"ts":-Infinity}',
    b'{"ts":1,"duration_ms":Infinity}',
    b'{"ts":1e400}',
    b'{"ts":-1e400}',
    b'{"ts":1,"cost_usd":1e400}',
    b'{"ts":8.64e15}',
    b'{"ts":8.640000000000001e15}',
    b'{"ts":-9e15}',
    b'{"ts":1,"duration_ms":-5}',
    b'{"ts":1,"input_tokens":-1e300}',
    b'{"ts":1}{"ts":2}',
    b'{"ts":1,"tier":"\\ud800"}',
    b'{"ts":1,"tier":"\\udfff\\ud800"}',
    b'{"ts":1,"x":' + b"[" * 5000 + b"]" * 5000 + b"}",  # deeper than JSON parsers like
    b'{"ts":1,"x":' + b"[" * 50 + b"]" * 50 + b"}",
    b'{"ts":1,"error":"' + b"e" * 1_200_000 + b'"}',  # a megabyte-long line
    b'\xef\xbb\xbf{"ts":1}',
    b"\xff\xfe\x00",
    b"\xed\xa0\x80",  # BOM mid-file, UTF-16, encoded surrogate
]

lines = st.one_of(
    plausible_records.map(as_line),
    json_values.map(as_line),
    st.binary(max_size=40).filter(lambda b: b"\n" not in b),
    st.sampled_from(HOSTILE),
)
logs = st.tuples(st.lists(lines, max_size=40), st.booleans()).map(
    lambda parts: b"\n".join(parts[0]) + (b"\n" if parts[1] and parts[0] else b"")
)


def load_bytes(data: bytes, **patches):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "relay-calls.ndjson"
        path.write_bytes(data)
        with mock.patch.multiple(loader, **patches) if patches else _nothing():
            return load_log(path)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def expected_line_count(data: bytes) -> int:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logs)
def test_every_line_is_accounted_for(data):
    report = load_bytes(data).report
    assert report.lines == expected_line_count(data)
    assert report.lines == report.records + report.blank + report.rejected_total + report.pending
    assert report.pending <= 1


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logs)
def test_fast_path_equals_line_by_line(data):
    fast = load_bytes(data, CHUNK_BYTES=64, EXACT_BELOW_BYTES=16)
    exact = load_bytes(data, _fast_parse=lambda *args: None)
    assert_same_frame(fast.frame, exact.frame)
    assert comparable_report(fast.report) == comparable_report(exact.report)
