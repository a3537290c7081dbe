"""One log line as the reference's JSON.parse sees it: the loader's exact path.

orjson does most lines; what it refuses but JSON.parse accepts (lone surrogates, numbers
beyond a double) goes to json. We differ from JSON.parse in one place, on purpose: a line
nested deeper than json's recursion (about 1,000 levels) is rejected as "nested too deep"
(rpt.TOO_DEEP); the relay writes flat records, so only a damaged or foreign line is that deep.

Lone surrogates decode as JSON.parse decodes them and are kept as-is (see ingest/__init__).
"""

from __future__ import annotations

import json
import math

import orjson

from relay_metrics.ingest import report as rpt

# What JavaScript's String.prototype.trim() strips: a line of only these is blank.
_JS_WHITESPACE = " \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def parse_line(raw: bytes):
    """A line as JSON.parse would see it: the decoded object, None when blank, or a reason."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return rpt.NOT_UTF8
    if not text.strip(_JS_WHITESPACE):
        return None
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        # orjson refuses what JSON.parse takes: lone surrogates and numbers beyond a double
        # (and nesting deeper than 1,024 levels, which json can't reach either).
        try:
            value = _json_parse(text)
        except TooDeep:
            return rpt.TOO_DEEP
        except ValueError:
            return rpt.INVALID_JSON
    if not isinstance(value, dict):
        return rpt.NOT_OBJECT
    return value


class TooDeep(ValueError):
    """Nesting deeper than json's recursion reaches (about 1,000 levels)."""


def _json_parse(text: str):
    """JSON.parse(text), or ValueError where it throws; TooDeep where json can't recurse that far.

    JSON.parse takes any depth, but the relay writes flat records: a line nested past ~1,000
    levels is rejected as "nested too deep" rather than walked by a parser of our own.
    """
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise TooDeep("nested too deep") from None


def as_number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf
    return number
