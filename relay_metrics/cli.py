"""`python -m relay_metrics ...`: the dashboard's figures as JSON or tables, for scripts.

A thin shell over the same functions the app calls. Exit codes: 0 done, 1 the log (or a
config file) can't be read, 2 the command line is wrong.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

from relay_metrics.ingest.sources import DEFAULT_LOG, LOG_ENV, LogSourceError
from relay_metrics.metrics import figures
from relay_metrics.metrics.filters import Filters, apply_filters
from relay_metrics.metrics.pricing import PRICING_ENV, PricingError, load_pricing, pricing_path
from relay_metrics.metrics.timewindow import BadTime, Window, resolve_window
from relay_metrics.output.textable import printable, render_tables


class CommandError(Exception):
    """Something outside the command line went wrong (exit 1); the message is for the user."""


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args, parser)
    except (LogSourceError, CommandError) as exc:
        print(f"relay-metrics: error: {exc}", file=sys.stderr)
        return 1
    except BadTime as exc:
        parser.error(str(exc))  # exits 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `... | head` closed the pipe: not an error of ours, and no traceback either.
        sys.stderr.close()
        return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m relay_metrics", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    summary = commands.add_parser("summary", help="the reference's figures for a window of the log")
    _add_log_arguments(summary)
    summary.set_defaults(run=run_summary)

    margins = commands.add_parser("margins", help="revenue, cost and margin by tier and install")
    _add_log_arguments(margins)
    margins.add_argument(
        "--pricing",
        metavar="FILE",
        help=f"pricing file (default: ${PRICING_ENV}, else the package's example pricing.toml)",
    )
    margins.set_defaults(run=run_margins)

    demo = commands.add_parser("demo", help="write a realistic, deterministic demo log")
    demo.add_argument(
        "--rows", type=_bounded_int(1, MAX_DEMO_ROWS), default=100_000, help="records to write (default 100000)"
    )
    demo.add_argument("--days", type=_bounded_int(1, MAX_DEMO_DAYS), default=30, help="days the log spans (default 30)")
    demo.add_argument("--seed", type=_bounded_int(0, 2**32 - 1), default=1, help="random seed (default 1)")
    demo.add_argument(
        "--end-ms", type=_bounded_int(0, int(MAX_ABS_TS_MS)), default=None, help="newest ts (default: this hour)"
    )
    demo.add_argument("--out", required=True, help="file to write; refuses to replace one unless --force")
    demo.add_argument("--force", action="store_true", help="replace --out if it exists")
    demo.set_defaults(run=run_demo)
    return parser


def _add_log_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "logs",
        nargs="*",
        metavar="LOG",
        help=f"log file(s) or directories (default: ${LOG_ENV}, else {DEFAULT_LOG})",
    )
    parser.add_argument("--since", metavar="WHEN", help="start, inclusive: ms epoch or ISO date/datetime (UTC)")
    bounds = parser.add_mutually_exclusive_group()
    bounds.add_argument("--until", metavar="WHEN", help="end, inclusive; a bare date means through that day")
    bounds.add_argument("--all", action="store_true", help="the whole log (default: the last 30 days)")
    parser.add_argument(
        "--full-read",
        action="store_true",
        help="read every line even for a window (by default only the part that can hold it is read, "
        "trusting the log to be out of ts order by at most 15 minutes)",
    )
    parser.add_argument("--tier", action="append", metavar="T", help="only these tiers (repeatable)")
    parser.add_argument("--format", choices=("table", "json"), default="table", help="output (default table)")


# JavaScript's Date range, as ingest.schema has it (not imported: it loads pyarrow).
MAX_ABS_TS_MS = 8_640_000_000_000_000
# Bounds of the demo's options: past them the work (or the file) is beyond any use.
MAX_DEMO_ROWS = 100_000_000
MAX_DEMO_DAYS = 3_650


def _bounded_int(low: int, high: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low:,}: {text!r}")
        if value > high:
            raise argparse.ArgumentTypeError(f"must be at most {high:,}: {text!r}")
        return value

    return parse


def log_source(args: argparse.Namespace) -> list[str]:
    return args.logs or [os.environ.get(LOG_ENV) or DEFAULT_LOG]


def window_of(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Window:
    if args.all and args.since is not None:
        parser.error("--all reads the whole log: leave out --since")
    window = resolve_window(args.since, args.until, args.all)
    for option, value in (("--since", window.since_ms), ("--until", window.until_ms)):
        if value is not None and not abs(value) <= MAX_ABS_TS_MS:
            parser.error(f"{option} is outside JavaScript's date range (at most {MAX_ABS_TS_MS:,} ms from 1970)")
    return window


def read_log(args: argparse.Namespace, window: Window):
    from relay_metrics.ingest.loader import (
        load_log,  # pandas and pyarrow load only for commands that read a log
    )

    bound = {"disorder_bound_ms": math.inf} if args.full_read else {}
    progress = _progress_line() if sys.stderr.isatty() else None  # a person waiting, not a script
    try:
        loaded = load_log(log_source(args), window.since_ms, window.until_ms, progress=progress, **bound)
    finally:
        if progress:
            sys.stderr.write("\r\033[K")  # leave the terminal as it was
    for warning in loaded.report.warnings:  # also in the JSON; said here for a person reading tables
        print(f"relay-metrics: warning: {printable(warning)}", file=sys.stderr)
    return loaded


def _progress_line():
    shown = [-1]

    def show(done: float) -> None:
        percent = int(done * 100)
        if percent != shown[0]:
            shown[0] = percent
            sys.stderr.write(f"\rreading the log... {percent}%")
            sys.stderr.flush()

    return show


def run_summary(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    window = window_of(args, parser)
    loaded = read_log(args, window)
    frame = apply_filters(loaded.frame, Filters(tier=tuple(args.tier) if args.tier else None))
    result = figures.aggregate(frame)
    result["data_quality"] = loaded.report.to_dict()
    result.update(window.to_dict())
    emit(result, args.format)
    return 0


def run_margins(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from relay_metrics.metrics.profit import margins, window_days

    try:
        pricing = load_pricing(pricing_path(args.pricing))
    except PricingError as exc:
        raise CommandError(str(exc)) from None
    window = window_of(args, parser)
    loaded = read_log(args, window)
    frame = loaded.frame
    if window.since_ms is None:  # --all: the range is what the log holds
        ts = frame["ts"]
        days = window_days(ts.min(), ts.max()) if len(frame) else 0.0
    else:
        until_ms = window.until_ms if window.until_ms is not None else time.time() * 1000
        days = window_days(window.since_ms, until_ms)
    result = margins(frame, pricing, days, tuple(args.tier) if args.tier else None)
    for tier in result.unpriced_tiers:
        print(
            f"relay-metrics: warning: tier {printable(tier)!r} is not in {pricing.source}; priced at 0", file=sys.stderr
        )
    emit(result.to_dict(), args.format)
    return 0


def run_demo(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from relay_metrics.demo import write_demo_log

    out = Path(args.out)
    if out.exists() and not args.force:
        raise CommandError(f"{out} exists; pass --force to replace it")
    try:
        rows = write_demo_log(out, args.rows, args.days, args.seed, args.end_ms)
    except OSError as exc:
        raise CommandError(f"cannot write {out}: {exc.strerror or exc}") from None
    print(f"wrote {rows} records to {out}", file=sys.stderr)
    return 0


def emit(result: dict, fmt: str) -> None:
    if fmt == "json":
        # ensure_ascii: log strings may hold lone surrogates or bidi controls; escaped, every
        # byte of the output is plain ASCII and valid JSON.
        sys.stdout.write(json.dumps(result, ensure_ascii=True, allow_nan=False) + "\n")
    else:
        sys.stdout.write(render_tables(result))
    sys.stdout.flush()
