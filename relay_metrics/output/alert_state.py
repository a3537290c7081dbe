"""The --state file of `check`: what was sent and when, and the models seen so far.

JSON, written atomically (a temporary file in the same folder, then renamed), so a cron job
killed mid-write leaves the previous state, never half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

VERSION = 1


class StateError(ValueError):
    """The state file exists but can't be read as ours."""


@dataclass
class AlertState:
    sent: dict[tuple[str, str], float] = field(default_factory=dict)  # (rule, subject) -> last sent ms
    models: dict[str, float] = field(default_factory=dict)  # model -> first seen ms

    def due(self, key: tuple[str, str], now_ms: float) -> bool:
        """Not sent yet, or last sent on an earlier UTC day: once a day per firing."""
        last = self.sent.get(key)
        return last is None or _day(last) < _day(now_ms)


def load_state(path: str | os.PathLike) -> AlertState:
    path = Path(path)
    if not path.exists():
        return AlertState()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        sent = {(entry["rule"], entry["subject"]): float(entry["sent_ms"]) for entry in data["sent"]}
        models = {str(name): float(ms) for name, ms in data.get("models", {}).items()}
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise StateError(f"{path}: not a relay-metrics state file ({type(exc).__name__}: {exc})") from None
    return AlertState(sent, models)


def save_state(path: str | os.PathLike, state: AlertState) -> None:
    path = Path(path)
    data = {
        "version": VERSION,
        "sent": [{"rule": r, "subject": s, "sent_ms": ms} for (r, s), ms in sorted(state.sent.items())],
        "models": dict(sorted(state.models.items())),
    }
    text = json.dumps(data, ensure_ascii=True, indent=1) + "\n"
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _day(ms: float):
    return datetime.fromtimestamp(ms / 1000, UTC).date()


def plan(state: AlertState, firing_keys: list[tuple[str, str]], now_ms: float):
    """What to send now: firings due today (new, or last sent on an earlier day), and the
    keys sent before that no longer fire (to say they cleared)."""
    firing = set(firing_keys)
    due = [key for key in dict.fromkeys(firing_keys) if state.due(key, now_ms)]
    cleared = [key for key in state.sent if key not in firing]
    return due, cleared
