"""README's exit-code table is the one in failover/exitcodes.py, and every command's --help
ends with that command's line of it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from failover import exitcodes

ROOT = Path(__file__).resolve().parents[2]


def test_readme_holds_the_table_the_code_has() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- exit-codes:[^\n]*-->\n(.*?)<!-- /exit-codes -->", text, re.S)
    assert block, "README.md lost its exit-codes block"
    assert block.group(1) == exitcodes.markdown(), (
        "README's exit-code table differs from failover/exitcodes.py: paste "
        "python -c 'from failover.exitcodes import markdown; print(markdown(), end=\"\")'")


def test_codes_have_one_meaning_each() -> None:
    codes = [row.code for row in exitcodes.ROWS]
    assert len(codes) == len(set(codes))
    assert not set(exitcodes.REPORTING_COMMANDS) & set(exitcodes.ACTING_COMMANDS)


def test_usage_is_no_code_a_check_returns() -> None:
    assert exitcodes.EXIT_USAGE not in (0, 1, 2, 3, exitcodes.EXIT_REFUSED, exitcodes.EXIT_BUSY)


def test_every_command_is_reporting_or_acting() -> None:
    """A new command must say which half of the table it follows."""
    import typer

    from cli.app import app

    def leaves(command: object, path: str) -> list[str]:
        subs = getattr(command, "commands", None)
        if not subs:
            return [path]
        found = [path] if getattr(command, "invoke_without_command", False) else []
        for name in list(subs):
            found += leaves(subs[name], f"{path} {name}".strip())
        return found

    tree = set(leaves(typer.main.get_command(app), ""))
    known = set(exitcodes.REPORTING_COMMANDS) | set(exitcodes.ACTING_COMMANDS)
    assert tree - known == set(), "add these to failover/exitcodes.py"
    assert known - tree == set()


def _commands() -> list[str]:
    return [*exitcodes.REPORTING_COMMANDS, *exitcodes.ACTING_COMMANDS]


@pytest.mark.parametrize("command", _commands())
def test_every_command_help_ends_with_its_exit_codes(command: str) -> None:
    from typer.testing import CliRunner

    from cli.app import app
    from cli.examples import EXIT_CODES

    result = CliRunner().invoke(app, [*command.split(), "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    if command in EXIT_CODES:  # listed in full: each code of the table, at a line's start
        for row in exitcodes.ROWS:
            assert re.search(rf"^\s+{row.code}\s", result.output, re.M), (command, row)
    else:
        assert exitcodes.help_line(command) in flat, flat[-400:]
