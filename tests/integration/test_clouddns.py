"""The Cloud DNS provider against the lab's stand-in of the Cloud DNS v1 REST API
(lab.gcpapi + lab.clouddns): exact deletions as the precondition (412/409), polling a
change until done, pagination, batching within max_rrsets, a refused token, and 429.

The stand-in checks every Cloud DNS request and success against Google's discovery document
(lab/apischema); the ``gcp`` fixture fails a test that left a violation behind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from failover.config import CloudDnsProvider, Config, parse_config
from failover.dns.clouddns import CloudDns
from failover.dns.route53 import Backoff
from failover.errors import ProviderAuthError, ProviderConflict
from failover.records import Change, RRSet
from lab.clouddns import ManagedZone
from lab.gcpapi import FakeGcp

pytestmark = pytest.mark.integration

ZONE = "example.test."
WWW, API, APEX = f"www.{ZONE}", f"api.{ZONE}", ZONE
MANAGED = [(APEX, "A"), (WWW, "A"), (API, "A")]
TOKEN = "ya29.lab-token-i11"
PROJECT = "lab-project"


def a(name: str, *values: str, ttl: int = 60) -> RRSet:
    return RRSet.of(name, "A", ttl, values)


@pytest.fixture
def gcp(tmp_path: Path) -> Iterator[FakeGcp]:
    zone = ManagedZone("example-test", ZONE, ["ns-cloud-a1.googledomains.com."])
    for name in (APEX, WWW, API):
        zone.rrsets[(name, "A")] = {"kind": "dns#resourceRecordSet", "name": name,
                                    "type": "A", "ttl": 60, "rrdatas": ["127.0.0.11"]}
    zone.rrsets[(f"mail.{ZONE}", "A")] = {"kind": "dns#resourceRecordSet",
                                          "name": f"mail.{ZONE}", "type": "A", "ttl": 300,
                                          "rrdatas": ["127.0.0.99"]}
    zone.pending_polls = 2
    (tmp_path / "gcp.token").write_text(TOKEN + "\n")
    with FakeGcp(token=TOKEN, project=PROJECT, dns_zones={"example-test": zone}) as fake:
        yield fake
    # After the test: every request and answer matched the discovery document.
    fake.violations.assert_none()
    assert not fake.violations.tolerated


def config(tmp_path: Path, url: str, **extra: object) -> Config:
    more = "".join(f", {k}: {v}" for k, v in extra.items())
    return parse_config(f"""\
service: s
zone: example.test.
records: [{{name: "@"}}, {{name: www}}, {{name: api}}]
vendors: {{gcp: {{}}}}
hosting: {{h: {{vendor: gcp, endpoints: {{A: [192.0.2.1]}}}}}}
dns:
  cdns: {{vendor: gcp, kind: clouddns, project: {PROJECT}, managed_zone: example-test,
          token_file: gcp.token, url: "{url}"{more}}}
""", str(tmp_path / "failover.yaml"))


def provider(tmp_path: Path, gcp: FakeGcp, **extra: object) -> CloudDns:
    cfg = config(tmp_path, gcp.url, **extra)
    settings = cfg.dns["cdns"]
    assert isinstance(settings, CloudDnsProvider)
    return CloudDns("cdns", settings, cfg, backoff=Backoff(tries=4, base=0.01, cap=0.05))


def zone_of(gcp: FakeGcp) -> ManagedZone:
    return gcp.dns_zones["example-test"]


def test_reads_one_record_per_call_or_the_zone_in_pages(tmp_path: Path, gcp: FakeGcp) -> None:
    p = provider(tmp_path, gcp)
    want = {rr.key: rr for rr in (a(APEX, "127.0.0.11"), a(WWW, "127.0.0.11"),
                                  a(API, "127.0.0.11"))}
    assert p.read(MANAGED) == want
    zone_of(gcp).page_cap = 2  # the server pages even when asked for more
    calls = p.api.calls
    assert p.read([*MANAGED, *((f"n{i}.{ZONE}", "A") for i in range(10))]) == want
    assert p.api.calls - calls == 2  # 4 record sets, two per page


def test_apply_is_one_change_polled_until_done(tmp_path: Path, gcp: FakeGcp) -> None:
    p = provider(tmp_path, gcp)
    new = f"new.{ZONE}"
    p.apply([Change("update", a(WWW, "127.0.0.11"), a(WWW, "127.0.0.12", "127.0.0.13")),
             Change("create", None, a(new, "127.0.0.14", ttl=30)),
             Change("delete", a(API, "127.0.0.11"), None)])
    assert p.changes_sent == 1
    zone = zone_of(gcp)
    assert zone.changes[-1]["status"] == "done" and zone.polls["1"] == 2
    assert sorted(zone.rrsets[(WWW, "A")]["rrdatas"]) == ["127.0.0.12", "127.0.0.13"]
    assert zone.rrsets[(new, "A")]["ttl"] == 30
    assert (API, "A") not in zone.rrsets
    assert zone.rrsets[(f"mail.{ZONE}", "A")]["rrdatas"] == ["127.0.0.99"]


def test_a_concurrent_change_fails_the_exact_deletion_and_nothing_applies(
        tmp_path: Path, gcp: FakeGcp) -> None:
    p = provider(tmp_path, gcp)
    # Someone else changes www through the API after our plan.
    other = httpx.post(f"{gcp.url}/dns/v1/projects/{PROJECT}/managedZones/example-test/changes",
                       headers={"Authorization": f"Bearer {TOKEN}"},
                       json={"deletions": [{"name": WWW, "type": "A", "ttl": 60,
                                            "rrdatas": ["127.0.0.11"]}],
                             "additions": [{"name": WWW, "type": "A", "ttl": 60,
                                            "rrdatas": ["198.51.100.7"]}]})
    assert other.status_code == 200
    with pytest.raises(ProviderConflict) as info:
        p.apply([Change("update", a(APEX, "127.0.0.11"), a(APEX, "127.0.0.12")),
                 Change("update", a(WWW, "127.0.0.11"), a(WWW, "127.0.0.12"))])
    text = str(info.value)
    assert "412 conditionNotMet" in text
    assert "www.example.test. A (plan expected 127.0.0.11, Cloud DNS has 198.51.100.7)" in text
    assert zone_of(gcp).rrsets[(APEX, "A")]["rrdatas"] == ["127.0.0.11"]  # atomic: untouched


def test_a_create_of_a_name_that_appeared_is_refused(tmp_path: Path, gcp: FakeGcp) -> None:
    p = provider(tmp_path, gcp)
    with pytest.raises(ProviderConflict, match="409 alreadyExists"):
        p.apply([Change("create", None, a(WWW, "127.0.0.12"))])


def test_a_refused_token_is_one_line_naming_the_file(tmp_path: Path, gcp: FakeGcp) -> None:
    p = provider(tmp_path, gcp)
    (tmp_path / "gcp.token").write_text("ya29.revoked\n")
    p = provider(tmp_path, gcp)
    with pytest.raises(ProviderAuthError) as info:
        p.apply([Change("update", a(WWW, "127.0.0.11"), a(WWW, "127.0.0.12"))])
    text = str(info.value)
    assert text.startswith("cdns: ") and str(tmp_path / "gcp.token") in text
    assert "revoked" not in text and TOKEN not in text and "\n" not in text


def test_rate_limited_then_written(tmp_path: Path, gcp: FakeGcp) -> None:
    p = provider(tmp_path, gcp)
    gcp.rate_limit(2)
    p.apply([Change("update", a(WWW, "127.0.0.11"), a(WWW, "127.0.0.12"))])
    assert p.api.retries == 2
    assert zone_of(gcp).rrsets[(WWW, "A")]["rrdatas"] == ["127.0.0.12"]


def test_batches_stay_within_max_rrsets(tmp_path: Path, gcp: FakeGcp) -> None:
    p = provider(tmp_path, gcp, max_rrsets=2)
    names = [f"h{i}.{ZONE}" for i in range(5)]
    p.apply([Change("create", None, a(n, "127.0.0.20")) for n in names])
    assert p.changes_sent == 3
    assert all(len(c["additions"]) <= 2 for c in zone_of(gcp).changes)
