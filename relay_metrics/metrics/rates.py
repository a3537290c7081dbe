"""Model rates (USD per 1M tokens), learnt from the log's own costs.

`cost_usd` is token counts x per-1M-token rates, so for each model the rates are the
non-negative least-squares fit of cost = a x input + b x output + c x thinking over its calls
that carry a cost and tokens. A kind of token the model never used can't be fitted: it gets the
output rate (how Gemini bills thinking) and a flag. R^2 and the largest relative residual show
when a model isn't priced linearly (a higher rate above a context size, audio vs text input).
pricing.toml's [models."NAME"] tables override the fit; the fit's figures then say how well
those rates explain the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from relay_metrics.ingest.schema import TOKEN_FIELDS
from relay_metrics.metrics.figures import UNKNOWN
from relay_metrics.metrics.pricing import ModelRates, Pricing

KINDS = ("input", "output", "thinking")
LEARNT, CONFIGURED = "learnt from the log", "pricing.toml"
RATE_COLUMNS = [
    "model",
    "input_per_mtok",
    "output_per_mtok",
    "thinking_per_mtok",
    "calls",
    "r2",
    "max_rel_residual",
    "source",
    "flags",
]


@dataclass(frozen=True)
class RateTable:
    """Rates per model: `table` has RATE_COLUMNS, one row per model named by the log or pricing.toml."""

    table: pd.DataFrame

    def rates(self, model: str) -> ModelRates | None:
        rows = self.table[self.table["model"] == model]
        if rows.empty:
            return None
        row = rows.iloc[0]
        return ModelRates(float(row.input_per_mtok), float(row.output_per_mtok), float(row.thinking_per_mtok))

    def models(self) -> list[str]:
        return list(self.table["model"])

    def to_records(self) -> list[dict]:
        return [
            {
                "model": row.model,
                "input_per_mtok": float(row.input_per_mtok),
                "output_per_mtok": float(row.output_per_mtok),
                "thinking_per_mtok": float(row.thinking_per_mtok),
                "calls": int(row.calls),
                "r2": None if pd.isna(row.r2) else float(row.r2),
                "max_rel_residual": None if pd.isna(row.max_rel_residual) else float(row.max_rel_residual),
                "source": row.source,
                "flags": list(row.flags),
            }
            for row in self.table.itertuples()
        ]


def learn_rates(frame: pd.DataFrame, pricing: Pricing | None = None) -> RateTable:
    """Rates for every model of `frame` (calls of any status) and every model pricing.toml prices."""
    tokens = np.column_stack([frame[name].to_numpy(dtype=float) for name in TOKEN_FIELDS])
    has_tokens = ~np.isnan(tokens).all(axis=1)
    tokens = np.nan_to_num(tokens) / 1e6  # per 1M tokens: the coefficients are the rates
    cost = frame["cost_usd"].to_numpy(dtype=float)
    usable = has_tokens & np.isfinite(cost) & (tokens.sum(axis=1) > 0)
    models = frame["model"].astype(object).to_numpy()
    configured = pricing.models if pricing else {}
    rows = []
    names = sorted({m for m in models[usable] if isinstance(m, str) and m and m != UNKNOWN} | set(configured))
    codes = pd.Series(models, dtype=object)
    for model in names:
        mask = usable & (codes == model).to_numpy()
        x, y = tokens[mask], cost[mask]
        flags = []
        if model in configured:
            given = configured[model]
            coef = np.array([given.input_per_mtok, given.output_per_mtok, given.thinking_per_mtok])
            source = CONFIGURED
        else:
            coef = nnls(x, y)
            source = LEARNT
            used = x.any(axis=0)
            for i, kind in enumerate(KINDS):
                if not used[i] and kind != "output":
                    coef[i] = coef[1]
                    flags.append(f"no {kind} tokens: output rate used")
            if not used[1]:
                flags.append("no output tokens: output rate unknown (0)")
        r2, worst = fit_quality(x, y, coef)
        if len(y) == 0:
            flags.append("no calls with tokens and a cost in the log")
        rows.append([model, *coef, int(mask.sum()), r2, worst, source, tuple(flags)])
    # Object columns: pandas' inferred str type can't hold a lone surrogate (a model name may).
    columns = list(zip(*rows)) if rows else [()] * len(RATE_COLUMNS)
    table = pd.DataFrame(
        {
            name: pd.Series(list(values), dtype=object if name in ("model", "source", "flags") else float)
            for name, values in zip(RATE_COLUMNS, columns)
        }
    )
    table["calls"] = table["calls"].astype(int)
    return RateTable(table)


def nnls(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """argmin ||x b - y|| over b >= 0, for a few columns: the optimum is the unconstrained
    least-squares fit on some subset of the columns (its positive set), so try each subset and
    keep the best one whose fit is non-negative. Exact, and numpy only."""
    k = x.shape[1]
    best, best_loss = np.zeros(k), float(np.sum(y**2))
    for size in range(1, k + 1):
        for subset in combinations(range(k), size):
            cols = list(subset)
            if not x[:, cols].any():
                continue
            fit, *_ = np.linalg.lstsq(x[:, cols], y, rcond=None)
            if (fit < 0).any():
                continue
            coef = np.zeros(k)
            coef[cols] = fit
            loss = float(np.sum((x @ coef - y) ** 2))
            if loss < best_loss - 1e-18:
                best, best_loss = coef, loss
    return best


def fit_quality(x: np.ndarray, y: np.ndarray, coef: np.ndarray) -> tuple[float | None, float | None]:
    """R^2 of the fit and its largest |predicted - cost| / cost over calls with a cost."""
    if len(y) == 0:
        return None, None
    predicted = x @ coef
    total = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(np.sum((y - predicted) ** 2)) / total if total > 0 else None
    paid = y > 0
    worst = float(np.max(np.abs(predicted[paid] - y[paid]) / y[paid])) if paid.any() else None
    return r2, worst


def cost_of(frame: pd.DataFrame, rates: ModelRates) -> np.ndarray:
    """What each call of `frame` would cost at `rates`, with its own token counts (missing: 0)."""
    per_kind = (rates.input_per_mtok, rates.output_per_mtok, rates.thinking_per_mtok)
    total = np.zeros(len(frame))
    for name, rate in zip(TOKEN_FIELDS, per_kind):
        total += np.nan_to_num(frame[name].to_numpy(dtype=float)) * rate / 1e6
    return total
