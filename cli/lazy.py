"""The root command group, importing a command's module only when that command runs.

Each module under ``cli/`` pulls in its own slice of the engine and of typer's
parameter machinery; importing all eleven and building every command's click
parameters cost every run ~10 ms of CPU before it did anything (issue 13).
``failover check`` now imports ``cli.check`` alone; ``failover --help``, a
typo's "did you mean" and shell completion still see every command, because
they ask for them all.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

import typer
from typer.core import TyperGroup

# Each command and group of `failover`, in the order of its help, with the module of
# cli/ whose register(app) adds it. tests/unit/test_cli_lazy.py checks it against them.
COMMAND_MODULES: dict[str, str] = {
    "validate": "check", "check": "check",
    "plan": "moves", "move": "moves", "rollback": "moves",
    "status": "status", "history": "status",
    "reconcile": "watch", "watch": "watch", "reinstate": "watch",
    "inventory": "inventory",
    "drill": "drill", "runbook": "drill",
    "pause": "cluster", "resume": "cluster", "cluster": "cluster",
    "audit": "audit",
    "page": "page",
    "notify": "notify",
    "delegation": "delegation",
    "certs": "certs",
}


_built: dict[str, dict[str, Any]] = {}


def module_commands(module: str, finish: Callable[[typer.Typer], None]) -> dict[str, Any]:
    """The click commands that ``cli.MODULE``'s register() adds, as the root would hold them.

    Built once per process: ``finish`` changes the module's own sub-apps (``notify``,
    ``delegation``) in place, and must not wrap their commands twice.
    """
    if module not in _built:
        sub = typer.Typer(rich_markup_mode=None, pretty_exceptions_enable=False)
        importlib.import_module(f"cli.{module}").register(sub)
        finish(sub)
        _built[module] = dict(typer.main.get_group(sub).commands)
    return _built[module]


class LazyCommands(MutableMapping[str, Any]):
    """Name -> click command, the module behind a name imported on first lookup."""

    def __init__(self, finish: Callable[[typer.Typer], None]) -> None:
        self._finish = finish
        self._loaded: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._loaded:
            module = COMMAND_MODULES.get(name)
            if module is None:
                raise KeyError(name)
            self._loaded.update(module_commands(module, self._finish))
        return self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter([*COMMAND_MODULES, *(n for n in self._loaded if n not in COMMAND_MODULES)])

    def __len__(self) -> int:
        return len(set(COMMAND_MODULES) | set(self._loaded))

    def __contains__(self, name: object) -> bool:
        return name in COMMAND_MODULES or name in self._loaded

    def __setitem__(self, name: str, command: Any) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        raise TypeError("failover's commands are fixed by COMMAND_MODULES")


class LazyGroup(TyperGroup):
    """typer's group with :class:`LazyCommands` for its commands; ``finish`` is applied
    to every module's commands as they load (cli.app's -c after the name, examples)."""

    finish: Callable[[typer.Typer], None] = staticmethod(lambda sub: None)

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        commands = LazyCommands(type(self).finish)
        commands.update(self.commands)
        self.commands = commands
