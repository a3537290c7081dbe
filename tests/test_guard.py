"""guard's hooks into Streamlit, in process (test_attacker.py drives them through a real server)."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest
from streamlit.runtime.app_session import AppSession
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.runtime import Runtime
from streamlit.runtime.uploaded_file_manager import UploadedFileRec

from relay_metrics.app import guard


@pytest.fixture
def hooked(monkeypatch):
    uploads = {"on": True}
    guard.install(lambda: uploads["on"])
    monkeypatch.setattr(guard, "_is_active", lambda runtime, session_id: True)  # every session is live
    yield uploads
    guard.mark("s-in", False)


def test_a_session_keeps_one_upload(hooked):
    manager = MemoryUploadedFileManager("/_stcore/upload_file")
    for n in range(3):
        manager.add_file("s-in", UploadedFileRec(f"f{n}", "log.ndjson", "text/plain", b"x" * 1000))
    assert list(manager.file_storage["s-in"]) == ["f2"] and manager._total_bytes == 1000


def test_uploads_only_for_a_passed_session_with_uploads_on(hooked):
    runtime = MagicMock(spec=Runtime)
    assert Runtime.is_active_session(runtime, "s-in") is False  # not passed
    guard.mark("s-in", True)
    assert Runtime.is_active_session(runtime, "s-in") is True
    hooked["on"] = False
    assert Runtime.is_active_session(runtime, "s-in") is False  # uploads off
    hooked["on"] = True
    guard.mark("s-in", False)  # locked again
    assert Runtime.is_active_session(runtime, "s-in") is False


def test_clear_cache_only_from_a_passed_session(hooked, monkeypatch):
    cleared = []
    monkeypatch.setattr("streamlit.runtime.caching.cache_data.clear", lambda: cleared.append(1))
    monkeypatch.setattr("streamlit.runtime.caching.cache_resource.clear", lambda: None)
    session = MagicMock()
    session.id = "s-in"
    AppSession._handle_clear_cache_request(session)
    assert cleared == []
    guard.mark("s-in", True)
    AppSession._handle_clear_cache_request(session)
    assert cleared == [1]


def test_passed_sessions_are_bounded():
    for n in range(guard.MAX_SESSIONS + 10):
        guard.mark(f"s{n}", True)
    assert len(guard._passed) == guard.MAX_SESSIONS and not guard.session_passed("s0")
    for n in range(guard.MAX_SESSIONS + 10):
        guard.mark(f"s{n}", False)
