"""One log line as the reference's JSON.parse sees it: the loader's exact path.

orjson does most lines; what it refuses but JSON.parse accepts (lone surrogates, numbers
beyond a double, nesting past 1,024 levels) goes to json, and past json's recursion to an
explicit-stack walk of the tokens.
"""

from __future__ import annotations

import json
import math
import re

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
        # orjson refuses what JSON.parse takes: lone surrogates, numbers beyond a double, and
        # nesting deeper than 1,024 levels, which json's recursion can't reach either.
        try:
            value = _json_parse(text)
        except ValueError:
            return rpt.INVALID_JSON
    if not isinstance(value, dict):
        return rpt.NOT_OBJECT
    return value


_DEEP_TOKEN = re.compile(
    r"""[ \t\n\r]*(?:
        ([{}\[\],:])
      | ("[^"\\\x00-\x1f]*+(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*+)*+")
      | (-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|true|false|null)
    )""",
    re.VERBOSE,
)
_DEEP_END = re.compile(r"[ \t\n\r]*\Z")
_OPENER_OF = {"}": "{", "]": "["}


def _json_parse(text: str):
    """JSON.parse(text), or ValueError where it throws."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError:  # json recurses; JSON.parse takes any depth
        return _parse_deep(text)


def _parse_deep(text: str):
    """JSON.parse of a line nested too deep for json, with every container below the top level
    given as [] (the loader reads only top-level scalars), or ValueError where it throws.
    Walks the tokens with an explicit stack."""
    stack: list[str] = []  # the open containers, "{" or "["
    top = members = key = None  # the value; its members when it is an object; the member name
    expect = "value"  # what must come next: "value", "key", ":", "," (or a close), "end"
    just_opened = False  # a close may also come right after its open: {} and []
    position = 0
    while expect != "end":
        match = _DEEP_TOKEN.match(text, position)
        if match is None:
            raise ValueError(f"not JSON at {position}")
        position = match.end()
        punct, string, scalar = match.groups()
        if punct in _OPENER_OF and stack and stack[-1] == _OPENER_OF[punct] and (expect == "," or just_opened):
            stack.pop()
            expect = "," if stack else "end"
        elif punct == "," and expect == ",":
            expect = "key" if stack[-1] == "{" else "value"
        elif punct == ":" and expect == ":":
            expect = "value"
        elif string is not None and expect == "key":
            if len(stack) == 1:
                key = json.loads(string)
            expect = ":"
        elif punct in ("{", "[") and expect == "value":
            if not stack:
                members = {} if punct == "{" else None
                top = [] if members is None else members
            elif len(stack) == 1 and members is not None:
                members[key] = []
            stack.append(punct)
            expect = "key" if punct == "{" else "value"
        elif (string or scalar) is not None and expect == "value":
            value = json.loads(string or scalar)
            if not stack:
                top = value
            elif len(stack) == 1 and members is not None:
                members[key] = value  # the last of a repeated name wins, as in JSON.parse
            expect = "," if stack else "end"
        else:
            raise ValueError(f"not JSON at {match.start()}")
        just_opened = punct in ("{", "[")
    if not _DEEP_END.match(text, position):
        raise ValueError(f"not JSON at {position}")
    return top


def as_number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf
    return number
