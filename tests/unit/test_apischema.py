"""The schema checks of lab/apischema, without a server: what the Cloudflare and Cloud DNS
descriptions accept and refuse, the named relaxations, and (given the vendors' original
documents in environment variables) that our trimmed copies still match them.

These are unit tests: no stand-in runs. The comparison tests are skipped unless
``FAILOVER_CF_OPENAPI`` names Cloudflare's ``openapi.json`` (for example
``git show cca3064f1aba08cc6cef52fc7b3d3064a9eafcc9:openapi.json`` from
cloudflare/api-schemas) or ``FAILOVER_DNS_DISCOVERY`` names Google's ``dns.v1.json``
(from the google-api-python-client wheel); see docs/vendor-schemas.md.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from lab.apischema import trim_clouddns, trim_cloudflare, validate
from lab.apischema.clouddns_v1 import DOCUMENT as CLOUDDNS
from lab.apischema.cloudflare_v4 import DOCUMENT as CLOUDFLARE

ZONE = "/client/v4/zones/0123456789abcdef0123456789abcdef"
MZ = "/dns/v1/projects/lab-project/managedZones/example-test"
POST = {"name": "new.example.test", "type": "A", "content": "127.0.0.15", "proxied": False,
        "ttl": 120}
RRSET = {"kind": "dns#resourceRecordSet", "name": "www.example.test.", "type": "A", "ttl": 60,
         "rrdatas": ["127.0.0.11"]}


def cf_request(method: str, path: str, body: Any = None, **query: str) -> validate.Verdict:
    return validate.cloudflare().check_request(method, ZONE + path,
                                               {k: [v] for k, v in query.items()}, body,
                                               has_body=body is not None)


def gcp_request(method: str, path: str, body: Any = None, **query: str) -> validate.Verdict:
    return validate.clouddns().check_request(method, MZ + path,
                                             {k: [v] for k, v in query.items()}, body,
                                             has_body=body is not None)


def test_what_the_cloudflare_provider_sends_is_described() -> None:
    assert cf_request("GET", "").violations == []
    listed = cf_request("GET", "/dns_records", name="www.example.test", type="A", page="1",
                        per_page="100")
    assert listed.violations == [] and listed.tolerated == []
    batch = cf_request("POST", "/dns_records/batch",
                       {"deletes": [{"id": "a" * 32}], "posts": [POST]})
    assert batch.operation == "dns-records-for-a-zone-batch-dns-records"
    assert batch.violations == [] and batch.tolerated == []


def test_a_misspelt_batch_field_is_a_violation() -> None:
    wrong_part = cf_request("POST", "/dns_records/batch", {"post": [POST]})
    assert wrong_part.violations == [
        "POST /zones/{zone_id}/dns_records/batch (dns-records-for-a-zone-batch-dns-records) "
        "request body: Unevaluated properties are not allowed ('post' was unexpected)"]
    record = {**{k: v for k, v in POST.items() if k != "content"}, "contents": "127.0.0.15"}
    wrong_field = cf_request("POST", "/dns_records/batch", {"posts": [record]})
    assert len(wrong_field.violations) == 1
    assert ("at /posts/0: Unevaluated properties are not allowed ('contents' was unexpected)"
            in wrong_field.violations[0])


def test_query_path_and_method_are_checked() -> None:
    assert "unknown query parameter 'nmae'" in cf_request("GET", "/dns_records",
                                                          nmae="x").violations[0]
    assert "per_page='lots' is not a number" in cf_request("GET", "/dns_records",
                                                           per_page="lots").violations[0]
    assert "less than the minimum of 1" in cf_request("GET", "/dns_records",
                                                      page="0").violations[0]
    assert "'MX ' is not one of" in cf_request("GET", "/dns_records", type="MX ").violations[0]
    assert cf_request("PUT", "/dns_records/batch", {}).violations == [
        "PUT /zones/{zone_id}/dns_records/batch: the Cloudflare v4 schema describes only POST "
        "there"]
    assert "no operation in the Cloudflare v4 schema" in cf_request("GET", "/dns").violations[0]
    assert "is too long" in validate.cloudflare().check_request(
        "GET", "/client/v4/zones/" + "a" * 33, {}, None, has_body=False).violations[0]


def test_partial_batch_patches_are_tolerated_by_name_and_nothing_more() -> None:
    # What failover's provider sends: the id and what changes (Cloudflare's batch guide
    # allows it; the schema requires name, ttl and type).
    ok = cf_request("POST", "/dns_records/batch",
                    {"patches": [{"id": "a" * 32, "ttl": 300},
                                 {"id": "b" * 32, "content": "127.0.0.12", "ttl": 60}]})
    assert ok.violations == []
    assert [t.split(":")[0] for t in ok.tolerated] == ["cloudflare-partial-batch-patch"]
    assert "'name' is a required property" in ok.tolerated[0]
    # The relaxation drops those three requirements only: an id is still required, and a
    # misspelt field is still refused.
    no_id = cf_request("POST", "/dns_records/batch", {"patches": [{"ttl": 300}]})
    assert no_id.violations and not no_id.tolerated
    typo = cf_request("POST", "/dns_records/batch", {"patches": [{"id": "a" * 32, "tll": 60}]})
    assert typo.violations and "'tll' was unexpected" in typo.violations[0]
    whole = cf_request("POST", "/dns_records/batch",
                       {"patches": [{"id": "a" * 32, "name": "www.example.test", "type": "A",
                                     "ttl": 60, "content": "127.0.0.12"}]})
    assert whole.violations == [] and whole.tolerated == []


def test_a_create_is_checked_with_openapis_read_only_rule() -> None:
    # readOnly fields in 'required' (proxiable, created_on, modified_on) bind answers only;
    # the document's 'id' is tolerated by name (see the relaxation's reason).
    made = cf_request("POST", "/dns_records", POST)
    assert made.violations == []
    assert [t.split(":")[0] for t in made.tolerated] == ["cloudflare-create-without-id"]
    assert "is not a 'ipv4'" in cf_request("POST", "/dns_records",
                                           {**POST, "content": "not-an-ip"}).violations[0]


def record(**change: Any) -> dict[str, Any]:
    rec = {"id": "c" * 32, "name": "www.example.test", "type": "A", "content": "127.0.0.11",
           "proxiable": True, "proxied": False, "ttl": 60, "tags": [], "meta": {},
           "created_on": "2026-12-07T10:00:00.000000Z",
           "modified_on": "2026-12-07T10:00:00.000000Z", **change}
    return {k: v for k, v in rec.items() if v is not None}


def test_cloudflare_answers_are_checked() -> None:
    cf = validate.cloudflare()
    listing = {"success": True, "errors": [], "messages": [], "result": [record()],
               "result_info": {"page": 1, "per_page": 100, "count": 1, "total_count": 1,
                               "total_pages": 1}}
    op = "dns-records-for-a-zone-list-dns-records"
    assert cf.check_answer(op, 200, listing).violations == []
    missing = {**listing, "result": [record(proxiable=None)]}
    assert "at /result/0: 'proxiable' is a required property" in cf.check_answer(
        op, 200, missing).violations[0]
    null_comment = {**listing, "result": [record(comment=None) | {"comment": None}]}
    assert "None is not of type 'string'" in cf.check_answer(op, 200,
                                                             null_comment).violations[0]
    refused = {"success": False, "errors": [{"code": 81044, "message": "Record does not exist."}],
               "messages": [], "result": None}
    assert cf.check_answer(op, 404, refused).violations == []
    assert "'result' is a required property" in cf.check_answer(
        op, 404, {k: v for k, v in refused.items() if k != "result"}).violations[0]
    limited = {**refused, "errors": [{"code": 971, "message": "Please wait"}]}
    verdict = cf.check_answer(op, 429, limited)
    assert verdict.violations == []
    assert verdict.tolerated[0].startswith("cloudflare-rate-limit-code-971: ")


def test_what_the_clouddns_provider_sends_is_described() -> None:
    assert gcp_request("GET", "").violations == []
    assert gcp_request("GET", "/rrsets", name="www.example.test.", type="A").violations == []
    assert gcp_request("GET", "/rrsets", maxResults="1000", pageToken="2").violations == []
    change = {"kind": "dns#change", "deletions": [RRSET],
              "additions": [{**RRSET, "rrdatas": ["127.0.0.12"]}]}
    assert gcp_request("POST", "/changes", change).violations == []
    assert gcp_request("GET", "/changes/1").violations == []


def test_a_misspelt_change_field_is_a_violation() -> None:
    wrong = gcp_request("POST", "/changes", {"addition": [RRSET]})
    assert wrong.violations == [
        "POST /dns/v1/projects/{project}/managedZones/{managedZone}/changes (dns.changes.create)"
        " request body: Additional properties are not allowed ('addition' was unexpected)"]
    inner = gcp_request("POST", "/changes", {"additions": [{**RRSET, "rrdata": ["x"]}]})
    assert "at /additions/0: Additional properties are not allowed ('rrdata' was unexpected)" \
        in inner.violations[0]
    assert "is not of type 'integer'" in gcp_request(
        "POST", "/changes", {"additions": [{**RRSET, "ttl": "60"}]}).violations[0]
    assert "maxResults='many' is not an integer" in gcp_request(
        "GET", "/rrsets", maxResults="many").violations[0]
    assert "request body required" in gcp_request("POST", "/changes").violations[0]


def test_clouddns_answers_are_checked() -> None:
    gcp = validate.clouddns()
    change = {"kind": "dns#change", "id": "1", "status": "pending", "isServing": True,
              "startTime": "2026-12-07T10:00:00.000Z", "additions": [RRSET], "deletions": []}
    assert gcp.check_answer("dns.changes.create", 200, change).violations == []
    assert "'applied' is not one of ['pending', 'done']" in gcp.check_answer(
        "dns.changes.get", 200, {**change, "status": "applied"}).violations[0]
    listing = {"kind": "dns#resourceRecordSetsListResponse", "rrsets": [RRSET],
               "nextPageToken": "2"}
    assert gcp.check_answer("dns.resourceRecordSets.list", 200, listing).violations == []
    assert "'next_page_token' was unexpected" in gcp.check_answer(
        "dns.resourceRecordSets.list", 200,
        {"rrsets": [], "next_page_token": "2"}).violations[0]
    # Errors: the discovery document describes none, so they are not checked.
    assert gcp.check_answer("dns.changes.create", 412, {"error": {}}).violations == []


def test_the_schemas_say_where_they_came_from() -> None:
    cf = CLOUDFLARE["x-source"]
    assert cf["document"]["repository"] == "cloudflare/api-schemas"
    assert cf["document"]["commit"] == "cca3064f1aba08cc6cef52fc7b3d3064a9eafcc9"
    assert cf["batch"]["commit"] == "087d706c8531f3a188f719316685554ff945d48a"
    assert {op["from"] for op in CLOUDFLARE["operations"].values()} == {"document", "batch"}
    gcp = CLOUDDNS["x-source"]
    assert (gcp["package"], gcp["version"]) == ("google-api-python-client", "2.202.0")
    assert CLOUDDNS["revision"] == gcp["revision"] == "20261009"
    assert sorted(m["id"] for r in CLOUDDNS["resources"].values()
                  for m in r["methods"].values()) == [
        "dns.changes.create", "dns.changes.get", "dns.managedZones.get",
        "dns.resourceRecordSets.list"]
    for r in validate.CLOUDFLARE_RELAXATIONS:
        assert r.name.startswith("cloudflare-") and len(r.reason) > 80


def test_schemas_compile_once() -> None:
    assert validate.cloudflare() is validate.cloudflare()
    assert validate.clouddns() is validate.clouddns()


@pytest.mark.skipif(not os.environ.get("FAILOVER_CF_OPENAPI"),
                    reason="FAILOVER_CF_OPENAPI does not name Cloudflare's openapi.json")
def test_the_cloudflare_transcription_matches_the_document() -> None:
    """A unit test, not an integration test: it reads the file FAILOVER_CF_OPENAPI names (the
    original document, which is not committed here) and compares it with the transcription
    in lab/apischema/cloudflare_v4.py, operation by operation. An operation transcribed
    from the SDK (the batch) is compared only if the document has it."""
    doc = json.loads(Path(os.environ["FAILOVER_CF_OPENAPI"]).read_text(encoding="utf-8"))
    differences, notes = trim_cloudflare.compare(doc)
    for note in notes:
        print(f"note: {note}")
    assert not differences, "\n\n".join(differences)


@pytest.mark.skipif(not os.environ.get("FAILOVER_DNS_DISCOVERY"),
                    reason="FAILOVER_DNS_DISCOVERY does not name Google's dns.v1.json")
def test_the_clouddns_copy_is_what_trimming_the_document_gives() -> None:
    """A unit test: trims the discovery document FAILOVER_DNS_DISCOVERY names and compares it
    with lab/apischema/clouddns_v1.py (its source note aside)."""
    doc = json.loads(Path(os.environ["FAILOVER_DNS_DISCOVERY"]).read_text(encoding="utf-8"))
    trimmed = trim_clouddns.trim(doc, CLOUDDNS["x-source"])
    assert trimmed == CLOUDDNS
