"""README's five-minute tour, run as written, leaves automatic failover working (issue 20).

The tour's shell block is read from README.md and run line by line in one bash (only
the lab's folder is this test's own instead of /tmp/lab, and ``make setup`` is done
already). Then, before the tour's last line (``lab down``), the hosting the tour left
served is killed, and one watcher cycle (``reconcile --auto-move``) must move away: no
pin left behind by the tour's move and rollback holds it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lab.core import bind_answers, route53_answers

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def tour_lines() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## The five-minute tour\s+```sh\n(.*?)```", text, re.S)
    assert block, "README.md has no '## The five-minute tour' sh block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_the_readme_tour_leaves_automatic_failover_working(tmp_path: Path) -> None:
    lines = tour_lines()
    assert lines[0] == "make setup" and "lab down" in lines[-1], lines
    lab_dir = tmp_path / "lab"
    venv_bin = str(Path(sys.executable).parent)
    script = ["set -u"]
    for line in lines[1:-1]:
        line = line.replace("/tmp/lab", str(lab_dir)).replace(".venv/bin/", f"{venv_bin}/")
        script.append(f"echo '+ {line.split('#')[0].strip()}'; {line}")
    env = {**os.environ, "CI": "true", "COLUMNS": "100"}
    try:
        tour = subprocess.run(["bash", "-c", "\n".join(script)], capture_output=True,
                              text=True, timeout=600, env=env, cwd=ROOT,
                              stdin=subprocess.DEVNULL)
        said = tour.stdout + tour.stderr
        assert "resumed: watchers act again" in said, said
        assert "Traceback" not in said, said
        lab = {**json.loads((lab_dir / "lab.json").read_text()), "dir": lab_dir}
        aws = "127.0.0.11"
        assert bind_answers(lab, "www") == [aws] == route53_answers(lab, "www"), said
        # The served hosting dies; one watcher cycle moves away (fall 2: two cycles).
        config = str(lab_dir / "failover.yaml")
        run = [sys.executable, "-m", "lab", "kill", "--dir", str(lab_dir), "aws"]
        subprocess.run(run, check=True, capture_output=True, timeout=60, cwd=ROOT)
        cycles = []
        for _ in range(4):
            cycle = subprocess.run([sys.executable, "-m", "cli.app", "-c", config,
                                    "reconcile", "--auto-move"], capture_output=True,
                                   text=True, timeout=180, env=env, cwd=ROOT,
                                   stdin=subprocess.DEVNULL)
            cycles.append(cycle.stdout + cycle.stderr)
            if "moved to" in cycle.stdout:
                break
        assert "moved to gcp-euw1" in cycles[-1], "\n".join(cycles)
        assert "pin" not in cycles[-1], cycles[-1]   # nothing pinned: no pin to yield
        assert bind_answers(lab, "www") == ["127.0.0.12"] == route53_answers(lab, "www")
    finally:
        subprocess.run([sys.executable, "-m", "lab", "down", "--dir", str(lab_dir)],
                       capture_output=True, timeout=120, cwd=ROOT)
