"""The real server against a raw client that never logs in, as the attacker of issue 11 did:
a websocket speaking Streamlit's protocol, and HTTP PUTs to the upload route."""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Iterator

import pytest
import requests
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string
from websockets.exceptions import InvalidStatus

from tests.helpers import REPO
from tests.rawclient import Server, open_session, run_server

PAGE_NAMES = ("Overview", "Profitability", "Tiers", "Models", "Installs", "Traffic", "Data quality", "0_Overview")


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    """A password-protected app with uploads turned ON and 200 MB allowed: the gate alone
    must keep a client that never logged in from uploading."""
    yield from run_server(
        tmp_path_factory.mktemp("attacker"),
        {"RELAY_METRICS_PASSWORD": "correct horse battery staple", "RELAY_METRICS_UPLOADS": "1"},
        "--server.maxUploadSize",
        "200",
        "--browser.gatherUsageStats",
        "false",
    )


def names_sent(received: bytes) -> list[str]:
    text = received.decode("utf-8", "replace")
    assert "Password" in text  # the login form did come
    return [name for name in PAGE_NAMES if name in text]


def test_the_first_run_after_start_sends_no_page_name(server):
    # Must be the server's first session: keep this test first in the module. With a pages/
    # folder beside the entry point, Streamlit ran this run as a v1 multipage app, which sent
    # every page name before the router ran: that is why the pages live in views/.
    ws, _, received = open_session(server)
    ws.close()
    assert names_sent(received) == []


@pytest.fixture(scope="module")
def careless_server(tmp_path_factory) -> Iterator[Server]:
    """A copy of the app with one more page file that has no gate of its own, in views/ and in a
    pages/ folder (which would put Streamlit in v1 multipage mode: it must not exist)."""
    tmp = tmp_path_factory.mktemp("careless")
    app = tmp / "app"
    assert not (REPO / "pages").exists(), "a pages/ folder beside streamlit_app.py turns on Streamlit's v1 mode"
    shutil.copytree(REPO / "views", app / "views")
    shutil.copytree(REPO / ".streamlit", app / ".streamlit")
    shutil.copy(REPO / "streamlit_app.py", app / "streamlit_app.py")
    (app / "views" / "9_Careless.py").write_text('import streamlit as st\nst.text("SECRET-CARELESS")\n')
    yield from run_server(tmp, {"RELAY_METRICS_PASSWORD": "pw"}, app_dir=app)


def test_a_page_file_cannot_be_run_around_the_router(careless_server):
    for _ in range(2):
        ws, _, received = open_session(careless_server, page="Careless")
        ws.close()
        assert b"SECRET-CARELESS" not in received


def test_before_login_the_websocket_carries_no_page_name_and_no_data(server):
    open_session(server)[0].close()  # the first run of the process, whatever test runs first
    ws, _, received = open_session(server)
    ws.close()
    assert names_sent(received) == []


def test_upload_put_before_login_is_refused_before_the_body_is_held(server):
    ws, session_id, _ = open_session(server)
    token = generate_xsrf_token_string()  # an XSRF pair the client makes up itself passes
    before = server.rss_mb()
    statuses = []
    for _ in range(5):
        try:
            response = requests.put(
                f"{server.url}/_stcore/upload_file/{session_id}/{uuid.uuid4()}",
                files={"file": ("relay-calls.ndjson", b"\0" * (40 << 20))},
                headers={"X-Xsrftoken": token},
                cookies={"_streamlit_xsrf": token},
                timeout=60,
            )
            statuses.append(response.status_code)
        except requests.ConnectionError:  # the server may hang up before taking the body
            statuses.append("closed")
    grown = server.rss_mb() - before
    ws.close()
    assert 204 not in statuses and all(s in (400, "closed") for s in statuses), statuses
    assert "refused an upload from a session that has not passed the gate" in server.said()
    assert grown < 30, f"server grew {grown:.0f} MB on 200 MB of refused uploads"


def test_clear_cache_before_login_is_ignored(server):
    ws, _, _ = open_session(server)
    clear = BackMsg()
    clear.clear_cache = True
    ws.send(clear.SerializeToString())
    deadline = time.monotonic() + 30
    while "ignored a clear_cache message" not in server.said() and time.monotonic() < deadline:
        time.sleep(0.2)
    ws.close()
    assert "ignored a clear_cache message from a session that has not passed the gate" in server.said()


def test_websocket_from_a_foreign_host_name_is_refused(server):
    # DNS rebinding: evil.example resolving to 127.0.0.1 reaches the port with its own Host.
    with pytest.raises((InvalidStatus, ConnectionError, OSError)) as refused:
        ws, _, _ = open_session(server, host="evil.example")
        ws.close()
    assert refused is not None
    ws, _, _ = open_session(server, host="127.0.0.1")  # the allowed names still work
    ws.close()
