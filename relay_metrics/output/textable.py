"""Plain-text tables for a terminal. Log strings are untrusted: control and invisible
characters are shown escaped, so a hostile install id can't move the cursor or recolour
the terminal."""

from __future__ import annotations


def render_tables(result: dict) -> str:
    out: list[str] = []
    for title, value in result.items():
        if isinstance(value, list):
            out.append(_section(title, _table(value) if value else ["(none)"]))
        elif isinstance(value, dict):
            out.append(_section(title, _pairs(value)))
        else:
            out.append(f"{title}: {_cell(value)}\n")
    return "\n".join(out)


def _section(title: str, lines: list[str]) -> str:
    return "\n".join([title, "-" * len(title), *lines, ""])


def _pairs(values: dict) -> list[str]:
    width = max((len(k) for k in values), default=0)
    return [f"{key:<{width}}  {_cell(value)}" for key, value in values.items()]


def _table(rows: list[dict]) -> list[str]:
    headers = list(rows[0])
    cells = [[_cell(row.get(h)) for h in headers] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    numeric = [all(isinstance(row.get(h), (int, float)) or row.get(h) is None for row in rows) for h in headers]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if n else v.ljust(w) for v, w, n in zip(values, widths, numeric)).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in cells)]


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.6g}" if abs(value) < 1 else f"{value:,.4f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, (list, dict)):
        return str(len(value)) + (" items" if isinstance(value, list) else " keys")
    return shortened(printable(str(value)))


MAX_CELL_CHARS = 80  # a 100,000-character tier must not pad every row of its column


def shortened(text: str, limit: int = MAX_CELL_CHARS) -> str:
    """The text, cut to `limit` characters with an ellipsis when longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def printable(text: str) -> str:
    """The text with every non-printable character written as its Python escape."""
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape", "backslashreplace").decode("ascii") for c in text
    )
