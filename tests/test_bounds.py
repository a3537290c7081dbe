"""Nothing unbounded (issue 11): line length, file types, symlinks, option ranges, table cells,
uploads."""

from __future__ import annotations

import gzip
import os
import tracemalloc

import pytest

from relay_metrics import cli
from relay_metrics.ingest import loader
from relay_metrics.ingest.loader import LINE_TOO_LONG, MAX_LINE_BYTES, load_log, read_range
from relay_metrics.ingest.sources import LogSourceError, LogUnreadable
from relay_metrics.ingest.upload import UploadAbandoned, UploadTooBig, load_upload_copy, unpack_upload
from relay_metrics.output.textable import MAX_CELL_CHARS, render_tables
from tests.helpers import lines_of, record


def test_a_line_past_the_limit_is_rejected_and_reading_goes_on(write_log):
    long_line = b'{"ts":1,"error":"' + b"e" * (MAX_LINE_BYTES + 10) + b'"}'
    path = write_log(record(ts=1), long_line, record(ts=2), long_line[:-2])  # the last one unterminated
    path.write_bytes(path.read_bytes()[:-1])
    loaded = load_log(path)
    report = loaded.report
    assert list(loaded.frame["ts"]) == [1, 2]
    assert report.rejected == {LINE_TOO_LONG: 2} and report.lines == 4
    assert report.lines == report.records + report.blank + report.rejected_total + report.pending
    assert [s.line for s in report.samples] == [2, 4]
    assert report.samples[0].text.startswith('{"ts":1,"error":"eee')


def test_a_line_of_exactly_the_limit_is_still_read(write_log):
    line = b'{"ts":1,"error":"' + b"e" * (MAX_LINE_BYTES - 19) + b'"}'
    assert len(line) == MAX_LINE_BYTES  # a newline after it: longer than a chunk, so read across two
    loaded = load_log(write_log(line, record(ts=2)))
    assert loaded.report.records == 2 and not loaded.report.rejected


class Zeros:
    """A stream of NULs without a newline, as /dev/zero or a 2 GB file of one line, then a record."""

    def __init__(self, size: int, tail: bytes):
        self.size, self.tail, self.position = size, tail, 0

    def seek(self, position: int) -> None:
        self.position = position

    def tell(self) -> int:
        return self.position

    def read(self, n: int) -> bytes:
        if self.position < self.size:
            out = b"\0" * min(n, self.size - self.position)
        else:
            done = self.position - self.size
            out = self.tail[done : done + n]
        self.position += len(out)
        return out

    def fileno(self) -> int:
        return -1  # os.fstat is replaced in the test


def test_a_line_without_end_is_never_held_whole(tmp_path, monkeypatch):
    size = 64 << 20  # 16 times the limit
    zeros = Zeros(size, b"\n" + lines_of(record(ts=5)))
    path = tmp_path / "relay-calls.ndjson"
    path.write_bytes(b"")
    monkeypatch.setattr(loader.os, "fstat", lambda fd: os.stat_result((0,) * 6 + (size + 100, 0, 0, 0)))
    tracemalloc.start()
    try:
        got = read_range(path, 0, 1, stream=zeros)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got.report.rejected == {LINE_TOO_LONG: 1} and list(got.frame["ts"]) == [5]
    assert peak < 4 * MAX_LINE_BYTES + (8 << 20), f"peak {peak >> 20} MB for a {size >> 20} MB line"


def test_fifo_and_device_are_refused(tmp_path):
    fifo = tmp_path / "relay-calls.ndjson"
    os.mkfifo(fifo)
    for path in (fifo, "/dev/zero"):
        with pytest.raises(LogUnreadable, match="not a regular file"):
            load_log(path)
        assert cli.main(["summary", str(path), "--all"]) == 1


def test_symlinks_in_a_log_directory_are_not_followed(tmp_path):
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "relay-calls.ndjson").write_bytes(lines_of(record(ts=1)))
    (logs / "relay-calls.ndjson.9").symlink_to(secret)
    loaded = load_log(logs)
    assert not loaded.report.samples and loaded.report.lines == 1
    assert loaded.report.files == [str(logs / "relay-calls.ndjson")]
    assert any("relay-calls.ndjson.9 is a symbolic link: not read" in w for w in loaded.report.warnings)


def test_a_symlink_given_by_name_is_read_with_a_note(tmp_path):
    real = tmp_path / "real.ndjson"
    real.write_bytes(lines_of(record(ts=1)))
    link = tmp_path / "relay-calls.ndjson"
    link.symlink_to(real)
    loaded = load_log(link)
    assert loaded.report.records == 1
    assert any("read because it was named" in w and str(real) in w for w in loaded.report.warnings)


@pytest.mark.parametrize(
    "argv",
    [
        ["summary", "--since", "99999999999999999999"],
        ["margins", "--since", "0", "--until", "99999999999999999999"],
        ["summary", "--since", "-8640000000000001"],
        ["demo", "--rows", "99999999999", "--out", "x.ndjson"],
        ["demo", "--days", "0", "--out", "x.ndjson"],
        ["demo", "--end-ms", "99999999999999999999", "--out", "x.ndjson"],
        ["demo", "--seed", "-1", "--out", "x.ndjson"],
    ],
)
def test_numbers_out_of_range_are_exit_2(argv, tmp_path, monkeypatch, write_log, capsys):
    monkeypatch.chdir(tmp_path)
    log = write_log(record())
    if argv[0] != "demo":
        argv = [argv[0], str(log), *argv[1:]]
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    assert exited.value.code == 2
    assert "Traceback" not in capsys.readouterr().err
    assert not list(tmp_path.glob("*.tmp-*"))


def test_a_huge_cell_is_cut_with_an_ellipsis():
    tier = "t" * 100_000
    text = render_tables({"by_tier": [{"tier": tier, "calls": 1}, {"tier": "core", "calls": 2}]})
    assert max(len(line) for line in text.splitlines()) < MAX_CELL_CHARS + 20
    assert "t" * (MAX_CELL_CHARS - 1) + "…" in text and "core" in text


def test_a_gzip_bomb_stops_at_the_limit(tmp_path):
    bomb = gzip.compress(b"\0" * (64 << 20), 9)  # 64 MB of NULs in about 64 KB
    assert len(bomb) < 1 << 20
    tracemalloc.start()
    try:
        with pytest.raises(UploadTooBig, match="bigger than 8 MB unpacked"):
            unpack_upload(bomb, True, tmp_path / "upload.ndjson", max_bytes=8 << 20)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert not (tmp_path / "upload.ndjson").exists()
    assert peak < 4 << 20, f"peak {peak >> 20} MB"


def test_an_upload_with_too_many_lines_is_refused(tmp_path):
    data = gzip.compress(lines_of(*[record(ts=n) for n in range(1000)]))
    with pytest.raises(UploadTooBig, match="more than 999 lines"):
        unpack_upload(data, True, tmp_path / "a.ndjson", max_lines=999)
    path = unpack_upload(data, True, tmp_path / "b.ndjson", max_lines=1000)
    assert load_log(path).report.records == 1000


def test_an_upload_stops_parsing_when_its_session_leaves():
    # About 16 MB: four blocks, so four progress steps before the end.
    data = gzip.compress(lines_of(*[record(ts=n, error="x" * 90) for n in range(150_000)]), 1)
    asked = []

    def keep_going() -> bool:
        asked.append(1)
        return len(asked) < 3  # the browser disconnects after two steps

    with pytest.raises(UploadAbandoned):
        load_upload_copy(data, True, keep_going)
    assert len(asked) == 3
    # The lock was let go: the next copy parses.
    assert load_upload_copy(data, True, lambda: True).report.records == 150_000


def test_one_upload_is_parsed_at_a_time():
    data = lines_of(record(ts=1))
    inner: list = []

    def keep_going() -> bool:
        if not inner:  # while this copy parses, another arrives
            with pytest.raises(LogSourceError, match="another copy is being read"):
                load_upload_copy(data, False, lambda: True)
            inner.append(1)
        return True

    assert load_upload_copy(data, False, keep_going).report.records == 1 and inner
