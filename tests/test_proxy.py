"""docs/nginx.conf in front of the real app, with Debian's nginx: what the README says it gates."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.helpers import REPO
from tests.rawclient import Server, free_port, open_session, run_server

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
pytestmark = pytest.mark.skipif(
    NGINX is None and not os.environ.get("CI"), reason="nginx not installed (apt-get install nginx-light)"
)


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[Server]:
    """No password, on loopback: anonymous for a local visitor, closed for anyone via the proxy."""
    yield from run_server(tmp_path_factory.mktemp("proxied"), {}, "--browser.gatherUsageStats", "false")


@pytest.fixture(scope="module")
def proxy(app, tmp_path_factory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("nginx")
    port = free_port()
    (tmp / "htpasswd").write_text("founder:{PLAIN}upload-secret\n")
    conf = (REPO / "docs" / "nginx.conf").read_text()
    for old, new in [
        ("listen 127.0.0.1:8080;", f"listen 127.0.0.1:{port};"),
        ("server 127.0.0.1:8501;", f"server 127.0.0.1:{app.port};"),
        ("/etc/nginx/relay-metrics.htpasswd", str(tmp / "htpasswd")),
    ]:
        assert old in conf
        conf = conf.replace(old, new)
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        conf = conf.replace("http {", f"http {{\n    {kind}_temp_path {tmp / kind};", 1)
    (tmp / "nginx.conf").write_text(conf)
    command = [NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf")]
    check = subprocess.run(
        [*command, "-t", "-g", f"pid {tmp}/nginx.pid; error_log {tmp}/error.log;"], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen([*command, "-g", f"daemon off; pid {tmp}/nginx.pid; error_log {tmp}/error.log;"])
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/_stcore/health", timeout=2).text == "ok":
                break
        except requests.ConnectionError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("nginx did not start: " + (tmp / "error.log").read_text())
    yield url
    process.terminate()
    process.wait(timeout=10)


def test_metrics_are_open_directly_and_closed_through_the_proxy(app, proxy):
    assert requests.get(app.url + "/_stcore/metrics", timeout=10).status_code == 200
    assert requests.get(proxy + "/_stcore/metrics", timeout=10).status_code == 404


def test_uploads_need_the_proxy_credential(proxy):
    response = requests.put(proxy + "/_stcore/upload_file/s/f", data=b"x" * 1000, timeout=10)
    assert response.status_code == 401


def test_bodies_elsewhere_are_capped(proxy):
    response = requests.post(proxy + "/", data=b"x" * (2 << 20), timeout=10)
    assert response.status_code == 413


def test_a_visitor_through_the_proxy_is_not_local(app, proxy):
    # Directly on loopback, no password: the dashboard (its page links) comes.
    ws, _, direct = open_session(app)
    ws.close()
    assert b"Overview" in direct
    # Through the proxy on the same machine: X-Forwarded-For is there, so the gate stays shut.
    ws, _, proxied = open_session(app, host="localhost", port=int(proxy.rsplit(":", 1)[1]))
    ws.close()
    assert b"reached through a proxy" in proxied and b"Data quality" not in proxied
