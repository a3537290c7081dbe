"""Data quality: what the loader made of every line, and what went wrong in the calls."""

import pandas as pd
import streamlit as st

from relay_metrics.app import page
from relay_metrics.ingest.pushdown import DISORDER_BOUND_MS
from relay_metrics.metrics import breakdowns

view = page.start("Data quality")
report = view.log.report

cards = st.columns(5)
cards[0].metric("Lines", f"{report.lines:,}")
cards[1].metric("Records", f"{report.records:,}")
cards[2].metric("Blank", f"{report.blank:,}")
cards[3].metric("Rejected", f"{report.rejected_total:,}")
cards[4].metric("Pending", f"{report.pending:,}", help="An unfinished last line: the relay may be mid-append.")
st.caption(f"{view.load_note} Lines = records + blank + rejected + pending.")
st.text("Files read, oldest first:\n" + "\n".join(report.files))
fell_back = report.window_read.fell_back if report.window_read else None
for warning in report.warnings:
    if warning == fell_back:
        st.info("The log is more out of order than a partial read can trust, so every line was read.")
    else:
        st.warning("A file could not be read to its end; the lines before the break are counted.")
    st.code(warning, language=None)
st.caption(
    f"Order: a record trails the newest one written before it by at most {report.max_disorder_ms / 1000:,.1f} s "
    f"(a call is logged when it ends, stamped when it began; the longest call read took {report.longest_call_ms / 1000:,.1f} s). "
    f"Reads of a date range rely on this staying under twice the longest call and at least "
    f"{DISORDER_BOUND_MS / 60_000:.0f} minutes, and read everything when it doesn't."
)

left, right = st.columns(2)
with left:
    st.subheader("Rejected lines by reason")
    page.table(breakdowns.rejected_table(report), "rejected")
with right:
    st.subheader("Fields of the wrong type")
    st.caption("The record is kept and the field treated as missing.")
    page.table(breakdowns.field_problems_table(report), "field-problems")

st.subheader("Samples of rejected lines")
page.table(breakdowns.samples_table(report), "rejected-samples")
if report.pending_lines:
    st.subheader("Pending line")
    for sample in report.pending_lines:
        st.code(sample.text, language=None)

if view.frame.empty:
    st.info("No calls match these dates and filters.")
    st.stop()
left, right = st.columns(2)
with left:
    st.subheader("Top error strings")
    page.table(breakdowns.top_errors(view.frame), "errors")
with right:
    st.subheader("Refusals by tier")
    page.table(breakdowns.refusals_by_tier(view.frame), "refusals")

# Billing export (pricing.toml [billing]): how its rows meet the log's installs.
from relay_metrics.app import growth_data, prices

file_pricing, _, _ = prices.current()
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
        page.table(pd.DataFrame(matches["rows_matching_no_install"]), "billing-unmatched-rows")
    with right:
        st.caption("Installs with calls in these dates and no billing row (unpaid: cost, no revenue)")
        page.table(
            pd.DataFrame({"install_id": pd.Series(matches["installs_matching_no_billing_row"], dtype=object)}),
            "billing-unmatched-installs",
        )
