"""The CA drill in a lab of its own started as ``python -m lab up --cas`` does: two Pebble
CAs, and the hostings' TLS front serving what ``failover certs issue`` put in the lab's
certs folder (aws-use1 from pebble-a, the standby hostings from pebble-b).

``failover drill --ca pebble-a --refuse`` stops pebble-a for real, finds the standby
certificate from pebble-b valid and on hand, served by the standby hostings, starts
pebble-a again, and writes its report; without a standby certificate it fails."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lab import core as lab_core
from lab import pebble
from tests.integration.certsworld import failover

pytestmark = pytest.mark.integration


@pytest.fixture
def cas_lab(tmp_path: Path) -> Iterator[dict[str, Any]]:
    root = tmp_path / "lab"
    try:
        data = lab_core.up(root, cas=True)
    except lab_core.LabError as exc:
        lab_core.down(root)
        pytest.fail(f"the lab did not start: {exc}", pytrace=False)
    try:
        yield {**data, "dir": root}
    finally:
        lab_core.down(root)


def test_the_standby_ca_carries_the_service_when_the_first_refuses(
        cas_lab: dict[str, Any], tmp_path: Path) -> None:
    config = Path(cas_lab["config"])
    for ca in ("pebble-b", "pebble-a"):
        done = failover(config, "certs", "issue", "--ca", ca)
        assert done.returncode == 0, done.stderr

    checked = failover(config, "check", "--format", "json")
    rows = {(f["kind"], f["name"]): f for f in json.loads(checked.stdout)["findings"]}
    served = rows[("certificate", "gcp-euw1 www.example.test")]
    assert served["status"] == "OK" and "valid for www.example.test" in served["reason"]
    assert all(e["trusted"] for e in served["evidence"])  # up to pebble-b's root
    assert rows[("certs", "ca-diversity")]["metrics"]["independent_cas"] == 2

    report = tmp_path / "report"
    done = failover(config, "drill", "--ca", "pebble-a", "--refuse", "--report", str(report),
                    "--format", "json")
    assert done.returncode == 0, (done.stdout, done.stderr)
    result = json.loads(done.stdout)
    phases = {(p["name"], p["provider"]): p for p in result["phases"]}
    refused = phases[("refuse", None)]
    assert refused["ok"] and "connection refused" in refused["detail"], refused
    standby = phases[("standby", "dir:certs")]
    assert standby["ok"] and "pebble-b/example.test" in standby["detail"]
    assert phases[("served", "gcp-euw1")]["ok"] and phases[("served", "metal-fra")]["ok"]
    assert not phases[("served", "aws-use1")]["ok"]  # pebble-a's: not renewable now
    assert "CA pebble-a's certificate" in phases[("served", "aws-use1")]["detail"]
    assert phases[("restore", None)]["ok"]
    assert all(p["seconds"] >= 0 for p in result["phases"])
    assert (report / "report.md").stat().st_mode & 0o777 == 0o600
    assert "# CA drill: pebble-a refuses (passed)" in (report / "report.md").read_text()
    # Left as found: pebble-a answers its directory again.
    assert pebble._all_answer((cas_lab["pebble"]["pebble-a"]["directory"],),
                              Path(cas_lab["pebble"]["pebble-a"]["ca_bundle"]))

    # pebble-a came back with a new root (as a re-keyed CA would): what aws-use1 still
    # serves from it no longer leads to a trusted root, and check says so.
    after = failover(config, "check", "--format", "json")
    rows = {(f["kind"], f["name"]): f for f in json.loads(after.stdout)["findings"]}
    stale = rows[("certificate", "aws-use1 www.example.test")]
    assert stale["status"] == "CRITICAL" and "not trusted" in stale["reason"], stale
    assert rows[("certificate", "gcp-euw1 www.example.test")]["status"] == "OK"

    # Without the standby certificate on hand the drill fails, and says what to do.
    shutil.rmtree(Path(cas_lab["dir"]) / "certs" / "pebble-b")
    done = failover(config, "drill", "--ca", "pebble-a", "--refuse", "--report",
                    str(tmp_path / "again"))
    assert done.returncode == 2, done.stdout
    assert "no valid standby certificate" in done.stdout
    assert "failover certs issue --ca OTHER" in done.stdout.replace("\n", " ")
