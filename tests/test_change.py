"""Changes against the previous period: absolute and percent, no arrow on zero."""

from __future__ import annotations

import pytest

from relay_metrics.output.change import change, signed_count, signed_money, signed_points


@pytest.mark.parametrize(
    ("current", "previous", "absolute", "text", "arrow"),
    [
        (110.0, 100.0, signed_money, "+$10.00 (+10.0%)", "auto"),
        (80.0, 100.0, signed_money, "-$20.00 (-20.0%)", "auto"),  # ASCII minus: st.metric's arrow reads it
        (-50.0, -25.0, signed_money, "-$25.00 (-100.0%)", "auto"),  # a loss grown: down, against |previous|
        (100.0, 100.0, signed_money, "±$0.00 (0%)", "off"),
        (5.0, 0.0, signed_count, "+5", "auto"),  # no percent of nothing
        (41.5, 40.0, signed_points, "+1.5 pts (+3.8%)", "auto"),
        (None, 3.0, signed_count, None, "off"),
        (3.0, None, signed_count, None, "off"),
    ],
)
def test_change(current, previous, absolute, text, arrow):
    moved = change(current, previous, absolute)
    assert (moved.text, moved.arrow) == (text, arrow)
