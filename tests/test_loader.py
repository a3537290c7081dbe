"""The loader: which lines are records, how the rest is counted, and how files are found."""

from __future__ import annotations

import gzip
import math
import os

import pandas as pd
import pytest

from relay_metrics.ingest import loader as loader_module
from relay_metrics.ingest import sources
from relay_metrics.ingest.loader import load_log
from relay_metrics.ingest.sources import LogNotFound, LogUnreadable
from tests.helpers import lines_of, record

OK = b'{"ts":1767225600000,"tier":"pro","cost_usd":0.5}'

# name, log bytes, records, blank, rejected {reason: n}, pending, field problems {field: n}
CASES = [
    ("one record", OK + b"\n", 1, 0, {}, 0, {}),
    ("empty file", b"", 0, 0, {}, 0, {}),
    ("blank lines", b"\n" + OK + b"\n\n   \n\t\n", 1, 4, {}, 0, {}),
    ("CRLF endings", OK + b"\r\n" + OK + b"\r\n\r\n", 2, 1, {}, 0, {}),
    ("UTF-8 BOM at start", b"\xef\xbb\xbf" + OK + b"\n", 1, 0, {}, 0, {}),
    ("BOM mid-file is not whitespace to JSON", OK + b"\n\xef\xbb\xbf" + OK + b"\n", 1, 0, {"invalid JSON": 1}, 0, {}),
    ("unknown fields ignored", b'{"ts":1,"x":{"deep":[1,2,{"y":null}]},"z":"w"}\n', 1, 0, {}, 0, {}),
    ("non-ASCII text", '{"ts":1,"install_id":"café-日本-🙂"}\n'.encode(), 1, 0, {}, 0, {}),
    ("invalid JSON", b"{nope}\n" + OK + b"\n", 1, 0, {"invalid JSON": 1}, 0, {}),
    ("two objects on a line", b'{"ts":1}{"ts":2}\n', 0, 0, {"invalid JSON": 1}, 0, {}),
    ("object split over lines", b'{"ts":1,\n"tier":"pro"}\n', 0, 0, {"invalid JSON": 2}, 0, {}),
    ("NaN literal", b'{"ts":1,"cost_usd":NaN}\n', 0, 0, {"invalid JSON": 1}, 0, {}),
    ("Infinity literal", b'{"ts":Infinity}\n', 0, 0, {"invalid JSON": 1}, 0, {}),
    ("array", b"[1,2]\n", 0, 0, {"not an object": 1}, 0, {}),
    ("string", b'"hello"\n', 0, 0, {"not an object": 1}, 0, {}),
    ("null line", b"null\n", 0, 0, {"not an object": 1}, 0, {}),
    ("ts missing", b'{"tier":"pro"}\n', 0, 0, {"ts missing or not a number": 1}, 0, {}),
    ("ts string", b'{"ts":"1767225600000"}\n', 0, 0, {"ts missing or not a number": 1}, 0, {}),
    ("ts true", b'{"ts":true}\n', 0, 0, {"ts missing or not a number": 1}, 0, {}),
    ("ts null", b'{"ts":null}\n', 0, 0, {"ts missing or not a number": 1}, 0, {}),
    ("ts beyond a double", b'{"ts":1e400}\n', 0, 0, {"ts outside JavaScript's date range": 1}, 0, {}),
    ("ts beyond Date", b'{"ts":9e15}\n', 0, 0, {"ts outside JavaScript's date range": 1}, 0, {}),
    ("not UTF-8", b'{"ts":1,"tier":"\xff"}\n', 0, 0, {"not UTF-8": 1}, 0, {}),
    ("pending last line", OK + b'\n{"ts":17672', 1, 0, {}, 1, {}),
    ("pending cut mid UTF-8 character", OK + b'\n{"ts":1,"tier":"\xe6\x97', 1, 0, {}, 1, {}),
    ("complete last line without newline", OK + b"\n" + OK, 2, 0, {}, 0, {}),
    ("string cost", b'{"ts":1,"cost_usd":"0.5"}\n', 1, 0, {}, 0, {"cost_usd": 1}),
    ("null duration", b'{"ts":1,"duration_ms":null}\n', 1, 0, {}, 0, {"duration_ms": 1}),
    ("negative tokens", b'{"ts":1,"input_tokens":-5,"output_tokens":3}\n' * 3, 3, 0, {}, 0, {"input_tokens": 3}),
    ("boolean credit", b'{"ts":1,"credit_charged":true}\n', 1, 0, {}, 0, {"credit_charged": 1}),
    ("number tier", b'{"ts":1,"tier":5}\n', 1, 0, {}, 0, {"tier": 1}),
    ("object model", b'{"ts":1,"model":{"a":1}}\n', 1, 0, {}, 0, {"model": 1}),
    ("huge token count", b'{"ts":1,"input_tokens":1e400}\n', 1, 0, {}, 0, {"input_tokens": 1}),
    ("duplicate key: the last wins", b'{"ts":"x","ts":5}\n', 1, 0, {}, 0, {}),
    # JSON.parse would take these; the relay never nests, so past json's reach is a clear rejection
    ("nested 900 deep: a record", b'{"ts":1,"x":' + b"[" * 900 + b"]" * 900 + b"}\n", 1, 0, {}, 0, {}),
    (
        "nested 5,000 deep",
        b'{"ts":1,"x":' + b"[" * 5000 + b"]" * 5000 + b"}\n" + OK + b"\n",
        1,
        0,
        {"nested too deep": 1},
        0,
        {},
    ),
    ("wide, not deep", b'{"ts":1,"x":[' + b"{}," * 3000 + b"{}]}\n", 1, 0, {}, 0, {}),
    ("lone surrogate kept", b'{"ts":1,"install_id":"\\ud800x"}\n', 1, 0, {}, 0, {}),
    ("NUL escape kept", b'{"ts":1,"error":"a\\u0000b"}\n', 1, 0, {}, 0, {}),
    ("raw control character", b'{"ts":1,"error":"a\x01b"}\n', 0, 0, {"invalid JSON": 1}, 0, {}),
    ("only whitespace JSON.parse trims", "\u00a0\u3000\n".encode(), 0, 1, {}, 0, {}),
]


@pytest.mark.parametrize(
    ("name", "data", "records", "blank", "rejected", "pending", "problems"), CASES, ids=[c[0] for c in CASES]
)
def test_line_accounting(write_log, name, data, records, blank, rejected, pending, problems):
    report = load_log(write_log(raw=data)).report
    assert (report.records, report.blank, dict(report.rejected), report.pending) == (records, blank, rejected, pending)
    assert dict(report.field_problems) == problems
    assert report.lines == report.records + report.blank + report.rejected_total + report.pending


def test_values_and_types(write_log):
    path = write_log(
        record(
            ts=1_767_225_600_000,
            install_id="a",
            tier="pro",
            model="m",
            cost_usd=0.25,
            input_tokens=10,
            duration_ms=1200,
        ),
        record(ts=1_767_225_600_500.7, install_id="", tier="core", cost_usd="0.5", duration_ms=None),
        '{"ts":1,"install_id":"\\ud800","job_id":"\\udfff"}',
    )
    frame = load_log(path).frame
    assert list(frame["install_id"]) == ["a", "", "\ud800"]  # kept exactly, empty and lone surrogate too
    assert frame["job_id"].iloc[2] == "\udfff"
    assert frame["cost_usd"].iloc[0] == 0.25 and math.isnan(frame["cost_usd"].iloc[1])
    assert math.isnan(frame["duration_ms"].iloc[1])
    assert str(frame["time"].dtype) == "datetime64[ms, UTC]"
    assert frame["time"].iloc[1] == pd.Timestamp("2026-01-01T00:00:00.500Z")  # fraction truncated, as Date does
    assert frame["ts"].iloc[1] == 1_767_225_600_500.7  # the raw value stays for exact window tests
    assert isinstance(frame["tier"].dtype, pd.CategoricalDtype)
    assert frame["cost_usd"].dtype == "float64" and frame["input_tokens"].dtype == "float64"


def test_samples_name_file_line_and_first_200_characters(write_log):
    long_bad = "{" + "x" * 500
    path = write_log(record(), long_bad, record(), "[1]")
    report = load_log(path).report
    by_reason = {s.reason: s for s in report.samples}
    assert by_reason["invalid JSON"].line == 2 and by_reason["invalid JSON"].text == long_bad[:200]
    assert by_reason["not an object"].line == 4
    assert by_reason["not an object"].file == str(path)


def test_window_is_inclusive_and_counts_only_records_inside(write_log):
    path = write_log(record(ts=100), record(ts=200), record(ts=300), "bad")
    loaded = load_log(path, since_ms=200, until_ms=300)
    assert list(loaded.frame["ts"]) == [200, 300]
    assert (loaded.report.records, loaded.report.in_window) == (3, 2)


def test_bad_lines_deep_inside_big_blocks_keep_their_line_numbers(write_log, monkeypatch):
    # Small chunks and exact-parse threshold so the block splitting runs on a small file.
    monkeypatch.setattr(loader_module, "CHUNK_BYTES", 4096)
    monkeypatch.setattr(loader_module, "EXACT_BELOW_BYTES", 512)
    items = [record(ts=i, install_id=f"i{i % 7}", cost_usd=i / 1000) for i in range(2000)]
    bad = {137: "oops", 1500: '{"ts":1,"tier":null}', 1999: "[]"}
    for index, line in bad.items():
        items[index] = line
    loaded = load_log(write_log(*items))
    report = loaded.report
    assert report.lines == 2000 and report.records == 1998
    assert {(s.reason, s.line) for s in report.samples} == {("invalid JSON", 138), ("not an object", 2000)}
    assert report.field_problems == {"tier": 1}
    expected_ts = [i for i in range(2000) if i not in (137, 1999)]
    expected_ts[expected_ts.index(1500)] = 1
    assert list(loaded.frame["ts"]) == expected_ts  # file order survives the splitting


def test_a_line_spanning_chunks_is_read_once(write_log, monkeypatch):
    monkeypatch.setattr(loader_module, "CHUNK_BYTES", 7)
    loaded = load_log(write_log(*[record(ts=i, error="x" * (i % 13)) for i in range(50)]))
    assert list(loaded.frame["ts"]) == list(range(50))
    assert loaded.report.lines == 50


def test_directory_reads_rotated_files_oldest_first(tmp_path):
    (tmp_path / "relay-calls.ndjson.2.gz").write_bytes(gzip.compress(lines_of(record(ts=1))))
    (tmp_path / "relay-calls.ndjson.1").write_bytes(lines_of(record(ts=2)))
    (tmp_path / "relay-calls.ndjson").write_bytes(lines_of(record(ts=3)))
    (tmp_path / "unrelated.ndjson").write_bytes(lines_of(record(ts=99)))
    loaded = load_log(tmp_path)
    assert list(loaded.frame["ts"]) == [1, 2, 3]
    assert [os.path.basename(f) for f in loaded.report.files] == [
        "relay-calls.ndjson.2.gz",
        "relay-calls.ndjson.1",
        "relay-calls.ndjson",
    ]


def test_plain_rotated_file_wins_over_its_half_written_gz(tmp_path):
    (tmp_path / "relay-calls.ndjson.1").write_bytes(lines_of(record(ts=1)))
    (tmp_path / "relay-calls.ndjson.1.gz").write_bytes(gzip.compress(lines_of(record(ts=1)))[:10])
    assert len(load_log(tmp_path).frame) == 1


def test_truncated_gz_keeps_what_came_before_and_warns(tmp_path):
    data = gzip.compress(lines_of(*[record(ts=i, error="e" * 50) for i in range(3000)]))
    path = tmp_path / "relay-calls.ndjson.1.gz"
    path.write_bytes(data[: len(data) // 2])
    loaded = load_log(path)
    assert 0 < loaded.report.records < 3000
    assert list(loaded.frame["ts"]) == list(range(loaded.report.records))
    assert "ends early" in loaded.report.warnings[0]


def test_list_of_files_in_given_order(tmp_path):
    a, b = tmp_path / "a.ndjson", tmp_path / "b.ndjson"
    a.write_bytes(lines_of(record(ts=1)))
    b.write_bytes(lines_of(record(ts=2)))
    assert list(load_log([b, a]).frame["ts"]) == [2, 1]


def test_missing_file(tmp_path):
    with pytest.raises(LogNotFound, match="not found"):
        load_log(tmp_path / "nope.ndjson")


def test_directory_without_log(tmp_path):
    with pytest.raises(LogNotFound, match=r"no relay-calls\.ndjson"):
        load_log(tmp_path)


def test_unreadable_file(write_log, monkeypatch):
    path = write_log(record())
    if os.geteuid() == 0:  # root reads any file: make open() fail as it would for a user

        def denied(*args, **kwargs):
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(sources, "_open_fd", denied)
    else:
        path.chmod(0)
    with pytest.raises(LogUnreadable, match=r"(?i)permission denied"):
        load_log(path)


def test_log_is_never_written(write_log):
    path = write_log(record(), "bad", raw=None)
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    load_log(path)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_progress_reaches_one(write_log):
    seen = []
    load_log(write_log(record(), record()), progress=seen.append)
    assert seen[-1] == 1.0 and seen == sorted(seen)
