"""DNS zones at two DNS vendors and backup buckets, under Pulumi's mocks."""

from __future__ import annotations

from typing import Any

import pytest

from infra.dns import (
    CLOUDDNS_IGNORED,
    DNS_OUTPUTS,
    ROUTE53_IGNORED,
    CloudDnsZone,
    RecordSpec,
    Route53Zone,
)
from tests.infra.harness import CLOUDDNS_NS, ROUTE53_NS, ROUTE53_ZONE_ID, Harness

MANAGED = [(RecordSpec(name="@", type="A"), ["203.0.113.10"]),
           (RecordSpec(name="www", type="A"), ["203.0.113.10"]),
           (RecordSpec(name="www", type="AAAA"), ["2001:db8::10"])]
STATIC = [RecordSpec(name="@", type="MX", ttl=3600, values=["10 mail.example.org."])]

ZONES: dict[str, tuple[Any, str, str, list[str]]] = {
    # component, record type, values property, what failover rewrites
    "route53": (Route53Zone, "aws:route53/record:Record", "records", ROUTE53_IGNORED),
    "clouddns": (CloudDnsZone, "gcp:dns/recordSet:RecordSet", "rrdatas", CLOUDDNS_IGNORED),
}


@pytest.fixture(params=sorted(ZONES))
def dns_vendor(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _records(h: Harness, record_type: str) -> dict[tuple[str, str], Any]:
    return {(r.inputs["name"], r.inputs["type"]): r for r in h.of_type(record_type)}


def test_managed_records_are_created_once_then_ignored(pulumi_mocks: Harness,
                                                       dns_vendor: str) -> None:
    component, record_type, values, _ = ZONES[dns_vendor]
    pulumi_mocks.run(lambda: component("zone", "example.org", MANAGED, STATIC).outputs())
    records = _records(pulumi_mocks, record_type)
    assert set(records) == {("example.org.", "A"), ("www.example.org.", "A"),
                            ("www.example.org.", "AAAA"), ("example.org.", "MX")}
    for key in [("example.org.", "A"), ("www.example.org.", "A"), ("www.example.org.", "AAAA")]:
        record = records[key]
        assert record.inputs[values], f"{key}: created without initial answers"
        assert {values, "ttl"} <= set(record.ignore_changes), \
            f"{dns_vendor} {key}: the next pulumi up would undo a failover"
    mx = records[("example.org.", "MX")]
    assert mx.ignore_changes == []
    assert mx.inputs[values] == ["10 mail.example.org."]


def test_zone_exports_its_name_servers(pulumi_mocks: Harness, dns_vendor: str) -> None:
    component, *_ = ZONES[dns_vendor]
    outputs = pulumi_mocks.run(lambda: component("zone", "example.org.", MANAGED).outputs())
    assert set(outputs) == set(DNS_OUTPUTS)
    expected_ns = ROUTE53_NS if dns_vendor == "route53" else CLOUDDNS_NS
    assert outputs["name_servers"] == expected_ns
    assert outputs["zone"] == "example.org."
    assert outputs["kind"] == dns_vendor
    assert outputs["zone_id"] == (ROUTE53_ZONE_ID if dns_vendor == "route53" else "zone-zone-1234")
    assert pulumi_mocks.component("zone").outputs["name_servers"] == expected_ns


def test_only_address_records_can_be_managed(pulumi_mocks: Harness, dns_vendor: str) -> None:
    component, *_ = ZONES[dns_vendor]
    with pytest.raises(ValueError, match="A, AAAA and CNAME"):
        pulumi_mocks.run(lambda: component("zone", "example.org.",
                                           [(RecordSpec(name="@", type="MX"), ["10 mx."])]))


def test_s3_backup_is_private_versioned_encrypted(pulumi_mocks: Harness) -> None:
    from infra.backup import BACKUP_OUTPUTS, S3Backup

    outputs = pulumi_mocks.run(lambda: S3Backup("backup", "social", "us-east-1").outputs())
    assert set(outputs) == set(BACKUP_OUTPUTS)
    assert outputs == {"vendor": "aws", "kind": "s3", "bucket": "social-backup-0001",
                       "url": "s3://social-backup-0001"}
    block = pulumi_mocks.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy",
                                          "ignorePublicAcls", "restrictPublicBuckets"))
    versioning = pulumi_mocks.one("aws:s3/bucketVersioning:BucketVersioning").inputs
    assert versioning["versioningConfiguration"]["status"] == "Enabled"
    assert pulumi_mocks.of_type(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    for part in pulumi_mocks.children_of(pulumi_mocks.component("backup")):
        if part.type != "aws:s3/bucket:Bucket":
            assert part.inputs["bucket"] == "social-backup-0001"


def test_gcs_backup_is_private_and_versioned(pulumi_mocks: Harness) -> None:
    from infra.backup import GcsBackup

    outputs = pulumi_mocks.run(lambda: GcsBackup("backup", "social", "EU").outputs())
    assert outputs == {"vendor": "gcp", "kind": "gcs", "bucket": "backup-bucket-5678",
                       "url": "gs://backup-bucket-5678"}
    bucket = pulumi_mocks.one("gcp:storage/bucket:Bucket").inputs
    assert bucket["publicAccessPrevention"] == "enforced"
    assert bucket["uniformBucketLevelAccess"] is True
    assert bucket["versioning"]["enabled"] is True
