"""Deterministic, realistic demo data: a synthetic `relay-calls.ndjson` audit log.

The records follow the shape documented in the relay's reference `audit-log.mjs`: one
compact JSON object per line, keys in the order JSON.stringify would emit them::

    ts, install_id, tier, pipeline, backend, model, status, credit_charged, duration_ms,
    input_tokens, output_tokens, thinking_tokens, cost_usd, job_id, error

with absent keys left out (hardware transcribes, refusals and most errors carry no token
keys; only errors carry `error`). `cost_usd` and `credit_charged` are on every record.

What the data looks like (it drives the demo screens, tests and benchmarks):

* Installs: max(5, rows // 150) of them, with 12-hex-char ids and a Zipf-like rate per
  install, so a handful of "whales" make a large share of the calls. Each install lives in
  a time zone (mostly the Americas and Europe, some Asia-Pacific), may have joined during
  the window or churned before its end, and prefers on-device-class "hardware"
  transcription or not.
* Tiers core/pro/max at roughly 70/25/5 of installs; heavy users skew to pro/max. About
  5% of installs upgrade (core -> pro or pro -> max) at a random moment inside their
  active period; their records after that moment carry the new tier.
* Jobs: a "summary job" is a transcribe call followed, a few seconds to a minute later,
  by an analyze call with the same `job_id`. Jobs whose transcribe was refused or failed
  (and a few abandoned ones) have no analyze record.
* Transcribe goes to backend "hardware" (model parakeet-tdt-0.6b-v3: no token keys,
  cost 0) for ~30% of calls, else to Gemini; analyze always goes to Gemini. Four Gemini
  models with their own prices, token profiles and latencies; tokens scale with the
  recording's length; gemini-2.5-flash traffic slowly migrates to gemini-3-flash-preview.
* Status: mostly success; a few per cent errors (upstream timeouts that emerge from the
  latency model and still cost money, 503s, with a short outage or two where 503s spike,
  429s, invalid audio, ...), and quota refusals ("refused": tiny duration, no tokens,
  cost 0), which are far more common on core, especially for heavy core users.
  `credit_charged` is 1 exactly on successful analyze records.
* Traffic follows a local-time day curve (busy office hours, quiet nights) per time
  zone, so the UTC hour-of-day profile has a clear shape; weekends are quieter, and
  traffic grows gently over the days.
* `ts` is the integer ms-epoch when the request landed (its start), and lines are
  written in the order the calls *finished* (`ts + duration_ms`), as an append-on-
  completion logger would. So the file is in ascending `ts` order except that a record
  may trail records written before it by at most its own duration, which never exceeds
  `MAX_DISORDER_MS`.

Determinism: the output is a pure function of (rows, days, seed, end_ms); the same four
values give byte-identical files. When `end_ms` is omitted it defaults to the current time
rounded *down* to the whole hour, so runs within the same clock hour agree as well.
"""

from __future__ import annotations

import contextlib
import operator
import os
import time
from collections.abc import Iterator

import numpy as np
import orjson

from relay_metrics.metrics.zones import MS_PER_DAY

__all__ = ["MAX_DISORDER_MS", "generate_demo_lines", "write_demo_log"]

HOUR_MS = 3_600_000

# The relay gives up on a call after this long, so no duration_ms exceeds it.
RELAY_TIMEOUT_MS = 90_000
# Guaranteed bound on disorder: for any line, every line written before it has a ts at most
# this much larger. (Lines are ordered by ts + duration_ms and duration_ms <= RELAY_TIMEOUT_MS.)
MAX_DISORDER_MS = RELAY_TIMEOUT_MS

_BATCH = 1 << 15

# ── vocabularies (index = code used in the arrays) ──────────────────────────────────────
TIERS = ("core", "pro", "max")
PIPELINES = ("transcribe", "analyze")
BACKENDS = ("gemini", "hardware")
MODELS = (
    "gemini-3-flash-preview",
    "gemini-3-pro-preview",
    "gemini-2.5-flash",
    "gemini-2.5-flash-lite",
    "parakeet-tdt-0.6b-v3",
)
M_3FLASH, M_3PRO, M_25FLASH, M_25LITE, M_PARAKEET = range(5)
STATUSES = ("success", "error", "refused")
S_OK, S_ERR, S_REF = range(3)
ERRORS = (
    None,
    "upstream timeout",
    "gemini 503 unavailable",
    "gemini 429 resource exhausted",
    "invalid audio",
    "context too long",
    "hardware worker unavailable",
    "response parse error",
)
E_TIMEOUT, E_503, E_429, E_AUDIO, E_CONTEXT, E_HW, E_PARSE = range(1, 8)  # 0: no error

# ── Gemini models (index 0..3 as above): prices in USD per 1M tokens, latency profile ──
_RATE_TEXT_IN = np.array([0.50, 2.00, 0.30, 0.10])
_RATE_AUDIO_IN = np.array([1.00, 2.00, 1.00, 0.30])
_RATE_OUT = np.array([3.00, 12.00, 2.50, 0.40])  # thinking tokens bill as output
# gemini-3-pro-preview bills prompts above 200k tokens at a higher rate.
_LONG_CONTEXT = 200_000
_PRO_LONG_IN, _PRO_LONG_OUT = 4.00, 18.00
_TTFT_MS = np.array([800.0, 2200.0, 650.0, 350.0])
_OUT_TPS = np.array([210.0, 140.0, 230.0, 380.0])
_PREFILL_TPS = np.array([60_000.0, 30_000.0, 60_000.0, 90_000.0])
_THINK_MEDIAN_TRANSCRIBE = np.array([350.0, 900.0, 200.0, 0.0])
_THINK_MEDIAN_ANALYZE = np.array([1500.0, 2200.0, 1200.0, 0.0])

# Model mix per tier (rows: core, pro, max; columns: the four Gemini models).
_MIX_TRANSCRIBE = np.array([[0.45, 0.00, 0.25, 0.30], [0.70, 0.05, 0.17, 0.08], [0.62, 0.28, 0.10, 0.00]])
_MIX_ANALYZE = np.array([[0.55, 0.00, 0.25, 0.20], [0.62, 0.20, 0.13, 0.05], [0.40, 0.55, 0.05, 0.00]])
# By the end of the window this share of would-be gemini-2.5-flash calls use 3-flash.
_MIGRATION = 0.5

# ── users and traffic ───────────────────────────────────────────────────────────────
_ROWS_PER_INSTALL = 150
_ZIPF_S = 1.0
_WHALE_CAP = 100.0
# UTC offsets (hours) of the user base and their shares: Americas, Europe, Asia-Pacific.
_TZ_OFFSETS = np.array([-8, -7, -6, -5, -3, 0, 1, 2, 5, 8, 9, 10])
_TZ_SHARES = np.array([0.14, 0.05, 0.11, 0.20, 0.03, 0.10, 0.20, 0.06, 0.03, 0.03, 0.03, 0.02])
# Relative call rate by local hour of day.
_LOCAL_HOUR_PROFILE = np.array(
    [
        0.22,
        0.13,
        0.08,
        0.06,
        0.06,
        0.10,
        0.25,
        0.55,
        0.95,
        1.30,
        1.45,
        1.40,
        1.15,
        1.30,
        1.45,
        1.40,
        1.25,
        1.00,
        0.75,
        0.60,
        0.55,
        0.50,
        0.42,
        0.32,
    ]
)
_WEEKEND_FACTOR = 0.45
_GROWTH_PER_DAY = 0.006

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


# ── public API ──────────────────────────────────────────────────────────────────────


def generate_demo_lines(rows: int, days: int, seed: int, end_ms: int | None = None) -> Iterator[bytes]:
    """Yield `rows` log lines (each bytes ending in b"\\n"), in ascending-ish ts order.

    Records span [end_ms - days*86400000, end_ms]. Lines are ordered by when each call
    finished (ts + duration_ms) while ts is when it started, so a line's ts may be smaller
    than that of lines before it, by at most MAX_DISORDER_MS. `end_ms` defaults to now,
    rounded down to the whole hour. Output is a pure function of (rows, days, seed, end_ms).
    """
    for batch in _batches(rows, days, seed, end_ms):
        for line in batch:
            yield line.encode()


def write_demo_log(path: str | os.PathLike, rows: int, days: int = 30, seed: int = 1, end_ms: int | None = None) -> int:
    """Write the log to path (creating parent dirs), return rows written.

    Same content as `generate_demo_lines(rows, days, seed, end_ms)`. The file is written
    to a temporary name beside `path` and renamed into place, so a reader never sees a
    half-written log.
    """
    path = os.fspath(path)
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}"
    written = 0
    try:
        with open(tmp, "wb") as f:
            for batch in _batches(rows, days, seed, end_ms):
                f.write("".join(batch).encode())
                written += len(batch)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return written


def default_end_ms(now_ms: int | None = None) -> int:
    """The current time (or `now_ms`) rounded down to the whole hour."""
    if now_ms is None:
        now_ms = time.time_ns() // 1_000_000
    return now_ms // HOUR_MS * HOUR_MS


# ── generation ──────────────────────────────────────────────────────────────────────


def _check_args(rows, days, seed, end_ms) -> tuple[int, int, int, int]:
    rows, days, seed = operator.index(rows), operator.index(days), operator.index(seed)
    if rows < 0:
        raise ValueError(f"rows must be >= 0, got {rows}")
    if days < 1:
        raise ValueError(f"days must be >= 1, got {days}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    end_ms = default_end_ms() if end_ms is None else operator.index(end_ms)
    if end_ms - days * MS_PER_DAY < 0:
        raise ValueError("end_ms - days*86400000 must not be before the epoch")
    return rows, days, seed, end_ms


def _lognormal(rng: np.random.Generator, median, sigma, size) -> np.ndarray:
    return np.asarray(median) * np.exp(sigma * rng.standard_normal(size))


def _hex_strings(rng: np.random.Generator, n: int, nbytes: int) -> np.ndarray:
    """An (n, 2*nbytes) uint8 array of random lowercase hex digits (ASCII codes)."""
    raw = np.frombuffer(rng.bytes(n * nbytes), dtype=np.uint8).reshape(n, nbytes)
    out = np.empty((n, 2 * nbytes), dtype=np.uint8)
    out[:, 0::2] = _HEX[raw >> 4]
    out[:, 1::2] = _HEX[raw & 15]
    return out


def _install_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    ids = _hex_strings(rng, n, 6).view("S12").ravel()
    while len(np.unique(ids)) < n:  # astronomically rare; keeps ids distinct regardless
        _, first = np.unique(ids, return_index=True)
        dup = np.setdiff1d(np.arange(n), first)
        ids[dup] = _hex_strings(rng, len(dup), 6).view("S12").ravel()
    return ids


def _job_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """uuid4-shaped strings (version and variant bits set) drawn from `rng`."""
    raw = np.frombuffer(rng.bytes(n * 16), dtype=np.uint8).reshape(n, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexed = np.empty((n, 32), dtype=np.uint8)
    hexed[:, 0::2] = _HEX[raw >> 4]
    hexed[:, 1::2] = _HEX[raw & 15]
    out = np.full((n, 36), ord("-"), dtype=np.uint8)
    out[:, 0:8] = hexed[:, 0:8]
    out[:, 9:13] = hexed[:, 8:12]
    out[:, 14:18] = hexed[:, 12:16]
    out[:, 19:23] = hexed[:, 16:20]
    out[:, 24:36] = hexed[:, 20:32]
    return out.view("S36").ravel()


def _pick(rng: np.random.Generator, cum_probs: np.ndarray) -> np.ndarray:
    """One categorical draw per row of `cum_probs` (row-wise cumulative probabilities)."""
    u = rng.random(len(cum_probs))
    return (u[:, None] >= cum_probs[:, :-1]).sum(axis=1)


class _Timeline:
    """Traffic density over the window, per time zone, as piecewise-constant hour bins.

    A position u in [0, 1] is a quantile of that zone's traffic; `to_ms` inverts it.
    """

    def __init__(self, start_ms: int, end_ms: int):
        first = (start_ms // HOUR_MS + 1) * HOUR_MS
        edges = np.concatenate(([start_ms], np.arange(first, end_ms, HOUR_MS, dtype=np.int64), [end_ms]))
        self.bin_start = edges[:-1].astype(np.float64)
        self.bin_len = np.diff(edges).astype(np.float64)
        growth = np.exp(_GROWTH_PER_DAY * (self.bin_start - start_ms) / MS_PER_DAY)
        self.cdfs = []
        for off in _TZ_OFFSETS:
            local = edges[:-1] + int(off) * HOUR_MS
            hour = (local // HOUR_MS) % 24
            weekday = (local // MS_PER_DAY + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
            rate = _LOCAL_HOUR_PROFILE[hour] * np.where(weekday >= 5, _WEEKEND_FACTOR, 1.0)
            mass = np.cumsum(rate * growth * self.bin_len)
            self.cdfs.append(np.concatenate(([0.0], mass / mass[-1])))

    def to_ms(self, u: np.ndarray, zone: np.ndarray) -> np.ndarray:
        out = np.empty(len(u), dtype=np.float64)
        last = len(self.bin_len) - 1
        for z, cdf in enumerate(self.cdfs):
            sel = np.flatnonzero(zone == z)
            if not len(sel):
                continue
            uz = u[sel]
            b = np.clip(np.searchsorted(cdf, uz, side="right") - 1, 0, last)
            frac = np.clip((uz - cdf[b]) / (cdf[b + 1] - cdf[b]), 0.0, 1.0)
            out[sel] = self.bin_start[b] + frac * self.bin_len[b]
        return out


class _Installs:
    def __init__(self, rng: np.random.Generator, n: int):
        self.n = n
        self.ids = _install_ids(rng, n)
        # Zipf-like rates, saturating at _WHALE_CAP x the mean so that even on big logs the
        # top install stays a (very busy) team account rather than a single bot.
        base = (rng.permutation(n) + 1.0) ** -_ZIPF_S
        cap = _WHALE_CAP * base.mean()
        self.weight = base / (1.0 + base / cap) * _lognormal(rng, 1.0, 0.3, n)
        # Heaviness percentile: 0 for the biggest user, -> 1 for the lightest.
        pct = np.empty(n)
        pct[np.argsort(-self.weight, kind="stable")] = np.arange(n) / n
        self.heavy = pct < 0.10
        # Initial tier: ~70/25/5 of installs overall, heavy users skewed to pro/max.
        probs = np.where(
            (pct < 0.02)[:, None],
            [0.25, 0.45, 0.30],
            np.where(self.heavy[:, None], [0.50, 0.38, 0.12], [0.73, 0.23, 0.04]),
        )
        self.tier0 = _pick(rng, np.cumsum(probs, axis=1))
        self.zone = rng.choice(len(_TZ_OFFSETS), size=n, p=_TZ_SHARES / _TZ_SHARES.sum())
        # The biggest accounts sit in the core markets (the Americas and Europe).
        core_market = _TZ_SHARES * (_TZ_OFFSETS <= 2)
        core_zone = rng.choice(len(_TZ_OFFSETS), size=n, p=core_market / core_market.sum())
        self.zone = np.where((pct < 0.05) & (_TZ_OFFSETS[self.zone] > 2), core_zone, self.zone)
        self.p_hardware = np.where(rng.random(n) < 0.33, 0.82, 0.05)
        self.audio_scale = _lognormal(rng, 1.0, 0.35, n)
        # Active period in traffic-quantile space [u_join, u_end]. Big users were there all along.
        veteran = (rng.random(n) < 0.75) | (pct < 0.05)
        self.u_join = np.where(veteran, 0.0, rng.random(n) * 0.97)
        churned = (rng.random(n) < 0.10) & (pct >= 0.05)
        self.u_end = np.where(churned, self.u_join + (1.0 - self.u_join) * rng.uniform(0.2, 0.9, n), 1.0)
        self.active = self.u_end - self.u_join
        # ~5% upgrade one tier at a moment inside their active period.
        self.tier1 = self.tier0.copy()
        self.u_upgrade = np.full(n, np.inf)
        eligible = np.flatnonzero(self.tier0 < 2)
        n_up = min(len(eligible), max(1, round(0.05 * n)))
        if n_up:
            p = np.sqrt(self.weight[eligible] * self.active[eligible])
            up = rng.choice(eligible, size=n_up, replace=False, p=p / p.sum())
            self.tier1[up] += 1
            self.u_upgrade[up] = self.u_join[up] + self.active[up] * rng.uniform(0.15, 0.85, n_up)
        # Chance that a job comes from each install: rate x length of its active period.
        p = self.weight * self.active
        self.p_job = p / p.sum()


def _gemini_cost(model, input_tokens, billed_out, audio_input: bool) -> np.ndarray:
    model = np.minimum(model, 3)  # parakeet rows get a placeholder price; callers mask them
    rate_in = (_RATE_AUDIO_IN if audio_input else _RATE_TEXT_IN)[model]
    rate_out = _RATE_OUT[model]
    long = (model == M_3PRO) & (input_tokens > _LONG_CONTEXT)
    rate_in = np.where(long, _PRO_LONG_IN, rate_in)
    rate_out = np.where(long, _PRO_LONG_OUT, rate_out)
    return input_tokens * rate_in / 1e6 + billed_out * rate_out / 1e6


def _gemini_duration(rng, model, input_tokens, generated, extra_ms, sigma) -> np.ndarray:
    gm = np.minimum(model, 3)
    base = _TTFT_MS[gm] + input_tokens / _PREFILL_TPS[gm] * 1000 + generated / _OUT_TPS[gm] * 1000
    return (base + extra_ms) * np.exp(sigma * rng.standard_normal(len(model)))


def _thinking(rng, model, medians) -> np.ndarray:
    gm = np.minimum(model, 3)
    t = np.rint(_lognormal(rng, medians[gm], 0.6, len(model)))
    return np.where(medians[gm] > 0, t, 0).astype(np.int64)


def _pick_model(rng, tier, mix, frac_elapsed) -> np.ndarray:
    model = _pick(rng, np.cumsum(mix, axis=1)[tier])
    migrate = rng.random(len(model)) < _MIGRATION * frac_elapsed
    return np.where((model == M_25FLASH) & migrate, M_3FLASH, model)


def _apply_errors(rng, status, error, duration, gemini, incident, pipeline) -> None:
    """Random (non-timeout) failures for calls still marked success, in place."""
    n = len(status)
    r = rng.random(n)
    if pipeline == "transcribe":
        # (error code, probability on gemini, probability on hardware)
        table = [(E_503, 0.010, 0.0), (E_429, 0.005, 0.0), (E_AUDIO, 0.006, 0.006), (E_HW, 0.0, 0.008)]
    else:
        table = [(E_503, 0.010, 0.0), (E_429, 0.005, 0.0), (E_CONTEXT, 0.002, 0.0), (E_PARSE, 0.004, 0.0)]
    medians = {E_503: 1200.0, E_429: 350.0, E_AUDIO: 1500.0, E_HW: 3000.0, E_CONTEXT: 700.0}
    lo = np.zeros(n)
    for code, p_gem, p_hw in table:
        p = np.where(gemini, p_gem, p_hw)
        if code == E_503:
            p = p + np.where(gemini & incident, 0.30, 0.0)
        hit = (status == S_OK) & (r >= lo) & (r < lo + p)
        lo = lo + p
        status[hit] = S_ERR
        error[hit] = code
        if code in medians:  # a parse error ran to completion: keep its duration and tokens
            duration[hit] = _lognormal(rng, medians[code], 0.6, int(hit.sum()))


def _apply_timeouts(rng, status, error, duration) -> np.ndarray:
    """Calls that would outlast the relay's timeout become "upstream timeout" errors."""
    slow = (status == S_OK) & (duration > RELAY_TIMEOUT_MS - 300)
    status[slow] = S_ERR
    error[slow] = E_TIMEOUT
    duration[slow] = RELAY_TIMEOUT_MS - rng.integers(0, 300, int(slow.sum()))
    return slow


def _refusal_duration(rng, n) -> np.ndarray:
    return np.clip(_lognormal(rng, 18.0, 0.5, n), 2, 400)


def _transcribes(rng, n, inst: _Installs, timeline: _Timeline, start_ms, span, incidents):
    """n candidate jobs: who, when, and how their transcribe call went."""
    who = rng.choice(inst.n, size=n, p=inst.p_job)
    u = inst.u_join[who] + rng.random(n) * inst.active[who]
    t0 = timeline.to_ms(u, inst.zone[who])
    tier = np.where(u >= inst.u_upgrade[who], inst.tier1[who], inst.tier0[who])
    elapsed = (t0 - start_ms) / span
    incident = np.zeros(n, dtype=bool)
    for a, b in incidents:
        incident |= (t0 >= a) & (t0 < b)

    audio_min = np.clip(_lognormal(rng, 9.0, 0.85, n) * inst.audio_scale[who], 0.15, 200.0)
    transcript = np.rint(audio_min * _lognormal(rng, 185.0, 0.22, n)).astype(np.int64) + 5
    upload_ms = audio_min * _lognormal(rng, 200.0, 0.6, n)

    hardware = rng.random(n) < inst.p_hardware[who]
    model = np.where(hardware, M_PARAKEET, _pick_model(rng, tier, _MIX_TRANSCRIBE, elapsed))
    input_tokens = np.rint(audio_min * 60 * 32).astype(np.int64) + 260
    output_tokens = transcript.copy()
    thinking = _thinking(rng, model, _THINK_MEDIAN_TRANSCRIBE)

    duration = _gemini_duration(rng, model, input_tokens, output_tokens + thinking, upload_ms + 80, 0.25)
    rtfx = _lognormal(rng, 140.0, 0.4, n)
    queue = np.where(rng.random(n) < 0.1, rng.exponential(1500.0, n), 0.0)
    hw_duration = 180 + upload_ms + audio_min * 60_000 / rtfx + queue
    duration = np.where(hardware, hw_duration, duration)

    status = np.full(n, S_OK, dtype=np.int64)
    error = np.zeros(n, dtype=np.int64)
    p_refuse = np.array([0.055, 0.012, 0.003])[tier] * np.where(inst.heavy[who] & (tier == 0), 3.0, 1.0)
    refused = rng.random(n) < p_refuse
    status[refused] = S_REF
    duration[refused] = _refusal_duration(rng, int(refused.sum()))
    timed_out = _apply_timeouts(rng, status, error, duration)
    _apply_errors(rng, status, error, duration, ~hardware, incident, "transcribe")

    # Tokens and cost: gemini calls that ran (success, or a timeout that billed partial output).
    partial = timed_out & ~hardware
    output_tokens[partial] = np.rint(output_tokens[partial] * rng.uniform(0.3, 0.9, int(partial.sum())))
    has_tokens = ~hardware & ((status == S_OK) | partial)
    cost = np.where(has_tokens, _gemini_cost(model, input_tokens, output_tokens + thinking, True), 0.0)

    abandoned = rng.random(n) < 0.025
    return {
        "who": who,
        "t0": t0,
        "tier": tier,
        "incident": incident,
        "elapsed": elapsed,
        "audio_min": audio_min,
        "transcript": transcript,
        "hardware": hardware,
        "model": model,
        "status": status,
        "error": error,
        "duration": np.maximum(np.rint(duration), 1).astype(np.int64),
        "input": input_tokens,
        "output": output_tokens,
        "thinking": thinking,
        "has_tokens": has_tokens,
        "cost": cost,
        "paired": (status == S_OK) & ~abandoned,
    }


def _analyzes(rng, jobs: dict):
    n = len(jobs["tier"])
    tier = jobs["tier"]
    model = _pick_model(rng, tier, _MIX_ANALYZE, jobs["elapsed"])
    input_tokens = jobs["transcript"] + np.rint(_lognormal(rng, 1150.0, 0.15, n)).astype(np.int64)
    output_tokens = np.rint(_lognormal(rng, 850.0, 0.45, n) * (jobs["audio_min"] / 9.0) ** 0.25).astype(np.int64) + 20
    thinking = _thinking(rng, model, _THINK_MEDIAN_ANALYZE)
    duration = _gemini_duration(rng, model, input_tokens, output_tokens + thinking, 80, 0.3)

    status = np.full(n, S_OK, dtype=np.int64)
    error = np.zeros(n, dtype=np.int64)
    refused = rng.random(n) < 0.003  # credits ran out between the two calls
    status[refused] = S_REF
    duration[refused] = _refusal_duration(rng, int(refused.sum()))
    timed_out = _apply_timeouts(rng, status, error, duration)
    too_long = (status == S_OK) & (model == M_25LITE) & (input_tokens > 30_000) & (rng.random(n) < 0.3)
    status[too_long] = S_ERR
    error[too_long] = E_CONTEXT
    duration[too_long] = _lognormal(rng, 700.0, 0.6, int(too_long.sum()))
    _apply_errors(rng, status, error, duration, np.ones(n, dtype=bool), jobs["incident"], "analyze")

    output_tokens[timed_out] = np.rint(output_tokens[timed_out] * rng.uniform(0.1, 0.8, int(timed_out.sum())))
    has_tokens = (status == S_OK) | timed_out | (error == E_PARSE)
    cost = np.where(has_tokens, _gemini_cost(model, input_tokens, output_tokens + thinking, False), 0.0)
    gap = np.clip(_lognormal(rng, 1800.0, 0.9, n), 150, 45_000)
    return {
        "model": model,
        "status": status,
        "error": error,
        "duration": np.maximum(np.rint(duration), 1).astype(np.int64),
        "input": input_tokens,
        "output": output_tokens,
        "thinking": thinking,
        "has_tokens": has_tokens,
        "cost": cost,
        "gap": np.rint(gap).astype(np.int64),
    }


def _columns(rows: int, days: int, seed: int, end_ms: int) -> dict:
    """All records as parallel arrays, already in file order."""
    rng = np.random.default_rng(seed)
    span = days * MS_PER_DAY
    start_ms = end_ms - span
    timeline = _Timeline(start_ms, end_ms)
    inst = _Installs(rng, max(5, rows // _ROWS_PER_INSTALL))
    incidents = []
    for _ in range(1 + days // 14):
        a = start_ms + rng.random() * span
        incidents.append((a, a + rng.uniform(40, 180) * 60_000))

    # Draw candidate jobs until they hold enough records, then keep just enough of them.
    chunks, have = [], 0
    while have < rows:
        c = _transcribes(rng, int((rows - have) * 0.56) + 16, inst, timeline, start_ms, span, incidents)
        chunks.append(c)
        have += len(c["tier"]) + int(c["paired"].sum())
    jobs = {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}
    per_job = np.cumsum(1 + jobs["paired"])
    keep = int(np.searchsorted(per_job, rows)) + 1
    jobs = {k: v[:keep] for k, v in jobs.items()}
    if per_job[keep - 1] > rows:  # one record too many: the last job loses its analyze
        jobs["paired"][-1] = False

    job_ids = _job_ids(rng, keep)
    pair_idx = np.flatnonzero(jobs["paired"])
    an = _analyzes(rng, {k: jobs[k][pair_idx] for k in ("tier", "elapsed", "audio_min", "transcript", "incident")})

    # Start times; shift a job back if its last call would start after end_ms.
    t0 = np.floor(jobs["t0"]).astype(np.int64)
    ta = t0[pair_idx] + jobs["duration"][pair_idx] + an["gap"]
    last = t0.copy()
    last[pair_idx] = ta
    shift = np.maximum(last - end_ms, 0)
    t0 -= shift
    ta -= shift[pair_idx]

    n_t, n_a = keep, len(pair_idx)
    cols = {
        "ts": np.concatenate([t0, ta]),
        "install": np.concatenate([jobs["who"], jobs["who"][pair_idx]]),
        "tier": np.concatenate([jobs["tier"], jobs["tier"][pair_idx]]),
        "pipeline": np.concatenate([np.zeros(n_t, np.int64), np.ones(n_a, np.int64)]),
        "backend": np.concatenate([jobs["hardware"].astype(np.int64), np.zeros(n_a, np.int64)]),
        "job": np.concatenate([np.arange(n_t), pair_idx]),
    }
    for k in ("model", "status", "error", "duration", "input", "output", "thinking", "has_tokens", "cost"):
        cols[k] = np.concatenate([jobs[k], an[k]])
    cols["duration"] = np.clip(cols["duration"], 1, RELAY_TIMEOUT_MS)
    cols["credit"] = ((cols["pipeline"] == 1) & (cols["status"] == S_OK)).astype(np.int64)
    assert len(cols["ts"]) == rows

    order = np.argsort(cols["ts"] + cols["duration"], kind="stable")
    for k in list(cols):  # one column at a time, to keep peak memory down
        cols[k] = cols[k][order]
    cols["install_ids"] = inst.ids
    cols["job_ids"] = job_ids
    return cols


def _batches(rows, days, seed, end_ms) -> Iterator[list[str]]:
    """The log as lists of str lines (each ending in "\\n"), in file order."""
    rows, days, seed, end_ms = _check_args(rows, days, seed, end_ms)
    if rows == 0:
        return
    c = _columns(rows, days, seed, end_ms)

    # Everything from "tier" to "credit_charged" depends only on 5 small codes.
    mids: np.ndarray = np.empty((3, 2, 2, 5, 3), dtype=object)
    for t, p, b, m, s in np.ndindex(mids.shape):
        credit = int(p == 1 and s == S_OK)
        mids[t, p, b, m, s] = (
            f'"tier":"{TIERS[t]}","pipeline":"{PIPELINES[p]}","backend":"{BACKENDS[b]}",'
            f'"model":"{MODELS[m]}","status":"{STATUSES[s]}","credit_charged":{credit}'
        )
    mid_code = np.ravel_multi_index((c["tier"], c["pipeline"], c["backend"], c["model"], c["status"]), mids.shape)
    mids = mids.ravel()
    tails = np.array([""] + [f',"error":"{e}"' for e in ERRORS[1:]], dtype=object)

    for lo in range(0, rows, _BATCH):
        sl = slice(lo, min(lo + _BATCH, rows))
        # orjson formats floats like JSON.stringify (0.00002 rather than 2e-05).
        costs = orjson.dumps(c["cost"][sl].tolist()).decode()[1:-1].split(",")
        lines: list[str] = []
        append = lines.append
        for ts, iid, mid, dur, tok, i, o, th, cost, jid, tail in zip(
            c["ts"][sl].tolist(),
            c["install_ids"][c["install"][sl]].astype("U12").tolist(),
            mids[mid_code[sl]].tolist(),
            c["duration"][sl].tolist(),
            c["has_tokens"][sl].tolist(),
            c["input"][sl].tolist(),
            c["output"][sl].tolist(),
            c["thinking"][sl].tolist(),
            costs,
            c["job_ids"][c["job"][sl]].astype("U36").tolist(),
            tails[c["error"][sl]].tolist(),
        ):
            if tok:
                append(
                    f'{{"ts":{ts},"install_id":"{iid}",{mid},"duration_ms":{dur},"input_tokens":{i},'
                    f'"output_tokens":{o},"thinking_tokens":{th},"cost_usd":{cost},"job_id":"{jid}"{tail}}}\n'
                )
            else:
                append(
                    f'{{"ts":{ts},"install_id":"{iid}",{mid},"duration_ms":{dur},'
                    f'"cost_usd":0,"job_id":"{jid}"{tail}}}\n'
                )
        yield lines
