"""The stand-ins' schema checks over HTTP: a malformed request is refused with
``schema violation: ...`` and recorded where a test cannot miss it (in memory, at
``GET /__violations``, and in a file for the lab's stand-in processes); a malformed answer
from a stand-in is caught too, and fails the production provider that reads it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from failover.errors import ProviderError
from lab.cfapi import CfZone, FakeCloudflare
from lab.clouddns import ManagedZone
from lab.gcpapi import FakeGcp
from lab.procs import free_port
from tests.integration import test_clouddns, test_cloudflare

pytestmark = pytest.mark.integration

CF_TOKEN, GCP_TOKEN = test_cloudflare.TOKEN, test_clouddns.TOKEN
ZONE_ID = test_cloudflare.ZONE_ID
CHANGES = f"/dns/v1/projects/{test_clouddns.PROJECT}/managedZones/example-test/changes"


@pytest.fixture
def cf(tmp_path: Path) -> Iterator[FakeCloudflare]:
    zone = CfZone(ZONE_ID, "example.test.", ["ada.ns.cloudflare.com."])
    zone.add(zone.records, {"name": "www.example.test", "type": "A", "content": "127.0.0.11",
                            "ttl": 60})
    (tmp_path / "cf.token").write_text(CF_TOKEN + "\n")
    with FakeCloudflare(CF_TOKEN, [zone], violations_file=tmp_path / "cf.jsonl") as fake:
        yield fake


@pytest.fixture
def gcp(tmp_path: Path) -> Iterator[FakeGcp]:
    zone = ManagedZone("example-test", "example.test.", ["ns-cloud-a1.googledomains.com."])
    zone.rrsets[("www.example.test.", "A")] = {
        "kind": "dns#resourceRecordSet", "name": "www.example.test.", "type": "A", "ttl": 60,
        "rrdatas": ["127.0.0.11"]}
    zone.pending_polls = 0
    (tmp_path / "gcp.token").write_text(GCP_TOKEN + "\n")
    with FakeGcp(token=GCP_TOKEN, project=test_clouddns.PROJECT,
                 dns_zones={"example-test": zone}) as fake:
        yield fake


def batch(cf: FakeCloudflare, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{cf.url}/zones/{ZONE_ID}/dns_records/batch", json=body,
                      headers={"Authorization": f"Bearer {CF_TOKEN}"})


POST = {"name": "new.example.test", "type": "A", "content": "127.0.0.15", "ttl": 60,
        "proxied": False}


def test_a_batch_with_a_misspelt_part_or_field_is_refused_and_recorded(
        cf: FakeCloudflare, tmp_path: Path) -> None:
    wrong_part = batch(cf, {"post": [POST]})
    assert wrong_part.status_code == 400
    error = wrong_part.json()["errors"][0]
    assert error["code"] == 1000
    assert error["message"] == (
        "schema violation: POST /zones/{zone_id}/dns_records/batch "
        "(dns-records-for-a-zone-batch-dns-records) request body: Unevaluated properties are "
        "not allowed ('post' was unexpected)")
    record = {**{k: v for k, v in POST.items() if k != "content"}, "contents": "127.0.0.15"}
    wrong_field = batch(cf, {"posts": [record]})
    assert wrong_field.status_code == 400
    assert "at /posts/0: Unevaluated properties are not allowed ('contents' was unexpected)" \
        in wrong_field.json()["errors"][0]["message"]
    assert len(cf.zones[ZONE_ID].records) == 1  # nothing was applied
    # Recorded three ways: a client that shrugs off the 400 does not hide it.
    assert len(cf.violations.found) == 2
    on_disk = [json.loads(line) for line in (tmp_path / "cf.jsonl").read_text().splitlines()]
    assert [v["violation"] for v in on_disk] == cf.violations.found
    served = httpx.get(cf.url.removesuffix("/client/v4") + "/__violations").json()
    assert served["violations"] == cf.violations.found
    with pytest.raises(AssertionError, match=r"2 schema violation\(s\) at the cloudflare"):
        cf.violations.assert_none()  # what the test files' fixtures run after each test
    cf.violations.clear()
    assert batch(cf, {"posts": [POST]}).json()["success"] is True
    cf.violations.assert_none()


def test_a_change_with_a_misspelt_field_is_refused_and_recorded(gcp: FakeGcp) -> None:
    rrset = {"name": "new.example.test.", "type": "A", "ttl": 60, "rrdatas": ["127.0.0.15"]}
    got = httpx.post(gcp.url + CHANGES, json={"addition": [rrset]},
                     headers={"Authorization": f"Bearer {GCP_TOKEN}"})
    assert got.status_code == 400
    assert got.json()["error"]["message"] == (
        "schema violation: POST /dns/v1/projects/{project}/managedZones/{managedZone}/changes "
        "(dns.changes.create) request body: Additional properties are not allowed ('addition' "
        "was unexpected)")
    assert gcp.violations.found == [got.json()["error"]["message"].removeprefix(
        "schema violation: ")]
    assert httpx.get(gcp.url + "/__violations").json()["violations"] == gcp.violations.found
    assert ("new.example.test.", "A") not in gcp.dns_zones["example-test"].rrsets
    gcp.violations.clear()
    # The control-plane routes are not checked (no description of them is kept).
    assert httpx.get(gcp.url + "/v3/projects/social-prod?whatever=1",
                     headers={"Authorization": f"Bearer {GCP_TOKEN}"}).status_code == 403
    gcp.violations.assert_none()


def test_a_malformed_cloudflare_answer_is_caught(cf: FakeCloudflare, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    real_list = FakeCloudflare._list

    def without_proxiable(zone: CfZone, query: dict[str, list[str]]) -> Any:
        status, rows, info = real_list(zone, query)
        return status, [{k: v for k, v in r.items() if k != "proxiable"} for r in rows], info

    monkeypatch.setattr(FakeCloudflare, "_list", staticmethod(without_proxiable))
    p = test_cloudflare.provider(tmp_path, cf)
    with pytest.raises(ProviderError,
                       match=re.escape("schema violation: GET /zones/{zone_id}/dns_records")):
        p.read([("www.example.test.", "A")])
    assert cf.violations.found
    assert all("answer 200 at /result/0: 'proxiable' is a required property" in v
               for v in cf.violations.found), cf.violations.found
    cf.violations.clear()


def test_a_malformed_clouddns_answer_is_caught(gcp: FakeGcp, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    real = ManagedZone.list

    def ttl_as_text(zone: ManagedZone, query: dict[str, list[str]]) -> tuple[int, Any]:
        status, listing = real(zone, query)
        return status, {**listing, "rrsets": [{**r, "ttl": str(r["ttl"])}
                                              for r in listing["rrsets"]]}

    monkeypatch.setattr(ManagedZone, "list", ttl_as_text)
    p = test_clouddns.provider(tmp_path, gcp)
    # The stand-in answers 500 in place of the bad answer: the provider retries, then fails.
    with pytest.raises(ProviderError, match="schema violation: GET /dns/v1/"):
        p.read([("www.example.test.", "A")])
    assert gcp.violations.found
    assert all("answer 200 at /rrsets/0/ttl: '60' is not of type 'integer'" in v
               for v in gcp.violations.found), gcp.violations.found
    gcp.violations.clear()


def test_the_lab_stand_in_writes_violations_into_its_folder(tmp_path: Path) -> None:
    (tmp_path / "token").write_text(CF_TOKEN + "\n")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "lab.cfapi", "--port", str(port),
                             "--token-file", str(tmp_path / "token"), "--zone-id", ZONE_ID,
                             "--zone-name", "example.test."], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(url + "/__violations", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, "not up"
                time.sleep(0.05)
        got = httpx.post(f"{url}/client/v4/zones/{ZONE_ID}/dns_records/batch",
                         json={"posts": [{**POST, "proxied": "no"}]},
                         headers={"Authorization": f"Bearer {CF_TOKEN}"})
        assert got.status_code == 400
        lines = (tmp_path / "cfapi.violations.jsonl").read_text().splitlines()
        assert len(lines) == 1
        assert "at /posts/0/proxied: 'no' is not of type 'boolean'" in lines[0]
    finally:
        proc.terminate()
        proc.wait(10)
