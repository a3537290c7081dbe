"""The weekly or monthly digest: headline figures against the period before, margin by tier,
the costliest installs against what they pay, the alerts that fired, and two charts.

HTML embeds the charts as PNG images (Altair specs rendered by vl-convert, offline); Markdown
leaves them out (it goes to chat services). Log text (tiers, install ids, rule subjects) is
escaped in both: it is never markup.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from datetime import UTC, datetime

import altair as alt
import pandas as pd

from relay_metrics.metrics.alerts import Firing, Rule, evaluate, log_facts, moments_with_data, window_margins
from relay_metrics.metrics.pricing import Pricing
from relay_metrics.metrics.zones import MS_PER_DAY
from relay_metrics.output import charts, fmt
from relay_metrics.output.change import change, percent_points
from relay_metrics.output.export import display_safe, visible

TOP_INSTALLS = 10
HEADLINES = (
    ("calls", "Calls"),
    ("cost_usd", "Cost"),
    ("revenue_usd", "Revenue"),
    ("margin_usd", "Margin"),
    ("margin_pct", "Margin %"),
)


@dataclass(frozen=True)
class Digest:
    period_days: int
    since_ms: float
    until_ms: float
    current: dict
    previous: dict
    by_tier: pd.DataFrame
    top_installs: pd.DataFrame
    fired: pd.DataFrame  # rule, subject, days_fired, last_fired, message
    daily: pd.DataFrame  # day, cost_usd, revenue_usd, margin_usd


def build_digest(frame: pd.DataFrame, rules: list[Rule], pricing: Pricing, now_ms: float, period_days: int) -> Digest:
    facts = log_facts(frame)
    since = now_ms - period_days * MS_PER_DAY
    before = since - period_days * MS_PER_DAY
    current = window_margins(facts, pricing, since, now_ms)
    installs = current.by_install.sort_values(["cost_usd", "install_id"], ascending=[False, True], kind="stable")
    top = installs.head(TOP_INSTALLS).reset_index(drop=True)
    top = top.assign(cost_pct_of_paid=[c / r * 100 if r else None for c, r in zip(top["cost_usd"], top["revenue_usd"])])
    days = [since + k * MS_PER_DAY for k in range(period_days)]
    daily = []
    for start in days:
        day = window_margins(facts, pricing, start, start + MS_PER_DAY - 1).by_tier
        revenue, cost = float(day["revenue_usd"].sum()), _cost(facts, start, start + MS_PER_DAY - 1)
        daily.append({"day": pd.Timestamp(start, unit="ms"), "cost_usd": cost, "revenue_usd": revenue})
    daily_frame = pd.DataFrame(daily, columns=["day", "cost_usd", "revenue_usd"])
    daily_frame["margin_usd"] = daily_frame["revenue_usd"] - daily_frame["cost_usd"]
    return Digest(
        period_days,
        since,
        now_ms,
        _headline(facts, pricing, since, now_ms),
        _headline(facts, pricing, before, since - 1),
        current.by_tier,
        top,
        fired_over(rules, facts, pricing, [d + MS_PER_DAY for d in days]),
        daily_frame,
    )


def fired_over(rules: list[Rule], facts, pricing: Pricing, moments: list[float]) -> pd.DataFrame:
    """Each (rule, subject) that fired at one of `moments`: on how many, the last, its message."""
    seen: dict[tuple[str, str], list] = {}
    for moment in moments_with_data(facts, moments):
        firing: Firing
        for firing in evaluate(rules, facts, pricing, moment):
            entry = seen.setdefault(firing.key, [0, moment, firing.message])
            entry[0] += 1
            entry[1], entry[2] = moment, firing.message
    return pd.DataFrame(
        {
            "rule": pd.Series([k[0] for k in seen], dtype=object),
            "subject": pd.Series([k[1] for k in seen], dtype=object),
            "times_fired": [v[0] for v in seen.values()],
            "last_fired": [_when(v[1]) for v in seen.values()],
            "message": pd.Series([v[2] for v in seen.values()], dtype=object),
        }
    )


def _cost(facts, since: float, until: float) -> float:
    rows = (facts.ts >= since) & (facts.ts <= until)
    return float(facts.cost[rows].sum())


def _headline(facts, pricing: Pricing, since: float, until: float) -> dict:
    tiers = window_margins(facts, pricing, since, until).by_tier
    revenue = float(tiers["revenue_usd"].sum())
    cost = _cost(facts, since, until)  # unattributed calls cost too
    calls = int(((facts.ts >= since) & (facts.ts <= until)).sum())
    margin = revenue - cost
    return {
        "calls": calls,
        "cost_usd": cost,
        "revenue_usd": revenue,
        "margin_usd": margin,
        "margin_pct": margin / revenue * 100 if revenue else None,
    }


# --------------------------------------------------------------------------- charts


def daily_margin_chart(daily: pd.DataFrame) -> alt.LayerChart:
    """The app's margin-over-time chart (Profitability), per day: the digest shows what the app draws."""
    return charts.margin_over_time_chart(daily.rename(columns={"day": "period"}), "Day")


def chart_png(chart: alt.LayerChart) -> bytes:
    """The chart as a PNG, at a page's width (in the app the container sets it)."""
    import vl_convert

    return vl_convert.vegalite_to_png(chart.properties(width=640, height=280).to_dict(), scale=1.5)


# --------------------------------------------------------------------------- rendering


def render_markdown(digest: Digest) -> str:
    lines = [f"# relay-metrics digest: {_period(digest)}", "", "## Headline figures", ""]
    lines += _md_table(["", "This period", "Period before", "Change"], _headline_rows(digest))
    lines += ["", "## Margin by tier", ""]
    lines += _md_table(["Tier", "Installs", "Revenue", "Cost", "Margin", "Margin %"], _tier_rows(digest))
    lines += ["", f"## The {TOP_INSTALLS} costliest installs", ""]
    lines += _md_table(["Install", "Tier", "Cost", "Paid", "Cost % of paid"], _install_rows(digest))
    lines += ["", "## Alerts that fired", ""]
    if digest.fired.empty:
        lines.append("No rule fired in this period.")
    for row in digest.fired.itertuples(index=False):
        lines.append(
            f"- {_md(row.rule)}: {_md(row.message)} (fired on {row.times_fired} of {digest.period_days} days, "
            f"last {row.last_fired})"
        )
    return "\n".join(lines) + "\n"


def render_html(digest: Digest) -> str:
    e = _h
    daily_png = base64.b64encode(chart_png(daily_margin_chart(digest.daily))).decode()
    tiers = digest.by_tier.assign(margin_pct=digest.by_tier["margin_pct"].astype(float))
    tier_png = base64.b64encode(chart_png(charts.margin_chart(display_safe(tiers)))).decode()
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>relay-metrics digest: {e(_period(digest))}</title>",
        "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;color:#222}"
        "table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .6rem}"
        "td.n{text-align:right}img{max-width:100%}</style></head><body>",
        f"<h1>relay-metrics digest: {e(_period(digest))}</h1>",
        "<h2>Headline figures</h2>",
        _html_table(["", "This period", "Period before", "Change"], _headline_rows(digest)),
        "<h2>Daily cost and margin</h2>",
        f"<img id='daily-chart' alt='Cost, revenue and margin per day' src='data:image/png;base64,{daily_png}'>",
        "<h2>Margin by tier</h2>",
        f"<img id='tier-chart' alt='Margin by tier' src='data:image/png;base64,{tier_png}'>",
        _html_table(["Tier", "Installs", "Revenue", "Cost", "Margin", "Margin %"], _tier_rows(digest)),
        f"<h2>The {TOP_INSTALLS} costliest installs</h2>",
        _html_table(["Install", "Tier", "Cost", "Paid", "Cost % of paid"], _install_rows(digest)),
        "<h2>Alerts that fired</h2>",
    ]
    if digest.fired.empty:
        parts.append("<p>No rule fired in this period.</p>")
    else:
        rows = [[r.rule, r.subject, str(r.times_fired), r.last_fired, r.message] for r in digest.fired.itertuples()]
        parts.append(_html_table(["Rule", "Subject", "Days it fired", "Last fired", "What happened"], rows))
    parts.append(
        "<p><small>Revenue follows the activity rule (a call pays for its install for up to a month); "
        "days are UTC.</small></p></body></html>"
    )
    return "\n".join(parts) + "\n"


def _period(digest: Digest) -> str:
    return f"{_when(digest.since_ms)} to {_when(digest.until_ms)} ({digest.period_days} days)"


def _headline_rows(digest: Digest) -> list[list[str]]:
    rows = []
    for key, label in HEADLINES:
        now, before = digest.current[key], digest.previous[key]
        shown = fmt.percent if key == "margin_pct" else (fmt.count if key == "calls" else fmt.money)
        moved = change(now, before, percent_points if key == "margin_pct" else shown)
        rows.append([label, shown(now), shown(before), moved.text or fmt.DASH])
    return rows


def _tier_rows(digest: Digest) -> list[list[str]]:
    ordered = digest.by_tier.sort_values("margin_usd", kind="stable")
    return [
        [
            r.tier,
            fmt.count(r.installs),
            fmt.money(r.revenue_usd),
            fmt.money(r.cost_usd),
            fmt.money(r.margin_usd),
            fmt.percent(r.margin_pct),
        ]
        for r in ordered.itertuples(index=False)
    ]


def _install_rows(digest: Digest) -> list[list[str]]:
    return [
        [r.install_id, r.tier, fmt.money(r.cost_usd), fmt.money(r.revenue_usd), fmt.percent(r.cost_pct_of_paid)]
        for r in digest.top_installs.itertuples(index=False)
    ]


def _md_table(headers: list[str], rows: list[list[str]]) -> list[str]:
    if not rows:
        return ["(none)"]
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    return out + ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]


def _html_table(headers: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return "<p>(none)</p>"
    head = "".join(f"<th>{_h(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_h(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _h(text) -> str:
    return html.escape(visible(str(text)))


def _md(text) -> str:
    # Log text in Markdown: every punctuation mark that could start markup is escaped, line
    # breaks and control characters are shown escaped.
    text = visible(str(text))
    text = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
    return "".join("\\" + ch if ch in "\\`*_{}[]<>#!|~" else ch for ch in text)


def _when(ms: float) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")
