"""Changes against the previous period: absolute and percent, no arrow on zero."""

from __future__ import annotations

import pytest

from relay_metrics.output import fmt
from relay_metrics.output.change import change, percent_points


@pytest.mark.parametrize(
    ("current", "previous", "show", "text", "arrow"),
    [
        (110.0, 100.0, fmt.money, "+$10.00 (+10.0%)", "auto"),
        (80.0, 100.0, fmt.money, "-$20.00 (-20.0%)", "auto"),  # ASCII minus: st.metric's arrow reads it
        (-50.0, -25.0, fmt.money, "-$25.00 (-100.0%)", "auto"),  # a loss grown: down, against |previous|
        (100.0, 100.0, fmt.money, "$0.00 (0%)", "off"),
        (5.0, 0.0, fmt.count, "+5", "auto"),  # no percent of nothing
        (41.5, 40.0, percent_points, "+1.5 pts (+3.8%)", "auto"),
        (0.5, 0.25, fmt.points, "+25.0 pts (+100.0%)", "auto"),  # a share, as a fraction
        (1500.0, 1000.0, fmt.duration, "+500 ms (+50.0%)", "auto"),
        (None, 3.0, fmt.count, None, "off"),
        (3.0, None, fmt.count, None, "off"),
        (float("nan"), 3.0, fmt.count, None, "off"),
    ],
)
def test_change(current, previous, show, text, arrow):
    moved = change(current, previous, show)
    assert (moved.text, moved.arrow) == (text, arrow)
