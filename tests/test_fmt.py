"""The display vocabulary: one rule per kind of figure, and never None/nan on screen."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from relay_metrics.output import colours, fmt

MISSING = [None, float("nan"), np.nan, np.float32("nan"), pd.NaT, pd.NA, math.inf]


@pytest.mark.parametrize(
    ("value", "signed", "expected"),
    [
        (0, False, "$0.00"),
        (1234.56, False, "$1,234.56"),
        (1234.567, False, "$1,234.57"),
        (0.55624, False, "$0.56"),
        (-12.3, False, "-$12.30"),
        (-0.004, False, "$0.00"),  # rounds to zero: no "-$0.00"
        (1.2, True, "+$1.20"),
        (-1.2, True, "-$1.20"),
        (0, True, "$0.00"),
        (np.float64(1_000_000), False, "$1,000,000.00"),
    ],
)
def test_money(value, signed, expected):
    assert fmt.money(value, signed=signed) == expected


@pytest.mark.parametrize(
    ("value", "signed", "expected"),
    [
        (0.01751234, False, "$0.01751"),
        (0.025, False, "$0.02500"),
        (0.55624, False, "$0.5562"),
        (0.00012345678, False, "$0.0001235"),
        (0.99996, False, "$1.00"),  # rounds up to a dollar: money from there
        (1.5, False, "$1.50"),
        (1234.5, False, "$1,234.50"),
        (0, False, "$0.00"),
        (-0.0175, False, "-$0.01750"),
        (0.0175, True, "+$0.01750"),
    ],
)
def test_unit_cost_has_four_significant_digits_below_a_dollar(value, signed, expected):
    assert fmt.unit_cost(value, signed=signed) == expected


@pytest.mark.parametrize(
    ("function", "value", "expected"),
    [
        (fmt.percent, 37.5, "37.5%"),
        (fmt.percent, -12.345, "-12.3%"),
        (fmt.percent, 100, "100.0%"),
        (fmt.share, 0.375, "37.5%"),
        (fmt.share, 1, "100.0%"),
        (fmt.share, 0.00049, "0.0%"),
        (fmt.points, 0.012, "+1.2 pts"),
        (fmt.points, -0.0123, "-1.2 pts"),
        (fmt.count, 103082, "103,082"),
        (fmt.count, 12_779_037_612, "12,779,037,612"),
        (fmt.count, 2.6, "3"),
        (fmt.count, np.int64(0), "0"),
    ],
)
def test_percent_and_counts(function, value, expected):
    assert function(value) == expected


def test_signed_percent_and_counts():
    assert fmt.percent(2.0, signed=True) == "+2.0%"
    assert fmt.share(-0.5, signed=True) == "-50.0%"
    assert fmt.count(1500, signed=True) == "+1,500"
    assert fmt.count(-3, signed=True) == "-3"


@pytest.mark.parametrize(
    ("ms", "expected"),
    [
        (0, "0 ms"),
        (12.4, "12 ms"),
        (999.4, "999 ms"),
        (999.6, "1.0 s"),  # would read "1,000 ms"
        (15_910, "15.9 s"),
        (19_661, "19.7 s"),
        (59_949, "59.9 s"),
        (59_951, "1 m 0 s"),  # would read "60.0 s"
        (125_000, "2 m 5 s"),
        (3_599_400, "59 m 59 s"),
        (3_700_000, "1 h 2 m"),
    ],
)
def test_duration_one_human_format(ms, expected):
    assert fmt.duration(ms) == expected


def test_signed_duration():
    assert fmt.duration(1500, signed=True) == "+1.5 s"
    assert fmt.duration(-350, signed=True) == "-350 ms"
    assert fmt.duration(0.2, signed=True) == "0 ms"


@pytest.mark.parametrize(
    ("value", "zone", "expected"),
    [
        (1_767_225_600_000, "UTC", "2026-01-01 00:00 UTC"),
        (1_767_225_600_000, "Europe/Berlin", "2026-01-01 01:00 CET"),
        (1_751_328_000_000, "Europe/Berlin", "2025-07-01 02:00 CEST"),
        (pd.Timestamp("2026-01-01", tz="UTC"), "Asia/Kolkata", "2026-01-01 05:30 IST"),
        (pd.Timestamp("2026-01-01 12:00"), "UTC", "2026-01-01 12:00 UTC"),  # naive: UTC
        (1_767_225_600_000, "Asia/Dubai", "2026-01-01 04:00 UTC+04"),  # no abbreviation
    ],
)
def test_timestamp_carries_its_zone(value, zone, expected):
    assert fmt.timestamp(value, zone) == expected


def test_day():
    assert fmt.day(date(2026, 1, 2)) == "2026-01-02"
    assert fmt.day(pd.Timestamp("2026-01-02 23:00")) == "2026-01-02"


@pytest.mark.parametrize("value", MISSING)
@pytest.mark.parametrize(
    "function",
    [
        fmt.money,
        fmt.unit_cost,
        fmt.percent,
        fmt.share,
        fmt.points,
        fmt.count,
        fmt.duration,
        fmt.timestamp,
        fmt.day,
        fmt.text,
    ],
)
def test_missing_is_an_en_dash(function, value):
    assert function(value) == fmt.DASH == "–"


def test_text_keeps_log_strings_as_text():
    assert fmt.text("**pro**") == "**pro**"
    assert fmt.text("a\udc80b") == "a\\udc80b"
    assert fmt.text(3) == "3"


def test_vega_duration_names_the_same_units():
    expr = fmt.vega_duration("datum.avg")
    for part in ("' ms'", "' s'", "' m '", "datum.avg", fmt.DASH):
        assert part in expr


def test_tiers_keep_their_colour_whatever_else_is_shown():
    assert colours.tier_domain(["pro"])[1] == [colours.tier_colour("pro")]
    assert colours.tier_domain(["max", "pro", "core"])[1][1] == colours.tier_colour("pro")
    assert colours.tier_colour("enterprise") == colours.tier_colour("enterprise")
    meaning = {colours.COST, colours.CALLS, colours.PROFIT, colours.LOSS, colours.REFUSED, colours.PRICE}
    assert not meaning & set(colours.TIER_PALETTE)


def test_status_colours():
    assert colours.status_colour("success") == colours.SUCCESS
    assert colours.status_colour("error") == colours.ERROR == colours.LOSS
    assert colours.status_colour("refused") == colours.REFUSED
    assert colours.status_colour("timeout") == colours.OTHER_STATUS
