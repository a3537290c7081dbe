"""The README's commands are the ones that exist."""

from __future__ import annotations

import re

from relay_metrics.cli import build_parser
from tests.helpers import REPO

README = (REPO / "README.md").read_text()


def subcommand_options() -> dict[str, set[str]]:
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command")  # argparse keeps them here
    return {name: {o for a in sub._actions for o in a.option_strings} for name, sub in commands.choices.items()}


def test_documented_cli_options_exist():
    options = subcommand_options()
    documented = re.findall(r"python -m relay_metrics (\w+) ([^\n]*)", README)
    assert {name for name, _ in documented} == set(options)  # every command, and only those
    for name, usage in documented:
        for option in re.findall(r"--[a-z-]+", usage):
            assert option in options[name], f"README documents {name} {option}"


def test_first_lines_give_the_run_and_test_commands_and_ci_runs_the_test_command():
    head = README.split("---", 1)[0]
    commands = re.findall(r"^    (\S.*)$", head, flags=re.M)
    assert commands == ["./scripts/run", "./scripts/test"]
    assert "./scripts/test" in (REPO / ".ci" / "run").read_text()
    # Both install into a virtual environment, never into the system Python (PEP 668).
    for script in ("run", "test"):
        text = (REPO / "scripts" / script).read_text()
        assert ". scripts/venv.sh" in text and '$VENV_PY" -m pip install' in text
    assert "python3 -m venv .venv" in (REPO / "scripts" / "venv.sh").read_text()


def test_module_map_names_every_module_once():
    section = README.split("### Module map", 1)[1].split("\n- Tests:", 1)[0]
    entries = re.findall(r"^- `([^`]+)`", section, flags=re.M)
    package = REPO / "relay_metrics"
    modules = {
        str(p.relative_to(package if p.parent != package else REPO))
        for p in package.rglob("*.py")
        if p.name != "__init__.py"
    }
    modules |= {"relay_metrics/pricing.toml", "streamlit_app.py"}
    listed = {e for e in entries if not e.startswith("views/") and e != "benchmarks/"}
    assert listed == modules
    assert len(entries) == len(set(entries))
    pages = sorted(p.name for p in (REPO / "views").glob("*.py"))
    assert f"views/{pages[0]}" in section and f"views/{pages[-1]}" in section
