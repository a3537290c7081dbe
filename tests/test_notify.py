"""Sending through apprise (timeouts reported, never raised) and the --state file."""

from __future__ import annotations

import os
import socket

import pytest

from relay_metrics.output.alert_state import AlertState, load_state, plan, save_state
from relay_metrics.output.notify import send

DAY = 86_400_000
NOON = 1_767_268_800_000  # 2026-01-01 12:00 UTC


def test_a_destination_that_never_answers_is_a_reported_timeout():
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)
        result = send([f"json://127.0.0.1:{silent.getsockname()[1]}/"], "title", "body", timeout_s=1)
    assert not result.ok
    assert any("did not" in problem for problem in result.problems)


def test_no_url_is_nothing_to_send():
    assert send([], "title", "body").ok


def test_state_round_trips_and_is_replaced_whole(tmp_path, monkeypatch):
    path = tmp_path / "state.json"
    state = AlertState({("margin", "pro\udc80"): float(NOON)}, {"m1": 1.0})
    save_state(path, state)
    assert load_state(path) == state
    before = path.read_bytes()

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        save_state(path, AlertState())
    assert path.read_bytes() == before  # the old state, whole
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temporary file left


def test_a_firing_is_due_once_a_utc_day_and_clears_when_it_stops():
    state = AlertState({("a", "x"): float(NOON)})
    assert plan(state, [("a", "x")], NOON + 11 * 3_600_000) == ([], [])  # 23:00 the same day
    assert plan(state, [("a", "x")], NOON + 12 * 3_600_000) == ([("a", "x")], [])  # the next day
    assert plan(state, [("b", "y")], NOON + 60_000) == ([("b", "y")], [("a", "x")])
