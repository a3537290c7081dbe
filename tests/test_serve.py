"""The server's warm-up (relay_metrics.app.serve): what a first view would wait for is done at
the server's start, into the very caches the pages read."""

from __future__ import annotations

import sys

from streamlit.testing.v1 import AppTest

from relay_metrics.app import serve, source
from relay_metrics.demo import default_end_ms, write_demo_log
from tests.helpers import REPO

APP = str(REPO / "streamlit_app.py")


def test_the_first_view_after_the_warm_up_reads_nothing_again(tmp_path, monkeypatch, fresh_caches):
    log = tmp_path / "relay-calls.ndjson"
    write_demo_log(log, 3_000, 40, seed=3, end_ms=default_end_ms())
    monkeypatch.setenv("RELAY_METRICS_LOG", str(log))
    monkeypatch.setattr(sys, "argv", [str(APP)])
    serve.warm_up()
    kept = source._kept((str(log),)).kept
    assert kept is not None and kept.refreshed is not None
    warmed = kept.refreshed

    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    # The first view took the log the warm-up read (same window, no second read).
    assert source._kept((str(log),)).kept is kept and kept.refreshed is warmed


def test_a_warm_up_that_fails_says_so_and_leaves_the_first_view_to_report_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RELAY_METRICS_LOG", str(tmp_path / "missing.ndjson"))
    monkeypatch.setattr(sys, "argv", [str(APP)])
    serve.warm_up()
    assert "warm-up stopped" in capsys.readouterr().err
