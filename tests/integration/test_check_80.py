"""`failover check` at 80 columns in the incident: the action first, as exact commands;
problems before OK rows; OK evidence one line each; no line over 80 and no word split.

Run against the lab with aws killed (its hosting DOWN and still served) and BIND not
answering (a problem in the second table), as a piped command sees 80 columns.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lab.core import kill

pytestmark = pytest.mark.integration

DEAD_BIND = (r"port: \d+, tsig", "port: 9, timeout: 1s, tsig")


def failover(config: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CI": "true", "COLUMNS": "80"}
    return subprocess.run([sys.executable, "-m", "cli.app", "-c", str(config), *args],
                          capture_output=True, text=True, timeout=120, env=env,
                          stdin=subprocess.DEVNULL)


def test_check_at_80_columns_puts_the_action_first(lab: dict[str, Any]) -> None:
    text = Path(lab["config"]).read_text()
    config = lab["dir"] / "deadbind.yaml"
    config.write_text(re.sub(DEAD_BIND[0], DEAD_BIND[1], text, count=1))
    kill(lab["dir"], "aws")
    failover(config, "check")
    proc = failover(config, "check")                          # fall: 2 -> DOWN
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()

    # The action first, as the commands to run, each whole on its line.
    assert lines[0].startswith("ACTION: users are still sent to aws-use1 (DOWN)"), lines[:3]
    assert [line.strip() for line in lines[1:3]] == ["failover plan --off aws",
                                                    "failover move --off aws"]
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]

    # The second table: problems first, and each OK row is one line.
    at = next(i for i, line in enumerate(lines) if line.startswith("CHECK "))
    rows = []
    for line in lines[at + 1:]:
        if not line.strip():
            break
        if not line.startswith(" "):
            rows.append([line])
        else:
            rows[-1].append(line)
    statuses = [row[0].split()[2] for row in rows]
    assert statuses[0] != "OK" and statuses[-1] == "OK", statuses
    order = {"CRITICAL": 0, "UNKNOWN": 1, "WARNING": 2, "OK": 3}
    assert statuses == sorted(statuses, key=order.__getitem__), statuses
    assert all(len(row) == 1 for row in rows if row[0].split()[2] == "OK"), rows

    # No word of a problem's evidence is split across lines: every one is a whole token.
    # (Numbers masked: the JSON comes from the next check, one failure further on.)
    def masked(text: str) -> set[str]:
        return set(re.sub(r"\d+(\.\d+)?", "#", text).split())

    tokens = masked(proc.stdout)
    report = json.loads(failover(config, "check", "--format", "json").stdout)
    words = masked(" ".join(f["reason"] for f in report["findings"] if f["severity"] != 0))
    assert words and not words - tokens, sorted(words - tokens)
