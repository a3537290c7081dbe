"""Charts: mark types, encodings, tooltips, and that the data drawn is the breakdown's."""

from __future__ import annotations

import json
from datetime import date

import altair as alt
import numpy as np
import pandas as pd
import pytest

from relay_metrics.demo import write_demo_log
from relay_metrics.ingest.loader import load_log
from relay_metrics.metrics import breakdowns as bd
from relay_metrics.output import charts, colours
from tests.helpers import record

END = 1_767_225_600_000  # 2026-01-01T00:00Z


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "relay-calls.ndjson"
    write_demo_log(path, rows=3_000, days=10, seed=5, end_ms=END)
    return load_log(path).frame


def _top_install(frame):
    return bd.installs_table(frame, top=1)["install_id"][0]


# chart, its table, marks of its layers, {channel: field} of each layer
CHARTS = {
    "daily": (
        charts.daily_chart,
        lambda f: bd.daily(f, "Europe/Berlin", date(2025, 12, 20), date(2025, 12, 31)),
        ["bar", "line"],
        [{"x": "day", "y": "cost_usd"}, {"x": "day", "y": "calls"}],
    ),
    "install_daily": (
        charts.install_daily_chart,
        lambda f: bd.install_daily(f, _top_install(f), "America/New_York"),
        ["bar", "line"],
        [{"x": "day", "y": "cost_usd"}, {"x": "day", "y": "calls"}],
    ),
    "status": (charts.status_chart, bd.status_mix, ["bar"], [{"x": "calls", "y": "status", "color": "status"}]),
    "tier": (
        charts.tier_chart,
        lambda f: bd.most_cost_first(bd.tier_table(f)),  # the chart draws the most costly tier first
        ["bar", "point"],
        [{"x": "tier", "y": "cost_usd"}, {"x": "tier", "y": "calls"}],
    ),
    "cost_speed": (
        charts.cost_speed_scatter,
        bd.cost_vs_speed_table,
        ["circle"],
        [{"x": "avg_duration_ms", "y": "avg_cost_usd", "size": "calls", "color": "backend"}],
    ),
    "hourly": (
        charts.hourly_chart,
        lambda f: bd.hourly(f, "Asia/Kolkata"),
        ["bar", "line"],
        [{"x": "hour", "y": "calls"}, {"x": "hour", "y": "cost_usd"}],
    ),
    "heatmap": (
        charts.heatmap,
        lambda f: bd.weekday_hour(f, "UTC"),
        ["rect"],
        [{"x": "hour", "y": "weekday_name", "color": "calls"}],
    ),
}


def layers(spec: dict) -> list[dict]:
    return spec.get("layer", [spec])


def values(spec: dict) -> list[dict]:
    return spec["datasets"][spec["data"]["name"]]


def as_chart_data(table: pd.DataFrame) -> list[dict]:
    """A table's rows as Vega-Lite receives them: ISO times, None for NaN."""
    rows = []
    for row in table.to_dict("records"):
        rows.append(
            {
                k: (
                    v.isoformat()
                    if isinstance(v, pd.Timestamp)
                    else None
                    if isinstance(v, float) and np.isnan(v)
                    else v
                )
                for k, v in row.items()
            }
        )
    return rows


@pytest.mark.parametrize("name", CHARTS)
def test_chart_spec(demo, name):
    draw, table_of, marks, encodings = CHARTS[name]
    table = table_of(demo)
    assert len(table) > 0
    chart = draw(table)
    assert isinstance(chart, (alt.Chart, alt.LayerChart))
    spec = chart.to_dict()
    assert [layer["mark"]["type"] for layer in layers(spec)] == marks
    for layer, channels in zip(layers(spec), encodings):
        assert {channel: layer["encoding"][channel]["field"] for channel in channels} == channels
        tooltip_fields = {t["field"].removesuffix("_text") for t in layer["encoding"]["tooltip"]}
        assert set(channels.values()) <= tooltip_fields
    drawn = values(spec)
    assert len(drawn) == len(table)
    for row, expected in zip(drawn, as_chart_data(table)):
        assert {k: v for k, v in row.items() if not k.endswith("_text")} == {
            k: expected[k] for k in row if k in expected
        }
        # tooltips show fmt's text: never "null" or "nan"
        assert all(isinstance(row[k], str) and row[k] for k in row if k.endswith("_text"))
    assert isinstance(spec["title"], str) and spec["title"]


def test_hourly_chart_has_24_bars_and_heatmap_168_cells(demo):
    assert len(values(charts.hourly_chart(bd.hourly(demo, "UTC")).to_dict())) == 24
    spec = charts.heatmap(bd.weekday_hour(demo, "UTC")).to_dict()
    assert len(values(spec)) == 168
    assert spec["encoding"]["y"]["sort"] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def test_layered_charts_have_independent_y_axes(demo):
    spec = charts.daily_chart(bd.daily(demo, "UTC", date(2025, 12, 25), date(2025, 12, 31))).to_dict()
    assert spec["resolve"] == {"scale": {"y": "independent"}}


def test_charts_of_empty_tables_still_serialise(write_log):
    frame = load_log(write_log("garbage")).frame
    for name, (draw, table_of, _, _) in CHARTS.items():
        if name == "install_daily":
            table = bd.install_daily(frame, "nobody", "UTC")
        else:
            table = table_of(frame)
        json.loads(draw(table).to_json())


HOSTILE = '\ud800<img src=x onerror=alert(1)>"\udfff'


def test_hostile_text_reaches_charts_only_as_escaped_data(write_log):
    escaped = json.dumps(HOSTILE)  # "\ud800<img ...>\"\udfff": JSON with lone surrogates
    frame = load_log(
        write_log(
            f'{{"ts":1767225600000,"tier":{escaped},"model":{escaped},"backend":{escaped},"status":{escaped},"duration_ms":3,"cost_usd":1}}',
            record(tier="core", model="m", backend="gemini", status="success", duration_ms=1),
        )
    ).frame
    shown = HOSTILE.encode("utf-8", "backslashreplace").decode()
    for chart in (
        charts.tier_chart(bd.tier_table(frame)),
        charts.cost_speed_scatter(bd.cost_vs_speed_table(frame)),
        charts.status_chart(bd.status_mix(frame)),
    ):
        spec = chart.to_dict()
        text = json.dumps(spec, ensure_ascii=False)
        text.encode("utf-8")  # no lone surrogate left: Arrow and the browser can carry it
        assert shown in {v for row in values(spec) for v in row.values() if isinstance(v, str)}
        without_data = json.dumps({k: v for k, v in spec.items() if k != "datasets"}, ensure_ascii=False)
        assert "onerror" not in without_data  # never in a title, axis or legend label


@pytest.mark.parametrize("name", ["daily", "install_daily", "tier", "hourly"])
def test_two_axis_charts_name_both_series_in_one_legend(demo, name):
    draw, table_of, _, _ = CHARTS[name]
    spec = draw(table_of(demo)).to_dict()
    assert spec["resolve"] == {"scale": {"y": "independent"}}
    colour_by_series = {}
    for layer in layers(spec):
        colour = layer["encoding"]["color"]
        assert colour["field"] == "series" and colour["legend"] is not None
        (calculated,) = [t["calculate"] for t in layer["transform"]]
        name_of_layer = calculated.strip("'")
        scale = colour["scale"]
        colour_by_series[name_of_layer] = dict(zip(scale["domain"], scale["range"]))[name_of_layer]
    assert colour_by_series == {"Cost": colours.COST, "Calls": colours.CALLS}


def test_status_colours_mean_the_same_on_every_chart(demo):
    spec = charts.status_chart(bd.status_mix(demo)).to_dict()
    statuses = sorted({row["status"] for row in values(spec)})  # Vega's domain: the data's, sorted
    assert dict(zip(statuses, spec["encoding"]["color"]["scale"]["range"])) == {
        "error": colours.ERROR,
        "refused": colours.REFUSED,
        "success": colours.SUCCESS,
    }


def _tier_colours(per_install: pd.DataFrame) -> dict[str, str]:
    spec = charts.install_cost_chart(per_install).to_dict()
    boxes = spec["layer"][0]
    tiers = sorted({row["tier"] for row in spec["datasets"][boxes["data"]["name"]]})
    return dict(zip(tiers, boxes["encoding"]["color"]["scale"]["range"]))


def test_a_tier_keeps_its_colour_whatever_the_filter():
    per_install = pd.DataFrame(
        {
            "tier": ["core", "pro", "max", "pro"],
            "cost_per_month_usd": [0.5, 3.0, 30.0, 0.0],
            "price_per_month": [0.0, 9.99, 24.99, 9.99],
        }
    )
    every = _tier_colours(per_install)
    assert every == {t: colours.tier_colour(t) for t in ("core", "max", "pro")}
    assert _tier_colours(per_install[per_install["tier"] == "pro"]) == {"pro": every["pro"]}
    assert _tier_colours(per_install[per_install["tier"] != "core"]) == {"max": every["max"], "pro": every["pro"]}
    assert colours.PRICE not in every.values() and colours.LOSS not in every.values()


def test_cost_per_install_axis_labels_each_power_of_ten_and_names_the_price():
    per_install = pd.DataFrame(
        {"tier": ["core", "pro"], "cost_per_month_usd": [0.02, 160.0], "price_per_month": [0.0, 9.99]}
    )
    spec = charts.install_cost_chart(per_install).to_dict()
    boxes, prices = spec["layer"]
    axis = boxes["encoding"]["y"]["axis"]
    assert axis["values"] == [0.0, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0]
    assert boxes["encoding"]["y"]["scale"]["type"] == "symlog"
    assert prices["mark"]["type"] == "tick"
    assert prices["encoding"]["color"]["scale"] == {"domain": ["Price"], "range": [colours.PRICE]}
    assert [row["price_per_month_text"] for row in spec["datasets"][prices["data"]["name"]]] == ["$0.00", "$9.99"]


def test_the_cost_spread_sends_five_numbers_a_tier_and_draws_the_same_box():
    # Vega-Lite's box plot takes R-7 quartiles (d3's), like numpy's default: of the five
    # numbers sent, its quartiles are the 2nd, 3rd and 4th, which are those of every install.
    rng = np.random.default_rng(7)
    costs = rng.lognormal(0, 2, 999)
    per_install = pd.DataFrame(
        {"tier": ["pro"] * 999 + ["core"] * 3, "cost_per_month_usd": [*costs, 0.0, 1.0, 5.0], "price_per_month": 9.99}
    )
    spec = charts.install_cost_chart(per_install).to_dict()
    rows = spec["datasets"][spec["layer"][0]["data"]["name"]]
    assert [row["tier"] for row in rows] == ["pro"] * 5 + ["core"] * 5
    sent = np.array([row["cost_per_month_usd"] for row in rows[:5]])
    assert np.percentile(sent, [0, 25, 50, 75, 100]).tolist() == np.percentile(costs, [0, 25, 50, 75, 100]).tolist()
