"""The Plan page's chart: each tier's margin, actual beside scenario."""

from __future__ import annotations

import altair as alt
import pandas as pd

from relay_metrics.output.export import display_safe

ACTUAL_COLOR = "#4c78a8"
SCENARIO_COLOR = "#f58518"


def margin_before_after(by_tier: pd.DataFrame) -> alt.LayerChart | alt.FacetChart:
    """Grouped bars: per tier, the actual margin and the scenario's, with a zero rule."""
    long = pd.concat(
        [
            pd.DataFrame(
                {
                    "tier": by_tier["tier"],
                    "figures": label,
                    "margin_usd": by_tier[f"{side}_margin_usd"],
                    "revenue_usd": by_tier[f"{side}_revenue_usd"],
                    "cost_usd": by_tier[f"{side}_cost_usd"],
                }
            )
            for side, label in (("actual", "Actual (measured)"), ("scenario", "Scenario"))
        ],
        ignore_index=True,
    )
    bars = (
        alt.Chart(display_safe(long), title="Margin by tier")
        .mark_bar()
        .encode(
            x=alt.X("tier:N", title="Tier"),
            xOffset=alt.XOffset("figures:N", sort=["Actual (measured)", "Scenario"]),
            y=alt.Y("margin_usd:Q", title="Margin (USD)"),
            color=alt.Color(
                "figures:N",
                title=None,
                scale=alt.Scale(domain=["Actual (measured)", "Scenario"], range=[ACTUAL_COLOR, SCENARIO_COLOR]),
                legend=alt.Legend(orient="top", direction="vertical", labelLimit=0),
            ),
            tooltip=[
                alt.Tooltip("tier:N", title="Tier"),
                alt.Tooltip("figures:N", title="Figures"),
                alt.Tooltip("revenue_usd:Q", title="Revenue", format="$,.2f"),
                alt.Tooltip("cost_usd:Q", title="Cost", format="$,.2f"),
                alt.Tooltip("margin_usd:Q", title="Margin", format="$,.2f"),
            ],
        )
    )
    zero = alt.Chart(pd.DataFrame({"zero": [0]})).mark_rule(color="#555").encode(y="zero:Q")
    return alt.layer(bars, zero)
