"""The Cloudflare provider against the lab's stand-in of the v4 API (lab.cfapi): records
grouped into RRsets across pages, one transactional batch per batch (patch in place,
proxied kept), the re-read precondition and a record gone under the batch, batch_limit, a
refused token, 429 with Retry-After (short: retried; long: one line at once).

The stand-in checks every request and answer against Cloudflare's published schema
(lab/apischema); the ``cf`` fixture fails a test that left a violation behind, even one the
provider tolerated."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from failover.config import CloudflareProvider, Config, parse_config
from failover.dns.cloudflare import Cloudflare
from failover.dns.route53 import Backoff
from failover.errors import ProviderAuthError, ProviderConflict, ProviderError
from failover.records import Change, RRSet
from lab.cfapi import CfZone, FakeCloudflare

pytestmark = pytest.mark.integration

ZONE = "example.test."
WWW, API, APEX = f"www.{ZONE}", f"api.{ZONE}", ZONE
MANAGED = [(APEX, "A"), (WWW, "A"), (API, "A")]
TOKEN = "cf-lab-token-i11"
ZONE_ID = "0123456789abcdef0123456789abcdef"


def a(name: str, *values: str, ttl: int = 60) -> RRSet:
    return RRSet.of(name, "A", ttl, values)


def record(zone: CfZone, name: str, content: str, ttl: int = 60,
           proxied: bool = False) -> dict[str, Any]:
    return zone.add(zone.records, {"name": name, "type": "A", "content": content, "ttl": ttl,
                                   "proxied": proxied, "comment": "set by hand"})


@pytest.fixture
def cf(tmp_path: Path) -> Iterator[FakeCloudflare]:
    zone = CfZone(ZONE_ID, ZONE, ["ada.ns.cloudflare.com.", "bob.ns.cloudflare.com."])
    for name in (APEX, WWW, API):
        record(zone, name, "127.0.0.11")
    record(zone, f"mail.{ZONE}", "127.0.0.99", ttl=300)
    (tmp_path / "cf.token").write_text(TOKEN + "\n")
    with FakeCloudflare(TOKEN, [zone]) as fake:
        yield fake
    # After the test: nothing any client sent, and nothing the stand-in answered, broke the
    # schema (a 400 the provider shrugged off would otherwise go unseen).
    fake.violations.assert_none()


def zone_of(cf: FakeCloudflare) -> CfZone:
    return cf.zones[ZONE_ID]


def held(cf: FakeCloudflare, name: str) -> list[dict[str, Any]]:
    return sorted((r for r in zone_of(cf).records.values() if r["name"] == name.rstrip(".")),
                  key=lambda r: r["content"])


def config(tmp_path: Path, url: str, **extra: object) -> Config:
    more = "".join(f", {k}: {v}" for k, v in extra.items())
    return parse_config(f"""\
service: s
zone: example.test.
records: [{{name: "@"}}, {{name: www}}, {{name: api}}]
vendors: {{cloudflare: {{}}}}
hosting: {{h: {{vendor: cloudflare, endpoints: {{A: [192.0.2.1]}}}}}}
dns:
  cf: {{vendor: cloudflare, kind: cloudflare, zone_id: "{ZONE_ID}", token_file: cf.token,
        url: "{url}"{more}}}
""", str(tmp_path / "failover.yaml"))


def provider(tmp_path: Path, cf: FakeCloudflare, **extra: object) -> Cloudflare:
    cfg = config(tmp_path, cf.url, **extra)
    settings = cfg.dns["cf"]
    assert isinstance(settings, CloudflareProvider)
    return Cloudflare("cf", settings, cfg, backoff=Backoff(tries=4, base=0.01, cap=0.05))


def test_reads_records_as_rrsets_across_pages(tmp_path: Path, cf: FakeCloudflare) -> None:
    record(zone_of(cf), WWW, "127.0.0.12")
    p = provider(tmp_path, cf)
    want = {rr.key: rr for rr in (a(APEX, "127.0.0.11"), a(WWW, "127.0.0.11", "127.0.0.12"),
                                  a(API, "127.0.0.11"))}
    assert p.read(MANAGED) == want
    for i in range(150):  # two pages of 100
        record(zone_of(cf), f"n{i}.{ZONE}", "127.0.0.50")
    before = len(cf.requests)
    assert p.read([*MANAGED, *((f"x{i}.{ZONE}", "A") for i in range(10))]) == want
    assert len(cf.requests) - before == 2


def test_one_batch_patches_in_place_and_keeps_proxied(tmp_path: Path,
                                                      cf: FakeCloudflare) -> None:
    zone = zone_of(cf)
    api_id = held(cf, API)[0]["id"]
    zone.records[api_id]["proxied"] = True  # the operator proxies api by hand
    zone.records[api_id]["ttl"] = 1
    www_id = held(cf, WWW)[0]["id"]
    p = provider(tmp_path, cf)
    new = f"new.{ZONE}"
    plan = [Change("update", a(WWW, "127.0.0.11"), a(WWW, "127.0.0.12", "127.0.0.13")),
            Change("update", a(API, "127.0.0.11"), a(API, "127.0.0.14")),
            Change("create", None, a(new, "127.0.0.15", ttl=120)),
            Change("delete", a(APEX, "127.0.0.11"), None)]
    p.apply(plan)
    assert p.batches_sent == 1
    batches = [r for r in cf.requests if r[1].endswith("/batch")]
    assert len(batches) == 1
    www = held(cf, WWW)
    assert [r["content"] for r in www] == ["127.0.0.12", "127.0.0.13"]
    assert www_id in {r["id"] for r in www}              # patched in place
    assert www[0]["comment"] == "set by hand"
    api = held(cf, API)
    assert api[0]["id"] == api_id and api[0]["proxied"] is True and api[0]["ttl"] == 1
    assert api[0]["content"] == "127.0.0.14"
    assert held(cf, new)[0]["ttl"] == 120 and held(cf, new)[0]["proxied"] is False
    assert held(cf, APEX) == []
    assert held(cf, f"mail.{ZONE}")[0]["content"] == "127.0.0.99"
    # The proxied record reads back with the planned TTL: verification agrees.
    assert p.read([(API, "A")]) == {a(API).key: a(API, "127.0.0.14")}
    # The batch's patches name the id and only what changes, as Cloudflare's guide to batch
    # changes allows; the schema requires name, ttl and type in each (a reported mismatch,
    # docs/vendor-schemas.md). Tolerated by name, not silently: if the provider starts
    # sending whole records, this fails and the relaxation can go.
    assert cf.violations.tolerated
    assert all(t.startswith("cloudflare-partial-batch-patch: ")
               for t in cf.violations.tolerated), cf.violations.tolerated


def test_a_concurrent_change_is_refused_before_the_batch(tmp_path: Path,
                                                         cf: FakeCloudflare) -> None:
    p = provider(tmp_path, cf)
    rid = held(cf, WWW)[0]["id"]
    # The document's PATCH body is a whole record (type, name and content required).
    got = httpx.patch(f"{cf.url}/zones/{ZONE_ID}/dns_records/{rid}",
                      headers={"Authorization": f"Bearer {TOKEN}"},
                      json={"type": "A", "name": WWW.rstrip("."), "content": "198.51.100.7",
                            "ttl": 60})
    assert got.json()["success"] is True
    with pytest.raises(ProviderConflict) as info:
        p.apply([Change("update", a(APEX, "127.0.0.11"), a(APEX, "127.0.0.12")),
                 Change("update", a(WWW, "127.0.0.11"), a(WWW, "127.0.0.12"))])
    assert ("www.example.test. A (plan expected 127.0.0.11, Cloudflare has 198.51.100.7)"
            in str(info.value))
    assert not [r for r in cf.requests if r[1].endswith("/batch")]
    assert held(cf, APEX)[0]["content"] == "127.0.0.11"


def test_a_record_deleted_under_the_batch_fails_it_whole(tmp_path: Path,
                                                         cf: FakeCloudflare) -> None:
    p = provider(tmp_path, cf)
    real_read = p.read_records

    def read_then_someone_deletes(keys: Any) -> Any:
        got = real_read(keys)
        zone_of(cf).records.pop(held(cf, WWW)[0]["id"])  # between our read and the batch
        return got

    p.read_records = read_then_someone_deletes  # type: ignore[method-assign]
    with pytest.raises(ProviderConflict, match="81044: Record does not exist"):
        p.apply([Change("update", a(APEX, "127.0.0.11"), a(APEX, "127.0.0.12")),
                 Change("update", a(WWW, "127.0.0.11"), a(WWW, "127.0.0.12"))])
    assert held(cf, APEX)[0]["content"] == "127.0.0.11"  # one transaction: nothing applied


def test_batches_stay_within_batch_limit(tmp_path: Path, cf: FakeCloudflare) -> None:
    cf.batch_limit = 3
    p = provider(tmp_path, cf, batch_limit=3)
    names = [f"h{i}.{ZONE}" for i in range(4)]
    p.apply([Change("create", None, a(n, "127.0.0.20", "127.0.0.21")) for n in names])
    assert p.batches_sent == 4
    with pytest.raises(ProviderError, match="needs 4 record operations, more than "
                                            "batch_limit \\(3\\)"):
        p.apply([Change("create", None, a(f"big.{ZONE}", *(f"127.0.1.{i}" for i in range(4))))])


def test_a_refused_token_is_one_line_naming_the_file(tmp_path: Path,
                                                     cf: FakeCloudflare) -> None:
    (tmp_path / "cf.token").write_text("cf-revoked\n")
    p = provider(tmp_path, cf)
    with pytest.raises(ProviderAuthError) as info:
        p.read(MANAGED)
    text = str(info.value)
    assert text.startswith("cf: ") and str(tmp_path / "cf.token") in text
    assert "10000: Authentication error" in text
    assert "cf-revoked" not in text and TOKEN not in text and "\n" not in text


def test_rate_limited_then_written(tmp_path: Path, cf: FakeCloudflare) -> None:
    p = provider(tmp_path, cf)
    cf.rate_limit(2, retry_after="0")
    p.apply([Change("update", a(WWW, "127.0.0.11"), a(WWW, "127.0.0.12"))])
    assert p.api.retries == 2
    assert held(cf, WWW)[0]["content"] == "127.0.0.12"


def test_a_long_block_fails_at_once_saying_how_long(tmp_path: Path,
                                                    cf: FakeCloudflare) -> None:
    p = provider(tmp_path, cf)
    cf.rate_limit(10, retry_after="300")
    with pytest.raises(ProviderError, match=r"asks to wait 300s \(Retry-After\), longer than "
                                            r"failover waits"):
        p.read(MANAGED)
    assert p.api.calls == 1
