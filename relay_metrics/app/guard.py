"""The gate, carried into Streamlit's own server: what a page's script can't stop by itself.

Streamlit accepts two things from any live websocket session, logged in or not: a file PUT
to /_stcore/upload_file/<session>/<file> (held in memory) and a `clear_cache` message (which
empties every cache of the process, so the founder's next view re-reads the log). Both are
hooked here so they work only for a session that passed the gate (auth.passed() records it),
and uploads only when the operator turned them on. Checked on Streamlit 1.67: the upload
route asks `Runtime.is_active_session` before it reads a byte of the body (it is asked
nowhere else), and `AppSession._handle_clear_cache_request` is what a `clear_cache`
message runs; install() fails loudly (AttributeError) on a Streamlit without them.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable

from streamlit.runtime.app_session import AppSession
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.runtime import Runtime
from streamlit.runtime.uploaded_file_manager import UploadedFileRec

MAX_SESSIONS = 1_000  # sessions remembered as passed; the oldest are forgotten first

_passed: OrderedDict[str, None] = OrderedDict()
_lock = threading.Lock()
_uploads_allowed: Callable[[], bool] = lambda: False  # noqa: E731  (set by install)
_installed = False
_is_active = Runtime.is_active_session  # Streamlit's own, kept before install() hooks it


def mark(session_id: str | None, passed: bool) -> None:
    """Record whether this session passed the gate on its latest run."""
    if not session_id:
        return
    with _lock:
        if passed:
            _passed[session_id] = None
            _passed.move_to_end(session_id)
            while len(_passed) > MAX_SESSIONS:
                _passed.popitem(last=False)
        else:
            _passed.pop(session_id, None)


def session_passed(session_id: str) -> bool:
    with _lock:
        return session_id in _passed


def connected(session_id: str) -> bool:
    """Whether the session's browser is still connected (Streamlit's own answer, unhooked)."""
    runtime = Runtime.instance() if Runtime.exists() else None
    return runtime is None or _is_active(runtime, session_id)


def log(message: str) -> None:
    """One line on the server's stderr, for whoever watches it (or fail2ban)."""
    print(f"relay-metrics: {message}", file=sys.stderr, flush=True)


def install(uploads_allowed: Callable[[], bool]) -> None:
    """Hook Streamlit's upload route and cache clearing (once per process)."""
    global _installed, _uploads_allowed
    _uploads_allowed = uploads_allowed
    if _installed:
        return
    clear_cache = AppSession._handle_clear_cache_request
    add_file = MemoryUploadedFileManager.add_file

    def upload_session_active(self: Runtime, session_id: str) -> bool:
        # Only the upload route asks; a False is its 400, sent before the body is read.
        if not _is_active(self, session_id):
            return False
        if not session_passed(session_id):
            log("refused an upload from a session that has not passed the gate")
            return False
        if not _uploads_allowed():
            log("refused an upload: uploads are off (see README, Security)")
            return False
        return True

    def gated_clear_cache(self: AppSession) -> None:
        if not session_passed(self.id):
            log("ignored a clear_cache message from a session that has not passed the gate")
            return
        clear_cache(self)

    def one_file_per_session(self: MemoryUploadedFileManager, session_id: str, file: UploadedFileRec) -> None:
        # The sidebar takes one copy at a time: a new upload replaces the session's last one.
        for other in [f for f in self.file_storage.get(session_id, {}) if f != file.file_id]:
            self.remove_file(session_id, other)
        add_file(self, session_id, file)

    Runtime.is_active_session = upload_session_active  # type: ignore[method-assign]
    AppSession._handle_clear_cache_request = gated_clear_cache  # type: ignore[method-assign]
    MemoryUploadedFileManager.add_file = one_file_per_session  # type: ignore[method-assign]
    _installed = True
