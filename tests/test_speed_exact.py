"""Speed-ups that must not change a figure: the revenue rule's coverage from category codes
equals its coverage from the strings themselves."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from relay_metrics.ingest.loader import load_log
from relay_metrics.metrics import revenue
from tests.helpers import examples, lines_of, record

IDS = st.sampled_from([None, "", "a", "b", "\ud800", "unknown", "(unknown)", "ä"])
TIERS = st.sampled_from([None, "", "pro", "core", "\udfff"])


@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(calls=st.lists(st.tuples(st.integers(0, 50), IDS, TIERS), max_size=40))
def test_coverage_from_categories_equals_coverage_from_strings(tmp_path_factory, calls):
    assume(any(i not in (None, "", "unknown") for _, i, _ in calls))  # coverage() of no install isn't defined
    path = tmp_path_factory.mktemp("cov") / "relay-calls.ndjson"
    rows = [
        record(
            ts=1_767_225_600_000 + t * 3_600_000, **{k: v for k, v in (("install_id", i), ("tier", r)) if v is not None}
        )
        for t, i, r in calls
    ]
    path.write_bytes(lines_of(*rows) if rows else b"")
    frame = load_log(path).frame
    assert isinstance(frame["install_id"].dtype, pd.CategoricalDtype)
    as_strings = frame.assign(install_id=frame["install_id"].astype(object), tier=frame["tier"].astype(object))
    # The same rows and values; the categories themselves may list tiers no covering call has.
    labels = {"install_id": object, "tier": object}
    fast, slow = revenue.coverage(frame), revenue.coverage(as_strings)
    pd.testing.assert_frame_equal(fast.astype(labels), slow.astype(labels))
    for column, missing in (("install_id", "unknown"), ("tier", "core")):
        keys, strings = revenue.keys_of(frame[column], missing), revenue.keys_of(as_strings[column], missing)
        assert keys.dtype == strings.dtype == object and list(keys) == list(strings)


@settings(max_examples=examples(200), deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 4), st.integers(-1, 30), st.one_of(st.just(math.nan), st.floats(0, 1e6))),
        max_size=60,
    ),
    dense=st.booleans(),
    masked=st.booleans(),
)
def test_group_counts_distinct_values_and_means_equal_a_plain_count(rows, dense, masked):
    from relay_metrics.metrics import figures

    groups = figures.Groups(np.array([g for g, _, _ in rows], dtype=np.intp), ["a", "b", "c", "d", "e"])
    values = np.array([v for _, v, _ in rows], dtype=np.int64)
    numbers = np.array([x for _, _, x in rows], dtype=np.float64)
    mask = np.array([v % 2 == 0 for v in values], dtype=bool) if masked else None
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(figures, "DENSE_PAIRS", 1 << 22 if dense else 0)  # the table, or hashing pairs
        distinct = groups.distinct(values, mask)
    kept = [(g, v) for (g, v, _), keep in zip(rows, mask if masked else [True] * len(rows)) if keep]
    assert list(distinct) == [len({v for g2, v in kept if g2 == g}) for g in range(5)]
    assert list(groups.count()) == [sum(1 for g2, _, _ in rows if g2 == g) for g in range(5)]
    for g, mean in enumerate(groups.mean(numbers)):
        present = [x for g2, _, x in rows if g2 == g and not math.isnan(x)]
        if present:
            assert mean == np.bincount(np.zeros(len(present), np.intp), weights=present)[0] / len(present)
        else:
            assert math.isnan(mean)
