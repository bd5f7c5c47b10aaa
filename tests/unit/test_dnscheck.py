"""The DNS check's comparisons and verdicts, without a network.

The comparisons are pure functions over what each server answered; ``check_dns`` itself
is run on in-memory providers whose sources answer, fail, raise anything, or hang, to show
that every problem becomes a finding and nothing waits past its budget. The same check
against real BIND, Knot and moto is in tests/integration/test_dnscheck_lab.py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import dns.message
import dns.rrset
import pytest

from failover.config import Config, parse_config
from failover.dns.base import Authority, Provider, RecordKey
from failover.dns.fence import Fence
from failover.dnscheck import (
    DELEGATION,
    ParentView,
    ProviderView,
    ServerView,
    answers_by_record,
    check_dns,
    compare_providers,
    delegated_names,
    delegation_finding,
    provider_finding,
    serial_lags,
    server_differences,
    ttl_problems,
)
from failover.errors import ProviderUnreachable
from failover.records import Change, RRKey, RRSet

ZONE = "example.org."
WWW, APEX = f"www.{ZONE}", ZONE
MANAGED: list[RecordKey] = [(APEX, "A"), (WWW, "A")]


def rr(name: str, *values: str, ttl: int = 60, set_id: str | None = None) -> RRSet:
    return RRSet.of(name, "A", ttl, values, set_id, 1 if set_id else None)


def records(*sets: RRSet) -> dict[RRKey, RRSet]:
    return {s.key: s for s in sets}


GOOD = records(rr(APEX, "192.0.2.1"), rr(WWW, "192.0.2.1"))


def view(label: str, serial: int | None = 8, rrsets: dict[RRKey, RRSet] | None = None,
         error: str | None = None) -> ServerView:
    if error is not None:
        return ServerView(label, error=error)
    return ServerView(label, serial, dict(GOOD if rrsets is None else rrsets), seconds=0.01)


# -- pure comparisons --------------------------------------------------------------------

def test_answers_by_record_merges_weighted_sets_and_fills_gaps() -> None:
    sets = records(rr(WWW, "192.0.2.2", set_id="blue"), rr(WWW, "192.0.2.1", set_id="green"))
    assert answers_by_record(sets, MANAGED) == {(APEX, "A"): (),
                                                (WWW, "A"): ("192.0.2.1", "192.0.2.2")}


def test_a_lagging_secondary_is_named_with_both_serials() -> None:
    servers = [view("bind 192.0.2.53:53", 8), view("knot 192.0.2.54:53", 7),
               view("knot 192.0.2.55:53", 8), view("dead", error="refused")]
    assert serial_lags(servers) == ["knot 192.0.2.54:53 serial 7, primary 8"]
    assert serial_lags([view("a", 8), view("b", None)]) == []  # unknown serials: no claim
    # The primary is the first that answers: a dead first server does not make one.
    assert serial_lags([view("dead", error="x"), view("b", 5), view("c", 6)]) == [
        "c serial 6, primary 5"]


def test_servers_of_one_provider_that_serve_other_answers() -> None:
    other = records(rr(APEX, "192.0.2.1"), rr(WWW, "192.0.2.9"))
    assert server_differences([view("a"), view("b", rrsets=other)], MANAGED) == [
        "b serves www.example.org. A 192.0.2.9 (primary: 192.0.2.1)"]
    assert server_differences([view("a"), view("b")], MANAGED) == []


def test_providers_that_differ_from_the_others_are_named() -> None:
    same = {(APEX, "A"): ("192.0.2.1",), (WWW, "A"): ("192.0.2.1",)}
    odd = {(APEX, "A"): ("192.0.2.1",), (WWW, "A"): ("192.0.2.7",)}
    assert compare_providers({"a": same, "b": same, "c": odd}) == {
        "a": [], "b": [],
        "c": ["www.example.org. A 192.0.2.7 (a: 192.0.2.1, b: 192.0.2.1)"]}
    # Two providers that disagree: no majority, both are named.
    assert compare_providers({"a": same, "c": odd}) == {
        "a": ["www.example.org. A 192.0.2.1 (c: 192.0.2.7)"],
        "c": ["www.example.org. A 192.0.2.7 (a: 192.0.2.1)"]}
    missing = {(APEX, "A"): ("192.0.2.1",), (WWW, "A"): ()}
    assert compare_providers({"a": same, "b": same, "c": missing})["c"] == [
        "www.example.org. A nothing (a: 192.0.2.1, b: 192.0.2.1)"]
    assert compare_providers({"a": same}) == {"a": []}


def test_ttls_over_the_bound() -> None:
    assert ttl_problems(records(rr(WWW, "192.0.2.1", ttl=3600), rr(APEX, "192.0.2.1")),
                        300) == ["www.example.org. A TTL 3600s over max_ttl 300s"]
    assert ttl_problems(GOOD, 60) == []


# -- provider findings ---------------------------------------------------------------------

def test_all_servers_agree_is_ok_with_metrics() -> None:
    f = provider_finding(ProviderView("bind", "metal", [view("p"), view("s")]), [], MANAGED, 300)
    assert (f.kind, f.status, f.severity, f.vendor) == ("dns", "OK", 0, "metal")
    assert f.reason == "2/2 servers answer for the zone, serial 8, managed answers agree " \
                       "with the other providers"
    assert f.metrics == {"servers": 2, "servers_answering": 2, "up": 1, "soa_serial": 8}
    assert [e["server"] for e in f.evidence] == ["p", "s"]


def test_no_server_answering_is_critical_in_one_line() -> None:
    f = provider_finding(ProviderView("bind", "metal", [
        view("p", error="no answer from 192.0.2.53:53 within 5s"),
        view("s", error="refused")]), [], MANAGED, 300)
    assert (f.status, f.severity) == ("CRITICAL", 2)
    assert f.reason == ("none of its 2 servers answers for the zone: no answer from "
                        "192.0.2.53:53 within 5s")
    assert f.metrics["up"] == 0 and f.metrics["servers_answering"] == 0
    assert "soa_serial" not in f.metrics
    broken = provider_finding(ProviderView("r53", "aws", error="r53: no credentials"), [],
                              MANAGED, 300)
    assert broken.severity == 2 and broken.reason == "no answer for the zone: r53: no credentials"


def test_warnings_are_gathered_in_one_line() -> None:
    slow = records(rr(APEX, "192.0.2.1", ttl=900), rr(WWW, "192.0.2.1", ttl=900))
    f = provider_finding(ProviderView("bind", "metal", [
        view("p", 8, slow), view("s", 7), view("t", error="refused")]),
        ["www.example.org. A 192.0.2.1 (route53: 192.0.2.2)"], MANAGED, 300)
    assert (f.status, f.severity) == ("WARNING", 1)
    assert "\n" not in f.reason
    assert f.reason == (
        "t does not answer: refused; s serial 7, primary 8; serves other answers than the "
        "other providers: www.example.org. A 192.0.2.1 (route53: 192.0.2.2); "
        "example.org. A TTL 900s over max_ttl 300s; www.example.org. A TTL 900s over "
        "max_ttl 300s")
    assert f.metrics == {"servers": 3, "servers_answering": 2, "up": 1, "soa_serial": 8}


# -- delegation ------------------------------------------------------------------------------

R53_NAMES = ["ns-1.awsdns-01.com.", "ns-2.awsdns-02.net."]


def providers(r53_names: list[str] | None = R53_NAMES) -> list[ProviderView]:
    return [ProviderView("bind", "metal", ns_names=["ns1.example.org."]),
            ProviderView("route53", "aws", ns_names=r53_names,
                         ns_error=None if r53_names is not None else "AccessDenied")]


def test_delegation_to_two_vendors_is_ok() -> None:
    parents = [ParentView("192.0.2.1:53", ["ns1.example.org.", *R53_NAMES])]
    f = delegation_finding(ZONE, parents, providers())
    assert (f.name, f.kind, f.status, f.vendor) == (DELEGATION, "dns", "OK", None)
    assert f.reason == ("example.org. is delegated to 3 name servers at 2 vendors: "
                        "aws (route53), metal (bind)")
    assert f.metrics == {"parents": 1, "parents_answering": 1, "up": 1, "servers": 3,
                         "vendors": 2}


def test_delegation_to_one_vendor_warns_and_names_the_missing_provider() -> None:
    f = delegation_finding(ZONE, [ParentView("p", ["ns1.example.org."])], providers())
    assert f.status == "WARNING"
    assert "all 1 name servers listed at the parent are at vendor 'metal'" in f.reason
    assert "not delegated to route53" in f.reason


def test_unclaimed_names_warn_with_a_hint() -> None:
    listed = ["ns1.example.org.", "ns9.elsewhere.net.", *R53_NAMES]
    f = delegation_finding(ZONE, [ParentView("p", listed)], providers())
    assert f.status == "WARNING"
    assert f.reason == ("listed at the parent but claimed by no DNS provider: "
                        "ns9.elsewhere.net.; add them to a provider's ns_names")
    unknown = delegation_finding(ZONE, [ParentView("p", listed)], providers(None))
    assert "names of route53 unknown: AccessDenied" in unknown.reason


def test_a_parent_that_does_not_answer_is_critical_and_disagreeing_parents_warn() -> None:
    dead = delegation_finding(ZONE, [ParentView("192.0.2.1:53", error="no answer within 2s")],
                              providers())
    assert (dead.status, dead.severity, dead.metrics["up"]) == ("CRITICAL", 2, 0)
    assert dead.reason == ("the parent zone does not answer for example.org.: 192.0.2.1:53: "
                           "no answer within 2s")
    full = ["ns1.example.org.", *R53_NAMES]
    split = delegation_finding(ZONE, [ParentView("a", full), ParentView("b", full[:2]),
                                      ParentView("c", error="refused")], providers())
    assert split.status == "WARNING" and "the parent's servers disagree" in split.reason
    assert split.metrics["parents_answering"] == 2


def test_delegated_names_from_a_referral_or_an_answer() -> None:
    query = dns.message.make_query(ZONE, "NS")
    referral = dns.message.make_response(query)
    referral.authority.append(dns.rrset.from_text(ZONE, 3600, "IN", "NS", "NS2.Example.org.",
                                                  "ns1.example.org."))
    referral.additional.append(dns.rrset.from_text("ns1.example.org.", 3600, "IN", "A",
                                                   "192.0.2.53"))
    assert delegated_names(referral, ZONE) == ["ns1.example.org.", "ns2.example.org."]
    answer = dns.message.make_response(query)
    answer.answer.append(dns.rrset.from_text(ZONE, 3600, "IN", "NS", "ns3.example.org."))
    assert delegated_names(answer, ZONE) == ["ns3.example.org."]
    assert delegated_names(dns.message.make_response(query), ZONE) == []


# -- check_dns on in-memory providers ----------------------------------------------------------

CONFIG = """
service: s
zone: example.org.
records: [{name: "@", type: A}, {name: www, type: A}]
vendors: {aws: {}, metal: {}}
hosting: {h: {vendor: aws, endpoints: {A: [192.0.2.1]}}}
dns:
  one: {vendor: metal, kind: rfc2136, server: 192.0.2.53, timeout: 200ms,
        ns_names: [ns1.example.org]}
  two: {vendor: aws, kind: rfc2136, server: 192.0.2.54, timeout: 200ms,
        ns_names: [ns2.example.net.]}
"""


class Source:
    """An authority that answers from a dict, fails, raises anything, or hangs."""

    def __init__(self, label: str, rrsets: dict[RRKey, RRSet] | None = None,
                 fail: Exception | None = None, hang: threading.Event | None = None) -> None:
        self.label = label
        self.rrsets = rrsets
        self.fail = fail
        self.hang = hang

    def read(self, keys: Sequence[RecordKey]) -> dict[RRKey, RRSet]:
        if self.hang is not None:
            self.hang.wait(30)
        if self.fail is not None:
            raise self.fail
        return dict(self.rrsets or {})


class Fake(Provider):
    kind = "fake"

    def __init__(self, name: str, sources: list[Source] | Exception) -> None:
        super().__init__(name, "v", ZONE)
        self.sources = sources

    def read(self, keys: Sequence[RecordKey]) -> dict[RRKey, RRSet]:
        raise NotImplementedError

    def apply(self, changes: Sequence[Change], fence: Fence | None = None) -> None:
        raise NotImplementedError

    def authorities(self) -> list[Authority]:
        if isinstance(self.sources, Exception):
            raise self.sources
        return list(self.sources)


def config(extra: str = "") -> Config:
    return parse_config(CONFIG + extra)


def test_check_dns_one_finding_per_provider_in_config_order() -> None:
    odd = records(rr(APEX, "192.0.2.1"), rr(WWW, "192.0.2.9"))
    findings = check_dns(config(), {"two": Fake("two", [Source("two-ns", odd)]),
                                    "one": Fake("one", [Source("one-ns", GOOD)])})
    assert [(f.name, f.status) for f in findings] == [("one", "WARNING"), ("two", "WARNING")]
    assert "www.example.org. A 192.0.2.1 (two: 192.0.2.9)" in findings[0].reason


def test_check_dns_never_raises() -> None:
    findings = check_dns(config(), {
        "one": Fake("one", [Source("a", fail=ProviderUnreachable("one", "refused")),
                            Source("b", fail=KeyError("boom"))]),
        "two": Fake("two", RuntimeError("authorities exploded"))})
    assert [(f.name, f.status) for f in findings] == [("one", "CRITICAL"), ("two", "CRITICAL")]
    assert findings[0].reason == "none of its 2 servers answers for the zone: one: refused"
    assert findings[0].evidence[1]["detail"] == "KeyError: 'boom'"
    assert findings[1].reason == "no answer for the zone: RuntimeError: authorities exploded"
    missing = check_dns(config(), {"one": Fake("one", [Source("a", GOOD)])})
    assert (missing[1].name, missing[1].status) == ("two", "UNKNOWN")


def test_a_hung_source_is_given_up_on_within_its_budget() -> None:
    release = threading.Event()
    try:
        start = time.monotonic()
        findings = check_dns(config(), {
            "one": Fake("one", [Source("fast", GOOD), Source("stuck", GOOD, hang=release)]),
            "two": Fake("two", [Source("fast", GOOD)])})
        took = time.monotonic() - start
    finally:
        release.set()
    # timeout 200ms and no deadline (so the deadline is the timeout): a source gets the
    # smaller of 2 x 0.2 s + 1 s of slack and the deadline + 1 s of slack.
    assert took < 3.0
    assert findings[0].status == "WARNING"
    assert findings[0].reason == "stuck does not answer: no answer within 1.2s"
    assert findings[1].status == "OK"


def test_check_dns_adds_the_delegation_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    import failover.dnscheck as dnscheck

    def parent_names(host: str, port: int, zone: str, timeout: float) -> list[str]:
        assert (host, port, zone, timeout) == ("192.0.2.1", 5353, ZONE, 1.0)
        return ["ns1.example.org.", "ns2.example.net."]

    monkeypatch.setattr(dnscheck, "parent_names", parent_names)
    cfg = config("delegation: {parent_servers: ['192.0.2.1:5353'], timeout: 1s}\n")
    findings = check_dns(cfg, {"one": Fake("one", [Source("a", GOOD)]),
                               "two": Fake("two", [Source("b", GOOD)])})
    assert [f.name for f in findings] == ["one", "two", DELEGATION]
    assert findings[2].status == "OK", findings[2].reason
    assert findings[2].reason.endswith("2 vendors: aws (two), metal (one)")
