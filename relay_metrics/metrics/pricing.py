"""pricing.toml: what each tier pays. The log knows costs; revenue comes from here.

currency = "USD"
[tiers.pro]
price_per_month = 12.0
subscribers = 140          # optional: paying subscribers from billing
credits_per_month = 100    # optional, checked and documented for billing; no figure uses it yet
[models."gemini-3-flash-preview"]   # optional: a model's rates, USD per 1M tokens
input_per_mtok = 0.50      # (else the Plan page learns them from the log)
output_per_mtok = 3.00
thinking_per_mtok = 3.00   # optional: the output rate
[billing]                  # optional: real revenue from a billing export (see billing.py)
file = "billing.csv"       # relative to this file
[billing.columns]          # optional: the file's own column names, e.g. install_id = "app_user_id"
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from importlib.resources import files
from pathlib import Path
from typing import TypeVar

PRICING_ENV = "RELAY_METRICS_PRICING"
# The example prices ship inside the package, so an installed copy finds them too.
DEFAULT_PRICING = Path(str(files("relay_metrics") / "pricing.toml"))

_TOP_KEYS = {"currency", "tiers", "models", "billing"}
_TIER_KEYS = {"price_per_month", "subscribers", "credits_per_month"}
_MODEL_KEYS = {"input_per_mtok", "output_per_mtok", "thinking_per_mtok"}


# The fields of a billing export row; [billing.columns] maps them to the file's own names.
BILLING_FIELDS = ("install_id", "tier", "amount", "interval", "start", "end", "trial", "refunded", "trial_end")


class PricingError(ValueError):
    """The pricing file can't be used; the message names the file, key and line."""


@dataclass(frozen=True)
class TierPrice:
    price_per_month: float
    subscribers: int | None = None


@dataclass(frozen=True)
class ModelRates:
    """What a model bills, in USD per 1M tokens of each kind."""

    input_per_mtok: float
    output_per_mtok: float
    thinking_per_mtok: float


@dataclass(frozen=True)
class BillingSettings:
    """[billing]: the export's path (resolved against the pricing file's folder) and column names."""

    file: Path | None = None
    columns: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Pricing:
    currency: str = "USD"
    tiers: dict[str, TierPrice] = field(default_factory=dict)
    source: str = ""
    models: dict[str, ModelRates] = field(default_factory=dict)
    billing: BillingSettings = field(default_factory=BillingSettings)

    def price(self, tier: str) -> float:
        known = self.tiers.get(tier)
        return known.price_per_month if known else 0.0

    def with_prices(self, prices: dict[str, float]) -> Pricing:
        """A what-if copy: these tiers at these monthly prices, everything else as configured."""
        tiers = dict(self.tiers)
        for tier, price in prices.items():
            tiers[tier] = replace(tiers.get(tier, TierPrice(0.0)), price_per_month=float(price))
        return replace(self, tiers=tiers)


def pricing_path(option: str | None = None) -> Path:
    """--pricing, else $RELAY_METRICS_PRICING, else the example prices shipped in the package."""
    return Path(option or os.environ.get(PRICING_ENV) or DEFAULT_PRICING)


def load_pricing(path: str | os.PathLike) -> Pricing:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PricingError(f"{path}: pricing file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PricingError(f"{path}: cannot read pricing file ({exc})") from None
    return parse_pricing(text, str(path))


E = TypeVar("E", bound=ValueError)


def read_toml(text: str, name: str, error: type[E]) -> tuple[dict, Callable[[str, str | None, str], E]]:
    """A TOML file's tables, and `fail(message, table, key)`: an `error` naming the file and the
    line that sets `key`. Invalid TOML raises `error` at once."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{name}: not valid TOML: {exc}") from None

    def fail(message: str, table: str | None, key: str) -> E:
        line = _line_of(text, table, key)
        return error(f"{name}, line {line}: {message}" if line else f"{name}: {message}")

    return data, fail


def parse_pricing(text: str, name: str = "pricing.toml") -> Pricing:
    data, fail = read_toml(text, name, PricingError)

    for key in data:
        if key not in _TOP_KEYS:
            raise fail(f'unknown key {key!r} (expected currency, [tiers.NAME] or [models."NAME"] tables)', None, key)
    currency = data.get("currency", "USD")
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
        raise fail(f'currency must be a three-letter code like "USD", not {currency!r}', None, "currency")
    tiers_table = data.get("tiers", {})
    if not isinstance(tiers_table, dict):
        raise fail("tiers must be tables like [tiers.pro]", None, "tiers")
    tiers = {}
    for tier, values in tiers_table.items():
        table = f"tiers.{tier}"
        if not isinstance(values, dict):
            raise fail(f"{table} must be a table with price_per_month", None, tier)
        for key in values:
            if key not in _TIER_KEYS:
                raise fail(f"unknown key {key!r} in [{table}] (expected {', '.join(sorted(_TIER_KEYS))})", table, key)
        if "price_per_month" not in values:
            raise fail(f"[{table}] needs price_per_month", None, tier)
        price = _number(values["price_per_month"])
        if price is None or price < 0:
            raise fail(
                f"{table}.price_per_month must be a number >= 0, not {values['price_per_month']!r}",
                table,
                "price_per_month",
            )
        subscribers = values.get("subscribers")
        if subscribers is not None and (
            isinstance(subscribers, bool) or not isinstance(subscribers, int) or subscribers < 0
        ):
            raise fail(f"{table}.subscribers must be a whole number >= 0, not {subscribers!r}", table, "subscribers")
        credits = values.get("credits_per_month")
        if credits is not None and ((number := _number(credits)) is None or number < 0):
            raise fail(f"{table}.credits_per_month must be a number >= 0, not {credits!r}", table, "credits_per_month")
        tiers[tier] = TierPrice(price, subscribers)  # credits_per_month: checked above, not used
    return Pricing(
        currency,
        tiers,
        name,
        _parse_models(data.get("models", {}), fail),
        _billing(data.get("billing", {}), name, fail),
    )


def _parse_models(table: object, fail) -> dict[str, ModelRates]:
    """[models."NAME"] tables: input_per_mtok and output_per_mtok; thinking defaults to output."""
    if not isinstance(table, dict):
        raise fail('models must be tables like [models."gemini-3-flash-preview"]', None, "models")
    models = {}
    for model, values in table.items():
        header = f"models.{model}"
        if not isinstance(values, dict):
            raise fail(f"[{header}] must be a table with input_per_mtok and output_per_mtok", None, header)
        for key in values:
            if key not in _MODEL_KEYS:
                raise fail(
                    f"unknown key {key!r} in [{header}] (expected {', '.join(sorted(_MODEL_KEYS))})", header, key
                )
        rates = {}
        for key in sorted(_MODEL_KEYS):
            if key not in values:
                if key == "thinking_per_mtok":
                    continue
                raise fail(f"[{header}] needs {key}", None, header)
            rate = _number(values[key])
            if rate is None or rate < 0:
                raise fail(f"{header}.{key} must be a number >= 0, not {values[key]!r}", header, key)
            rates[key] = rate
        rates.setdefault("thinking_per_mtok", rates["output_per_mtok"])
        models[model] = ModelRates(**rates)
    return models


def _billing(table, name: str, fail) -> BillingSettings:
    if not isinstance(table, dict):
        raise fail('billing must be a table: [billing] with file = "..."', None, "billing")
    for key in table:
        if key not in ("file", "columns"):
            raise fail(f"unknown key {key!r} in [billing] (expected file, columns)", "billing", key)
    file = table.get("file")
    if file is not None and (not isinstance(file, str) or not file.strip()):
        raise fail(f"billing.file must be a file name, not {file!r}", "billing", "file")
    columns = table.get("columns", {})
    if not isinstance(columns, dict):
        raise fail("billing.columns must be a table: [billing.columns]", "billing", "columns")
    for key, value in columns.items():
        if key not in BILLING_FIELDS:
            raise fail(
                f"unknown key {key!r} in [billing.columns] (expected {', '.join(BILLING_FIELDS)})",
                "billing.columns",
                key,
            )
        if not isinstance(value, str) or not value:
            raise fail(f"billing.columns.{key} must be the file's column name, not {value!r}", "billing.columns", key)
    path = None if file is None else Path(name).parent / Path(file).expanduser()
    return BillingSettings(path, dict(columns))


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _line_of(text: str, table: str | None, key: str) -> int | None:
    """The line that sets `key` (inside [table] when given), for error messages."""
    in_table = table is None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            header = stripped.strip("[] ").replace('"', "")
            if table is None and header in (key, f"tiers.{key}"):
                return number
            in_table = table is None or header == table
            continue
        if in_table and re.match(rf'["\']?{re.escape(key)}["\']?\s*=', stripped):
            return number
    return None
