"""The gate every page passes first: nothing of the data, not even page names, before it.

- `[auth]` in secrets.toml: Streamlit's own OpenID Connect login (st.login), optionally
  limited by `allowed_emails` / `allowed_domain`.
- else a password (secrets.toml `password`, or $RELAY_METRICS_PASSWORD).
- else nothing to enter, but only while the server listens on loopback and the request did
  not come through a proxy; otherwise it refuses unless RELAY_METRICS_ALLOW_ANONYMOUS=1 says
  that is intended.

Whether a session passed is also told to guard, which keeps sessions that have not from
uploading files or clearing the server's caches. Wrong passwords are throttled per client
address and for everyone together (access.Throttle), and each is logged on stderr.
"""

from __future__ import annotations

import math
import os
import time
from typing import cast

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from relay_metrics.app import guard
from relay_metrics.app.access import (
    ALLOW_ANONYMOUS_ENV,
    PASSWORD_ENV,
    Throttle,
    client_key,
    email_allowed,
    is_loopback,
    is_proxied,
    password_matches,
    uploads_enabled,
)

_PASSED = "_auth_passed"
THROTTLE = Throttle()  # one per server process: a new session doesn't start afresh
_now = time.monotonic


def passed() -> bool:
    """Whether this viewer may see the dashboard. Draws nothing."""
    guard.install(uploads_on)
    verdict = _verdict()
    ctx = get_script_run_ctx()
    guard.mark(ctx.session_id if ctx else None, verdict)
    return verdict


def uploads_on() -> bool:
    """Whether "Look at a copy of a log" is offered (and Streamlit's upload route open)."""
    return uploads_enabled(dict(os.environ), _secrets())


def _verdict() -> bool:
    secrets = _secrets()
    if "auth" in secrets:
        return _logged_in() and email_allowed(
            cast(str | None, st.user.get("email")), secrets.get("allowed_emails"), secrets.get("allowed_domain")
        )
    if _password(secrets):
        return bool(st.session_state.get(_PASSED))
    if os.environ.get(ALLOW_ANONYMOUS_ENV) == "1":
        return True
    # Loopback only while nobody forwards: a proxy on this machine makes every visitor local.
    return is_loopback(st.get_option("server.address")) and not is_proxied(dict(st.context.headers))


def login_page() -> None:
    """The only page a viewer who has not passed can reach: the way in, or why it is closed."""
    secrets = _secrets()
    st.title("relay-metrics")
    if "auth" in secrets:
        _login_form()
    elif password := _password(secrets):
        _password_form(password)
    else:
        st.error(
            "This server listens beyond this machine (or is reached through a proxy) and no password "
            "or login is configured, "
            "so the dashboard stays closed. Set a password (see README, Security), configure "
            f"[auth], or set {ALLOW_ANONYMOUS_ENV}=1 if anyone who can reach it may see it."
        )


def _password(secrets: dict) -> str | None:
    password = secrets.get("password") or os.environ.get(PASSWORD_ENV)
    return str(password) if password else None


def logout_control() -> None:
    """In the sidebar, for whichever gate let the viewer in."""
    if "auth" in _secrets() and _logged_in():
        st.button("Log out", on_click=st.logout, width="stretch")
    elif st.session_state.get(_PASSED):
        st.button(
            "Lock",
            on_click=lambda: st.session_state.pop(_PASSED, None),
            width="stretch",
            help="Ask for the password again in this browser tab.",
        )


def _logged_in() -> bool:
    # st.user has no is_logged_in at all outside a real server session (AppTest): not in.
    return bool(getattr(st.user, "is_logged_in", False))


def _secrets() -> dict:
    try:
        return st.secrets.to_dict()
    except FileNotFoundError:  # no secrets.toml anywhere: nothing configured
        return {}


def _login_form() -> None:
    if not _logged_in():
        st.button("Log in", on_click=st.login, type="primary")
    else:
        st.error("This account may not see the dashboard.")
        st.button("Log out", on_click=st.logout)


def _password_form(password: str) -> None:
    with st.form("password_gate", clear_on_submit=True):  # the typed password never lingers
        given = st.text_input("Password", type="password")
        entered = st.form_submit_button("Enter", type="primary")
    if entered:
        address = st.context.ip_address  # None on loopback (and not a str under AppTest)
        client = client_key(address if isinstance(address, str) else None)
        wait = THROTTLE.wait_s(client, _now())
        if wait > 0:
            # Refused unchecked: a wait costs this server nothing, a sleeping thread would.
            guard.log(f"password try from {client} refused: {wait:.0f} s to wait")
            st.error(f"Too many wrong passwords. Try again in {math.ceil(wait)} s.")
            return
        if password_matches(given, password):
            THROTTLE.succeeded(client)
            st.session_state[_PASSED] = True
            st.rerun()
        failures = THROTTLE.failed(client, _now())
        guard.log(f"wrong password from {client} ({failures} in a row)")
        st.error("Wrong password.")
