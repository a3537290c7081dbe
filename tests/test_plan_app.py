"""The Plan from the outside: `simulate` on the command line and the Plan page (AppTest), which
must show the same figures."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from streamlit.testing.v1 import AppTest

from relay_metrics.cli import main
from relay_metrics.demo import write_demo_log
from relay_metrics.metrics.zones import today_in
from relay_metrics.output import fmt
from tests.helpers import REPO, record

APP = str(REPO / "streamlit_app.py")
TIMEOUT = 120
JAN = 1_767_225_600_000  # 2026-01-01T00:00Z
DAY = 86_400_000
SCENARIO = """
[prices]
pro = 14.99
[caps]
core = 3
[[swap]]
tier = "core"
pipeline = "analyze"
from = "gemini-3-flash-preview"
to = "gemini-2.5-flash-lite"
"""

pytestmark = pytest.mark.usefixtures("fresh_caches")  # AppTest shares Streamlit's caches


@pytest.fixture(scope="module")
def demo_log(tmp_path_factory):
    path = tmp_path_factory.mktemp("plan") / "relay-calls.ndjson"
    write_demo_log(path, rows=12_000, days=20, seed=9)
    return path


def simulate(capsys, *args) -> tuple[int, dict | None, str]:
    try:
        code = main(["simulate", *map(str, args)])
    except SystemExit as exc:  # argparse's exit 2
        code = exc.code
    out, err = capsys.readouterr()
    return code, json.loads(out) if code == 0 and "json" in args else None, err


def test_simulate_json_has_the_issues_keys(demo_log, tmp_path, capsys):
    scenario = tmp_path / "s.toml"
    scenario.write_text(SCENARIO)
    code, out, _ = simulate(capsys, demo_log, "--scenario", scenario, "--all", "--format", "json")
    assert code == 0
    assert {"rates", "by_tier", "caps", "swaps", "total"} <= set(out)
    assert {"model", "input_per_mtok", "output_per_mtok", "thinking_per_mtok", "calls", "r2", "flags"} <= set(
        out["rates"][0]
    )
    core = next(row for row in out["by_tier"] if row["tier"] == "core")
    for side in ("actual", "scenario"):
        for name in ("revenue_usd", "cost_usd", "margin_usd", "margin_pct"):
            assert f"{side}_{name}" in core
    assert core["scenario_cost_usd"] < core["actual_cost_usd"]
    assert set(out["caps"][0]) >= {"tier", "installs_affected", "calls_refused", "cost_saved_usd"}
    assert out["caps"][0]["calls_refused"] > 0
    swap = out["swaps"][0]
    assert swap["calls"] > 0 and swap["cost_after_usd"] < swap["cost_before_usd"]
    code, _, _ = simulate(capsys, demo_log, "--scenario", scenario, "--all")  # the table format
    assert code == 0


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[caps]\ncore = -1\n", "caps.core"),
        ("[prices]\ngold = 3\n", "prices.gold"),
        ("[budget]\ncore = 3\n", "'budget'"),
        ('[[swap]]\nfrom = "gpt-4"\nto = "gemini-2.5-flash"\n', "swap #1.from"),
        ('[[swap]]\nfrom = "gemini-2.5-flash"\nto = "gpt-9"\n', "swap #1.to"),
    ],
)
def test_a_bad_scenario_is_exit_2_naming_the_key(demo_log, tmp_path, capsys, text, named):
    scenario = tmp_path / "bad.toml"
    scenario.write_text(text)
    code, _, err = simulate(capsys, demo_log, "--scenario", scenario, "--all", "--format", "json")
    assert code == 2 and named in err and "Traceback" not in err


def test_a_swap_target_priced_in_pricing_toml_is_accepted(demo_log, tmp_path, capsys):
    scenario = tmp_path / "s.toml"
    scenario.write_text('[[swap]]\nfrom = "gemini-2.5-flash"\nto = "gpt-9"\n')
    pricing = tmp_path / "pricing.toml"
    pricing.write_text(
        '[tiers.pro]\nprice_per_month = 9.99\n[models."gpt-9"]\ninput_per_mtok = 0\noutput_per_mtok = 0\n'
    )
    code, out, _ = simulate(capsys, demo_log, "--scenario", scenario, "--pricing", pricing, "--all", "--format", "json")
    assert code == 0 and out["swaps"][0]["cost_after_usd"] == 0 < out["swaps"][0]["cost_before_usd"]


def test_simulate_reads_back_for_coverage_and_a_caps_month(write_log, tmp_path, capsys):
    def analyze(ts, cost):
        return record(ts, install_id="a", tier="pro", pipeline="analyze", model="m", status="success",
                      credit_charged=1, cost_usd=cost, input_tokens=10, output_tokens=10)  # fmt: skip

    hour = DAY // 24
    since = JAN + 30 * DAY + 11 * hour  # January 31st, 11:00: the month began more than P before
    log = write_log(
        analyze(JAN, 1.0), analyze(since - DAY, 7.0), analyze(since + 3 * hour, 2.0), analyze(since + 6 * hour, 3.0)
    )
    scenario = tmp_path / "s.toml"
    scenario.write_text("[caps]\npro = 1\n")
    pricing = tmp_path / "pricing.toml"
    pricing.write_text("[tiers.pro]\nprice_per_month = 10\n")
    code, out, _ = simulate(
        capsys,
        log,
        "--scenario",
        scenario,
        "--pricing",
        pricing,
        "--since",
        since,
        "--until",
        since + DAY,
        "--format",
        "json",
    )
    assert code == 0
    (pro,) = out["by_tier"]
    # The call a day before since covers [since, since + 3h): 6 paid hours up to the last call.
    assert pro["actual_revenue_usd"] == pytest.approx(10 * (6 * hour) / (30.4375 * DAY))
    assert pro["actual_cost_usd"] == 5.0
    # The January 1st call (more than P before since) is January's first credit: the range's
    # two calls are refused.
    assert (out["caps"][0]["calls_refused"], out["caps"][0]["cost_saved_usd"]) == (2, 5.0)


def page(demo_log, monkeypatch) -> AppTest:
    monkeypatch.setenv("RELAY_METRICS_LOG", str(demo_log))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("views/7_Plan.py").run()
    assert not at.exception
    return at


def url_values(at: AppTest, key: str) -> list[str]:
    value = at.query_params.get(key, [])
    return [value] if isinstance(value, str) else list(value)


def by_tier(at: AppTest):
    return at.dataframe[0].value.set_index("tier")


def test_a_cap_and_a_swap_move_the_scenario_and_leave_the_actuals(demo_log, monkeypatch):
    at = page(demo_log, monkeypatch)
    before = by_tier(at)
    actual = [c for c in before.columns if c.startswith("actual_")]
    assert (
        before[actual].fillna(0).to_numpy()
        == before[[c.replace("actual_", "scenario_") for c in actual]].fillna(0).to_numpy()
    ).all()

    at.number_input(key="plan_cap:core").set_value(3).run()
    assert not at.exception
    capped = by_tier(at)
    assert capped.loc["core", "scenario_cost_usd"] < before.loc["core", "scenario_cost_usd"]
    assert url_values(at, "cap") == ["core:3"]

    at.selectbox(key="plan_swap_tier").set_value("pro").run()
    at.selectbox(key="plan_swap_pipeline").set_value("analyze").run()
    at.selectbox(key="plan_swap_from").set_value("gemini-3-pro-preview").run()
    at.selectbox(key="plan_swap_to").set_value("gemini-2.5-flash-lite").run()
    at.button(key="plan_swap_add").click().run()
    assert not at.exception
    swapped = by_tier(at)
    assert swapped.loc["pro", "scenario_cost_usd"] < capped.loc["pro", "scenario_cost_usd"]
    assert url_values(at, "swap") == ['["pro", "analyze", "gemini-3-pro-preview", "gemini-2.5-flash-lite"]']
    for frame in (capped, swapped):
        assert frame[actual].equals(before[actual])  # the actuals never move

    at.button(key="plan_swap_remove:0").click().run()
    assert url_values(at, "swap") == [] and url_values(at, "cap") == ["core:3"]
    assert by_tier(at)["scenario_cost_usd"].equals(capped["scenario_cost_usd"])
    at.button(key="plan_reset").click().run()
    assert not at.exception and url_values(at, "cap") == []
    assert by_tier(at).fillna(0).equals(before.fillna(0))


def test_the_cli_json_equals_the_pages_figures(demo_log, monkeypatch, tmp_path, capsys):
    at = page(demo_log, monkeypatch)
    at.number_input(key="plan_price:pro").set_value(14.99).run()
    at.number_input(key="plan_cap:core").set_value(3).run()
    at.selectbox(key="plan_swap_tier").set_value("core").run()
    at.selectbox(key="plan_swap_pipeline").set_value("analyze").run()
    at.selectbox(key="plan_swap_from").set_value("gemini-3-flash-preview").run()
    at.selectbox(key="plan_swap_to").set_value("gemini-2.5-flash-lite").run()
    at.button(key="plan_swap_add").click().run()
    assert not at.exception
    shown = by_tier(at)

    scenario = tmp_path / "s.toml"
    scenario.write_text(SCENARIO)
    today = today_in("UTC")
    since, until = (today - timedelta(days=29)).isoformat(), today.isoformat()
    code, out, _ = simulate(
        capsys, demo_log, "--scenario", scenario, "--since", since, "--until", until, "--format", "json"
    )
    assert code == 0
    assert sorted(shown.index) == sorted(row["tier"] for row in out["by_tier"])
    for row in out["by_tier"]:
        for name, value in row.items():
            if name == "tier":
                continue
            got = shown.loc[row["tier"], name]
            if isinstance(got, str):  # a column with a missing value is shown as fmt's text
                assert got == fmt.percent(value), (row["tier"], name)
            else:
                assert got == pytest.approx(value, rel=1e-12), (row["tier"], name)


def test_hostile_tier_and_model_names_stay_text_on_the_plan_page(write_log, monkeypatch):
    hostile_tier, hostile_model = "**pro**<b>\ud800", "<img src=x>\u202emodel"
    now = int(time.time() * 1000)
    records = [
        record(
            now - i * 3_600_000,
            install_id=f"i{i % 3}",
            tier=tier,
            pipeline="analyze",
            model=model,
            status="success",
            credit_charged=1,
            cost_usd=0.01 * (i + 1),
            input_tokens=1000 + i,
            output_tokens=100 * i,
        )
        for i in range(12)
        for tier, model in [(hostile_tier if i % 2 else "core", hostile_model if i % 3 else "m1")]
    ]
    at = page(write_log(*records), monkeypatch)
    at.number_input(key="plan_cap:" + hostile_tier.encode("unicode_escape").decode("ascii")).set_value(1).run()
    assert not at.exception
    shown = by_tier(at)
    assert shown.loc["core", "actual_cost_usd"] == shown.loc["core", "actual_cost_usd"]
    assert not [m for m in at.markdown if "<b>" in m.value or "<img" in m.value]
