"""The DNS check against the lab's real servers: BIND (primary), Knot (its secondary, kept
current by NOTIFY), the parent zone test. on a second BIND, and Route 53 in moto.

Faults are real: Knot's zone updates frozen with ``knotc zone-freeze`` (it answers, with an
old serial), knotd stopped with SIGSTOP (it does not answer), a provider's servers gone, the
parent's delegation rewritten with a signed UPDATE.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.query
import dns.rcode
import dns.tsig
import dns.tsigkeyring
import dns.update
import pytest

from failover.config import Config, Delegation, Rfc2136Provider, Route53Provider, load_config
from failover.dns import make_provider
from failover.dns.base import Provider
from failover.dnscheck import DELEGATION, check_dns
from failover.report import Finding
from lab import aws, bind, knot

pytestmark = pytest.mark.integration


def run(config: Config) -> dict[str, Finding]:
    providers = {name: make_provider(name, config) for name in config.dns}
    try:
        return {f.name: f for f in check_dns(config, providers)}
    finally:
        for p in providers.values():
            p.close()


def with_bind(config: Config, **changes: Any) -> Config:
    settings = config.dns["bind"]
    assert isinstance(settings, Rfc2136Provider)
    return config.model_copy(update={"dns": {**config.dns,
                                             "bind": settings.model_copy(update=changes)}})


def update(lab: dict[str, Any], zone: str, port: int, build: Any) -> None:
    secret = Path(lab["bind"]["tsig"]["secret_file"]).read_text()
    keyring = dns.tsigkeyring.from_text({lab["bind"]["tsig"]["name"]: secret})
    msg = dns.update.UpdateMessage(zone, keyring=keyring, keyalgorithm=dns.tsig.HMAC_SHA256)
    build(msg)
    assert dns.query.tcp(msg, "127.0.0.1", port=port, timeout=5).rcode() == dns.rcode.NOERROR


def move_www_at_bind(lab: dict[str, Any], address: str) -> None:
    update(lab, lab["zone"], lab["bind"]["port"],
           lambda m: m.replace("www", 60, "A", address))


def wait_for(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.fixture
def config(lab: dict[str, Any]) -> Config:
    return load_config(lab["config"])


@pytest.fixture
def frozen(lab: dict[str, Any]) -> Iterator[None]:
    """Knot's zone updates held: it still answers, with whatever it had."""
    knot.knotc(lab["dir"], "zone-freeze", lab["zone"])
    try:
        yield
    finally:
        knot.knotc(lab["dir"], "zone-thaw", lab["zone"])


def test_everything_consistent_is_ok(config: Config, lab: dict[str, Any]) -> None:
    found = run(config)
    assert list(found) == ["route53", "bind", DELEGATION]
    assert all(f.status == "OK" and f.kind == "dns" for f in found.values()), found
    bind_f = found["bind"]
    serial = bind.soa_serial("127.0.0.1", lab["bind"]["port"])
    assert bind_f.metrics == {"servers": 2, "servers_answering": 2, "up": 1,
                              "soa_serial": serial}
    assert [e["server"] for e in bind_f.evidence] == [
        f"bind 127.0.0.1:{lab['bind']['port']}", f"bind 127.0.0.1:{lab['knot']['port']}"]
    assert all(e["soa_serial"] == serial for e in bind_f.evidence)
    assert found["route53"].metrics["up"] == 1 and found["route53"].vendor == "aws"
    assert found[DELEGATION].reason == (
        "example.test. is delegated to 5 name servers at 2 vendors: aws (route53), "
        "metal (bind)")


def test_a_secondary_that_stopped_taking_updates_lags(config: Config, lab: dict[str, Any],
                                                      frozen: None) -> None:
    before = bind.soa_serial("127.0.0.1", lab["knot"]["port"])
    move_www_at_bind(lab, "127.0.0.12")  # now the providers disagree too
    found = run(config)
    bind_f = found["bind"]
    assert bind_f.status == "WARNING", bind_f.reason
    assert (f"bind 127.0.0.1:{lab['knot']['port']} serial {before}, primary {before + 1}"
            in bind_f.reason)
    assert "www.example.test. A 127.0.0.12 (route53: 127.0.0.11)" in bind_f.reason
    assert found["route53"].status == "WARNING"
    assert "www.example.test. A 127.0.0.11 (bind: 127.0.0.12)" in found["route53"].reason


def test_a_secondary_that_caught_up_is_ok_again(config: Config, lab: dict[str, Any]) -> None:
    knot.knotc(lab["dir"], "zone-freeze", lab["zone"])
    move_www_at_bind(lab, "127.0.0.12")
    assert run(config)["bind"].status == "WARNING"
    knot.knotc(lab["dir"], "zone-thaw", lab["zone"])
    wait_for(lambda: bind.soa_serial("127.0.0.1", lab["knot"]["port"])
             == bind.soa_serial("127.0.0.1", lab["bind"]["port"]))
    aws.service_client("route53", lab["moto"]["endpoint"]).change_resource_record_sets(
        HostedZoneId=lab["moto"]["hosted_zone_id"], ChangeBatch={"Changes": [
            {"Action": "UPSERT", "ResourceRecordSet": {
                "Name": f"www.{lab['zone']}", "Type": "A", "TTL": 60,
                "ResourceRecords": [{"Value": "127.0.0.12"}]}}]})
    assert {f.name: f.status for f in run(config).values()} == {
        "route53": "OK", "bind": "OK", DELEGATION: "OK"}


@pytest.mark.own_lab
def test_a_secondary_that_does_not_answer(config: Config, lab: dict[str, Any]) -> None:
    pid = lab["knot"]["pid"]
    os.kill(pid, signal.SIGSTOP)
    try:
        start = time.monotonic()
        found = run(with_bind(config, timeout=1.0))
        took = time.monotonic() - start
    finally:
        os.kill(pid, signal.SIGCONT)
    bind_f = found["bind"]
    assert bind_f.status == "WARNING"
    assert bind_f.reason == (f"bind 127.0.0.1:{lab['knot']['port']} does not answer: no "
                             f"answer from 127.0.0.1:{lab['knot']['port']} within 1s")
    assert bind_f.metrics["servers_answering"] == 1 and bind_f.metrics["up"] == 1
    assert took < 4


def test_a_provider_down_is_critical(config: Config, lab: dict[str, Any]) -> None:
    dead = with_bind(config, port=9, verify_servers=["127.0.0.1:9"], timeout=1.0)
    settings = dead.dns["route53"]
    assert isinstance(settings, Route53Provider)
    dead = dead.model_copy(update={"dns": {**dead.dns, "route53": settings.model_copy(
        update={"endpoint_url": "http://127.0.0.1:9", "timeout": 1.0})}})
    found = run(dead)
    for name in ("bind", "route53"):
        f = found[name]
        assert (f.status, f.severity, f.metrics["up"]) == ("CRITICAL", 2, 0), f.reason
        assert "\n" not in f.reason
    assert found["bind"].reason == ("no answer for the zone: 127.0.0.1:9 refused the query "
                                    "(nothing listening)")
    assert found["route53"].reason.startswith("no answer for the zone: route53: ")
    # With Route 53's API gone its names are unknown: the delegation says so.
    delegation = found[DELEGATION]
    assert delegation.status == "WARNING"
    assert f"claimed by no DNS provider: {lab['moto']['name_servers'][0]}" in delegation.reason
    assert "(names of route53 unknown: route53: " in delegation.reason


def test_parent_listing_only_one_vendor_warns(config: Config, lab: dict[str, Any]) -> None:
    def drop_route53(msg: dns.update.UpdateMessage) -> None:
        for name in lab["moto"]["name_servers"]:
            msg.delete(lab["zone"], "NS", name)

    update(lab, "test.", lab["parent"]["port"], drop_route53)
    f = run(config)[DELEGATION]
    assert f.status == "WARNING"
    assert ("all 1 name servers listed at the parent are at vendor 'metal': its "
            "termination takes the zone with it") in f.reason
    assert "not delegated to route53" in f.reason
    assert f.metrics["vendors"] == 1 and f.metrics["servers"] == 1


def test_names_no_provider_claims_warn(config: Config) -> None:
    f = run(with_bind(config, ns_names=[]))[DELEGATION]
    assert f.status == "WARNING"
    assert "claimed by no DNS provider: ns1.example.test." in f.reason


def test_parent_that_does_not_answer_is_critical(config: Config) -> None:
    cfg = config.model_copy(update={"delegation": Delegation(
        parent_servers=["127.0.0.1:9"], timeout=1.0)})
    f = run(cfg)[DELEGATION]
    assert (f.status, f.metrics["up"]) == ("CRITICAL", 0)
    assert f.reason == ("the parent zone does not answer for example.test.: 127.0.0.1:9: "
                        "127.0.0.1:9 refused the query (nothing listening)")


def test_ttl_over_the_bound_warns(config: Config) -> None:
    found = run(config.model_copy(update={"max_ttl": 30}))
    for name in ("bind", "route53"):
        assert found[name].status == "WARNING"
        assert "www.example.test. A TTL 60s over max_ttl 30s" in found[name].reason


def test_providers_without_a_finished_check_are_named(config: Config) -> None:
    providers: dict[str, Provider] = {"bind": make_provider("bind", config)}
    found = {f.name: f for f in check_dns(config, providers)}
    assert found["route53"].status == "UNKNOWN" and found["bind"].status == "OK"
