"""A live log refreshed after any appends, rotations and rewrites equals one full read of the
files as they are, and a refresh parses only what is new."""

from __future__ import annotations

import gzip
import json
import os
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relay_metrics.ingest import loader, pushdown
from relay_metrics.ingest.live import LiveLog
from relay_metrics.ingest.loader import load_log
from relay_metrics.ingest.sources import LogSourceError
from tests.helpers import assert_same_frame, comparable_report, examples, lines_of, record

LOG = "relay-calls.ndjson"


def assert_same_as_full_read(live: LiveLog, folder) -> None:
    got = live.refresh()
    full = load_log(folder)
    assert_same_frame(got.frame, full.frame)
    assert comparable_report(got.report) == comparable_report(full.report)
    assert got.report.files == full.report.files
    assert [s.file for s in got.report.samples] == [s.file for s in full.report.samples]


def append(path, data: bytes) -> None:
    with open(path, "ab") as f:
        f.write(data)


def utf8(item: dict) -> str:
    """A record as the relay writes it: JSON with text as raw UTF-8, not escaped."""
    return json.dumps(item, ensure_ascii=False, separators=(",", ":"))


# A stream of lines to cut anywhere: records with multibyte text, junk, blanks, a JSON null.
STREAM = (
    lines_of(
        utf8(record(ts=1, install_id="ä", tier="pro", cost_usd=0.5, job_id="j1")),
        utf8(record(ts=5, install_id="🎉", tier="core", error="zeitüberschreitung", job_id="j2")),
        "",
        "{not json",
        record(ts=3, install_id="ä", tier="max", cost_usd=None, duration_ms=20),
        '{"ts":"7"}',
        record(ts=9, install_id="b", tier="pro", model="m", status="error", input_tokens=-1),
        "\xff\xfe not utf-8".encode("latin-1"),
        utf8(record(ts=11, install_id="日本", tier="pro", cost_usd=0.25, job_id="j3")),
        record(ts=12, install_id="\ud800", tier="\udfff", job_id="\ud83d"),  # lone surrogates, as JSON escapes
    )
    * 3
)

operations = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers(1, 120)),
        st.tuples(
            st.sampled_from(
                [
                    "refresh",
                    "rotate",
                    "rotate and gzip",
                    "copy and truncate",
                    "rewrite the top",
                    "replace with a new file",
                ]
            ),
            st.just(0),
        ),
    ),
    min_size=1,
    max_size=25,
)
assert "🎉".encode() in STREAM and "日本".encode() in STREAM


@settings(
    max_examples=examples(120),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(steps=operations, small_blocks=st.booleans())
def test_any_appends_rotations_and_refreshes_equal_one_full_read(tmp_path_factory, steps, small_blocks):
    folder = tmp_path_factory.mktemp("live")
    (folder / LOG).write_bytes(b"")
    with pytest.MonkeyPatch.context() as patch:
        if small_blocks:  # blocks of a few lines, so appends land across fast and exact parsing
            patch.setattr(loader, "CHUNK_BYTES", 64)
            patch.setattr(loader, "EXACT_BELOW_BYTES", 16)
        live = LiveLog(folder)
        live.refresh()
        play(folder, STREAM, steps, lambda: assert_same_as_full_read(live, folder))
        assert_same_as_full_read(live, folder)


# Records in ts order, 7 minutes apart (two per disorder bound), with junk now and then.
T, MINUTE = 1_767_225_600_000, 60_000
ORDERED = lines_of(
    *[
        utf8(record(ts=T + i * 7 * MINUTE, install_id=f"ü{i % 5}", tier="pro", cost_usd=0.01)) if i % 9 else "{junk"
        for i in range(400)
    ]
)


@settings(
    max_examples=examples(100),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    head=st.integers(0, len(ORDERED)),
    since_step=st.integers(0, 400),
    rotations=st.lists(st.booleans(), max_size=3),
    steps=operations,
)
def test_a_live_window_holds_every_record_a_full_read_has_in_it(tmp_path_factory, head, since_step, rotations, steps):
    folder = tmp_path_factory.mktemp("window")
    lines = ORDERED[:head].splitlines(keepends=True)
    for k, gzipped in enumerate(rotations):  # history already rotated (and compressed) before the first read
        share = len(lines) // (len(rotations) + 1)
        (folder / LOG).write_bytes(b"".join(lines[k * share : (k + 1) * share]))
        rotate(folder, gzip_oldest=gzipped)
    (folder / LOG).write_bytes(b"".join(lines[len(rotations) * (len(lines) // (len(rotations) + 1)) :]))
    since = T + since_step * 7 * MINUTE

    def same_in_window():
        got, full = live.refresh(), load_log(folder)
        assert_same_frame(got.frame[got.frame["ts"] >= since], full.frame[full.frame["ts"] >= since])
        report = got.report
        assert report.lines == report.records + report.blank + report.rejected_total + report.pending
        assert report.window_read.fell_back is None

    with pytest.MonkeyPatch.context() as patch:  # small pieces, so a small log is skipped in part too
        patch.setattr(pushdown, "PROBE_BYTES", 64)
        patch.setattr(pushdown, "SETTLE_BYTES", 128)
        patch.setattr(pushdown, "CHECKPOINTS", 4)
        live = LiveLog(folder, since)
        same_in_window()
        # Appends continue the ordered records and stop at their end: starting them over would
        # write calls hours older than the log's end, beyond the disorder bound this property assumes.
        play(folder, ORDERED[head:], steps, same_in_window, wrap=False)
        same_in_window()


def play(folder, stream: bytes, steps, check, wrap: bool = True) -> None:
    """Carry out the steps on the log in folder, appending from stream (from its start again
    at its end, with `wrap`); check() at each refresh."""
    current, position = folder / LOG, 0
    for action, size in steps:
        if action == "append":
            append(current, stream[position : position + size])
            position = (position + size) % len(stream) if wrap else min(position + size, len(stream))
        elif action == "refresh":
            check()
        elif action.startswith("rotate"):
            rotate(folder, gzip_oldest=action.endswith("gzip"))
            current.write_bytes(b"")
        elif action == "copy and truncate":  # logrotate's copytruncate: same inode, emptied
            rotate(folder, gzip_oldest=False, copy=True)
        elif action == "rewrite the top":  # same inode, a different first line
            data = current.read_bytes()
            with open(current, "r+b") as f:
                f.write(b"{}\n" + data[3:] if len(data) >= 3 else b"{}\n")
        elif action == "replace with a new file":
            fresh = folder / "fresh"
            fresh.write_bytes(current.read_bytes())
            os.replace(fresh, current)


def rotate(folder, gzip_oldest: bool, copy: bool = False) -> None:
    """Shift relay-calls.ndjson.N to N+1 and the current file to .1 (moved, or copied and emptied)."""
    numbered = sorted((int(p.name.split(".")[2]), p) for p in folder.iterdir() if p.name.startswith(LOG + "."))
    for number, path in reversed(numbered):
        path.rename(folder / path.name.replace(f".{number}", f".{number + 1}", 1))
    current = folder / LOG
    if copy:
        shutil.copyfile(current, folder / (LOG + ".1"))
        with open(current, "r+b") as f:
            f.truncate(0)
    else:
        current.rename(folder / (LOG + ".1"))
    if gzip_oldest and numbered:
        oldest = max(p for p in folder.iterdir() if p.name.startswith(LOG + ".") and not p.name.endswith(".gz"))
        (folder / (oldest.name + ".gz")).write_bytes(gzip.compress(oldest.read_bytes()))
        oldest.unlink()


def test_a_refresh_parses_only_what_was_appended(tmp_path):
    path = tmp_path / LOG
    old_lines = lines_of(*[record(ts=i, install_id=f"i{i % 3}", tier="pro") for i in range(1000)])
    path.write_bytes(old_lines)
    live = LiveLog(path)
    first = live.refresh()
    assert live.bytes_parsed == len(old_lines)
    assert live.refresh() is first and live.bytes_parsed == 0  # nothing new: same object
    new_lines = lines_of(record(ts=2000, install_id="new", tier="max"))
    append(path, new_lines)
    second = live.refresh()
    assert live.bytes_parsed == len(new_lines)
    assert len(second.frame) == 1001 and second.frame["install_id"].iloc[-1] == "new"
    assert len(first.frame) == 1000 and first.frame["install_id"].iloc[-1] == "i0"  # handed out: unchanged


def test_a_line_split_inside_a_character_is_pending_until_complete(tmp_path):
    path = tmp_path / LOG
    line = lines_of(utf8(record(ts=1, install_id="🎉")))
    cut = line.index("🎉".encode()) + 2
    path.write_bytes(line[:cut])
    live = LiveLog(path)
    assert live.refresh().report.pending == 1
    append(path, line[cut:])
    loaded = live.refresh()
    assert loaded.report.pending == 0 and list(loaded.frame["install_id"]) == ["🎉"]


def test_rotation_follows_the_renamed_file_instead_of_reading_it_again(tmp_path):
    current = tmp_path / LOG
    current.write_bytes(lines_of(*[record(ts=i) for i in range(500)]))
    live = LiveLog(tmp_path)
    live.refresh()
    current.rename(tmp_path / (LOG + ".1"))
    new = lines_of(record(ts=600))
    current.write_bytes(new)
    loaded = live.refresh()
    assert live.bytes_parsed == len(new)
    assert len(loaded.frame) == 501 and loaded.report.files == [str(tmp_path / (LOG + ".1")), str(current)]


def test_a_file_cut_short_and_rewritten_is_read_again(tmp_path):
    path = tmp_path / LOG
    path.write_bytes(lines_of(record(ts=1, tier="a"), record(ts=2, tier="b")))
    live = LiveLog(path)
    live.refresh()
    with open(path, "r+b") as f:  # same inode: a copytruncate, then new lines longer than before
        f.truncate(0)
        f.write(lines_of(record(ts=3, tier="c"), record(ts=4, tier="d"), record(ts=5, tier="e")))
    assert list(live.refresh().frame["tier"]) == ["c", "d", "e"]


def test_a_failed_refresh_keeps_the_last_good_state(tmp_path):
    path = tmp_path / LOG
    path.write_bytes(lines_of(record(ts=1)))
    live = LiveLog(path)
    live.refresh()
    path.rename(tmp_path / "elsewhere")
    with pytest.raises(LogSourceError):
        live.refresh()
    (tmp_path / "elsewhere").rename(path)
    append(path, lines_of(record(ts=2)))
    assert list(live.refresh().frame["ts"]) == [1, 2]
