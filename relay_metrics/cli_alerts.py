"""`check` and `report`: the alert rules over the log, notifications, and the weekly digest.

Exit codes as the other commands (0 done, 1 unreadable log or config, 2 bad command line or
rules file), plus 3 for `check` when a rule fires. Notifications never change the exit status:
their failures are reported on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from relay_metrics.cli import CommandError, pricing_of, read_log
from relay_metrics.metrics.alerts import (
    ALERTS_ENV,
    RulesError,
    evaluate,
    load_rules,
    log_facts,
    lookback_ms,
    rules_path,
)
from relay_metrics.metrics.pricing import PRICING_ENV
from relay_metrics.metrics.revenue import PERIOD_MS
from relay_metrics.metrics.timewindow import Window, parse_when
from relay_metrics.metrics.zones import MS_PER_DAY
from relay_metrics.output.textable import printable

FIRES = 3


def add_commands(commands) -> None:
    check = commands.add_parser("check", help="evaluate the alert rules; exit 3 when one fires")
    check.add_argument("logs", nargs="*", metavar="LOG", help="log file(s) or directories (as for summary)")
    _add_rule_arguments(check)
    check.add_argument("--at", metavar="WHEN", help="evaluate as of this moment (default: now)")
    check.add_argument("--state", metavar="FILE", help="JSON file remembering what was sent (created if missing)")
    check.add_argument("--format", choices=("text", "json"), default="text", help="output (default text)")
    check.set_defaults(run=run_check, full_read=False)

    report = commands.add_parser("report", help="a weekly or monthly digest as Markdown or HTML")
    report.add_argument("logs", nargs="*", metavar="LOG", help="log file(s) or directories (as for summary)")
    report.add_argument("--period", choices=("week", "month"), required=True, help="the 7 or 30 days before --until")
    report.add_argument("--until", metavar="WHEN", help="end of the period (default: now); a bare date: through it")
    report.add_argument("--format", choices=("markdown", "html"), default="html", help="digest format (default html)")
    report.add_argument("--out", required=True, metavar="FILE", help="file to write the digest to")
    _add_rule_arguments(report)
    report.set_defaults(run=run_report, full_read=False, at=None)


def _add_rule_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rules", metavar="FILE", help=f"alert rules (default: ${ALERTS_ENV}, else the package's example alerts.toml)"
    )
    parser.add_argument("--pricing", metavar="FILE", help=f"pricing file (default: ${PRICING_ENV}, else the example)")
    parser.add_argument(
        "--notify", action="append", metavar="URL", default=[], help="apprise URL to send to (repeatable)"
    )


def _setup(args: argparse.Namespace):
    """Rules, prices, the moment; a bad rules file or URL is a command-line error (exit 2)."""
    from relay_metrics.output.notify import NotifyUrlError, check_urls

    try:
        rules = load_rules(rules_path(args.rules))
    except RulesError as exc:
        raise _Usage(str(exc)) from None
    try:
        check_urls(args.notify)
    except NotifyUrlError as exc:
        raise _Usage(str(exc)) from None
    pricing = pricing_of(args)
    now_ms = float(parse_when(args.at)) if args.at else time.time() * 1000
    return rules, pricing, now_ms


class _Usage(Exception):
    """Exit 2 with this message."""


def run_check(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    return _usage_is_exit_2(_check, args)


def _check(args: argparse.Namespace) -> int:
    from relay_metrics.output.alert_state import AlertState, StateError, load_state, plan, save_state

    rules, pricing, now_ms = _setup(args)
    try:
        state = load_state(args.state) if args.state else AlertState()
    except StateError as exc:
        raise CommandError(str(exc)) from None
    read_from = now_ms - lookback_ms(rules)
    loaded = read_log(args, Window(read_from, now_ms))
    facts = log_facts(loaded.frame)
    firings = evaluate(rules, facts, pricing, now_ms, state.models, read_from)
    for model, first in facts.first_seen.items():
        state.models[model] = min(first, state.models.get(model, first))
    due, cleared = plan(state, [f.key for f in firings], now_ms)
    by_key = {f.key: f for f in firings}
    for key in due:
        firing = by_key[key]
        if _sent(args.notify, f"relay-metrics: {firing.rule}", firing.message):
            state.sent[key] = now_ms
    for key in cleared:
        rule, subject = key
        message = f"Cleared: rule {rule!r} no longer fires for {subject!r}."
        if _sent(args.notify, f"relay-metrics: {rule} cleared", message):
            del state.sent[key]
    if args.state:
        try:
            save_state(args.state, state)
        except OSError as exc:
            print(f"relay-metrics: warning: cannot write state file {args.state}: {exc}", file=sys.stderr)
    _print_check(firings, cleared, due, now_ms, args.format)
    return FIRES if firings else 0


def _sent(urls: list[str], title: str, body: str, markdown: bool = False) -> bool:
    """True when every URL took the message (or there is none to send to)."""
    from relay_metrics.output.notify import send

    result = send(urls, title, body, markdown=markdown)
    for problem in result.problems:
        print(f"relay-metrics: warning: notification not sent: {printable(problem)}", file=sys.stderr)
    return result.ok


def _print_check(firings, cleared, due, now_ms: float, fmt: str) -> None:
    if fmt == "json":
        out = {
            "as_of_ms": int(now_ms),
            "firings": [{**f.to_dict(), "new_today": f.key in due} for f in firings],
            "cleared": [{"rule": r, "subject": s} for r, s in cleared],
        }
        sys.stdout.write(json.dumps(out, ensure_ascii=True, allow_nan=False) + "\n")
    else:
        for f in firings:
            sys.stdout.write(printable(f"FIRING  {f.rule}: {f.message}") + "\n")
        for rule, subject in cleared:
            sys.stdout.write(printable(f"CLEARED {rule}: {subject}") + "\n")
        if not firings:
            sys.stdout.write("No rule fires.\n")
    sys.stdout.flush()


def run_report(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    return _usage_is_exit_2(_report, args)


def _usage_is_exit_2(command: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    try:
        return command(args)
    except _Usage as exc:
        print(f"relay-metrics: error: {exc}", file=sys.stderr)
        return 2


def _report(args: argparse.Namespace) -> int:
    from relay_metrics.output.digest import build_digest, render_html, render_markdown

    rules, pricing, now_ms = _setup(args)
    if args.until:
        now_ms = float(parse_when(args.until, end_of_day=True))
    period_days = 7 if args.period == "week" else 30
    # Two periods (this one and the one before), the rules' reach back from each day, and a
    # billing month before the earlier period for revenue coverage.
    need = 2 * period_days * MS_PER_DAY + max(lookback_ms(rules), PERIOD_MS)
    loaded = read_log(args, Window(now_ms - need, now_ms))
    digest = build_digest(loaded.frame, rules, pricing, now_ms, period_days)
    out = Path(args.out)
    text = render_html(digest) if args.format == "html" else render_markdown(digest)
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot write {out}: {exc.strerror or exc}") from None
    print(f"wrote the {args.period}ly digest to {out}", file=sys.stderr)
    if args.notify:
        _sent(args.notify, f"relay-metrics {args.period}ly digest", render_markdown(digest), markdown=True)
    return 0
