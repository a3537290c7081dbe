"""A live relay appends while we read; an operator rotates and compresses files under us."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import textwrap
import time

import streamlit as st
from streamlit.testing.v1 import AppTest

from relay_metrics.ingest.loader import load_log
from tests.helpers import REPO, lines_of, record

# A relay stand-in: appends numbered records with O_APPEND, about half of them in two writes
# split mid-line (mid UTF-8 character too). Three quarters in, it waits until the reader has
# read three times, so reads overlap the writes however fast either side runs.
WRITER = textwrap.dedent(
    """
    import json, os, random, sys, time
    path, total, overlapped = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    rng = random.Random(7)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    for seq in range(total):
        if seq == total * 3 // 4:
            while not os.path.exists(overlapped):
                time.sleep(0.01)
        line = (json.dumps({"ts": 1767225600000 + seq, "seq": seq, "install_id": "ü-" + str(seq % 17),
                            "cost_usd": 0.001}, ensure_ascii=False) + "\\n").encode()
        if rng.random() < 0.5:
            cut = rng.randrange(1, len(line))
            os.write(fd, line[:cut])
            time.sleep(0.0002)
            os.write(fd, line[cut:])
        else:
            os.write(fd, line)
        if seq % 100 == 99:
            time.sleep(0.02)
    os.close(fd)
    """
)


def test_reading_while_the_relay_appends_loses_and_doubles_nothing(tmp_path):
    path = tmp_path / "relay-calls.ndjson"
    path.touch()
    total = 4000
    overlapped = tmp_path / "three-reads"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(total), str(overlapped)])
    reads = 0
    while writer.poll() is None:
        loaded = load_log(path)
        report = loaded.report
        seen = loaded.frame["ts"].to_numpy() - 1767225600000
        # Every read is a prefix of what was written: nothing lost, doubled or rejected.
        assert report.rejected_total == 0 and report.blank == 0
        assert report.pending <= 1
        assert list(seen) == list(range(len(seen)))
        assert report.lines == report.records + report.pending
        reads += 1
        if reads == 3:
            overlapped.touch()
    assert writer.returncode == 0
    final = load_log(path)
    assert final.report.records == total and final.report.pending == 0
    assert list(final.frame["ts"] - 1767225600000) == list(range(total))
    assert reads >= 3, "the reader should have overlapped the writer several times"


def test_rotation_reads_every_file_once(tmp_path):
    log = tmp_path / "relay-calls.ndjson"
    log.write_bytes(lines_of(*[record(ts=i, cost_usd=1.0) for i in range(10)]))
    assert load_log(tmp_path).report.records == 10
    # As the relay's operator rotates: mv the live file aside, start a new one.
    os.rename(log, tmp_path / "relay-calls.ndjson.0")
    log.write_bytes(lines_of(*[record(ts=100 + i, cost_usd=1.0) for i in range(5)]))
    after = load_log(tmp_path)
    assert after.report.records == 15 and sorted(after.frame["ts"]) == [*range(10), *range(100, 105)]
    # A second rotation, the older file compressed.
    os.rename(tmp_path / "relay-calls.ndjson.0", tmp_path / "relay-calls.ndjson.1")
    with (
        open(tmp_path / "relay-calls.ndjson.1", "rb") as plain,
        gzip.open(tmp_path / "relay-calls.ndjson.1.gz", "wb") as packed,
    ):
        packed.write(plain.read())
    os.remove(tmp_path / "relay-calls.ndjson.1")
    os.rename(log, tmp_path / "relay-calls.ndjson.0")
    log.write_bytes(lines_of(record(ts=200, cost_usd=1.0)))
    final = load_log(tmp_path)
    assert final.report.records == 16
    assert list(final.frame["ts"]) == [*range(10), *range(100, 105), 200]  # oldest file first


def recent_calls(count: int, install_id: str, apart_ms: int) -> bytes:
    """Log lines of `count` calls, the newest apart_ms ago, each apart_ms before the next."""
    now = int(time.time() * 1000)
    return lines_of(*[record(ts=now - apart_ms * i, install_id=install_id, cost_usd=1.0) for i in range(1, count + 1)])


def overview(monkeypatch, log_setting):
    """The Overview on the log $RELAY_METRICS_LOG names, and a reader of its Calls card."""
    monkeypatch.setenv("RELAY_METRICS_LOG", str(log_setting))
    st.cache_resource.clear()
    at = AppTest.from_file(str(REPO / "streamlit_app.py"), default_timeout=60).run()
    return at, lambda: next(m.value for m in at.metric if m.label == "Calls")


def test_reload_after_rotation_shows_the_same_totals_plus_the_new_lines(tmp_path, monkeypatch):
    log = tmp_path / "relay-calls.ndjson"
    log.write_bytes(recent_calls(20, "a", 60_000))
    at, calls = overview(monkeypatch, tmp_path)
    assert calls() == "20"
    os.rename(log, tmp_path / "relay-calls.ndjson.0")
    log.write_bytes(recent_calls(3, "b", 1000))
    at.run()
    assert calls() == "20"  # within the snapshot's minute a rerun doesn't reparse
    at.sidebar.button[0].click().run()  # Reload
    assert not at.exception
    assert calls() == "23"
    st.cache_resource.clear()


def test_reload_and_the_minute_refresh_parse_only_the_appended_lines(tmp_path, monkeypatch):
    from relay_metrics.app import source

    log = tmp_path / "relay-calls.ndjson"
    log.write_bytes(recent_calls(200, "a", 60_000))
    at, calls = overview(monkeypatch, log)
    live = source._kept((str(log),)).kept.live
    assert calls() == "200" and live.bytes_parsed == log.stat().st_size

    appended = recent_calls(3, "b", 1000)
    with open(log, "ab") as f:
        f.write(appended)
    at.sidebar.button[0].click().run()  # Reload
    assert calls() == "203" and live.bytes_parsed == len(appended)

    more = recent_calls(1, "c", 500)
    with open(log, "ab") as f:
        f.write(more[:7])  # the relay is mid-write: pending, not a record yet
    monkeypatch.setattr(source, "SNAPSHOT_TTL_S", 0)  # the minute is up
    at.run()
    assert calls() == "203" and live.bytes_parsed == 7
    with open(log, "ab") as f:
        f.write(more[7:])
    at.run()
    assert calls() == "204" and live.bytes_parsed == len(more)
    monkeypatch.setattr(source, "SNAPSHOT_TTL_S", 60)  # the page switch within the minute reads nothing
    at.switch_page("views/6_Data_quality.py").run()
    assert any(f"{len(more)} bytes appended since the last look" in c.value for c in at.caption)
    assert not at.exception
    st.cache_resource.clear()
