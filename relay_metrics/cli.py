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
from pathlib import Path

from relay_metrics.ingest.sources import DEFAULT_LOG, LOG_ENV, LogSourceError
from relay_metrics.metrics import figures
from relay_metrics.metrics.filters import Filters, apply_filters
from relay_metrics.metrics.pricing import PRICING_ENV, Pricing, PricingError, load_pricing, pricing_path
from relay_metrics.metrics.timewindow import BadTime, Window, resolve_window
from relay_metrics.output.textable import printable, render_tables

UNPRICED_NAMED = 10  # unpriced tiers named on stderr; the rest are counted


class CommandError(Exception):
    """Something outside the command line went wrong (exit 1); the message is for the user."""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv[0] if argv else None)
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
    finally:
        _wait_for_cache()


def run() -> None:
    """The command line's entry point: main(), then out at once. Tearing down a process that
    holds a million rows (pandas' objects, half a million job id strings) takes 0.2-0.3 s
    after the output is out; the operating system frees it all anyway."""
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):  # a closed pipe (or stderr closed by main): nothing left to say
        pass
    os._exit(code)


def _wait_for_cache() -> None:
    """The parsed copy read_log is writing in the background, in place before main returns
    (the output is already out). Only when the cache was used: importing it loads pandas."""
    cache = sys.modules.get("relay_metrics.ingest.cache")
    if cache is not None:
        cache.wait_for_saves()


# The commands defined in this module; the alert commands (check, report) live in cli_alerts.
OWN_COMMANDS = frozenset({"summary", "margins", "simulate", "growth", "demo"})


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser; given the command named first on it, only what that needs:
    one of OWN_COMMANDS leaves out the alert commands, whose modules take ~30-50 ms to
    import (compiled anew on every run where bytecode isn't cached)."""
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

    simulate = commands.add_parser("simulate", help="margins under a scenario (prices, caps, model swaps)")
    _add_log_arguments(simulate)
    simulate.add_argument("--scenario", metavar="FILE", required=True, help="scenario file (TOML: see README, Plan)")
    simulate.add_argument("--pricing", metavar="FILE", help=f"pricing file (default: ${PRICING_ENV}, else the example)")
    simulate.set_defaults(run=run_simulate)

    growth = commands.add_parser("growth", help="MRR per day, its movements per month, cohorts with their cost")
    _add_log_arguments(growth)
    growth.add_argument(
        "--pricing",
        metavar="FILE",
        help=f"pricing file (default: ${PRICING_ENV}, else the package's example pricing.toml)",
    )
    growth.add_argument(
        "--billing",
        metavar="FILE",
        help="billing export (CSV) whose revenue replaces the activity estimate (default: [billing] file in the pricing file)",
    )
    growth.set_defaults(run=run_growth)

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

    if command not in OWN_COMMANDS:
        from relay_metrics.cli_alerts import add_commands  # check, report

        add_commands(commands)
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
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="parse the whole log, neither reading nor writing the parsed copy a whole-log read (--all) "
        "keeps in the cache directory (see README, Speed)",
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


def pricing_of(args: argparse.Namespace) -> Pricing:
    """--pricing (or its default) read and checked; a bad file is exit 1 naming key and line."""
    try:
        return load_pricing(pricing_path(args.pricing))
    except PricingError as exc:
        raise CommandError(str(exc)) from None


def read_log(args: argparse.Namespace, window: Window):
    from relay_metrics.ingest.loader import (
        load_log,  # pandas and pyarrow load only for commands that read a log
    )

    bound = {"disorder_bound_ms": math.inf} if args.full_read else {}
    progress = _progress_line() if sys.stderr.isatty() else None  # a person waiting, not a script
    whole = window.since_ms is None and window.until_ms is None
    try:
        if whole and not args.no_cache:
            from relay_metrics.ingest.cache import load_cached

            # Parses only what the copy lacks; the copy is written while the figures are computed.
            loaded = load_cached(log_source(args), progress=progress, background=True)
        else:
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
    from relay_metrics.metrics.profit import margins, span_of
    from relay_metrics.metrics.revenue import PERIOD_MS

    pricing = pricing_of(args)
    window = window_of(args, parser)
    # Revenue needs the calls up to a month before --since (they pay into the range) and the
    # log's newest record (nothing is counted past it): read from there to the log's end.
    reach = Window(None if window.since_ms is None else window.since_ms - PERIOD_MS, None)
    loaded = read_log(args, reach)
    span = span_of(loaded.frame, window.since_ms, window.until_ms, _first_ts(args))
    result = margins(loaded.frame, pricing, span, tuple(args.tier) if args.tier else None)
    unpriced = result.unpriced_tiers
    for tier in unpriced[:UNPRICED_NAMED]:  # any client can send a tier: name a few, count the rest
        print(
            f"relay-metrics: warning: tier {printable(tier)!r} is not in {pricing.source}; priced at 0", file=sys.stderr
        )
    if len(unpriced) > UNPRICED_NAMED:
        print(
            f"relay-metrics: warning: and {len(unpriced) - UNPRICED_NAMED:,} more tiers are not in {pricing.source}",
            file=sys.stderr,
        )
    emit(result.to_dict(), args.format)
    return 0


def run_simulate(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from relay_metrics.metrics import plan
    from relay_metrics.metrics.revenue import effective_until
    from relay_metrics.metrics.scenario import ScenarioError, parse_scenario
    from relay_metrics.metrics.timewindow import Window

    try:
        scenario = parse_scenario(Path(args.scenario).read_text(encoding="utf-8"), args.scenario)
    except (OSError, UnicodeDecodeError) as exc:
        parser.error(f"cannot read --scenario {args.scenario}: {getattr(exc, 'strerror', None) or exc}")
    except ScenarioError as exc:
        parser.error(str(exc))
    pricing = pricing_of(args)
    window = window_of(args, parser)
    # Read back for coverage (and a cap's month), and on to the log's end: until' needs its newest record.
    loaded = read_log(args, Window(plan.context_since(window.since_ms), None))
    frame = loaded.frame
    if frame.empty:
        raise CommandError("the log has no records in this window")
    ts = frame["ts"]
    until = effective_until(window.until_ms, float(ts.max()))
    span = plan.Range(window.since_ms, until, float(ts.min()))
    try:
        result = plan.plan_for(frame[ts <= until], pricing, scenario, span)
    except ScenarioError as exc:
        parser.error(str(exc))
    output = result.for_tiers(tuple(args.tier) if args.tier else None).to_dict()
    output.update(window.to_dict())
    if args.format == "table":  # nested lists don't fit a table: flatten them into their own
        for row in output["rates"]:
            row["flags"] = "; ".join(row["flags"])
        output["swaps_by_tier"] = [
            {"swap": number, **row} for number, swap in enumerate(output["swaps"], 1) for row in swap.pop("by_tier")
        ]
    emit(output, args.format)
    return 0


def run_growth(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from relay_metrics.metrics.billing import BillingError, load_billing
    from relay_metrics.metrics.growth import billing_report, growth_of

    pricing = pricing_of(args)
    window = window_of(args, parser)
    billing_file = args.billing or pricing.billing.file
    billing = None
    if billing_file:
        try:
            billing = load_billing(billing_file, pricing.billing.columns)
        except BillingError as exc:
            raise CommandError(str(exc)) from None
    # History from the log's first record: it decides cohorts and new vs reactivated.
    loaded = read_log(args, Window(None, window.until_ms))
    tiers = tuple(args.tier) if args.tier else None
    result = growth_of(loaded.frame, pricing, billing, window.since_ms, window.until_ms, tiers)
    out = result.to_dict()
    if billing is not None:
        out["billing"] = billing_report(billing, loaded.frame, window.since_ms, window.until_ms)
    out["data_quality"] = loaded.report.to_dict()
    emit(out if args.format == "json" else _growth_tables(out), args.format)
    return 0


def _growth_tables(result: dict) -> dict:
    """The growth JSON as flat tables: per-tier MRR as columns, each cohort month as a row."""
    tables = {key: result[key] for key in ("revenue_source", "since_ms", "until_ms")}
    tables["mrr"] = [
        {
            **{k: v for k, v in row.items() if k != "by_tier"},
            **{f"{tier} (usd)": v for tier, v in row["by_tier"].items()},
        }
        for row in result["mrr"]
    ]
    tables["movements"] = result["movements"]
    tables["monthly"] = result["monthly"]
    tables["cohorts"] = [{k: v for k, v in row.items() if k != "months"} for row in result["cohorts"]]
    tables["retention"] = [{"cohort": row["cohort"], **month} for row in result["cohorts"] for month in row["months"]]
    if "billing" in result:
        tables["billing"] = {k: v for k, v in result["billing"].items() if not isinstance(v, list)}
    return tables


def _first_ts(args: argparse.Namespace) -> float | None:
    """The ts of the log's first record, read from the head of its oldest file: a windowed
    read skips it, and a subscribers count in pricing.toml is paid from there on."""
    from relay_metrics.ingest.pushdown import first_record
    from relay_metrics.ingest.sources import resolve_files

    files = resolve_files(log_source(args))
    found = first_record(files[0]) if files else None
    return None if found is None else found[1]


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
