"""Who may see the dashboard: the rules, without Streamlit (app/auth.py applies them)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import threading
from collections import OrderedDict, deque

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
    return bool(domain and email.endswith("@" + domain.strip().lower().lstrip("@")))


UPLOADS_ENV = "RELAY_METRICS_UPLOADS"
# Headers a proxy on this machine adds: with one present, "the server listens on loopback"
# says nothing about who is asking.
FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-real-ip", "via")


def uploads_enabled(environ: dict[str, str], secrets: dict) -> bool:
    """ "Look at a copy of a log" only when the operator turned it on (env or secrets)."""
    return environ.get(UPLOADS_ENV) == "1" or secrets.get("allow_uploads") is True


def is_proxied(headers: dict[str, str]) -> bool:
    """Whether the request came through a proxy (names compared case-blind)."""
    names = {name.lower() for name in headers}
    return any(name in names for name in FORWARDING_HEADERS)


def client_key(address: str | None) -> str:
    """Whose guesses these are: an IPv4 address, an IPv6 /64 (one host owns a whole /64), or
    "local" for loopback and unknown."""
    if not address:
        return "local"
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


GLOBAL_FAILURES = 30  # wrong passwords per GLOBAL_WINDOW_S from all addresses together
GLOBAL_WINDOW_S = 60.0
MAX_CLIENTS = 10_000  # addresses remembered; the oldest are forgotten first
FORGET_AFTER_S = 3600.0


class Throttle:
    """Wrong passwords per client address, and from everyone together, across sessions.

    An address gets FREE_TRIES, then waits delay_before_try(failures) after each wrong one;
    once GLOBAL_FAILURES wrong tries fell in GLOBAL_WINDOW_S, everyone waits for the oldest to
    age out. A try that must wait is refused without looking at the password. Bounded: it
    remembers at most MAX_CLIENTS addresses and GLOBAL_FAILURES times."""

    def __init__(self) -> None:
        self._clients: OrderedDict[str, tuple[int, float]] = OrderedDict()  # key -> (failures, last)
        self._recent: deque[float] = deque(maxlen=GLOBAL_FAILURES)
        self._lock = threading.Lock()

    def wait_s(self, key: str, now: float) -> float:
        """Seconds before this client may try again; 0 now."""
        with self._lock:
            failures, last = self._clients.get(key, (0, -math.inf))
            if now - last > FORGET_AFTER_S:
                failures = 0
            own = last + delay_before_try(failures) - now if failures else 0.0
            everyone = 0.0
            if len(self._recent) == GLOBAL_FAILURES:
                everyone = self._recent[0] + GLOBAL_WINDOW_S - now
            return max(own, everyone, 0.0)

    def failed(self, key: str, now: float) -> int:
        """Count a wrong try; returns the client's wrong tries in a row."""
        with self._lock:
            failures, last = self._clients.pop(key, (0, -math.inf))
            failures = (0 if now - last > FORGET_AFTER_S else failures) + 1
            self._clients[key] = (failures, now)
            while len(self._clients) > MAX_CLIENTS:
                self._clients.popitem(last=False)
            self._recent.append(now)
            return failures

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._clients.pop(key, None)
