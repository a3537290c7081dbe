"""Shared fixtures: small logs written on the fly (the repo ships no data files)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from relay_metrics.ingest.loader import load_log

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


T0 = 1_767_225_600_000  # 2026-01-01T00:00Z, hour 0
H = 3_600_000


@pytest.fixture
def small(write_log):
    """Five hand-made records covering upgrades, missing and empty keys, and a string cost."""
    path = write_log(
        record(
            ts=T0 + 1 * H,
            install_id="a",
            tier="core",
            model="m1",
            pipeline="transcribe",
            backend="gemini",
            status="success",
            cost_usd=0.10,
            duration_ms=1000,
            input_tokens=100,
            output_tokens=10,
            job_id="j1",
        ),
        record(
            ts=T0 + 2 * H,
            install_id="a",
            tier="pro",
            model="m1",
            pipeline="analyze",
            backend="gemini",
            status="success",
            cost_usd=0.30,
            duration_ms=3000,
            input_tokens=50,
            thinking_tokens=7,
            job_id="j1",
        ),
        record(
            ts=T0 + 2 * H,
            install_id="b",
            model="m2",
            pipeline="transcribe",
            backend="hardware",
            status="error",
            error="boom",
            duration_ms=500,
            job_id="",
        ),
        record(ts=T0 + 5 * H, tier="", model="", status="refused"),  # no install id, empty tier and model
        record(ts=T0 + 3 * H, install_id="b", tier="max", model="m2", status="success", cost_usd="0.5"),  # string cost
    )
    return load_log(path).frame


STRING_COLUMNS = ("install_id", "tier", "pipeline", "backend", "model", "status", "job_id", "error")


def assert_same_frame(got, expected) -> None:
    """Equal records in equal order; categories compared by value, not by their order."""
    import pandas as pd

    as_object = {name: object for name in STRING_COLUMNS}
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True).astype(as_object),
        expected.reset_index(drop=True).astype(as_object),
        check_categorical=False,
    )


def comparable_report(report) -> dict:
    """A report as a dict, without the names of the (temporary) files it came from."""
    out = report.to_dict()
    del out["files"]
    for sample in out["samples"] + out["pending_lines"]:
        del sample["file"]
    return out
