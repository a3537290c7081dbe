"""Start the dashboard: `python -m relay_metrics.app.serve [streamlit options] [-- app options]`.

The same as `streamlit run streamlit_app.py`, except that the server does at its start what
the first visitor's first view would otherwise wait for: the imports, reading the log (from
the parsed copy an earlier run left, see ingest.cache), and the log-wide figures the Overview
needs (coverage for margins, facts for alerts). It happens once per server start whoever
comes, so no visitor, logged in or not, causes it; a visitor who comes early waits for the
part still running, never for a second read.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

ENTRY_POINT = Path(__file__).resolve().parents[2] / "streamlit_app.py"


def main(argv: list[str] | None = None) -> None:
    given = sys.argv[1:] if argv is None else argv
    split = given.index("--") if "--" in given else len(given)
    streamlit_options, app_options = given[:split], given[split + 1 :]
    # What Streamlit gives the app's script as its arguments, set before the warm-up reads them.
    sys.argv = [str(ENTRY_POINT), *app_options]
    threading.Thread(target=warm_up, name="relay-metrics-warm-up", daemon=True).start()
    from streamlit.web import cli

    cli.main(["run", str(ENTRY_POINT), *streamlit_options, "--", *app_options], prog_name="streamlit")


def warm_up() -> None:
    """Read the log and compute the Overview's log-wide figures into the caches the pages use."""
    started = time.perf_counter()
    try:
        from relay_metrics.app import alerts_panel, prices, sidebar, source
        from relay_metrics.metrics.zones import window_ms
        from relay_metrics.output import charts  # noqa: F401 (Altair: the slowest import of a first view)

        zone = "UTC"  # the sidebar's default
        dates = sidebar.default_range(zone)
        choice = source.configured_log()
        got = source.warm(choice, *sidebar.needed_window(dates, zone))
        log_key = source.log_key(choice, got)
        prices.log_coverage(log_key, got.loaded.frame)
        alerts_panel.log_facts_of(log_key, window_ms(*dates, zone)[1], got.loaded.frame)
    except Exception as exc:  # the first view reads the log itself and says what is wrong
        print(f"relay-metrics: warm-up stopped: {exc!r}", file=sys.stderr)
        return
    print(f"relay-metrics: warmed up in {time.perf_counter() - started:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
