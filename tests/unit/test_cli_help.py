"""--help that teaches: examples on every command, plain metavars, exit codes where DNS is
written, and lines that fit 80 columns."""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from cli.app import app
from cli.examples import EXAMPLES

RUNNER = CliRunner()


def commands() -> list[list[str]]:
    """The path of every command and group, from the app's own click tree."""
    root: Any = typer.main.get_command(app)
    found: list[list[str]] = [[]]

    def walk(group: Any, path: list[str]) -> None:
        for name, cmd in group.commands.items():
            found.append([*path, name])
            if hasattr(cmd, "commands"):
                walk(cmd, [*path, name])
    walk(root, [])
    return found


def help_of(path: list[str], columns: int = 80) -> str:
    result = RUNNER.invoke(app, [*path, "--help"], env={"COLUMNS": str(columns)},
                           prog_name="failover")
    assert result.exit_code == 0, result.output
    return result.output


def test_every_command_is_known() -> None:
    names = {" ".join(p) or "failover" for p in commands()}
    assert not names - set(EXAMPLES), (
        f"add examples for {sorted(names - set(EXAMPLES))} to EXAMPLES in cli/examples.py")
    assert not set(EXAMPLES) - names, f"no such command: {sorted(set(EXAMPLES) - names)}"


@pytest.mark.parametrize("path", commands(), ids=lambda p: " ".join(p) or "failover")
def test_help_has_examples_plain_metavars_and_fits_80(path: list[str]) -> None:
    text = help_of(path)
    assert "Examples:\n" in text
    for line in EXAMPLES[" ".join(path) or "failover"]:
        assert line in text
        assert line.startswith("failover ")
    # typer's defaults (<str>, <int>, <float>, <path>) say nothing; FILE, DURATION, N do.
    # (An argument's line always shows its type after the metavar: ID <int>.)
    options = [line for line in text.splitlines() if line.lstrip().startswith("-")]
    assert not [o for o in options if re.search(r"<(str|int|float|path)>", o)], options
    assert not re.search(r"^\s+[a-z_]+ <", text, re.M), text  # argument metavars in capitals
    long = [line for line in text.splitlines() if len(line) > 80]
    assert not long, long


@pytest.mark.parametrize("command", ["move", "rollback"])
def test_writing_commands_list_their_exit_codes(command: str) -> None:
    text = help_of([command])
    codes = text.split("Exit codes:\n", 1)[1]
    for code in "0123":
        assert re.search(rf"^\s+{code}  \S", codes, re.M), code


def test_completion_is_offered() -> None:
    text = help_of([])
    assert "--install-completion" in text and "--show-completion" in text


def test_one_name_for_writing_a_file() -> None:
    for path in (["runbook"], ["inventory"]):
        assert "-o, --output FILE" in help_of(path)
    assert "--write" not in help_of(["inventory"])
