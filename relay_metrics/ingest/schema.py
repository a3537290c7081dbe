"""The record shape of one audit-log line, as the relay writes it (see the reference module)."""

from __future__ import annotations

import pyarrow as pa

# Strings that come from request headers or the relay; stored as pandas categoricals. Even
# job_id (about one distinct value per two calls): its codes make filtering, counting
# distinct jobs and grouping by job cost a few ms instead of hashing every string each time.
STRING_FIELDS: tuple[str, ...] = (
    "install_id",
    "tier",
    "pipeline",
    "backend",
    "model",
    "status",
    "job_id",
    "error",
)

# Numbers the figures sum or average. A negative value is as wrong as a string here.
NUMBER_FIELDS: tuple[str, ...] = (
    "credit_charged",
    "duration_ms",
    "input_tokens",
    "output_tokens",
    "thinking_tokens",
    "cost_usd",
)

TOKEN_FIELDS: tuple[str, ...] = ("input_tokens", "output_tokens", "thinking_tokens")

# JavaScript's Date holds at most 8.64e15 ms either side of the epoch; beyond that the
# reference would bucket a record into hour "NaN", so such a `ts` is rejected instead.
MAX_ABS_TS_MS = 8.64e15

ARROW_SCHEMA = pa.schema(
    [("ts", pa.float64())]
    + [(name, pa.string()) for name in STRING_FIELDS]
    + [(name, pa.float64()) for name in NUMBER_FIELDS]
)

# Column order of the loaded frame: raw ts, its UTC timestamp, then the record's fields.
COLUMNS: tuple[str, ...] = ("ts", "time", *STRING_FIELDS, *NUMBER_FIELDS)
