"""Joining loaded frames: categories unioned exactly (lone surrogates too), nothing shared."""

from __future__ import annotations

import numpy as np
import pandas as pd

from relay_metrics.ingest.frames import concat_frames, empty_frame, union_categories
from relay_metrics.ingest.loader import load_log
from relay_metrics.ingest.schema import COLUMNS
from tests.helpers import assert_same_frame, lines_of, record


def categorical(values: list) -> pd.Series:
    codes, uniques = pd.factorize(np.array(values, dtype=object))
    return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype=object)))


def test_union_keeps_values_missing_and_lone_surrogates_apart():
    first = categorical(["a", None, "\ud800x"])
    second = categorical(["\udc00x", "a", None, "b"])
    joined = union_categories([first, second])
    assert list(joined.categories) == ["a", "\ud800x", "\udc00x", "b"]
    assert joined.categories.dtype == object
    assert [None if pd.isna(v) else v for v in joined] == ["a", None, "\ud800x", "\udc00x", "a", None, "b"]


def test_joined_pieces_equal_one_read_and_leave_the_pieces_alone(tmp_path):
    rows = [record(ts=i, install_id=f"i{i % 3}", tier=["pro", "\ud800", None][i % 3], cost_usd=i) for i in range(9)]
    for i, part in enumerate((rows[:4], [], rows[4:])):  # the middle one is empty
        (tmp_path / f"part{i}.ndjson").write_bytes(lines_of(*part))
    whole = tmp_path / "whole.ndjson"
    whole.write_bytes(lines_of(*rows))
    pieces = [load_log(tmp_path / f"part{i}.ndjson").frame for i in range(3)]
    before = [piece.copy() for piece in pieces]
    joined = concat_frames([*pieces, None])
    assert_same_frame(joined, load_log(whole).frame)
    for piece, copy in zip(pieces, before):
        assert_same_frame(piece, copy)


def test_nothing_to_join_is_an_empty_frame_of_the_loaded_columns():
    assert list(concat_frames([None]).columns) == list(COLUMNS)
    assert len(empty_frame()) == 0 and str(empty_frame()["time"].dtype) == "datetime64[ms, UTC]"
