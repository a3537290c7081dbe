"""Reading the log: sources, JSON lines, the loader, windows, live refresh and its report.

Lone surrogates (JSON's "\\ud800" with no partner, valid to JSON.parse) are decided here once:
kept as-is, in object strings and object categories, so figures group exactly as the
reference's do. Only pandas/numpy object storage can hold them (Arrow and pandas' str need
UTF-8), which is why the loader falls back from Arrow for such blocks and why frames are
joined by frames.union_categories. They are escaped only where text leaves: output/.
"""
