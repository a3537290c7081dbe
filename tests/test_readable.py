"""Every page, on demo, empty, quirky and hostile logs, shows no None, nan, NaT or <NA>:
not in a metric, a caption, a table cell or a chart's data (what AppTest sees of each)."""

from __future__ import annotations

import json
import math
import re
import time
from types import SimpleNamespace

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from relay_metrics.app.page import PAGES
from relay_metrics.demo import write_demo_log
from tests.helpers import REPO, lines_of, record

pytestmark = pytest.mark.usefixtures("fresh_caches")  # AppTest shares Streamlit's caches

APP = str(REPO / "streamlit_app.py")
# A whole word: "None" is a leak, "Nonesuch" is not.
LEAK = re.compile(r"\b(?:None|nan|NaN|NaT|null|undefined)\b|<NA>")
DAY = 86_400_000


def _recent(hours_ago: float) -> int:
    return int(time.time() * 1000 - hours_ago * 3_600_000)


def quirky_lines() -> bytes:
    """What real logs hold besides clean calls: missing and empty fields, strings where numbers
    go, a tier nobody priced, calls without an install id or a job, huge and zero figures."""
    return lines_of(
        record(ts=_recent(30), install_id="a", tier="pro", model="m1", status="success", cost_usd=0.01, job_id="j1"),
        record(ts=_recent(29), install_id="a", tier="max", model="m1", pipeline="analyze", job_id="j1"),
        record(ts=_recent(28), install_id="b", tier="", model="", status="", cost_usd="0.5", duration_ms="slow"),
        record(ts=_recent(27), tier="enterprise", status="refused", duration_ms=0, input_tokens=10**12),
        record(ts=_recent(26), install_id="c", tier="core", status="error", error="", cost_usd=-0.2),
        record(ts=_recent(25)),
        record(ts=_recent(24), install_id="d", tier="pro", duration_ms=3_700_000, cost_usd=1e6, credit_charged=0),
        "",
        "not json",
        '{"ts":' + str(_recent(23)) + ',"install_id":"e","cost_usd":null,"duration_ms":null}',
        '{"ts":' + str(_recent(1)),  # unfinished last line
    )


EVIL = "<img src=x onerror=alert(1)>**bold** [x](javascript:alert(1)) \u202eevil\u202c =SUM(A1) \ud800"


def hostile_lines() -> bytes:
    """Markup, bidi controls, a formula and a lone surrogate in every text field. (A record
    with such a tier or model *and* a job id is left out: profit.job_costs fails on it, see
    test_hostile_tier_with_a_job_id.)"""
    evil = json.dumps(EVIL)
    rows = [
        f'{{"ts":{_recent(h)},"install_id":{evil},"tier":{evil},"model":{evil},"backend":{evil},'
        f'"pipeline":{evil},"status":{evil},"error":{evil},"cost_usd":0.03,"duration_ms":1500}}'
        for h in (3, 2)
    ]
    rows.append(f'{{"ts":{_recent(1)},"install_id":{evil},"status":"error","error":{evil},"job_id":{evil}}}')
    return "\n".join(rows).encode("utf-8", "surrogatepass") + b"\n"


@pytest.fixture(scope="module", params=["demo", "empty", "quirky", "hostile"])
def log(request, tmp_path_factory):
    path = tmp_path_factory.mktemp(request.param) / "relay-calls.ndjson"
    if request.param == "demo":
        write_demo_log(path, rows=4_000, days=10, seed=3)
    else:
        path.write_bytes({"empty": b"", "quirky": quirky_lines(), "hostile": hostile_lines()}[request.param])
    return path


@pytest.fixture
def pricing(tmp_path):
    """Subscribers for one tier only: the other tiers' Subscribers are missing."""
    path = tmp_path / "pricing.toml"
    path.write_text(
        "[tiers.core]\nprice_per_month = 0\n[tiers.pro]\nprice_per_month = 9.99\nsubscribers = 12\n"
        "[tiers.max]\nprice_per_month = 24.99\n"
    )
    return path


def shown_texts(at: AppTest) -> list[tuple[str, str]]:
    """(where, text) of everything a page shows in words and numbers."""
    texts = []
    for m in at.metric:
        texts += [("metric", m.label), ("metric", m.value), ("metric", m.delta or "")]
    for kind in ("caption", "markdown", "text", "info", "warning", "success", "error", "title", "subheader"):
        texts += [(kind, str(e.value)) for e in getattr(at, kind)]
    for e in at.sidebar.caption:
        texts.append(("sidebar caption", str(e.value)))
    return texts


def table_cells(at: AppTest) -> list[tuple[str, object]]:
    cells = []
    for i, table in enumerate(at.dataframe):
        frame: pd.DataFrame = table.value
        cells += [(f"table {i} header", name) for name in frame.columns]
        for name in frame.columns:
            cells += [(f"table {i} column {name}", v) for v in frame[name].tolist()]
    return cells


def chart_cells(at: AppTest) -> list[tuple[str, object]]:
    cells = []
    for i, chart in enumerate(at.get("vega_lite_chart")):
        for dataset in chart.proto.datasets:
            frame = pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()
            for name in frame.columns:
                cells += [(f"chart {i} column {name}", v) for v in frame[name].tolist()]
    return cells


def leaks(at: AppTest) -> list[tuple[str, object]]:
    found = [(where, text) for where, text in shown_texts(at) if LEAK.search(text)]
    for where, value in table_cells(at) + chart_cells(at):
        missing = value is None or value is pd.NaT or value is pd.NA
        missing = missing or (isinstance(value, float) and not math.isfinite(value))
        if missing or (isinstance(value, str) and LEAK.search(value)):
            found.append((where, value))
    return found


@pytest.mark.parametrize("path", [path for path, _, _ in PAGES])
def test_no_page_shows_a_missing_value_as_none_or_nan(log, pricing, monkeypatch, path):
    monkeypatch.setenv("RELAY_METRICS_LOG", str(log))
    monkeypatch.setenv("RELAY_METRICS_PRICING", str(pricing))
    at = AppTest.from_file(APP, default_timeout=60).run()
    if path != PAGES[0][0]:
        at.switch_page(path).run()
    assert not at.exception, at.exception
    assert at.title, "the page drew nothing"
    assert leaks(at) == []


def test_the_walk_would_see_a_leak():
    """The checks above look where a leak would show: a None cell and a "nan" caption are caught."""
    empty: list = []
    seen = SimpleNamespace(
        **dict.fromkeys(
            ["metric", "markdown", "text", "info", "warning", "success", "error", "title", "subheader"], empty
        ),
        caption=[SimpleNamespace(value="Margin % nan")],
        sidebar=SimpleNamespace(caption=empty),
        dataframe=[SimpleNamespace(value=pd.DataFrame({"subscribers": [3, None]}, dtype=object))],
        get=lambda kind: empty,
    )
    assert leaks(seen) == [("caption", "Margin % nan"), ("table 0 column subscribers", None)]


def test_hostile_tier_with_a_job_id(monkeypatch, tmp_path):
    log = tmp_path / "relay-calls.ndjson"
    evil = json.dumps(EVIL)
    log.write_bytes(
        f'{{"ts":{_recent(2)},"tier":{evil},"model":{evil},"job_id":"j"}}\n'.encode("utf-8", "surrogatepass")
    )
    monkeypatch.setenv("RELAY_METRICS_LOG", str(log))
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("views/1_Profitability.py").run()
    assert not at.exception


def test_dates_held_as_python_objects_show_as_days_not_epoch_numbers():
    # Profitability's margin over time names each period by its first day (a datetime.date);
    # sent as is, the browser drew 1793577600000.
    from datetime import date

    from relay_metrics.app.columns import for_display

    shown = for_display(pd.DataFrame({"period": [date(2026, 11, 2), date(2026, 11, 9)], "revenue_usd": [1.0, 2.0]}))
    assert shown["period"].tolist() == ["2026-11-02", "2026-11-09"]
