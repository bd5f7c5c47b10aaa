"""`failover delegation` in the lab with every DNS provider: the parent test. (a second BIND,
written over RFC 2136) and moto's Route 53 Domains lose Route 53's name servers, which the
parent's own answers show; rollback restores both; the safety refusals; a changed NS set
refused by each registrar's precondition."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import dns.flags
import dns.message
import dns.query
import pytest

from failover.config import load_config
from failover.errors import ProviderConflict
from failover.registrars import make_registrar
from lab import aws

pytestmark = pytest.mark.integration


def failover(lab: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cli.app", "-c", lab["config"], *args],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "CI": "true"}, stdin=subprocess.DEVNULL)


def parent_ns(lab: dict[str, Any]) -> set[str]:
    """`dig +norec NS example.test @parent`: the delegation as the parent serves it."""
    query = dns.message.make_query("example.test.", "NS")
    query.flags &= ~dns.flags.RD
    answer = dns.query.udp(query, lab["parent"]["host"], port=lab["parent"]["port"], timeout=2)
    return {rd.target.to_text() for rrset in (*answer.answer, *answer.authority)
            for rd in rrset if rrset.rdtype == 2}


def registry_ns(lab: dict[str, Any]) -> set[str]:
    client = aws.service_client("route53domains", lab["moto"]["endpoint"])
    detail = client.get_domain_detail(DomainName="example.test")
    return {n["Name"].rstrip(".") + "." for n in detail["Nameservers"]}


def test_delegation_move_off_aws_then_rollback(lab_all: dict[str, Any]) -> None:
    before = parent_ns(lab_all)
    route53 = {n.rstrip(".") + "." for n in lab_all["moto"]["name_servers"]}
    assert route53 <= before and registry_ns(lab_all) == before

    planned = failover(lab_all, "delegation", "plan", "--off", "aws", "-f", "json")
    assert planned.returncode == 0, planned.stdout + planned.stderr
    p = json.loads(planned.stdout)
    assert p["parent_ttl"] == 3600 and any("NS TTL is 3600 s" in w for w in p["warnings"])
    assert all(set(r["before"]) - set(r["after"]) == route53 for r in p["registrars"])

    moved = failover(lab_all, "delegation", "move", "--off", "aws", "--yes",
                     "--checksum", p["checksum"])
    assert moved.returncode == 0, moved.stdout + moved.stderr
    assert "delegation 1 done" in moved.stdout
    assert "lists the new set" in moved.stdout       # verified at the parent's server
    assert parent_ns(lab_all) == before - route53
    assert registry_ns(lab_all) == before - route53
    assert "delegation" in failover(lab_all, "history").stdout

    back = failover(lab_all, "delegation", "rollback", "--yes")
    assert back.returncode == 0, back.stdout + back.stderr
    assert parent_ns(lab_all) == before
    assert registry_ns(lab_all) == before


def test_refuses_one_vendor_left_without_force_and_never_empty(
        lab_all: dict[str, Any]) -> None:
    before = parent_ns(lab_all)
    one = failover(lab_all, "delegation", "move", "--off", "aws", "--off", "gcp",
                   "--off", "cloudflare", "--yes")
    assert one.returncode == 4
    line = [x for x in one.stderr.splitlines() if x.startswith("failover:")]
    assert len(line) == 1 and "one vendor (metal)" in line[0] and "--force" in line[0]
    assert parent_ns(lab_all) == before
    empty = failover(lab_all, "delegation", "move", "--off", "aws", "--off", "gcp",
                     "--off", "cloudflare", "--off", "metal", "--yes", "--force")
    assert empty.returncode == 4 and "would be empty" in empty.stderr
    assert parent_ns(lab_all) == before and registry_ns(lab_all) == before


def test_each_registrar_refuses_a_changed_ns_set(lab_all: dict[str, Any]) -> None:
    config = load_config(Path(lab_all["config"]))
    for name in ("parent", "route53domains"):
        registrar = make_registrar(name, config)
        held = registrar.read()
        stale = [*held[1:], "ns9.elsewhere.test."]  # what someone else's change would hold
        with pytest.raises(ProviderConflict):
            registrar.write(stale, held[:2])
        assert registrar.read() == held  # nothing was changed
        registrar.close()
