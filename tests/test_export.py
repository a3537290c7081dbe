"""CSV safe to open in a spreadsheet, and frames Streamlit's Arrow serialisation can carry."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from relay_metrics.ingest.loader import load_log
from relay_metrics.metrics import breakdowns as bd
from relay_metrics.output.export import csv_bytes, display_safe
from tests.helpers import record

BOM = b"\xef\xbb\xbf"


def read_csv_cells(data: bytes) -> list[list[str]]:
    assert data.startswith(BOM)
    return list(csv.reader(io.StringIO(data[len(BOM) :].decode("utf-8"), newline="")))


def object_column(values: list) -> pd.Series:
    column = np.empty(len(values), dtype=object)
    column[:] = values
    return pd.Series(column, dtype=object)


def categorical_column(values: list) -> pd.Series:
    """As the loader builds them: object categories, which may hold lone surrogates."""
    codes, uniques = pd.factorize(np.array(values, dtype=object))
    return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype=object)))


@pytest.mark.parametrize(
    "cell, written",
    [
        ("=1+2", "'=1+2"),
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+41 22 000", "'+41 22 000"),
        ("-2+3", "'-2+3"),
        ("-", "'-"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("plain", "plain"),
        ("a=b", "a=b"),
        (" =1", " =1"),
        ("'=1", "'=1"),
        ("", ""),
        ("café-日本-🙂", "café-日本-🙂"),
        ('quote " and, comma\nnewline', 'quote " and, comma\nnewline'),
    ],
)
@pytest.mark.parametrize("kind", ["object", "str", "category"])
def test_formula_starts_are_neutralised(cell, written, kind):
    values = [cell, "ok"]
    column = {"object": object_column, "category": categorical_column}.get(kind, lambda v: pd.Series(v, dtype="str"))(
        values
    )
    rows = read_csv_cells(csv_bytes(pd.DataFrame({"text": column})))
    assert rows == [["text"], [written], ["ok"]]


def test_numbers_stay_numbers():
    frame = pd.DataFrame(
        {"cost_usd": [-1.5, 0.25, np.nan], "calls": [-3, 4, 5], "name": object_column(["-1", "x", None])}
    )
    rows = read_csv_cells(csv_bytes(frame))
    assert rows == [["cost_usd", "calls", "name"], ["-1.5", "-3", "'-1"], ["0.25", "4", "x"], ["", "5", ""]]


def test_csv_of_a_loaded_frame_with_times_and_categoricals(write_log):
    frame = load_log(
        write_log(
            record(ts=1_767_225_600_000, install_id="@evil", tier="pro", cost_usd=0.5, job_id="-j"),
            record(ts=1_767_225_600_001, model="+m", error="=1+1"),
        )
    ).frame
    rows = read_csv_cells(csv_bytes(frame))
    header, first, second = rows
    assert header == list(frame.columns)
    assert first[header.index("install_id")] == "'@evil"
    assert first[header.index("job_id")] == "'-j"
    assert first[header.index("time")] == "2026-01-01 00:00:00.000+00:00"
    assert first[header.index("cost_usd")] == "0.5"
    assert second[header.index("model")] == "'+m" and second[header.index("error")] == "'=1+1"
    assert second[header.index("install_id")] == ""


def test_lone_surrogates_are_written_as_escapes(write_log):
    frame = load_log(
        write_log(
            '{"ts":1,"install_id":"\\ud800a","status":"error","error":"=\\udfff","job_id":"\\udc80"}',
        )
    ).frame
    data = csv_bytes(frame)
    assert b"\\ud800a" in data and b"'=\\udfff" in data and b"\\udc80" in data
    data.decode("utf-8")  # valid UTF-8 throughout
    table = csv_bytes(bd.top_errors(frame))
    assert read_csv_cells(table)[1][0] == "'=\\udfff"


def test_csv_leaves_the_frame_alone_and_writes_no_index():
    frame = pd.DataFrame({"a": object_column(["=x"])})
    frame.index = [7]
    csv_bytes(frame)
    assert frame["a"].tolist() == ["=x"]
    assert read_csv_cells(csv_bytes(frame)) == [["a"], ["'=x"]]


def test_display_safe():
    frame = pd.DataFrame(
        {
            "category": categorical_column(["\ud800x", "=sum(1)", "<b>bold</b>", None]),
            "object": object_column(["ok", "\udfff", None, "-1"]),
            "str": pd.Series(["a", "b", None, "<script>"], dtype="str"),
            "number": [1.5, -2.0, np.nan, 0.0],
            "time": pd.to_datetime([0, 1, 2, 3], unit="ms", utc=True),
        }
    )
    before = frame.copy()
    safe = display_safe(frame)
    assert str(safe["category"].dtype) == "str" and str(safe["object"].dtype) == "str"
    assert safe["category"].tolist()[:3] == ["\\ud800x", "=sum(1)", "<b>bold</b>"]  # only surrogates change
    assert safe["object"].tolist()[:2] == ["ok", "\\udfff"] and safe["object"].tolist()[3] == "-1"
    assert safe["category"].isna().tolist() == [False, False, False, True]
    assert safe["str"].tolist()[3] == "<script>"
    pd.testing.assert_series_equal(safe["number"], frame["number"])
    pd.testing.assert_series_equal(safe["time"], frame["time"])
    pd.testing.assert_frame_equal(frame, before)  # a copy: the input is untouched
    pa.Table.from_pandas(safe)  # what st.dataframe does: would raise on a lone surrogate


def test_a_few_rows_of_a_log_wide_categorical_show_and_export_their_own_values():
    # One install's calls keep the whole log's job ids as categories: only the rows' own are
    # fixed (a million categories took seconds), and each row still shows its own value.
    wide = categorical_column(["\ud800x", "=sum(1)", *[f"job-{i}" for i in range(1_000)], None])
    few = wide.iloc[[1, 0, 1_001, 1_002, 500]]
    shown = display_safe(pd.DataFrame({"job": few}))["job"]
    assert [None if pd.isna(v) else v for v in shown] == [
        "=sum(1)",
        "\\ud800x",
        "job-999",
        None,
        "job-498",
    ]
    assert read_csv_cells(csv_bytes(pd.DataFrame({"job": few})))[1:] == [
        ["'=sum(1)"],
        ["\\ud800x"],
        ["job-999"],
        [""],
        ["job-498"],
    ]


def test_display_safe_of_a_loaded_frame_converts_to_arrow(write_log):
    frame = load_log(
        write_log(
            '{"ts":1,"install_id":"\\ud800","model":"m","job_id":"\\udc80x"}',
            record(install_id="b", job_id="j"),
        )
    ).frame
    with pytest.raises(UnicodeEncodeError):
        pa.Table.from_pandas(frame)
    table = pa.Table.from_pandas(display_safe(frame))
    assert table.column("install_id").to_pylist() == ["\\ud800", "b"]
    assert table.column("job_id").to_pylist() == ["\\udc80x", "j"]
    assert table.column("ts").to_pylist() == [1.0, 1_767_225_600_000.0]


def test_display_safe_keeps_non_text_object_columns():
    frame = pd.DataFrame({"mixed": object_column([1, "a", None])})
    assert display_safe(frame)["mixed"].tolist() == [1, "a", None]
