"""The installed `failover` console script, run as users run it, on every kind of usage error.

Each must be click's own message on one line with exit 64 (EX_USAGE), never "internal
error": typer 0.29 brought its own click, and the old `except
click.ClickException` let all of these through as bugs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).parent / "failover"
ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80"}
    env.pop("FAILOVER_CONFIG", None)
    env.pop("FAILOVER_DEBUG", None)
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, env=env,
                          timeout=60, cwd=cwd)


@pytest.mark.parametrize(("args", "says"), [
    (["chek"], "No such command 'chek'. Did you mean 'check'?"),
    (["check", "--bogus"], "No such option: --bogus"),
    (["move", "--of", "aws"], "No such option: --of"),
    (["move", "--to"], "Option '--to' requires an argument."),
    (["reinstate"], "Missing argument 'VENDOR'."),
    (["check", "--format", "xml"], "Invalid value for '--format'"),
    (["history", "--limit", "abc"], "Invalid value for '--limit'"),
    (["-c", "failover.yaml"], "Missing command."),
])
def test_usage_error_is_one_line_exit_64(args: list[str], says: str) -> None:
    result = run(*args)
    assert result.returncode == 64, result
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert says.lower() in lines[0].lower()
    assert lines[0].startswith("failover: ")
    assert "internal error" not in result.stderr
    assert "-h'" in lines[0]  # where to read more


def test_no_command_prints_the_help_and_exits_64() -> None:
    result = run()
    assert result.returncode == 64
    assert "Usage: failover [OPTIONS] COMMAND" in result.stdout + result.stderr
    assert "Commands" in result.stdout + result.stderr
    assert "internal error" not in result.stdout + result.stderr


def test_version_prints_the_version_and_exits_0() -> None:
    from failover import __version__

    result = run("--version")
    assert (result.returncode, result.stdout, result.stderr) == (0, f"failover {__version__}\n", "")


def test_config_is_accepted_after_the_command_too(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    for args in (["-c", str(missing), "validate"], ["validate", "-c", str(missing)],
                 ["validate", "--config", str(missing)]):
        result = run(*args, cwd=tmp_path)
        assert result.returncode == 3
        assert f"{missing}: no such file" in result.stderr, args


def test_config_after_the_command_wins(tmp_path: Path) -> None:
    example = ROOT / "examples" / "failover.yaml"
    result = run("-c", str(tmp_path / "nowhere.yaml"), "validate", "-c", str(example))
    assert result.returncode == 0, result.stderr
    assert "valid:" in result.stdout
