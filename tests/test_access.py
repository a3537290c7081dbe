"""Access rules without Streamlit, and the gate in front of every page with AppTest."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit import config
from streamlit.testing.v1 import AppTest

from relay_metrics.app.access import (
    FREE_TRIES,
    GLOBAL_FAILURES,
    GLOBAL_WINDOW_S,
    MAX_CLIENTS,
    Throttle,
    client_key,
    delay_before_try,
    email_allowed,
    is_loopback,
    is_proxied,
    password_matches,
)
from tests.helpers import REPO, page_files, record

PAGES = page_files()

APP = str(REPO / "streamlit_app.py")


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("", False),
        (None, False),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.5", False),
        ("example.com", False),
    ],
)
def test_is_loopback(address, loopback):
    assert is_loopback(address) is loopback


@pytest.mark.parametrize(
    ("given", "expected", "match"),
    [
        ("s3cret", "s3cret", True),
        ("s3cret ", "s3cret", False),
        ("", "s3cret", False),
        ("S3CRET", "s3cret", False),
        ("pässwörd", "pässwörd", True),
    ],
)
def test_password_matches(given, expected, match):
    assert password_matches(given, expected) is match


@pytest.mark.parametrize(("failures", "delay"), [(0, 0), (2, 0), (3, 1), (4, 2), (6, 8), (20, 30)])
def test_wrong_tries_slow_down(failures, delay):
    assert delay_before_try(failures) == delay


@pytest.mark.parametrize(
    ("email", "emails", "domain", "allowed"),
    [
        ("a@recap.app", None, None, True),
        ("A@Recap.App", ["a@recap.app"], None, True),
        ("b@recap.app", ["a@recap.app"], None, False),
        ("b@recap.app", None, "recap.app", True),
        ("b@evilrecap.app", None, "recap.app", False),
        ("b@recap.app.evil.com", None, "@recap.app", False),
        (None, None, "recap.app", False),
    ],
)
def test_email_allowed(email, emails, domain, allowed):
    assert email_allowed(email, emails, domain) is allowed


@pytest.fixture(autouse=True)
def fresh_caches():
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


@pytest.fixture
def log(write_log, monkeypatch):
    import time as clock

    path = write_log(record(ts=int(clock.time() * 1000) - 3_600_000, install_id="secret-install", cost_usd=1.25))
    monkeypatch.setenv("RELAY_METRICS_LOG", str(path))
    monkeypatch.delenv("RELAY_METRICS_PASSWORD", raising=False)
    monkeypatch.delenv("RELAY_METRICS_ALLOW_ANONYMOUS", raising=False)
    return path


def shown_text(at: AppTest) -> str:
    parts = [
        *at.title,
        *at.markdown,
        *at.caption,
        *at.metric,
        *at.dataframe,
        *at.info,
        *at.text,
        *at.sidebar.get("page_link"),
    ]
    return " ".join(str(getattr(p, "value", p)) for p in parts)


@pytest.mark.parametrize("page", [None, *PAGES])
def test_password_gate_shows_nothing_before_the_password(log, page):
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["password"] = "hunter2"
    at.run()
    if page:
        # Before the gate passes, the only page registered is the login page: no other
        # page can even be addressed.
        with pytest.raises(ValueError, match=r"Known pages: \['relay-metrics'\]"):
            at.switch_page(page)
        at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["relay-metrics"]
    assert not at.metric and not at.dataframe and not at.sidebar.multiselect
    assert "Overview" not in shown_text(at) and "secret-install" not in shown_text(at)


@pytest.fixture
def clock(monkeypatch):
    """The gate's clock, moved by hand; and a throttle of its own for each test."""
    now = [1000.0]
    monkeypatch.setattr("relay_metrics.app.auth._now", lambda: now[0])
    monkeypatch.setattr("relay_metrics.app.auth.THROTTLE", Throttle())
    return now


def test_right_password_opens_wrong_one_does_not(log, monkeypatch, clock, capsys):
    monkeypatch.setenv("RELAY_METRICS_PASSWORD", "hunter2")
    at = AppTest.from_file(APP, default_timeout=60).run()
    for _ in range(3):
        at.text_input[0].input("guess")
        at.button[0].click().run()
        assert "Wrong password." in [e.value for e in at.error]
        assert not at.metric
    assert capsys.readouterr().err.count("wrong password from local") == 3  # logged for the operator
    # The fourth try in a row comes too soon: refused without being checked, even if right.
    at.text_input[0].input("hunter2")
    at.button[0].click().run()
    assert "Too many wrong passwords. Try again in 1 s." in [e.value for e in at.error] and not at.metric
    clock[0] += 1.0
    at.text_input[0].input("hunter2")
    at.button[0].click().run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Overview"] and at.metric
    assert at.text_input == [] or at.text_input[0].value == ""  # the field is cleared


def test_a_new_session_does_not_reset_the_throttle(log, monkeypatch, clock):
    monkeypatch.setenv("RELAY_METRICS_PASSWORD", "hunter2")
    for _ in range(3):  # three sessions, one guess each, as the attacker did
        at = AppTest.from_file(APP, default_timeout=60).run()
        at.text_input[0].input("guess")
        at.button[0].click().run()
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input[0].input("hunter2")
    at.button[0].click().run()
    assert not at.metric and any("Too many wrong passwords" in e.value for e in at.error)


def test_throttle_per_address_and_for_everyone():
    throttle = Throttle()
    for _ in range(FREE_TRIES):
        assert throttle.wait_s("198.51.100.1", 0.0) == 0
        throttle.failed("198.51.100.1", 0.0)
    assert throttle.wait_s("198.51.100.1", 0.0) == 1.0
    assert throttle.wait_s("198.51.100.2", 0.0) == 0  # another address is not slowed down
    throttle.failed("198.51.100.1", 1.0)
    assert throttle.wait_s("198.51.100.1", 1.0) == 2.0  # and it doubles
    throttle.succeeded("198.51.100.1")
    assert throttle.wait_s("198.51.100.1", 1.0) == 0
    # Many addresses, one guess each: the global bound stops them all for a while.
    for n in range(GLOBAL_FAILURES):
        throttle.failed(f"203.0.113.{n}", 10.0)
    assert throttle.wait_s("192.0.2.99", 10.0) == GLOBAL_WINDOW_S
    assert throttle.wait_s("192.0.2.99", 10.0 + GLOBAL_WINDOW_S) == 0


def test_throttle_memory_is_bounded():
    throttle = Throttle()
    for n in range(MAX_CLIENTS + 500):
        throttle.failed(f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}", float(n))
    assert len(throttle._clients) == MAX_CLIENTS and len(throttle._recent) == GLOBAL_FAILURES


@pytest.mark.parametrize(
    ("address", "key"),
    [
        (None, "local"),
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),  # one host owns its /64
        ("::ffff:203.0.113.7", "203.0.113.7"),
    ],
)
def test_client_key(address, key):
    assert client_key(address) == key


@pytest.mark.parametrize(
    ("headers", "proxied"),
    [
        ({}, False),
        ({"Host": "localhost"}, False),
        ({"X-Forwarded-For": "203.0.113.7"}, True),
        ({"forwarded": "for=x"}, True),
        ({"X-Real-IP": "1.2.3.4"}, True),
    ],
)
def test_is_proxied(headers, proxied):
    assert is_proxied(headers) is proxied


def test_loopback_behind_a_same_host_proxy_is_not_anonymous(log, monkeypatch):
    # A proxy on this machine connects from loopback for everyone; its headers give it away.
    monkeypatch.setattr("relay_metrics.app.auth.is_proxied", lambda headers: True)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception and not at.metric and "through a proxy" in at.error[0].value


@pytest.fixture
def exposed():
    previous = config.get_option("server.address")
    config.set_option("server.address", "0.0.0.0")
    yield
    config.set_option("server.address", previous)


def test_exposed_without_a_password_refuses(log, exposed):
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert not at.metric and "listens beyond this machine" in at.error[0].value


def test_exposed_anonymous_when_asked_explicitly(log, exposed, monkeypatch):
    monkeypatch.setenv("RELAY_METRICS_ALLOW_ANONYMOUS", "1")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception and at.metric


def test_exposed_with_a_password_asks_for_it(log, exposed, monkeypatch):
    monkeypatch.setenv("RELAY_METRICS_PASSWORD", "hunter2")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.metric and at.text_input and not at.error


def test_oidc_login_is_asked_for_when_auth_is_configured(log):
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "x",
        "client_id": "id",
        "client_secret": "s",
        "server_metadata_url": "https://idp.example/.well-known",
    }
    at.secrets["password"] = "ignored when [auth] is set"
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Log in"] and not at.text_input and not at.metric
