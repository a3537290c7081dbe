"""Sending alerts and digests through apprise: Slack, Discord, Teams, email, ntfy, webhooks ...

A URL per destination (apprise's URL schemes). Sending never decides a command's exit status:
failures and timeouts come back as lines for stderr, naming the service and host apprise
names, never the whole URL (it may hold a token).
"""

from __future__ import annotations

from dataclasses import dataclass

TIMEOUT_S = 15.0  # per message, across its destinations: a cron job must not hang on a dead host


class NotifyUrlError(ValueError):
    """A --notify URL that apprise can't use (unknown scheme or malformed)."""


@dataclass(frozen=True)
class Sent:
    ok: bool
    problems: tuple[str, ...]  # one line each, for stderr


def check_urls(urls: list[str]) -> None:
    """Raise NotifyUrlError for the first URL apprise doesn't understand (before any work)."""
    import apprise

    for number, url in enumerate(urls, start=1):
        if apprise.Apprise.instantiate(url) is None:
            scheme = url.split("://", 1)[0] if "://" in url else url[:10]
            raise NotifyUrlError(f"--notify URL #{number} ({scheme}://...) is not one apprise can send to")


def send(urls: list[str], title: str, body: str, *, markdown: bool = False, timeout_s: float = TIMEOUT_S) -> Sent:
    """One message to every URL. `ok` only when every destination took it."""
    import apprise

    if not urls:
        return Sent(True, ())
    sender = apprise.Apprise()
    for url in urls:
        sender.add(url)
    body_format = apprise.NotifyFormat.MARKDOWN if markdown else apprise.NotifyFormat.TEXT
    try:
        result = sender.notify(body, title=title, body_format=body_format, timeout=timeout_s)
    except Exception as exc:  # a plugin bug must not cost the check its exit status
        return Sent(False, (f"sending failed: {type(exc).__name__}: {exc}",))
    if result:
        return Sent(True, ())
    problems = [entry.message for entry in result.logs() if entry.level in ("WARNING", "ERROR")]
    if result.timeout_count:
        problems.append(f"{result.timeout_count} destination(s) did not answer within {timeout_s:g} s")
    return Sent(False, tuple(dict.fromkeys(problems)) or ("a destination did not accept the message",))
