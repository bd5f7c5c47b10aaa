"""Issue 20 against the lab, through the CLI: a pinned target that goes DOWN never strands
users silently. By default the watcher moves away (off the vendor the person evacuated)
and the history says the pin yielded; with ``pins.strict`` every cycle is CRITICAL (exit
2) and a notice is sent once; ``move --to`` a DOWN hosting needs --force, as rollback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lab import webhook
from lab.core import bind_answers, kill, route53_answers

pytestmark = pytest.mark.integration

AWS, GCP, METAL = "127.0.0.11", "127.0.0.12", "127.0.0.13"


def failover(config: Path | str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CI": "true", "COLUMNS": "100"}
    return subprocess.run([sys.executable, "-m", "cli.app", "-c", str(config), *args],
                          capture_output=True, text=True, timeout=180, env=env,
                          stdin=subprocess.DEVNULL)


def cycles_until(config: Path, action: str, n: int = 5) -> subprocess.CompletedProcess[str]:
    """Run 'reconcile --auto-move' until its cycle's action is ``action`` (fall needs a
    few); the last run."""
    for _ in range(n):
        run = failover(config, "reconcile", "--auto-move", "--format", "json")
        cycle = json.loads(run.stdout)
        if cycle["action"] == action:
            return run
    raise AssertionError(run.stdout + run.stderr)


def test_a_pin_on_a_dead_target_yields_and_history_says_so(lab: dict[str, Any]) -> None:
    config = Path(lab["config"])
    moved = failover(config, "move", "--off", "aws", "--yes")
    assert moved.returncode == 0, moved.stdout + moved.stderr
    assert "Pinned: watchers leave this decision alone until" in moved.stdout
    status = json.loads(failover(config, "status", "--format", "json").stdout)
    assert status["pin"]["kind"] == "move" and status["pin"]["until"] > 0
    kill(lab["dir"], "gcp")
    run = cycles_until(config, "moved")
    cycle = json.loads(run.stdout)
    assert "the operator's pin yielded: it served gcp-euw1 DOWN" in cycle["sentence"]
    # aws stays evacuated (the person's --off), though it is healthy: metal serves.
    assert bind_answers(lab, "www") == [METAL] == route53_answers(lab, "www")
    history = json.loads(failover(config, "history", "--format", "json").stdout)
    assert "pin yielded" in history[0]["reason"], history[0]
    assert json.loads(failover(config, "status", "--format", "json").stdout)["pin"] is None


def test_a_strict_pin_on_a_dead_target_is_critical_and_notified_once(
        lab: dict[str, Any]) -> None:
    config = lab["dir"] / "strict.yaml"
    config.write_text(Path(lab["config"]).read_text() + "\npins: {strict: true}\n")
    paused = failover(config, "pause", "--for", "2h", "--reason", "db migration")
    assert paused.returncode == 0 and "until 20" in paused.stdout, paused.stdout
    kill(lab["dir"], "aws")
    before = len(webhook.received(Path(lab["webhook"]["root"])))
    codes = []
    for _ in range(3):   # fall 2: the second cycle judges aws-use1 DOWN
        run = failover(config, "reconcile", "--auto-move", "--format", "json")
        codes.append(run.returncode)
        cycle = json.loads(run.stdout)
    assert cycle["action"] == "stranded" and codes[-2:] == [2, 2], (codes, cycle)
    assert "users are stranded" in cycle["sentence"] and "UTC" in cycle["sentence"]
    assert bind_answers(lab, "www") == [AWS]            # the strict pin held
    titles = [json.loads(str(p["body"]))["title"]
              for p in webhook.received(Path(lab["webhook"]["root"]))[before:]]
    assert titles.count("[lab] a move is needed and was not made") == 1, titles
    check = failover(config, "check", "--format", "json")
    assert check.returncode == 2
    pins = [f for f in json.loads(check.stdout)["findings"] if f["kind"] == "pin"]
    assert pins and "until 20" in pins[0]["reason"], pins
    cluster = failover(config, "cluster")
    assert "db migration" in cluster.stdout and "UTC" in cluster.stdout, cluster.stdout
    assert failover(config, "resume").returncode == 0


def test_move_to_a_down_hosting_needs_force_as_rollback_does(lab: dict[str, Any]) -> None:
    config = Path(lab["config"])
    kill(lab["dir"], "gcp")
    for _ in range(3):
        failover(config, "check")             # fall: gcp-euw1 is judged DOWN
    plan = failover(config, "plan", "--to", "gcp-euw1")
    assert plan.returncode == 2 and "needs --force" in plan.stdout, plan.stdout
    refused = failover(config, "move", "--to", "gcp-euw1", "--yes")
    assert refused.returncode == 4, refused.stdout + refused.stderr
    assert "--to gcp-euw1 would serve gcp-euw1, but gcp-euw1 is DOWN" in refused.stderr
    assert bind_answers(lab, "www") == [AWS]
    forced = failover(config, "move", "--to", "gcp-euw1", "--yes", "--force")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert bind_answers(lab, "www") == [GCP]
