"""Start-up stays lean: `failover --help` and `validate` import no heavy SDK or renderer
they do not use (issue 13). Asserted on module names in a fresh interpreter, never on time:
the bench measures the time (`python -m bench startup`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Each costs tens to hundreds of milliseconds to import, and none is needed to print help.
HEAVY = ("boto3", "botocore", "apprise", "httpx", "etcd3gw", "dns.asyncquery", "rich.table",
         "pulumi", "yaml", "sqlite3", "asyncio", "ssl")
# Help is printed by typer alone: no config model, no renderer, no DNS library.
HELP_ALSO_LEAN = ("rich", "dns", "failover.config", "failover.engine")

_SHOW_MODULES = """
import atexit, json, sys
atexit.register(lambda: sys.__stderr__.write("MODULES " + json.dumps(sorted(sys.modules)) + "\\n"))
sys.argv = ["failover", *sys.argv[1:]]
from cli.app import main
main()
"""


def modules_after(*argv: str) -> set[str]:
    """The modules a fresh `failover ARGV...` had imported when it exited."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80"}
    env.pop("FAILOVER_CONFIG", None)
    result = subprocess.run([sys.executable, "-c", _SHOW_MODULES, *argv], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    line = next((x for x in result.stderr.splitlines() if x.startswith("MODULES ")), None)
    assert line is not None, result.stderr
    return set(json.loads(line.removeprefix("MODULES ")))


def loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    """Which of NAMES (a package counts with any of its submodules) were imported."""
    return [n for n in names if any(m == n or m.startswith(n + ".") for m in modules)]


def test_help_imports_nothing_heavy() -> None:
    assert loaded(modules_after("--help"), HEAVY + HELP_ALSO_LEAN + ("pydantic",)) == []


# `COMMAND --help` runs the root callback first, and typer 0.29 coerces its options
# through pydantic TypeAdapters: pydantic is typer's cost there, the rest is ours to keep out.
@pytest.mark.parametrize("command", ["move", "check", "watch", "notify"])
def test_command_help_imports_nothing_heavy(command: str) -> None:
    assert loaded(modules_after(command, "--help"), HEAVY + HELP_ALSO_LEAN) == []


def test_validate_imports_no_sdk_and_no_renderer() -> None:
    modules = modules_after("-c", str(ROOT / "examples" / "failover.yaml"), "validate")
    assert "failover.config" in modules  # it did validate, so the check below means something
    # Its one line is written plainly: rich.console alone is ~15 ms of a ~250 ms command.
    assert loaded(modules, (*(n for n in HEAVY if n != "yaml"), "rich")) == []
    # Only the module of the command being run (cli/lazy.py).
    assert sorted(m for m in modules if m.startswith("cli.")) == ["cli.app", "cli.check",
                                                                  "cli.common", "cli.examples",
                                                                  "cli.lazy"]
