"""Issue 8 through the CLI against the lab: what failover says in the incident hour is true.

Each test runs ``failover`` as a user would (a subprocess, CI=true, no terminal) against
the lab's real BIND and moto server, and reads the answers back from them.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lab.core import bind_answers, kill, route53_answers

pytestmark = pytest.mark.integration

AWS, GCP, METAL = "127.0.0.11", "127.0.0.12", "127.0.0.13"


def failover(config: Path | str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "CI": "true", "COLUMNS": "80"}
    return subprocess.run([sys.executable, "-m", "cli.app", "-c", str(config), *args],
                          capture_output=True, text=True, timeout=timeout, env=env,
                          stdin=subprocess.DEVNULL)


def variant(lab: dict[str, Any], name: str, *subs: tuple[str, str]) -> Path:
    """The lab's config with each (pattern, replacement) applied once, as ``name``."""
    text = Path(lab["config"]).read_text()
    for pattern, repl in subs:
        new = re.sub(pattern, repl, text, count=1)
        assert new != text, pattern
        text = new
    path = lab["dir"] / name
    path.write_text(text)
    return path


DEAD_ROUTE53 = (r'endpoint_url: "http://127\.0\.0\.1:\d+", credentials_file: aws-credentials, '
                r'verify', 'endpoint_url: "http://127.0.0.1:9", credentials_file: '
                'aws-credentials, verify')
DEAD_BIND = (r"port: \d+, tsig", "port: 9, timeout: 1s, tsig")


def moves(lab: dict[str, Any]) -> int:
    with sqlite3.connect(lab["dir"] / "journal.sqlite") as db:
        return int(db.execute("SELECT count(*) FROM moves").fetchone()[0])


# -- defect 1: an unreachable provider is never counted as serving anything -----------------

def test_no_provider_reachable_is_critical_everywhere(lab: dict[str, Any]) -> None:
    cfg = variant(lab, "dead.yaml", DEAD_ROUTE53, DEAD_BIND)
    kill(lab["dir"], "aws")
    for args in (["reconcile", "--auto-move"], ["move", "--to", "metal-fra", "--yes"],
                 ["plan"], ["plan", "--off", "aws"]):
        proc = failover(cfg, *args)
        said = proc.stdout + proc.stderr
        assert proc.returncode == 2, (args, said)
        assert "no DNS provider reachable" in said, (args, said)
        assert "Nothing to change" not in said and "every DNS provider serves" not in said
        assert "Traceback" not in said
    assert moves(lab) == 0          # nothing was journaled as a move

    status = failover(cfg, "status")
    assert status.returncode == 2, status.stdout + status.stderr
    rows = [line.split() for line in status.stdout.splitlines() if line.startswith("www A")]
    assert rows and rows[0][-1] == "unknown", status.stdout
    assert "no DNS provider reachable" in status.stdout
    data = json.loads(failover(cfg, "status", "--format", "json").stdout)
    assert {a["agree"] for a in data["agree"]} == {None}
    # Nothing was written anywhere.
    assert {tuple(bind_answers(lab, n)) for n in lab["names"]} == {(AWS,)}
    assert {tuple(route53_answers(lab, n)) for n in lab["names"]} == {(AWS,)}


def test_one_unreachable_provider_is_unknown_and_journaled_with_its_error(
        lab: dict[str, Any]) -> None:
    cfg = variant(lab, "deadbind.yaml", DEAD_BIND)
    moved = failover(cfg, "move", "--to", "gcp-euw1", "--yes")
    assert moved.returncode == 2, moved.stdout + moved.stderr
    with sqlite3.connect(lab["dir"] / "journal.sqlite") as db:
        steps = dict(db.execute("SELECT provider, error FROM move_steps").fetchall())
    assert steps["bind"] and "cannot connect to 127.0.0.1:9" in steps["bind"], steps
    history = failover(cfg, "history", "1")
    assert re.search(r"bind \(metal\): unreachable, 0 changes: bind: cannot connect",
                     history.stdout), history.stdout

    status = failover(cfg, "status")
    assert status.returncode == 1, status.stdout + status.stderr
    www = [line.split() for line in status.stdout.splitlines() if line.startswith("www A")]
    assert www == [["www", "A", GCP, "unreachable", "unknown"]], status.stdout

    again = failover(cfg, "move", "--to", "gcp-euw1", "--yes")
    assert again.returncode == 1, again.stdout + again.stderr
    assert "Nothing to change: every reachable DNS provider already serves this" in again.stdout


# -- defect 2: rollback never leaves a record without an answer ---------------------------

def answers(lab: dict[str, Any], name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return tuple(bind_answers(lab, name)), tuple(route53_answers(lab, name))


def test_rollback_with_a_config_that_manages_more_refuses_then_keeps_every_answer(
        lab: dict[str, Any]) -> None:
    narrow = variant(lab, "noapi.yaml", (r", \{name: api, type: A\}", ""))
    moved = failover(narrow, "move", "--to", "gcp-euw1", "--yes")
    assert moved.returncode == 0, moved.stdout + moved.stderr
    refused = failover(lab["config"], "rollback", "--yes")
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert "do not match the managed records" in refused.stderr
    assert "api.example.test. A" in refused.stderr and "--force" in refused.stderr
    assert "to delete" in refused.stdout and "0 to delete" in refused.stdout
    assert answers(lab, "www") == ((GCP,), (GCP,))            # nothing written
    forced = failover(lab["config"], "rollback", "--yes", "--force")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert answers(lab, "www") == ((AWS,), (AWS,))
    assert answers(lab, "api") == ((AWS,), (AWS,))            # never emptied
    status = failover(lab["config"], "status")
    assert "(none)" not in status.stdout and status.returncode == 0, status.stdout


# -- defect 3: rollback is judged like move --to ------------------------------------------

def test_rollback_refuses_to_send_traffic_back_to_a_dead_or_terminated_vendor(
        lab: dict[str, Any]) -> None:
    from lab.core import suspend

    config = lab["config"]
    kill(lab["dir"], "aws")
    failover(config, "check")
    failover(config, "check")                                 # fall: 2 -> DOWN
    moved = failover(config, "move", "--off", "aws", "--yes")
    assert moved.returncode == 0, moved.stdout + moved.stderr
    for state in ("DOWN", "TERMINATED"):
        if state == "TERMINATED":
            suspend(lab["dir"], "aws")
        for args in (["--dry-run"], ["--yes"]):
            back = failover(config, "rollback", *args)
            said = back.stdout + back.stderr
            assert back.returncode == 3, said
            assert re.search(rf"would serve aws-use1 again, but (aws-use1 is {state}|vendor "
                             rf"'aws' was marked {state})", said), said
            assert "run 'failover move' to serve the best healthy hosting" in said
            assert "Dry run" not in said
        assert answers(lab, "www") == ((GCP,), (GCP,))
    forced = failover(config, "rollback", "--yes", "--force")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert answers(lab, "www") == ((AWS,), (AWS,))
