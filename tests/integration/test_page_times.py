"""The internal page says why a hosting is DOWN and keeps a move's time in one piece;
`status` and `history` print times with their zone (issue 20, items 10)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lab.core import kill

pytestmark = pytest.mark.integration

ZONED = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (UTC|\S+ \(UTC[+-]\d\d:\d\d\)|UTC[+-]\d\d:\d\d)"


def failover(config: Path | str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CI": "true", "COLUMNS": "120"}
    return subprocess.run([sys.executable, "-m", "cli.app", "-c", str(config), *args],
                          capture_output=True, text=True, timeout=120, env=env,
                          stdin=subprocess.DEVNULL)


def test_page_fills_why_and_times_say_their_zone_once(lab: dict[str, Any],
                                                      tmp_path: Path) -> None:
    config = lab["config"]
    kill(lab["dir"], "aws")
    failover(config, "check")
    assert failover(config, "check").returncode == 2                # fall 2: DOWN
    moved = failover(config, "move", "--off", "aws", "--yes")
    assert moved.returncode == 0, moved.stdout + moved.stderr

    made = failover(config, "page", "--out", str(tmp_path), "--audience", "internal")
    assert made.returncode == 0, made.stderr
    html = (tmp_path / "index.html").read_text()
    row = re.search(r'<tr id="hosting-aws-use1" data-verdict="DOWN">(.*?)</tr>', html)
    assert row, html
    why = re.findall(r"<td>(.*?)</td>", row.group(1))[-1]
    assert "probes failed" in why and "connection refused" in why, why
    assert "UTC (UTC" not in html and re.search(ZONED, html)
    took = re.search(r'<tr id="move-1" data-state="done"><td>1</td><td>move</td>'
                     r"<td>[^<]*</td><td>([^<]*)</td>", html)
    assert took and re.fullmatch(r"\d+\.\d\d&nbsp;s", took.group(1)), took

    status = failover(config, "status")
    assert re.search(rf"Last move: 1 \w+ at {ZONED}", status.stdout), status.stdout
    history = failover(config, "history")
    assert re.search(ZONED, history.stdout), history.stdout
    one = failover(config, "history", "1")
    assert re.search(rf"started {ZONED}, finished {ZONED}", one.stdout), one.stdout
