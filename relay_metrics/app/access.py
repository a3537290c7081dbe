"""Who may see the dashboard: the rules, without Streamlit (ui/auth.py applies them)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

ALLOW_ANONYMOUS_ENV = "RELAY_METRICS_ALLOW_ANONYMOUS"
PASSWORD_ENV = "RELAY_METRICS_PASSWORD"
FREE_TRIES = 3  # wrong passwords in a row before each further try is made to wait
MAX_DELAY_S = 30.0


def is_loopback(address: str | None) -> bool:
    """Whether the server listens on this machine only. An empty address means every
    interface, which is not loopback."""
    if not address:
        return False
    if address.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve anywhere


def password_matches(given: str, expected: str) -> bool:
    """Constant-time comparison; hashing first makes the time independent of length too."""
    return hmac.compare_digest(
        hashlib.sha256(given.encode("utf-8", "surrogatepass")).digest(),
        hashlib.sha256(expected.encode("utf-8", "surrogatepass")).digest(),
    )


def delay_before_try(failures: int) -> float:
    """Seconds to wait before checking a try, after `failures` wrong ones in a row."""
    if failures < FREE_TRIES:
        return 0.0
    return min(2.0 ** (failures - FREE_TRIES), MAX_DELAY_S)


def email_allowed(email: str | None, emails: list[str] | None, domain: str | None) -> bool:
    """With neither list nor domain configured, any signed-in user; else a match, case-blind."""
    if not emails and not domain:
        return True
    if not email:
        return False
    email = email.strip().lower()
    if emails and email in {e.strip().lower() for e in emails}:
        return True
    return bool(domain) and email.endswith("@" + domain.strip().lower().lstrip("@"))
