"""Certificate readiness in ``check`` against the lab: certificates on hand from two real
Pebble CAs, CAA records at BIND and Route 53 (moto). Each finding the issue names has
its test: a CAA set that forbids the standby CA, a certificate under ``min_days``, a
single CA across everything; and CAA that differs between DNS providers."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from failover.certs.findings import check
from failover.config import load_config
from failover.engine import Engine
from failover.finding import Finding
from lab import aws, bind, pebble
from tests.integration.certsworld import cas, failover, write_config

pytestmark = pytest.mark.integration
__all__ = ["cas"]  # a fixture


def findings(config: Path) -> dict[str, Finding]:
    engine = Engine(load_config(config))
    try:
        return {f"{f.kind} {f.name}": f for f in check(engine, engine.endpoints(), time.time())}
    finally:
        engine.close()


def set_caa(lab: dict[str, Any], values: list[str], *, route53: bool = True) -> None:
    """The zone apex's CAA set at BIND (and so Knot) and, unless told, Route 53."""
    secret = Path(lab["bind"]["tsig"]["secret_file"]).read_text().strip()
    bind.update(lab["bind"]["host"], int(lab["bind"]["port"]), lab["zone"], secret,
                [(lab["zone"], "CAA", v) for v in values], ttl=60)
    if route53:
        aws.client(lab["moto"]["endpoint"]).change_resource_record_sets(
            HostedZoneId=lab["moto"]["hosted_zone_id"], ChangeBatch={"Changes": [
                {"Action": "CREATE", "ResourceRecordSet": {
                    "Name": lab["zone"], "Type": "CAA", "TTL": 60,
                    "ResourceRecords": [{"Value": v} for v in values]}}]})


def test_caa_that_forbids_the_standby_ca_is_critical_in_check(
        lab: dict[str, Any], cas: dict[str, Any], tmp_path: Path) -> None:
    set_caa(lab, [f'0 issue "{pebble.caa_domain("pebble-a")}"'])
    config = write_config(lab, cas, tmp_path / "certs")
    done = failover(config, "check", "--format", "json")
    assert done.returncode == 2, done.stderr
    rows = {(f["kind"], f["name"]): f for f in json.loads(done.stdout)["findings"]}
    standby = rows[("caa", "pebble-b")]
    assert standby["status"] == "CRITICAL", standby
    assert "forbids the standby CA pebble-b" in standby["reason"]
    assert "CAA allows only pebble-a.ca.test" in standby["reason"]
    assert rows[("caa", "pebble-a")]["status"] == "OK"
    assert rows[("caa", "agreement")]["status"] == "OK"
    # Issuing from the forbidden CA would be refused by a real CA: the check says so
    # before anyone needs it.


def test_caa_that_differs_between_dns_providers_is_a_warning(
        lab: dict[str, Any], cas: dict[str, Any], tmp_path: Path) -> None:
    set_caa(lab, [f'0 issue "{pebble.caa_domain("pebble-b")}"'], route53=False)
    found = findings(write_config(lab, cas, tmp_path / "certs"))
    agree = found["caa agreement"]
    assert agree.status == "WARNING" and "different CAA records" in agree.reason, agree
    # Route 53 has no CAA (any CA), BIND allows pebble-b only: pebble-a is forbidden there.
    assert found["caa pebble-a"].status == "WARNING", found["caa pebble-a"]
    assert "at bind" in found["caa pebble-a"].reason
    assert found["caa pebble-b"].status == "OK"


def test_a_single_ca_and_a_certificate_under_min_days(
        lab: dict[str, Any], cas: dict[str, Any], tmp_path: Path) -> None:
    config = write_config(lab, cas, tmp_path / "certs")
    before = findings(config)
    assert before["certs ca-diversity"].status == "WARNING"
    assert "no valid certificate" in before["certs ca-diversity"].reason

    done = failover(config, "certs", "issue", "--ca", "pebble-b")
    assert done.returncode == 0, done.stderr
    one = findings(config)
    diversity = one["certs ca-diversity"]
    assert diversity.status == "WARNING", diversity
    assert "a single CA (Pebble Intermediate CA" in diversity.reason
    assert "failover certs issue --ca pebble-a" in diversity.reason
    assert one["certificate on hand pebble-b/example.test"].status == "OK"

    done = failover(config, "certs", "issue", "--ca", "pebble-a")
    assert done.returncode == 0, done.stderr
    two = findings(config)
    assert two["certs ca-diversity"].status == "OK", two["certs ca-diversity"]
    assert two["certs ca-diversity"].metrics["independent_cas"] == 2

    # Pebble's certificates last five years: a min_days above that makes them due.
    text = config.read_text().replace("  min_days: 21", "  min_days: 2000")
    config.write_text(text)
    due = findings(config)
    row = due["certificate on hand pebble-b/example.test"]
    assert row.status == "WARNING" and "under certs.min_days 2000" in row.reason, row
    shown = failover(config, "certs", "status")
    assert shown.returncode == 1, shown.stdout

    # renew takes every one of them again, each from the CA it came from.
    before = {c: (tmp_path / "certs" / c / "example.test" / "fullchain.pem").read_bytes()
              for c in ("pebble-a", "pebble-b")}
    renewed = failover(config, "certs", "renew", "--format", "json")
    assert renewed.returncode == 0, renewed.stderr
    rows = json.loads(renewed.stdout)["renewals"]
    assert sorted((r["ca"], r["lineage"]) for r in rows) == [
        ("pebble-a", "example.test"), ("pebble-b", "example.test")]
    assert all(r["issued"] and r["issued"]["saved"] and not r["error"] for r in rows), rows
    for ca, old in before.items():
        assert (tmp_path / "certs" / ca / "example.test" / "fullchain.pem").read_bytes() != old
