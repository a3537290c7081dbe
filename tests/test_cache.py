"""The parsed copy in the cache directory: a run that starts from it and refreshes equals one
full read of the files as they are, after appends, rotations and a loader version change; and
it is never written next to the log."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relay_metrics.ingest import cache, loader, pushdown
from relay_metrics.ingest.live import LiveLog
from relay_metrics.ingest.loader import load_log
from tests.helpers import assert_same_frame, comparable_report, examples, lines_of, record
from tests.test_live import LOG, MINUTE, ORDERED, STREAM, T, append, operations, play

# A restart of the app or CLI between steps, and a new loader release.
restarts = st.lists(
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
                    "restart",
                    "restart",
                    "new loader",
                ]
            ),
            st.just(0),
        ),
    ),
    min_size=1,
    max_size=25,
)


def assert_same(got, full) -> None:
    assert_same_frame(got.frame, full.frame)
    assert comparable_report(got.report) == comparable_report(full.report)
    assert got.report.files == full.report.files
    assert [s.file for s in got.report.samples] == [s.file for s in full.report.samples]


@settings(
    max_examples=examples(100),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(steps=restarts, small_blocks=st.booleans())
def test_cached_and_refreshed_equals_one_full_read(tmp_path_factory, steps, small_blocks):
    folder, store = tmp_path_factory.mktemp("log"), tmp_path_factory.mktemp("cache")
    (folder / LOG).write_bytes(b"")
    with pytest.MonkeyPatch.context() as patch:
        if small_blocks:
            patch.setattr(loader, "CHUNK_BYTES", 64)
            patch.setattr(loader, "EXACT_BELOW_BYTES", 16)
        live = LiveLog(folder)
        saved_by = None  # the loader version that wrote the entry, None: none written
        position = 0

        def check():
            nonlocal saved_by
            assert_same(live.refresh(), load_log(folder))
            if cache.save(live, store):
                saved_by = cache.LOADER_VERSION

        def restart(new_loader: bool):
            nonlocal live
            if new_loader:
                patch.setattr(cache, "LOADER_VERSION", cache.LOADER_VERSION + 1)
            live = LiveLog(folder)
            assert cache.restore(live, store) == (saved_by == cache.LOADER_VERSION)
            check()

        for action, size in steps:
            if action in ("restart", "new loader"):
                restart(action == "new loader")
            else:  # one step at a time, appending on from where the last append stopped
                play(folder, STREAM[position:] + STREAM, [(action, size)], check)
                position = (position + size) % len(STREAM) if action == "append" else position
        check()
        restart(False)
    rotated = {f"{LOG}.{n}" for n in range(30)} | {f"{LOG}.{n}.gz" for n in range(30)}
    assert set(os.listdir(folder)) <= {LOG, *rotated}  # nothing of the cache next to the log


@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(head=st.integers(0, len(ORDERED)), since_step=st.integers(0, 400), steps=operations)
def test_a_cached_window_holds_every_record_a_full_read_has_in_it(tmp_path_factory, head, since_step, steps):
    folder, store = tmp_path_factory.mktemp("window"), tmp_path_factory.mktemp("cache")
    (folder / LOG).write_bytes(ORDERED[:head])
    since = T + since_step * 7 * MINUTE
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pushdown, "PROBE_BYTES", 64)
        patch.setattr(pushdown, "SETTLE_BYTES", 128)
        patch.setattr(pushdown, "CHECKPOINTS", 4)
        first = LiveLog(folder, since)
        first.refresh()
        cache.save(first, store)

        def same_in_window():
            live = LiveLog(folder, since)
            cache.restore(live, store)
            got, full = live.refresh(), load_log(folder)
            assert_same_frame(got.frame[got.frame["ts"] >= since], full.frame[full.frame["ts"] >= since])
            report = got.report
            assert report.lines == report.records + report.blank + report.rejected_total + report.pending
            cache.save(live, store)

        play(folder, ORDERED[head:] + ORDERED, steps, same_in_window)
        same_in_window()


def test_a_warm_start_parses_only_what_was_appended(tmp_path):
    log, store = tmp_path / "logs" / LOG, tmp_path / "cache"
    log.parent.mkdir()
    old = lines_of(*[record(ts=i, install_id=f"i{i % 3}", tier="pro") for i in range(1000)])
    log.write_bytes(old)
    cold = LiveLog(log)
    cold.refresh()
    assert cache.save(cold, store)
    new = lines_of(record(ts=2000, install_id="new", tier="max"))
    append(log, new)
    warm = LiveLog(log)
    assert cache.restore(warm, store)
    got = warm.refresh()
    assert warm.bytes_parsed == len(new)
    assert_same(got, load_log(log))
    assert os.listdir(log.parent) == [LOG]  # nothing next to the log


def test_a_window_cache_serves_a_later_window_but_not_an_earlier_one(tmp_path):
    log, store = tmp_path / LOG, tmp_path / "cache"
    # Long enough that the window's read skips the log's first part (ORDERED is read whole).
    log.write_bytes(lines_of(*[record(ts=T + i * 7 * MINUTE, install_id=f"i{i % 5}") for i in range(20_000)]))
    since = T + 16_000 * 7 * MINUTE
    first = LiveLog(log, since)
    assert first.refresh().report.window_read.bytes_skipped > 0
    cache.save(first, store)
    assert cache.restore(LiveLog(log, since + MINUTE), store)
    assert not cache.restore(LiveLog(log, since - MINUTE), store)
    assert not cache.restore(LiveLog(log), store)


def test_a_window_read_that_skipped_nothing_holds_every_record_and_serves_any_window(tmp_path):
    # A window that begins before the log reads all of it: that log is the full read, so the
    # whole history (Growth's) is served from it, not read a second time.
    log, store = tmp_path / LOG, tmp_path / "cache"
    log.write_bytes(ORDERED)
    live = LiveLog(log, T + 200 * 7 * MINUTE)
    loaded = live.refresh()
    assert loaded.report.window_read.bytes_skipped == 0 and live.since_ms is None
    assert_same_frame(loaded.frame, load_log(log).frame)
    cache.save(live, store)
    assert cache.restore(LiveLog(log), store)


def test_an_entry_for_another_loader_a_corrupt_one_or_one_others_can_write_is_ignored(tmp_path, monkeypatch):
    log, store = tmp_path / LOG, tmp_path / "cache"
    log.write_bytes(lines_of(record(ts=1), record(ts=2)))
    live = LiveLog(log)
    live.refresh()
    cache.save(live, store)
    entry = cache.entry_path(log, True, store)
    assert cache.restore(LiveLog(log), store)
    os.chmod(store, 0o777)
    assert not cache.restore(LiveLog(log), store)
    os.chmod(store, 0o700)
    monkeypatch.setattr(cache, "LOADER_VERSION", cache.LOADER_VERSION + 1)
    assert not cache.restore(LiveLog(log), store)
    monkeypatch.undo()
    entry.write_bytes(entry.read_bytes()[:100])
    assert not cache.restore(LiveLog(log), store)
    assert_same(cache.load_cached(log, folder=store), load_log(log))  # and the entry is written again
    assert cache.restore(LiveLog(log), store)


def test_the_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("RELAY_METRICS_CACHE", str(tmp_path / "a"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "b"))
    assert cache.cache_dir() == tmp_path / "a"
    monkeypatch.delenv("RELAY_METRICS_CACHE")
    assert cache.cache_dir() == tmp_path / "b" / "relay-metrics"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.cache_dir() == tmp_path / "home" / ".cache" / "relay-metrics"


def test_the_cli_answers_the_same_from_the_cache_and_keeps_nothing_with_no_cache(tmp_path, monkeypatch, capsys):
    from relay_metrics.cli import main

    store = tmp_path / "cache"
    monkeypatch.setenv("RELAY_METRICS_CACHE", str(store))
    log = tmp_path / "logs" / LOG
    log.parent.mkdir()
    log.write_bytes(STREAM)

    def summary(*extra) -> str:
        assert main(["summary", str(log), "--all", "--format", "json", *extra]) == 0
        return capsys.readouterr().out

    uncached = summary("--no-cache")
    assert not store.exists()
    assert summary() == uncached  # cold: parsed, and the copy kept
    assert cache.entry_path(log, True).exists()
    append(log, lines_of(record(ts=99, tier="pro", cost_usd=1.0)))
    warm = summary()
    assert warm == summary("--no-cache") != uncached  # the appended line counted
    assert os.listdir(log.parent) == [LOG]


def _with_job_ids_as_chunked_strings(frame):
    """The frame with job_id as arrow-backed strings in several chunks, as LOADER_VERSION 1
    kept them: its entries had a record batch per chunk."""
    import pandas as pd
    import pyarrow as pa

    try:
        jobs = pa.array(frame["job_id"].astype(object).where(frame["job_id"].notna(), None), pa.large_string())
    except UnicodeEncodeError:  # a lone surrogate: that loader kept such ids as objects
        return frame
    chunks = pa.chunked_array([jobs.slice(at, 300) for at in range(0, len(jobs), 300)] or [jobs])
    return frame.assign(
        job_id=pd.Series(pd.arrays.ArrowStringArray(chunks), dtype=pd.StringDtype("pyarrow", na_value=float("nan")))
    )


@pytest.mark.parametrize("chunked_strings", [False, True])
@pytest.mark.parametrize(
    "lines",
    [
        b"",
        lines_of(record(ts=1)),  # every string missing
        lines_of(record(ts=1, tier="pro", job_id="j1"), record(ts=2, tier="", job_id="j1"), record(ts=3)),
        lines_of(record(ts=1, tier="pro", model="m", job_id="j1"), '{"ts":2,"tier":"\\ud800x","job_id":"\\udfff"}'),
        lines_of(*[record(ts=i, install_id=f"i{i % 300}", job_id=f"j{i // 2}", tier="max") for i in range(2000)]),
    ],
    ids=["empty", "all missing", "missing and empty", "lone surrogates", "many categories"],
)
def test_an_entry_gives_back_the_frame_it_was_written_from_dtypes_and_all(tmp_path, lines, chunked_strings):
    log, store = tmp_path / LOG, tmp_path / "cache"
    log.write_bytes(lines)
    live = LiveLog(log)
    frame = live.refresh().frame
    if chunked_strings:
        frame = _with_job_ids_as_chunked_strings(frame)
        live._frame = frame
    assert cache.save(live, store)
    if chunked_strings and len(frame) > 1000:
        import pyarrow as pa

        with pa.memory_map(str(cache.entry_path(log, True, store))) as entry:
            assert pa.ipc.open_file(entry).num_record_batches > 1  # the categories' codes in pieces
    warm = LiveLog(log)
    assert cache.restore(warm, store)
    got = warm.state().frame
    assert list(got.dtypes.astype(str)) == list(frame.dtypes.astype(str))
    for name in frame.columns:
        if hasattr(frame[name], "cat"):
            assert got[name].cat.categories.dtype == frame[name].cat.categories.dtype == object
            assert list(got[name].cat.categories) == list(frame[name].cat.categories)
            assert got[name].cat.codes.dtype == frame[name].cat.codes.dtype
    import pandas as pd

    pd.testing.assert_frame_equal(got, frame, check_exact=True)
