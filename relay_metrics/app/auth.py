"""The gate every page passes first: nothing of the data, not even page names, before it.

- `[auth]` in secrets.toml: Streamlit's own OpenID Connect login (st.login), optionally
  limited by `allowed_emails` / `allowed_domain`.
- else a password (secrets.toml `password`, or $RELAY_METRICS_PASSWORD).
- else nothing to enter, but only while the server listens on loopback; exposed without
  either, it refuses unless RELAY_METRICS_ALLOW_ANONYMOUS=1 says that is intended.
"""

from __future__ import annotations

import os
import time

import streamlit as st

from relay_metrics.app.access import (
    ALLOW_ANONYMOUS_ENV,
    PASSWORD_ENV,
    delay_before_try,
    email_allowed,
    is_loopback,
    password_matches,
)

_PASSED = "_auth_passed"
_FAILURES = "_auth_failures"


def passed() -> bool:
    """Whether this viewer may see the dashboard. Draws nothing."""
    secrets = _secrets()
    if "auth" in secrets:
        return _logged_in() and email_allowed(
            st.user.get("email"), secrets.get("allowed_emails"), secrets.get("allowed_domain")
        )
    if _password(secrets):
        return bool(st.session_state.get(_PASSED))
    return is_loopback(st.get_option("server.address")) or os.environ.get(ALLOW_ANONYMOUS_ENV) == "1"


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
            "This server listens beyond this machine and no password or login is configured, "
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


def _pause(seconds: float) -> None:
    time.sleep(seconds)


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
        failures = st.session_state.get(_FAILURES, 0)
        _pause(delay_before_try(failures))  # guessing gets slower for this session
        if password_matches(given, password):
            st.session_state[_PASSED] = True
            st.session_state[_FAILURES] = 0
            st.rerun()
        st.session_state[_FAILURES] = failures + 1
        st.error("Wrong password.")
