"""What figures become: Altair charts, spreadsheet-safe CSV and text tables.

The output edge for lone surrogates kept by ingest/: `export.visible` writes them as
backslash escapes (\\udc80) for display, charts and CSV; the CLI's JSON escapes them with
ensure_ascii; text tables with `textable.printable`. Nothing before this edge changes them.
"""
