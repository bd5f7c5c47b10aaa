"""`python -m lab` works from any working directory, the one holding a lab's folder too.

The tour's lab lives in /tmp/lab and is driven from /tmp: a folder named `lab` whose
`bind/` once shadowed the package (AttributeError: module 'lab.bind' has no attribute
'NS_NAME'). The lab folder here is empty but for `bind/`, so the answer is the lab's own
one line ("no lab in lab"), not a traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("command", [["kill", "--dir", "lab", "aws"], ["status", "--dir", "lab"]])
def test_lab_from_the_folder_that_holds_its_folder(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "lab" / "bind").mkdir(parents=True)
    (tmp_path / "lab" / "knot").mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LAB_DIR")}
    result = subprocess.run([sys.executable, "-m", "lab", *command], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 3, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"python -m lab {command[0]}: no lab in "), lines
