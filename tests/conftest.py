"""Shared fixtures: small logs written on the fly (the repo ships no data files)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
REFERENCE_MODULE = Path(os.environ.get("RELAY_REFERENCE", REPO.parent / "shared" / "reference" / "audit-log.mjs"))


def record(ts=1_767_225_600_000, **fields) -> dict:
    """One log record; ts defaults to 2026-01-01T00:00:00Z."""
    return {"ts": ts, **fields}


def lines_of(*items) -> bytes:
    """Log bytes from records (dicts, written as JSON.stringify would) and raw str/bytes lines."""
    out = []
    for item in items:
        if isinstance(item, dict):
            out.append(json.dumps(item, separators=(",", ":")).encode())
        elif isinstance(item, str):
            out.append(item.encode())
        else:
            out.append(item)
    return b"".join(line + b"\n" for line in out)


@pytest.fixture
def write_log(tmp_path):
    """write_log(*items, name=...) -> path of a log file holding those lines."""

    def write(*items, name="relay-calls.ndjson", raw: bytes | None = None) -> Path:
        path = tmp_path / name
        path.write_bytes(raw if raw is not None else lines_of(*items))
        return path

    return write


@pytest.fixture(scope="session")
def node() -> str | None:
    """The node binary, or None; on CI a missing node is a failure, not a skip."""
    found = shutil.which("node")
    if found is None and os.environ.get("CI"):
        pytest.fail("node is required on CI for the reference parity tests")
    if found is None:
        pytest.skip("node not installed")
    if not REFERENCE_MODULE.exists():
        pytest.fail(f"reference module missing: {REFERENCE_MODULE}")
    return found
