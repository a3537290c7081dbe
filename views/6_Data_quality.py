"""Data quality: what the loader made of every line, and what went wrong in the calls."""

import pandas as pd
import streamlit as st

from relay_metrics.app import page, results
from relay_metrics.ingest.pushdown import DISORDER_BOUND_MS
from relay_metrics.metrics import breakdowns
from relay_metrics.output import fmt

view = page.start("Data quality")
report = view.log.report

COUNTS = [
    ("Lines", report.lines, "Every line read."),
    ("Records", report.records, "Lines that are a call record: the figures on every page come from these."),
    ("Blank", report.blank, "Empty lines: harmless."),
    ("Rejected", report.rejected_total, "Lines that aren't a call record; the reasons are below."),
    ("Pending", report.pending, "An unfinished last line: the relay may be writing it right now."),
]
for card, (label, value, meaning) in zip(st.columns(len(COUNTS)), COUNTS):
    card.metric(label, fmt.count_short(value), help=f"{fmt.count(value)}. {meaning}")
st.caption(f"{view.load_note} Every line is a record, blank, rejected or pending.")
st.text("Files read, oldest first:\n" + "\n".join(report.files))
fell_back = report.window_read.fell_back if report.window_read else None
for warning in report.warnings:
    if warning == fell_back:
        st.info("The log is more out of order than a partial read can trust, so every line was read.")
    else:
        st.warning("A file could not be read to its end; the lines before the break are counted.")
    st.code(warning, language=None)
st.caption(
    "Out of order: the relay writes a call when it ends but stamps it with when it began, so a line can be "
    f"up to {fmt.duration(report.max_disorder_ms)} older than one above it (the longest call read took "
    f"{fmt.duration(report.longest_call_ms)}). Date ranges read only part of a log as long as this stays under "
    f"twice the longest call and at least {fmt.duration(DISORDER_BOUND_MS)}, and the whole log when it doesn't."
)

left, right = st.columns(2)
with left:
    st.subheader("Rejected lines by reason")
    page.table(breakdowns.rejected_table(report), "rejected")
with right:
    st.subheader("Fields of the wrong type")
    st.caption("The call is still counted; only that field is treated as missing.")
    page.table(breakdowns.field_problems_table(report), "field-problems")

st.subheader("Samples of rejected lines")
page.table(breakdowns.samples_table(report), "rejected-samples")
if report.pending_lines:
    st.subheader("Pending line")
    for sample in report.pending_lines:
        st.code(sample.text, language=None)

if not results.row_count(view):
    st.info("No calls match these dates and filters.")
    st.stop()
st.subheader("Top error strings")
page.table(results.of_view(view, breakdowns.top_errors), "errors", zone=view.zone)
st.subheader("Refusals by tier")
page.table(results.of_view(view, breakdowns.refusals_by_tier), "refusals")

# Billing export (pricing.toml [billing]): how its rows meet the log's installs.
from relay_metrics.app import growth_data, prices

file_pricing = prices.current()[0]
found, billing_error = growth_data.billing(file_pricing) if file_pricing else (None, None)
if billing_error:
    st.subheader("Billing export")
    st.error("The billing export can't be used:")
    st.code(billing_error, language=None)
elif found is not None:
    st.subheader("Billing export")
    matches = growth_data.billing_matches(view, found)
    st.caption(f"{matches['rows']:,} rows in {found.source}.")
    left, right = st.columns(2)
    with left:
        st.caption("Billing rows of these dates that match no install in the log (revenue with no cost)")
        page.table(pd.DataFrame(matches["rows_matching_no_install"]), "billing-unmatched-rows", zone=view.zone)
    with right:
        st.caption("Installs with calls in these dates and no billing row (unpaid: cost, no revenue)")
        page.table(
            pd.DataFrame({"install_id": pd.Series(matches["installs_matching_no_billing_row"], dtype=object)}),
            "billing-unmatched-installs",
        )
