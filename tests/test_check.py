"""`check` and `report` from the command line: exit codes, JSON, the --state file, and
notifications through apprise to a local HTTP server (127.0.0.1 only)."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from relay_metrics.cli import main
from tests.helpers import T0, lines_of, record

D = 86_400_000
MINUTE = 60_000
NOW = T0 + 20 * D + 12 * 3_600_000  # 2026-01-21 12:00 UTC
RULES = """
[[rule]]
name = "log stopped"
kind = "stale_log"
minutes = 30

[[rule]]
name = "waste"
kind = "waste"
days = 1
max_pct = 10
"""


@pytest.fixture
def files(tmp_path):
    """A log whose newest record is an hour old with 50% of its cost on errors, and rules
    that both fire on it: stale_log (30 minutes) and waste (10%)."""
    log = tmp_path / "relay-calls.ndjson"
    log.write_bytes(
        lines_of(
            record(ts=NOW - 2 * 3_600_000, install_id="a", tier="pro", model="m", status="success", cost_usd=1.0),
            record(ts=NOW - 3_600_000, install_id="a", tier="pro", model="m", status="error", cost_usd=1.0),
        )
    )
    rules = tmp_path / "alerts.toml"
    rules.write_text(RULES)
    return log, rules, tmp_path / "state.json"


def check(capsys, log, rules, *extra, at=NOW):
    code = main(["check", str(log), "--rules", str(rules), "--at", str(int(at)), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_exit_3_and_one_json_object_per_firing(files, capsys):
    log, rules, _ = files
    code, out, _ = check(capsys, log, rules, "--format", "json")
    assert code == 3
    firings = json.loads(out)["firings"]
    assert [(f["rule"], f["subject"]) for f in firings] == [("log stopped", "log"), ("waste", "all")]
    stale = firings[0]
    assert stale["value"] == pytest.approx(60.0) and stale["threshold"] == 30
    assert stale["window"] == {"since_ms": NOW - 30 * MINUTE, "until_ms": NOW}
    assert "60 minutes old" in stale["message"]
    assert set(firings[1]) >= {"rule", "subject", "value", "threshold", "window", "message"}


def test_exit_0_when_nothing_fires(files, capsys):
    log, rules, _ = files
    code, out, _ = check(capsys, log, rules, at=NOW - 3_600_000 + MINUTE)  # a minute after the error...
    assert code == 3  # ... the waste rule still fires
    rules.write_text(RULES.replace("max_pct = 10", "max_pct = 50"))  # 50% is not above 50%
    code, out, _ = check(capsys, log, rules, at=NOW - 3_600_000 + MINUTE)
    assert code == 0 and out == "No rule fires.\n"


def test_a_bad_rules_file_is_exit_2_naming_key_and_line(files, capsys):
    log, rules, _ = files
    rules.write_text(RULES.replace("minutes = 30", "minutes = soon"))
    code, out, err = check(capsys, log, rules)
    assert code == 2 and out == ""
    assert "line 5" in err and "not valid TOML" in err
    rules.write_text(RULES.replace("minutes = 30", "hours = 1"))
    code, _, err = check(capsys, log, rules)
    assert code == 2 and "line 5" in err and "'hours'" in err


def test_rules_come_from_the_environment(files, capsys, monkeypatch):
    log, rules, _ = files
    monkeypatch.setenv("RELAY_METRICS_ALERTS", str(rules))
    assert main(["check", str(log), "--at", str(NOW)]) == 3
    assert "log stopped" in capsys.readouterr().out


def test_an_unreadable_log_is_exit_1_and_a_bad_url_exit_2(files, capsys, tmp_path):
    _, rules, _ = files
    code, _, err = check(capsys, tmp_path / "missing.ndjson", rules)
    assert code == 1 and "error" in err
    code, _, err = check(capsys, files[0], rules, "--notify", "nosuchscheme://x")
    assert code == 2 and "apprise" in err


# ----------------------------------------------------------------- notifications


class Receiver(BaseHTTPRequestHandler):
    received: list[dict]

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.received.append(json.loads(body))  # type: ignore[attr-defined]
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def url_of(server) -> str:
    return f"json://127.0.0.1:{server.server_address[1]}/"


def test_each_new_firing_is_sent_once_across_runs(files, capsys, receiver):
    log, rules, state = files
    for minutes in (0, 10, 20):  # a cron job every 10 minutes
        code, _, err = check(
            capsys, log, rules, "--notify", url_of(receiver), "--state", str(state), at=NOW + minutes * MINUTE
        )
        assert code == 3 and err == ""
    bodies = [message["message"] for message in receiver.received]
    assert len(bodies) == 2
    assert any("minutes old" in body for body in bodies) and any("errors and refusals" in body for body in bodies)
    saved = json.loads(state.read_text())
    assert {(e["rule"], e["subject"]) for e in saved["sent"]} == {("log stopped", "log"), ("waste", "all")}

    # The next day the stale log still fires: sent again, once. The waste rule's day has no
    # calls any more: it clears, and says so, once.
    for minutes in (0, 10):
        check(capsys, log, rules, "--notify", url_of(receiver), "--state", str(state), at=NOW + D + minutes * MINUTE)
    later = [message["message"] for message in receiver.received[2:]]
    assert len(later) == 2
    assert any("has no record in the last 24.0 hours" in body for body in later)  # all it read
    assert any(body.startswith("Cleared: rule 'waste'") for body in later)


def test_an_unreachable_destination_keeps_the_exit_status_and_is_retried(files, capsys, receiver):
    log, rules, state = files
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"json://127.0.0.1:{probe.getsockname()[1]}/"
    code, out, err = check(capsys, log, rules, "--notify", dead, "--state", str(state))
    assert code == 3 and "log stopped" in out
    assert "notification not sent" in err and "127.0.0.1" in err
    assert json.loads(state.read_text())["sent"] == []  # nothing counts as sent
    assert receiver.received == []
    check(capsys, log, rules, "--notify", url_of(receiver), "--state", str(state), at=NOW + 10 * MINUTE)
    assert len(receiver.received) == 2  # sent once it can be


def test_state_file_that_is_not_ours_is_exit_1(files, capsys):
    log, rules, state = files
    state.write_text("not json")
    code, _, err = check(capsys, log, rules, "--state", str(state))
    assert code == 1 and "state file" in err


# ----------------------------------------------------------------- digest


def test_report_writes_markdown_and_html_with_embedded_charts(files, capsys, tmp_path, receiver):
    log, rules, _ = files
    md, page = tmp_path / "digest.md", tmp_path / "digest.html"
    args = ["report", str(log), "--rules", str(rules), "--period", "week", "--until", str(NOW)]
    assert main([*args, "--format", "markdown", "--out", str(md), "--notify", url_of(receiver)]) == 0
    assert main([*args, "--out", str(page)]) == 0
    text = md.read_text()
    for heading in ("## Headline figures", "## Margin by tier", "costliest installs", "## Alerts that fired"):
        assert heading in text
    assert "log stopped" in text
    html = page.read_text()
    assert html.count("src='data:image/png;base64,") == 2
    assert len(receiver.received) == 1 and "Headline figures" in receiver.received[0]["message"]


def test_report_escapes_log_text(tmp_path, capsys):
    log = tmp_path / "relay-calls.ndjson"
    hostile = "<img src=x onerror=alert(1)>[link](http://x)"
    log.write_bytes(
        lines_of(record(ts=NOW - D, install_id=hostile, tier="pro", model="m", status="success", cost_usd=1.0))
    )
    page, md = tmp_path / "d.html", tmp_path / "d.md"
    base = ["report", str(log), "--period", "week", "--until", str(NOW)]
    assert main([*base, "--out", str(page)]) == 0
    assert main([*base, "--format", "markdown", "--out", str(md)]) == 0
    assert "<img src=x" not in page.read_text() and "&lt;img src=x" in page.read_text()
    assert "[link](http" not in md.read_text() and "\\[link\\]" in md.read_text()
