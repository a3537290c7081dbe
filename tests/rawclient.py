"""A raw client for the real server, as an attacker would use: start the app, open a websocket
speaking Streamlit's protocol. Shared by the attacker and proxy tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import ClientConnection, connect

from relay_metrics.demo import write_demo_log
from tests.helpers import REPO


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    output: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def said(self) -> str:
        return self.output.read_text(errors="replace")

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")


def run_server(tmp: Path, extra_env: dict[str, str], *args: str, app_dir: Path = REPO) -> Iterator[Server]:
    """The app (in app_dir) on a small demo log, on a free loopback port, for a fixture's lifetime."""
    log = tmp / "relay-calls.ndjson"
    write_demo_log(log, rows=2_000, days=5, seed=3)
    port = free_port()
    output = tmp / f"server-{port}.log"
    env = {**os.environ, "RELAY_METRICS_LOG": str(log), "PYTHONPATH": str(REPO), **extra_env}
    for name in ("RELAY_METRICS_ALLOW_ANONYMOUS", "RELAY_METRICS_PASSWORD", "RELAY_METRICS_UPLOADS"):
        if name not in extra_env:
            env.pop(name, None)
    with open(output, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port), *args],
            cwd=app_dir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    served = Server(process, port, output)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(served.url + "/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    break
        except OSError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("streamlit did not start: " + served.said()[-2000:])
    yield served
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def open_session(
    server: Server, host: str = "localhost", port: int | None = None, page: str = ""
) -> tuple[ClientConnection, str, bytes]:
    """Connect as the frontend does (to `port`, default the server's) and ask for a run;
    returns the socket, the session id and every byte the server sent until the run finished."""
    port = port or server.port
    # Connected to 127.0.0.1 whatever the name: the Host header is the name's, as after DNS rebinding.
    sock = socket.create_connection(("127.0.0.1", port))
    ws = connect(f"ws://{host}:{port}/_stcore/stream", sock=sock, subprotocols=["streamlit"], max_size=None)
    rerun = BackMsg()
    rerun.rerun_script.query_string = ""
    rerun.rerun_script.page_script_hash = ""
    rerun.rerun_script.page_name = page  # as a URL path would ask for it
    ws.send(rerun.SerializeToString())
    received, session_id = b"", ""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        data = ws.recv(timeout=60)
        received += data
        msg = ForwardMsg()
        msg.ParseFromString(data)
        if msg.WhichOneof("type") == "new_session":
            session_id = msg.new_session.initialize.session_id or msg.new_session.session_id
        if msg.WhichOneof("type") == "script_finished":
            break
    assert session_id, "no session id came"
    return ws, session_id, received
