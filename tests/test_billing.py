"""Billing exports: Stripe's and RevenueCat's column layouts read through [billing.columns]
give the generic layout's revenue; trials, refunds, yearly plans and overlaps; bad files fail
whole, naming line and column; the growth command with a billing export."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from relay_metrics.cli import main
from relay_metrics.ingest.loader import load_log
from relay_metrics.metrics.billing import (
    FROM_BILLING,
    BillingError,
    load_billing,
    parse_billing,
    revenue_by_install_from_billing,
)
from relay_metrics.metrics.growth import growth_of
from relay_metrics.metrics.pricing import PricingError, parse_pricing
from relay_metrics.metrics.revenue import PERIOD_MS
from relay_metrics.metrics.zones import MS_PER_DAY
from tests.helpers import record

DAY = MS_PER_DAY


def ms(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000


SINCE, UNTIL = ms("2026-01-01T00:00:00"), ms("2026-03-31T23:59:59.999")

# One history, three layouts: u1 pro monthly from Jan 5 (active), u2 a yearly max plan from
# last June, u3 a week's trial then pro until Mar 8, u4 a refunded month.
GENERIC = """install_id,tier,amount,interval,start,end,trial,refunded
u1,pro,10.00,month,2026-01-05,,,
u2,max,240,year,2025-06-01,,false,false
u3,pro,0,month,2026-02-01,2026-02-08,true,
u3,pro,10,month,2026-02-08,2026-03-08,false,
u4,pro,10,month,2026-01-10,2026-02-10,no,yes
"""

# Stripe's subscription export (Dashboard > Subscriptions > Export); the install id is kept in
# the subscription's metadata. Stripe has no refund column here, so u4 is not in it.
STRIPE = """id,Customer ID,Customer Email,Plan,Product,Quantity,Currency,Interval,Amount,Status,Created (UTC),Start (UTC),Current Period Start (UTC),Current Period End (UTC),Trial Start (UTC),Trial End (UTC),Canceled At (UTC),Cancel At Period End,Ended At (UTC),install_id (metadata)
sub_1,cus_1,a@example.com,pro,Recap,1,usd,month,10.00,active,2026-01-05 00:00,2026-01-05 00:00,2026-03-05 00:00,2026-04-05 00:00,,,,false,,u1
sub_2,cus_2,b@example.com,max,Recap,1,usd,year,240.00,active,2025-06-01 00:00,2025-06-01 00:00,2025-06-01 00:00,2026-06-01 00:00,,,,false,,u2
sub_3,cus_3,c@example.com,pro,Recap,1,usd,month,10.00,canceled,2026-02-01 00:00,2026-02-01 00:00,2026-02-08 00:00,2026-03-08 00:00,2026-02-01 00:00,2026-02-08 00:00,2026-03-01 12:00,true,2026-03-08 00:00,u3
"""
STRIPE_COLUMNS = {
    "install_id": "install_id (metadata)",
    "tier": "Plan",
    "amount": "Amount",
    "interval": "Interval",
    "start": "Start (UTC)",
    "end": "Ended At (UTC)",
    "trial": "Status",
    "trial_end": "Trial End (UTC)",
}

# RevenueCat's scheduled data export: one row per transaction (a period), times in UTC;
# a refund sets price_in_usd to 0 and refunded_at to its time.
REVENUECAT = """rc_original_app_user_id,rc_last_seen_app_user_id_alias,country,product_identifier,start_time,end_time,store,is_auto_renewable,is_trial_period,is_in_intro_offer_period,is_sandbox,price_in_usd,takehome_percentage,store_transaction_id,original_store_transaction_id,refunded_at,unsubscribe_detected_at,billing_issues_detected_at,purchased_currency,price_in_purchased_currency,product_duration
u1,u1,GB,pro,2026-01-05 00:00:00,2026-02-05 00:00:00,app_store,true,false,false,false,10.00,0.7,t1,t1,,,,USD,10.00,P1M
u1,u1,GB,pro,2026-02-05 00:00:00,2026-03-05 00:00:00,app_store,true,false,false,false,10.00,0.7,t2,t1,,,,USD,10.00,P1M
u1,u1,GB,pro,2026-03-05 00:00:00,2026-04-05 00:00:00,app_store,true,false,false,false,10.00,0.7,t3,t1,,,,USD,10.00,P1M
u2,u2,US,max,2025-06-01 00:00:00,2026-06-01 00:00:00,play_store,true,false,false,false,240.00,0.85,t4,t4,,,,USD,240.00,P1Y
u3,u3,US,pro,2026-02-01 00:00:00,2026-02-08 00:00:00,app_store,true,true,false,false,0,0.7,t5,t5,,,,USD,0,P1M
u3,u3,US,pro,2026-02-08 00:00:00,2026-03-08 00:00:00,app_store,true,false,false,false,10.00,0.7,t6,t5,,2026-02-20 10:00:00,,USD,10.00,P1M
u4,u4,DE,pro,2026-01-10 00:00:00,2026-02-10 00:00:00,app_store,true,false,false,false,0,0.7,t7,t7,2026-01-12 08:00:00,,,USD,0,P1M
"""
REVENUECAT_COLUMNS = {
    "install_id": "rc_original_app_user_id",
    "tier": "product_identifier",
    "amount": "price_in_usd",
    "interval": "product_duration",
    "start": "start_time",
    "end": "end_time",
    "trial": "is_trial_period",
    "refunded": "refunded_at",
}


def revenue(billing, since=SINCE, until=UNTIL) -> dict:
    table = revenue_by_install_from_billing(billing, since, until)
    return {row.install_id: (row.tier, row.revenue_usd) for row in table.itertuples()}


def test_the_generic_layout_prorates_each_period_and_counts_no_trial_or_refund():
    got = revenue(parse_billing(GENERIC, {}))
    assert set(got) == {"u1", "u2", "u3"}  # u4 was refunded: no revenue, no paid time
    assert got["u1"] == ("pro", pytest.approx(10 * (UNTIL - ms("2026-01-05")) / PERIOD_MS))
    # A yearly plan across the whole range: amount / 12 per month.
    assert got["u2"] == ("max", pytest.approx(240 / 12 * (UNTIL - SINCE) / PERIOD_MS))
    assert got["u3"] == ("pro", pytest.approx(10 * 28 * DAY / PERIOD_MS))  # the trial week earns nothing


@pytest.mark.parametrize(
    ("text", "columns", "installs"),
    [(STRIPE, STRIPE_COLUMNS, {"u1", "u2", "u3"}), (REVENUECAT, REVENUECAT_COLUMNS, {"u1", "u2", "u3", "u4"})],
    ids=["stripe", "revenuecat"],
)
def test_stripe_and_revenuecat_layouts_give_the_generic_layouts_revenue(text, columns, installs):
    generic = revenue(parse_billing(GENERIC, {}))
    got = revenue(parse_billing(text, columns))
    assert set(got) == set(generic)
    for install, (tier, usd) in generic.items():
        assert got[install] == (tier, pytest.approx(usd))
    # And over a range that cuts periods in half.
    since, until = ms("2026-02-15T00:00:00"), ms("2026-03-02T12:00:00")
    assert revenue(parse_billing(text, columns), since, until) == pytest.approx(
        revenue(parse_billing(GENERIC, {}), since, until)
    )


def test_overlapping_periods_of_one_install_both_count():
    text = "install_id,tier,amount,interval,start,end\nu,pro,10,month,2026-01-01,2026-02-01\nu,max,30,month,2026-01-15,2026-02-15\n"
    got = revenue(parse_billing(text, {}))
    expected = (10 * 31 * DAY + 30 * 31 * DAY) / PERIOD_MS
    assert got["u"] == ("max", pytest.approx(expected))


def test_an_active_period_counts_up_to_the_range_end_and_nothing_outside_the_range():
    text = "install_id,tier,amount,interval,start,end\nu,pro,10,month,2026-03-01T12:00:00Z,\nv,pro,10,month,2025-01-01,2025-06-01\n"
    got = revenue(parse_billing(text, {}))
    assert got == {"u": ("pro", pytest.approx(10 * (UNTIL - ms("2026-03-01T12:00:00")) / PERIOD_MS))}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("install_id,tier,amount,interval,start\n", "line 1: no column 'end' for end"),
        (
            "install_id,tier,amount,interval,start,end\nu,pro,10,month,2026-01-01,\nu,pro,ten,month,2026-01-01,\n",
            "line 3, column 'amount'",
        ),
        ("install_id,tier,amount,interval,start,end\nu,pro,-1,month,2026-01-01,\n", "line 2, column 'amount'"),
        ("install_id,tier,amount,interval,start,end\nu,pro,10,week,2026-01-01,\n", "line 2, column 'interval'"),
        ("install_id,tier,amount,interval,start,end\nu,pro,10,month,01/02/2026,\n", "line 2, column 'start'"),
        (
            "install_id,tier,amount,interval,start,end\nu,pro,10,month,2026-02-01,2026-01-01\n",
            "line 2, column 'end': '2026-01-01' is before",
        ),
        ("install_id,tier,amount,interval,start,end\n,pro,10,month,2026-02-01,\n", "line 2, column 'install_id'"),
        (
            "install_id,tier,amount,interval,start,end,trial\nu,pro,10,month,2026-02-01,,maybe\n",
            "line 2, column 'trial'",
        ),
        ("", "empty file"),
    ],
)
def test_a_bad_file_names_the_line_and_column_and_nothing_is_read(text, message):
    with pytest.raises(BillingError, match=message.replace("(", r"\(")):
        parse_billing(text, {})


def test_a_mapped_column_missing_from_the_file_is_named():
    with pytest.raises(BillingError, match=r"line 1: no column 'Plan' for tier"):
        parse_billing(GENERIC, {"tier": "Plan"})


def test_load_billing_reads_a_bom_and_says_when_the_file_is_missing(tmp_path):
    path = tmp_path / "billing.csv"
    path.write_bytes("\ufeff".encode() + GENERIC.encode())
    assert len(load_billing(path).periods) == 5
    with pytest.raises(BillingError, match="billing file not found"):
        load_billing(tmp_path / "nope.csv")


def test_pricing_toml_names_the_billing_file_relative_to_itself_and_maps_columns(tmp_path):
    pricing = parse_pricing(
        '[tiers.pro]\nprice_per_month = 10\n[billing]\nfile = "exports/billing.csv"\n[billing.columns]\ntier = "Plan"\n',
        str(tmp_path / "pricing.toml"),
    )
    assert pricing.billing.file == tmp_path / "exports" / "billing.csv"
    assert pricing.billing.columns == {"tier": "Plan"}
    with pytest.raises(PricingError, match=r"line 5: unknown key 'plan'"):
        parse_pricing('[tiers.pro]\nprice_per_month = 10\n[billing]\n[billing.columns]\nplan = "Plan"\n', "p.toml")


def test_growth_from_billing_unpaid_installs_cost_and_unmatched_subscriptions_earn(write_log):
    billing = parse_billing(
        "install_id,tier,amount,interval,start,end\npaid,pro,10,month,2026-01-01,\nghost,max,30,month,2026-01-01,\n", {}
    )
    records = [
        record(ms("2026-01-02T00:00:00"), install_id="paid", tier="pro", cost_usd=1.0),
        record(ms("2026-01-03T00:00:00"), install_id="unpaid", tier="pro", cost_usd=2.0),
        record(ms("2026-01-31T00:00:00"), install_id="paid", tier="pro", cost_usd=1.0),
    ]
    frame = load_log(write_log(*records)).frame
    result = growth_of(frame, parse_pricing("[tiers.pro]\nprice_per_month = 10\n"), billing, None, None)
    assert result.source == FROM_BILLING
    assert result.mrr["mrr_usd"].iloc[-1] == 40.0  # paid + ghost (no calls); unpaid pays nothing
    cohort = result.cohorts.iloc[0]
    assert cohort["installs"] == 2 and cohort["cost_usd"] == pytest.approx(4.0)  # the unpaid install's cost counts
    assert result.monthly["cost_usd"].sum() == pytest.approx(4.0)
    assert result.monthly["revenue_usd"].sum() == pytest.approx(40 * (ms("2026-01-31") - ms("2026-01-01")) / PERIOD_MS)


def growth_cli(capsys, *args) -> tuple[int, str, str]:
    code = main(["growth", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_growth_json_says_where_revenue_comes_from_and_lists_unmatched(write_log, tmp_path, capsys):
    log = write_log(
        record(ms("2026-01-02T00:00:00"), install_id="u1", tier="pro"),
        record(ms("2026-01-20T00:00:00"), install_id="stranger", tier="pro"),
    )
    billing = tmp_path / "billing.csv"
    billing.write_text(GENERIC)
    code, out, _ = growth_cli(capsys, str(log), "--all", "--format", "json")
    assert code == 0
    result = json.loads(out)
    assert {"mrr", "movements", "cohorts"} <= set(result) and result["revenue_source"] == "estimated from activity"
    code, out, _ = growth_cli(capsys, str(log), "--all", "--billing", str(billing), "--format", "json")
    result = json.loads(out)
    assert code == 0 and result["revenue_source"] == "from billing"
    assert result["billing"]["installs_matching_no_billing_row"] == ["stranger"]
    assert {row["install_id"] for row in result["billing"]["rows_matching_no_install"]} == {"u2", "u4"}
    code, out, _ = growth_cli(capsys, str(log), "--all", "--billing", str(billing), "--format", "table")
    assert code == 0 and "movements" in out and "retention" in out


def test_cli_growth_with_a_bad_billing_file_exits_1_naming_line_and_column(write_log, tmp_path, capsys):
    log = write_log(record(ms("2026-01-02T00:00:00"), install_id="u1", tier="pro"))
    billing = tmp_path / "billing.csv"
    billing.write_text(GENERIC.replace("u2,max,240", "u2,max,2x40"))
    code, out, err = growth_cli(capsys, str(log), "--all", "--billing", str(billing), "--format", "json")
    assert code == 1 and out == ""
    assert "line 3, column 'amount'" in err and "Traceback" not in err
