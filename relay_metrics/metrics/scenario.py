"""A scenario: the levers a founder tries (tier prices, monthly caps, model swaps).

One frozen dataclass, read from a TOML file (the CLI) or from URL parameters (the app), and
written back to URL parameters, so every page that wants a scenario reads the same state:

    [prices]                 # monthly price per tier
    pro = 14.99
    [caps]                   # credits per install per calendar month (UTC)
    core = 20
    [[swap]]                 # tier and pipeline optional: absent means all
    tier = "core"
    pipeline = "analyze"
    from = "gemini-3-flash-preview"
    to = "gemini-2.5-flash-lite"

URL parameters: `price=TIER:USD` and `cap=TIER:N` (repeated; split at the last colon, so a
tier may hold one; the tier is written as a JSON string's inside, so anything that isn't
printable ASCII is a JSON escape and a lone surrogate survives the URL),
`swap=["tier","pipeline","from","to"]` (a JSON array, null for "all").
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from relay_metrics.metrics.pricing import read_toml

_TOP_KEYS = ("prices", "caps", "swap")
_SWAP_KEYS = ("tier", "pipeline", "from", "to")
URL_KEYS = ("price", "cap", "swap")


class ScenarioError(ValueError):
    """The scenario can't be used; the message names the key (and line, from a file)."""


@dataclass(frozen=True)
class Swap:
    """Calls of `from_model` (on `tier` and `pipeline`; None: all) re-costed as `to_model`."""

    from_model: str
    to_model: str
    tier: str | None = None
    pipeline: str | None = None

    def label(self) -> str:
        where = " / ".join(x for x in (self.tier, self.pipeline) if x) or "all tiers and pipelines"
        return f"{self.from_model} -> {self.to_model} ({where})"


@dataclass(frozen=True)
class Scenario:
    prices: dict[str, float] = field(default_factory=dict)  # tier -> monthly price
    caps: dict[str, int] = field(default_factory=dict)  # tier -> credits per install per month
    swaps: tuple[Swap, ...] = ()

    def is_empty(self) -> bool:
        return not (self.prices or self.caps or self.swaps)

    def to_query(self) -> dict[str, list[str]]:
        """URL parameters for st.query_params (a key with no values is left out)."""
        query = {
            "price": [f"{_escape(tier)}:{_number_text(price)}" for tier, price in self.prices.items()],
            "cap": [f"{_escape(tier)}:{cap}" for tier, cap in self.caps.items()],
            "swap": [json.dumps([s.tier, s.pipeline, s.from_model, s.to_model]) for s in self.swaps],
        }
        return {key: values for key, values in query.items() if values}


def from_query(get_all) -> Scenario:
    """The scenario in URL parameters; `get_all(key)` lists a key's values (st.query_params.get_all).

    Raises ScenarioError naming the parameter that can't be read."""
    prices: dict[str, float] = {}
    caps: dict[str, int] = {}
    swaps: list[Swap] = []
    for text in get_all("price"):
        tier, price = _pair(text, "price")
        prices[tier] = _price(price, f"price {tier}")
    for text in get_all("cap"):
        tier, cap = _pair(text, "cap")
        caps[tier] = _cap(cap, f"cap {tier}")
    for text in get_all("swap"):
        try:
            values = json.loads(text)
        except ValueError:
            values = None
        if not (isinstance(values, list) and len(values) == 4 and all(v is None or isinstance(v, str) for v in values)):
            raise ScenarioError(f"swap {text!r}: expected a JSON array [tier, pipeline, from, to]")
        tier, pipeline, source, target = values
        if not source or not target:
            raise ScenarioError(f"swap {text!r}: from and to are required")
        swaps.append(Swap(source, target, tier or None, pipeline or None))
    return Scenario(prices, caps, tuple(swaps))


def parse_scenario(text: str, name: str = "scenario.toml") -> Scenario:
    """A scenario file; raises ScenarioError naming the file, key and line."""
    data, fail = read_toml(text, name, ScenarioError)

    for key in data:
        if key not in _TOP_KEYS:
            raise fail(f"unknown key {key!r} (expected [prices], [caps] or [[swap]])", None, key)
    prices: dict[str, float] = {}
    caps: dict[str, int] = {}
    swaps: list[Swap] = []
    readers: tuple[tuple[str, dict[str, Any], Callable[[object, str], float]], ...] = (
        ("prices", prices, _price),
        ("caps", caps, _cap),
    )
    for table, into, read in readers:
        values = data.get(table, {})
        if not isinstance(values, dict):
            raise fail(f"{table} must be a table like [{table}]", None, table)
        for tier, value in values.items():
            if isinstance(value, dict):
                raise fail(f"{table}.{tier} must be a number", None, f"{table}.{tier}")
            try:
                into[tier] = read(value, f"{table}.{tier}")
            except ScenarioError as exc:
                raise fail(str(exc), table, tier) from None
    entries = data.get("swap", [])
    if not isinstance(entries, list):
        raise fail("swap must be [[swap]] tables", None, "swap")
    for number, entry in enumerate(entries, start=1):
        where = f"swap #{number}"
        for key in entry:
            if key not in _SWAP_KEYS:
                raise fail(f"unknown key {key!r} in {where} (expected {', '.join(_SWAP_KEYS)})", "swap", key)
        for key in _SWAP_KEYS:
            value = entry.get(key)
            if key in ("from", "to") and value is None:
                raise fail(f"{where} needs {key!r}", None, "swap")
            if value is not None and (not isinstance(value, str) or not value):
                raise fail(f"{where}.{key} must be a non-empty string, not {value!r}", "swap", key)
        swaps.append(Swap(entry["from"], entry["to"], entry.get("tier"), entry.get("pipeline")))
    return Scenario(prices, caps, tuple(swaps))


def check_scenario(
    scenario: Scenario, tiers: set[str], pipelines: set[str], log_models: set[str], priced_models: set[str]
) -> None:
    """A scenario names only what exists: tiers of the log or pricing.toml, the log's pipelines,
    models the log used; a swap target the log never used needs its rates in pricing.toml."""
    for table, values in (("prices", scenario.prices), ("caps", scenario.caps)):
        for tier in values:
            if tier not in tiers:
                raise ScenarioError(f"{table}.{tier}: unknown tier {tier!r} (known: {_listing(tiers)})")
    for number, swap in enumerate(scenario.swaps, start=1):
        where = f"swap #{number}"
        if swap.tier is not None and swap.tier not in tiers:
            raise ScenarioError(f"{where}.tier: unknown tier {swap.tier!r} (known: {_listing(tiers)})")
        if swap.pipeline is not None and swap.pipeline not in pipelines:
            raise ScenarioError(f"{where}.pipeline: unknown pipeline {swap.pipeline!r} (known: {_listing(pipelines)})")
        if swap.from_model not in log_models:
            raise ScenarioError(
                f"{where}.from: unknown model {swap.from_model!r}: the log has no calls of it "
                f"(known: {_listing(log_models)})"
            )
        if swap.to_model not in log_models | priced_models:
            raise ScenarioError(
                f"{where}.to: unknown model {swap.to_model!r}: the log never used it, so its rates are "
                f'unknown; give them in pricing.toml as [models."{swap.to_model}"]'
            )


def _pair(text: str, key: str) -> tuple[str, str]:
    tier, colon, value = text.rpartition(":")
    if not colon or not tier:
        raise ScenarioError(f"{key} {text!r}: expected TIER:VALUE")
    try:
        return json.loads(f'"{tier}"'), value
    except ValueError:
        raise ScenarioError(f"{key} {text!r}: the tier isn't a valid escaped string") from None


def _escape(tier: str) -> str:
    return json.dumps(tier, ensure_ascii=True)[1:-1]


def _price(value: object, key: str) -> float:
    number = _to_number(value)
    if number is None or number < 0:
        raise ScenarioError(f"{key} must be a monthly price >= 0, not {value!r}")
    return number


def _cap(value: object, key: str) -> int:
    number = _to_number(value)
    if number is None or number < 0 or not float(number).is_integer():
        raise ScenarioError(f"{key} must be a whole number of credits >= 0, not {value!r}")
    return int(number)


def _to_number(value: object) -> float | None:
    if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d*)?|-?\.\d+", value.strip()):
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _listing(names: set[str]) -> str:
    return ", ".join(sorted(names)) or "none"
