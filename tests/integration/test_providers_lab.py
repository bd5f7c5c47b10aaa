"""All five DNS providers in one lab (``lab up --providers all``): BIND (RFC 2136, with
Knot), Route 53 (moto), PowerDNS (HTTP API), the Cloudflare stand-in and the Cloud DNS
stand-in. ``failover`` runs as a user runs it (a subprocess, CI=true); what each provider
serves is read through ``status``, and BIND and PowerDNS over DNS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from failover.dns.query import DnsAuthority
from lab.core import bind_answers

pytestmark = pytest.mark.integration

AWS, GCP = "127.0.0.11", "127.0.0.12"
FIVE = ["route53", "bind", "powerdns", "cloudflare", "clouddns"]
SECRETS = {"powerdns": "pdns.key", "cloudflare": "cloudflare.token", "clouddns": "gcp.token"}


def failover(lab: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cli.app", "-c", lab["config"], *args],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "CI": "true"}, stdin=subprocess.DEVNULL)


def served(lab: dict[str, Any], exit_code: int = 0) -> dict[str, set[str]]:
    """Each provider's answers for the managed names, as `status` reads them (and the exit
    code `status` must give)."""
    status = failover(lab, "status", "-f", "json")
    assert status.returncode == exit_code, status.stdout + status.stderr
    return {p["provider"]: {v for rr in p["rrsets"] for v in rr["values"]}
            for p in json.loads(status.stdout)["providers"] if not p["error"]}


def pdns_answers(lab: dict[str, Any]) -> set[str]:
    keys = [(n, "A") for n in lab["names"]]
    got = DnsAuthority("t", lab["pdns"]["host"], lab["pdns"]["port"], lab["zone"], 2).read(keys)
    return {v for rr in got.values() for v in rr.values}


def test_move_off_aws_writes_and_verifies_all_five_then_rolls_back(
        lab_all: dict[str, Any]) -> None:
    moved = failover(lab_all, "move", "--off", "aws", "--yes", "-f", "json")
    assert moved.returncode == 0, moved.stdout + moved.stderr
    result = json.loads(moved.stdout)["result"]
    assert result["state"] == "done"
    assert [(s["provider"], s["state"], s["verified"]) for s in result["steps"]] == \
        [(p, "applied", True) for p in FIVE]
    assert served(lab_all) == {p: {GCP} for p in FIVE}
    assert {bind_answers(lab_all, n)[0] for n in lab_all["names"]} == {GCP}
    assert pdns_answers(lab_all) == {GCP}  # over DNS, at PowerDNS itself

    back = failover(lab_all, "rollback", "--yes")
    assert back.returncode == 0, back.stdout + back.stderr
    assert served(lab_all) == {p: {AWS} for p in FIVE}


def test_each_new_provider_failing_leaves_the_others_written_and_rollback_restores(
        lab_all: dict[str, Any]) -> None:
    root = Path(lab_all["dir"])
    for broken, file in SECRETS.items():
        path = root / file
        good = path.read_text()
        path.write_text("refused-" + broken + "\n")
        moved = failover(lab_all, "move", "--off", "aws", "--yes", "-f", "json")
        assert moved.returncode == 2, moved.stdout + moved.stderr
        result = json.loads(moved.stdout)["result"]
        assert result["state"] == "partial"
        steps = {s["provider"]: s for s in result["steps"]}
        error = steps[broken]["error"]
        assert error.startswith(f"{broken}: ") and str(path) in error and "\n" not in error
        assert good.strip() not in moved.stdout + moved.stderr
        assert all(steps[p]["state"] == "applied" and steps[p]["verified"]
                   for p in FIVE if p != broken)
        # A provider that cannot be read is CRITICAL in status as in check (issue 20).
        assert served(lab_all, exit_code=2) == {p: {GCP} for p in FIVE if p != broken}

        path.write_text(good)
        back = failover(lab_all, "rollback", "--yes")
        assert back.returncode == 0, back.stdout + back.stderr
        assert served(lab_all) == {p: {AWS} for p in FIVE}, broken
