"""The command line: output shapes, windows, and exit codes with one clear line on stderr."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from relay_metrics.cli import main
from relay_metrics.metrics.timewindow import BadTime, parse_when
from tests.helpers import REPO, record

DAY = 86_400_000
T0 = 1_767_225_600_000  # 2026-01-01T00:00Z


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def log(write_log):
    return write_log(
        record(ts=T0, install_id="a", tier="core", cost_usd=1.0),
        record(ts=T0 + DAY - 1, install_id="b", tier="pro", cost_usd=2.0),
        record(ts=T0 + DAY, install_id="c", tier="max", cost_usd=4.0),
        "garbage",
    )


def test_json_has_the_reference_keys_plus_quality_and_window(capsys, log):
    code, out, err = run(capsys, "summary", log, "--all", "--format", "json")
    assert code == 0 and err == ""
    result = json.loads(out)
    assert list(result) == [
        "summary",
        "by_tier",
        "by_model",
        "by_pipeline",
        "by_backend",
        "by_install",
        "by_hour_utc",
        "cost_vs_speed",
        "data_quality",
        "since_ms",
        "until_ms",
    ]
    quality = result["data_quality"]
    assert {k: quality[k] for k in ("lines", "records", "blank", "pending", "rejected")} == {
        "lines": 4,
        "records": 3,
        "blank": 0,
        "pending": 0,
        "rejected": {"invalid JSON": 1},
    }
    assert (result["since_ms"], result["until_ms"]) == (None, None)
    assert result["summary"]["total_cost_usd"] == 7


@pytest.mark.parametrize(
    ("window", "cost", "since_ms", "until_ms"),
    [
        (["--since", "2026-01-01", "--until", "2026-01-01"], 3, T0, T0 + DAY - 1),  # a bare --until date: the whole day
        (["--since", str(T0 + 1), "--until", "2026-01-02T00:00:00Z"], 6, T0 + 1, T0 + DAY),
        (["--since", "2026-01-01T01:00+01:00"], 7, T0, None),  # offsets are honoured
        (["--since", "2026-01-02"], 4, T0 + DAY, None),
    ],
)
def test_windows(capsys, log, window, cost, since_ms, until_ms):
    code, out, _ = run(capsys, "summary", log, *window, "--format", "json")
    result = json.loads(out)
    assert code == 0
    assert (result["summary"]["total_cost_usd"], result["since_ms"], result["until_ms"]) == (cost, since_ms, until_ms)


def test_tier_filter(capsys, log):
    _, out, _ = run(capsys, "summary", log, "--all", "--tier", "pro", "--tier", "max", "--format", "json")
    assert [r["tier"] for r in json.loads(out)["by_tier"]] == ["max", "pro"]


def test_table_format_is_readable_and_escapes_control_characters(capsys, write_log):
    path = write_log(record(ts=T0, install_id="evil\x1b[31m\u202e", cost_usd=1.5))
    code, out, _ = run(capsys, "summary", path, "--all")
    assert code == 0
    assert "by_install" in out and "total_cost_usd" in out
    assert "\x1b" not in out and "\u202e" not in out and "evil\\x1b[31m\\u202e" in out


def test_json_output_is_ascii_even_for_lone_surrogates(capsys, write_log):
    path = write_log(raw=b'{"ts":1767225600000,"install_id":"\\ud800<b>"}\n')
    _, out, _ = run(capsys, "summary", path, "--all", "--format", "json")
    assert out.isascii()
    assert json.loads(out)["by_install"][0]["install_id"] == "\ud800<b>"


def test_log_from_environment(capsys, log, monkeypatch):
    monkeypatch.setenv("RELAY_METRICS_LOG", str(log))
    code, out, _ = run(capsys, "summary", "--all", "--format", "json")
    assert code == 0 and json.loads(out)["summary"]["calls"] == 3


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["summary", "{missing}"], 1, "log file not found"),
        (["summary", "{empty}"], 1, "no relay-calls.ndjson"),
        (["summary", "{log}", "--since", "last tuesday"], 2, "can't read time 'last tuesday'"),
        (["summary", "{log}", "--until", "2026-13-40"], 2, "can't read time"),
        (["summary", "{log}", "--since", "2026-02-01", "--until", "2026-01-01"], 2, "before --since"),
        (["summary", "{log}", "--all", "--until", "2026-01-01"], 2, "not allowed with argument"),
        (["summary", "{log}", "--all", "--since", "2026-01-01"], 2, "leave out --since"),
        (["summary", "{log}", "--format", "xml"], 2, "invalid choice"),
        (["demo", "--out", "{log}"], 1, "exists; pass --force"),
        (["demo", "--rows", "0", "--out", "{tmp}/x"], 2, "must be at least 1"),
        (["frobnicate"], 2, "invalid choice"),
    ],
)
def test_errors_exit_with_one_clear_line(capsys, log, tmp_path, args, code, message):
    (tmp_path / "empty").mkdir()
    args = [a.format(missing=tmp_path / "nope.ndjson", tmp=tmp_path, empty=tmp_path / "empty", log=log) for a in args]
    with pytest.raises(SystemExit) if code == 2 else _no_exit() as caught:
        returned = main(args)
    _, err = capsys.readouterr()
    assert (caught.value.code if code == 2 else returned) == code
    assert message in err and "Traceback" not in err


class _no_exit:
    value = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_real_process_exit_codes_and_no_traceback(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "relay_metrics", "summary", str(tmp_path / "x")],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.strip().count("\n") == 0 and "log file not found" in done.stderr


def test_demo_writes_a_loadable_log(capsys, tmp_path):
    out = tmp_path / "demo" / "relay-calls.ndjson"
    code, _, err = run(capsys, "demo", "--rows", 500, "--days", 3, "--seed", 7, "--out", out)
    assert code == 0 and "wrote 500 records" in err
    code, printed, _ = run(capsys, "summary", out, "--all", "--format", "json")
    assert json.loads(printed)["summary"]["calls"] == 500


@pytest.mark.parametrize(
    ("text", "end_of_day", "expected"),
    [
        ("1767225600000", False, T0),
        ("2026-01-01", False, T0),
        ("2026-01-01", True, T0 + DAY - 1),
        ("2026-01-01T00:00:00.250Z", False, T0 + 250),
        ("2026-01-01T02:00:00+02:00", True, T0),
        ("2026", False, T0),  # a year, never 2026 ms after 1970
        ("2025", True, T0 - 1),  # through its last millisecond
        (" 2026 ", False, T0),
        ("9999", True, 253_402_300_799_999),
        ("20260", False, 20_260),  # more digits than a year: ms
    ],
)
def test_parse_when(text, end_of_day, expected):
    assert parse_when(text, end_of_day=end_of_day) == expected


@pytest.mark.parametrize("text", ["soon", "0000", "2026-13-01"])
def test_parse_when_rejects_what_is_not_a_time(text):
    with pytest.raises(BadTime):
        parse_when(text)


def test_since_a_year_on_the_command_line(capsys, log):
    code, printed, _ = run(capsys, "summary", log, "--since", "2026", "--until", "2026", "--format", "json")
    result = json.loads(printed)
    assert code == 0 and (result["since_ms"], result["until_ms"]) == (T0, 1_798_761_599_999)


def test_margins_json_follows_the_activity_rule(capsys, log, tmp_path):
    pricing = tmp_path / "pricing.toml"
    pricing.write_text("[tiers.core]\nprice_per_month = 0\n[tiers.pro]\nprice_per_month = 30.4375\n")
    args = ["margins", log, "--pricing", pricing, "--since", "2026-01-01", "--format", "json"]
    code, out, _err = run(capsys, *args, "--until", "2026-01-01")
    assert code == 0
    result = json.loads(out)
    assert list(result) == ["by_tier", "by_install", "total"]
    pro = next(r for r in result["by_tier"] if r["tier"] == "pro")
    # b's call at the day's last ms pays from then on: nothing inside the day.
    assert pro["revenue_usd"] == 0.0 and pro["cost_usd"] == 2.0
    assert [r["install_id"] for r in result["by_install"]] == ["b", "a"]  # worst margin first: -2, -1
    assert "max" not in {r["tier"] for r in result["by_tier"]}  # outside the window, not priced
    # A week: the log ends a ms after b's call, so b pays for that 1 ms at 1 $/day.
    _, out, _ = run(capsys, *args, "--until", "2026-01-07")
    pro = next(r for r in json.loads(out)["by_tier"] if r["tier"] == "pro")
    assert pro["revenue_usd"] == pytest.approx(1 / DAY)


def test_margins_warns_about_unpriced_tiers(capsys, log, tmp_path):
    pricing = tmp_path / "pricing.toml"
    pricing.write_text("[tiers.pro]\nprice_per_month = 10\n")
    code, out, err = run(capsys, "margins", log, "--pricing", pricing, "--all", "--format", "json")
    assert code == 0
    assert "tier 'core' is not in" in err and "tier 'max' is not in" in err
    assert {r["tier"] for r in json.loads(out)["by_tier"]} == {"pro", "core", "max"}


def test_margins_names_ten_unpriced_tiers_and_counts_the_rest(capsys, write_log, tmp_path):
    pricing = tmp_path / "pricing.toml"
    pricing.write_text("[tiers.pro]\nprice_per_month = 10\n")
    log = write_log(*[record(ts=1_767_225_600_000 + i, install_id=f"i{i}", tier=f"t{i:02d}") for i in range(15)])
    code, _, err = run(capsys, "margins", log, "--pricing", pricing, "--all", "--format", "json")
    assert code == 0
    assert err.count("is not in") == 10 and "and 5 more tiers are not in" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "pricing file not found"), ("[tiers.pro]\nprice_per_month = -2\n", "line 2")],
)
def test_margins_bad_pricing_exits_1(capsys, log, tmp_path, content, message):
    pricing = tmp_path / "p.toml"
    if content is not None:
        pricing.write_text(content)
    code, out, err = run(capsys, "margins", log, "--pricing", pricing, "--all")
    assert code == 1 and out == "" and message in err


def test_margins_pricing_from_environment(capsys, log, tmp_path, monkeypatch):
    pricing = tmp_path / "env.toml"
    pricing.write_text("[tiers.core]\nprice_per_month = 1\n")
    monkeypatch.setenv("RELAY_METRICS_PRICING", str(pricing))
    _, out, _ = run(capsys, "margins", log, "--all", "--format", "json")
    assert next(r for r in json.loads(out)["by_tier"] if r["tier"] == "core")["revenue_usd"] > 0


def test_a_window_reads_a_part_and_full_read_reads_every_line(capsys, tmp_path):
    from relay_metrics.demo import write_demo_log

    end, day = 1_790_000_000_000, 86_400_000
    path = tmp_path / "relay-calls.ndjson"
    write_demo_log(path, 20_000, 60, 2, end)
    lines = path.read_bytes().splitlines(keepends=True)
    # A record out of order far beyond the bound, in history a window read never looks at.
    hidden = json.dumps(record(ts=end - day, install_id="hidden", cost_usd=1.0)).encode() + b"\n"
    path.write_bytes(b"".join([*lines[: len(lines) // 3], hidden, *lines[len(lines) // 3 :]]))
    since = ["--since", str(end - 7 * day), "--format", "json"]

    assert main(["summary", str(path), *since]) == 0
    partial = json.loads(capsys.readouterr().out)["data_quality"]
    assert partial["window_read"]["bytes_skipped"] > path.stat().st_size / 2
    assert partial["lines"] < len(lines) / 2  # counts cover what was read

    assert main(["summary", str(path), *since, "--full-read"]) == 0
    full = json.loads(capsys.readouterr().out)
    assert full["data_quality"]["window_read"] is None and full["data_quality"]["lines"] == len(lines) + 1
    assert "hidden" in {row["install_id"] for row in full["by_install"]}


def test_a_terminal_sees_progress_and_a_script_does_not(capsys, log, monkeypatch):
    assert main(["summary", str(log), "--all", "--format", "json"]) == 0
    assert capsys.readouterr().err == ""  # stderr is not a terminal here
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(["summary", str(log), "--all", "--format", "json"]) == 0
    err = capsys.readouterr().err
    assert "reading the log... 100%" in err and err.endswith("\r\033[K")


def test_a_log_out_of_order_is_read_whole_and_a_terminal_is_told(capsys, tmp_path):
    from relay_metrics.demo import write_demo_log

    end, day = 1_790_000_000_000, 86_400_000
    path = tmp_path / "relay-calls.ndjson"
    write_demo_log(path, 20_000, 60, 2, end)
    with open(path, "ab") as f:  # written long after its call: far beyond the disorder bound
        f.write(json.dumps(record(ts=end - 40 * day, install_id="late")).encode() + b"\n")
    assert main(["summary", str(path), "--since", str(end - 7 * day), "--format", "json"]) == 0
    out, err = capsys.readouterr()
    quality = json.loads(out)["data_quality"]
    assert quality["window_read"]["fell_back"] and quality["lines"] == 20_001
    assert err.startswith("relay-metrics: warning: a record trails an earlier one by") and "whole log was read" in err


def test_the_log_commands_leave_the_alert_commands_unimported(tmp_path):
    # They cost a run of summary ~30-50 ms; every command stays listed in the full parser.
    from relay_metrics.cli import OWN_COMMANDS, build_parser

    names = set(build_parser()._subparsers._group_actions[0].choices)
    assert names == OWN_COMMANDS | {"check", "report"}
    code = (
        "import sys; from relay_metrics.cli import main; "
        f"main(['demo', '--rows', '10', '--out', {str(tmp_path / 'log.ndjson')!r}]); "
        "assert 'relay_metrics.cli_alerts' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, cwd=REPO)
