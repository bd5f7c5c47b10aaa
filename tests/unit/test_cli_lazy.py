"""The root group's table of commands (cli/lazy.py) says exactly what each cli module
registers: a command missing from it would vanish from `failover`, one it names wrongly
would fail at its first use."""

from __future__ import annotations

import pytest

from cli.app import _finish
from cli.lazy import COMMAND_MODULES, module_commands


@pytest.mark.parametrize("module", sorted(set(COMMAND_MODULES.values())))
def test_each_module_registers_what_the_table_names(module: str) -> None:
    named = [name for name, owner in COMMAND_MODULES.items() if owner == module]
    assert sorted(module_commands(module, _finish)) == sorted(named)


def test_commands_keep_the_help_order_and_take_config_after_their_name() -> None:
    from typer.main import get_command

    from cli.app import app

    root = get_command(app)
    assert list(root.commands) == list(COMMAND_MODULES)
    check = root.commands["check"]
    assert any("--config" in p.opts for p in check.params)  # _finish ran on it
