"""The lab's resolver path: authorities on port 53 of their own addresses, delegated to by
the parent, and Unbound answering clients through them; addresses claimed once per lab."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.message
import dns.query
import pytest

from lab import bind, core, resolver, unbound, vendors
from lab.procs import LabError

pytestmark = pytest.mark.integration


@pytest.fixture
def resolver_lab(tmp_path: Path) -> Iterator[dict[str, Any]]:
    root = tmp_path / "lab"
    try:
        core.up(root)
        vendors.start(root, watchers=False)
        data = resolver.start(root)
    except LabError as exc:
        core.down(root)
        pytest.fail(f"the lab did not start: {exc}", pytrace=False)
    try:
        yield {**data, "dir": root.resolve()}
    finally:
        core.down(root)


def _on_lo(address: str) -> bool:
    out = subprocess.run(["ip", "-4", "addr", "show", "dev", "lo"], capture_output=True,
                         text=True, check=True).stdout
    return f"inet {address}/32 " in out


def test_each_authority_on_port_53_and_the_resolver_follows_the_delegation(
        resolver_lab: dict[str, Any]) -> None:
    addresses = resolver_lab["resolver"]["addresses"]
    assert sorted(addresses) == ["bind", "knot", "pdns"]
    assert len(set(addresses.values())) == 3
    assert all(a.startswith("127.0.53.") for a in addresses.values())
    for address in addresses.values():
        assert bind.answers(address, 53, "www") == ["127.0.0.11"]
    parent = resolver_lab["parent"]
    referral = dns.query.udp(dns.message.make_query("www.example.test.", "A"),
                             parent["host"], port=int(parent["port"]), timeout=2)
    glue = {str(r.name): [x.to_text() for x in r] for r in referral.additional}
    assert glue == {resolver.NS_NAMES[n]: [a] for n, a in addresses.items()}
    assert resolver.answers(resolver_lab, "www") == ("NOERROR", ["127.0.0.11"])
    # a name outside the lab is refused by the lab's own server, never asked of the internet
    assert resolver.answers(resolver_lab, "example.com.")[1] == []


def test_the_resolver_survives_one_dns_vendor_and_not_all(
        resolver_lab: dict[str, Any]) -> None:
    root = resolver_lab["dir"]
    vendors.kill(root, "metal")  # BIND and Knot gone; PowerDNS at hetzner still serves
    deadline = time.monotonic() + 60
    while resolver.answers(resolver_lab, "api")[1] != ["127.0.0.11"]:
        assert time.monotonic() < deadline, "the resolver never used PowerDNS"
        time.sleep(0.2)
    vendors.kill(root, "hetzner")  # Route 53 serves no DNS in the lab: nothing answers now
    time.sleep(vendors.RECORD_TTL + 1)  # the cached answer expires
    assert resolver.answers(resolver_lab, "api")[1] == []
    vendors.revive(root, "metal")  # BIND comes back on its port-53 address too
    address = resolver_lab["resolver"]["addresses"]["bind"]
    assert bind.answers(address, 53, "www") == ["127.0.0.11"]


def test_down_gives_the_addresses_back(tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAB_ADDRESS_DIR", str(tmp_path / "claims"))
    root = tmp_path / "lab"
    core.up(root)
    try:
        vendors.start(root, watchers=False)
        data = resolver.start(root)
        bind_address = data["resolver"]["addresses"]["bind"]
        assert _on_lo(bind_address)
        with pytest.raises(LabError, match="already runs a resolver"):
            resolver.start(root)
    finally:
        core.down(root)
    assert not _on_lo(bind_address)
    assert not any((tmp_path / "claims").glob("127.*"))


def test_claims_are_never_shared_and_stale_ones_are_taken_over(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAB_ADDRESS_DIR", str(tmp_path / "claims"))
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    first = resolver.claim(a, ["bind", "knot"])
    (a / "lab.json").write_text(json.dumps({"resolver": {"addresses": first}}))
    second = resolver.claim(b, ["bind"])
    assert second["bind"] not in first.values()
    (a / "lab.json").write_text('{"down": true}')  # lab a went down without giving them back
    third = resolver.claim(b, ["knot"])
    assert third["knot"] in first.values()
    resolver.release([*first.values(), *second.values(), *third.values()])


def test_reset_to_healthy_forgets_dead_servers_and_measures_the_live_ones(
        resolver_lab: dict[str, Any]) -> None:
    root = resolver_lab["dir"]
    pdns = resolver_lab["resolver"]["addresses"]["pdns"]
    vendors.kill(root, "hetzner")  # PowerDNS times out: Unbound backs off from it
    time.sleep(vendors.RECORD_TTL + 1)
    for n in range(8):
        resolver.answers(resolver_lab, f"gone-{n}")
    assert unbound.known_servers(root)[pdns] >= unbound.UNKNOWN_RTO_MS  # in backoff
    vendors.revive(root, "hetzner")
    resolver.reset_to_healthy(resolver_lab)
    known = unbound.known_servers(root)
    for address in resolver_lab["resolver"]["addresses"].values():
        assert known[address] < unbound.UNKNOWN_RTO_MS  # measured since, and alive
    assert resolver.answers(resolver_lab, "www") == ("NOERROR", ["127.0.0.11"])


def test_serve_stale_answers_from_the_expired_cache_when_no_authority_answers(
        tmp_path: Path) -> None:
    root = tmp_path / "lab"
    try:
        core.up(root)
        vendors.start(root, watchers=False)
        data = {**resolver.start(root, serve_stale=True), "dir": root.resolve()}
        assert data["resolver"]["serve_stale"] is True
        assert resolver.answers(data, "www") == ("NOERROR", ["127.0.0.11"])
        vendors.kill(root, "metal")
        vendors.kill(root, "hetzner")  # no DNS server the resolver can reach is left
        time.sleep(vendors.RECORD_TTL + 1)  # the cached answer has expired
        # without serve-stale this is no answer (the test above); with it, the expired
        # answer once the refresh has taken 1.8 s
        assert resolver.answers(data, "www", timeout=5) == ("NOERROR", ["127.0.0.11"])
    finally:
        core.down(root)
