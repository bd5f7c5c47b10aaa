"""DNS zones at two DNS vendors and backup buckets, under Pulumi's mocks."""

from __future__ import annotations

from typing import Any

import pytest

from infra.dns import DNS_OUTPUTS, CloudDnsZone, RecordSpec, Route53Zone, check_static
from tests.infra.harness import CLOUDDNS_NS, ROUTE53_NS, ROUTE53_ZONE_ID, Harness

STATIC = [RecordSpec(name="@", type="MX", ttl=3600, values=["10 mail.example.org."]),
          RecordSpec(name="@", type="TXT", ttl=3600, values=['"v=spf1 -all"'])]

ZONES: dict[str, tuple[Any, str, str, str]] = {
    # component, zone type, record type, values property
    "route53": (Route53Zone, "aws:route53/zone:Zone", "aws:route53/record:Record", "records"),
    "clouddns": (CloudDnsZone, "gcp:dns/managedZone:ManagedZone",
                 "gcp:dns/recordSet:RecordSet", "rrdatas"),
}


@pytest.fixture(params=sorted(ZONES))
def dns_vendor(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_zone_holds_static_records_and_never_managed_ones(pulumi_mocks: Harness,
                                                          dns_vendor: str) -> None:
    component, _, record_type, values = ZONES[dns_vendor]
    pulumi_mocks.run(lambda: component("zone", "example.org", STATIC).outputs())
    records = {(r.inputs["name"], r.inputs["type"]): r
               for r in pulumi_mocks.of_type(record_type)}
    # failover seeds A/AAAA/CNAME at every zone from one inventory; Pulumi never owns them,
    # so a refresh after an active-active move has nothing to recreate.
    assert set(records) == {("example.org.", "MX"), ("example.org.", "TXT")}
    assert records[("example.org.", "MX")].inputs[values] == ["10 mail.example.org."]


def test_zone_is_protected_and_retained(pulumi_mocks: Harness, dns_vendor: str) -> None:
    component, zone_type, _, _ = ZONES[dns_vendor]
    pulumi_mocks.run(lambda: component("zone", "example.org.", STATIC).outputs())
    zone = pulumi_mocks.one(zone_type)
    assert zone.protect and zone.retain_on_delete, \
        f"{dns_vendor}: a destroy would take the zone and its name servers"
    assert zone.name == "zone-zone"


def test_route53_name_servers_come_from_a_kept_delegation_set(pulumi_mocks: Harness) -> None:
    pulumi_mocks.run(lambda: Route53Zone("route53", "example.org.").outputs())
    delegation = pulumi_mocks.one("aws:route53/delegationSet:DelegationSet")
    assert delegation.protect and delegation.retain_on_delete
    zone = pulumi_mocks.one("aws:route53/zone:Zone")
    assert zone.inputs["delegationSetId"] == "route53-delegation-id"


def test_route53_reuses_an_existing_delegation_set(pulumi_mocks: Harness) -> None:
    pulumi_mocks.run(lambda: Route53Zone("route53", "example.org.",
                                         delegation_set_id="N0KEPT").outputs())
    assert not pulumi_mocks.of_type("aws:route53/delegationSet:DelegationSet")
    assert pulumi_mocks.one("aws:route53/zone:Zone").inputs["delegationSetId"] == "N0KEPT"


def test_zone_exports_its_name_servers(pulumi_mocks: Harness, dns_vendor: str) -> None:
    component, *_ = ZONES[dns_vendor]
    outputs = pulumi_mocks.run(lambda: component("zone", "example.org.").outputs())
    assert set(outputs) == set(DNS_OUTPUTS)
    expected_ns = ROUTE53_NS if dns_vendor == "route53" else CLOUDDNS_NS
    assert outputs["name_servers"] == expected_ns
    assert outputs["zone"] == "example.org."
    assert outputs["kind"] == dns_vendor
    assert outputs["zone_id"] == (ROUTE53_ZONE_ID if dns_vendor == "route53" else "zone-zone-1234")
    assert pulumi_mocks.component("zone").outputs["name_servers"] == expected_ns


def test_static_records_may_not_shadow_managed_ones() -> None:
    with pytest.raises(ValueError, match="also managed by failover"):
        check_static([RecordSpec(name="www", type="A", values=["192.0.2.1"])],
                     [RecordSpec(name="www", type="A")])
    with pytest.raises(ValueError, match="no values"):
        check_static([RecordSpec(name="@", type="TXT")])


def test_s3_backup_is_private_versioned_encrypted_protected(pulumi_mocks: Harness) -> None:
    from infra.backup import BACKUP_OUTPUTS, S3Backup

    outputs = pulumi_mocks.run(lambda: S3Backup("backup", "social", "us-east-1").outputs())
    assert set(outputs) == set(BACKUP_OUTPUTS)
    assert outputs == {"vendor": "aws", "kind": "s3", "bucket": "social-backup-0001",
                       "url": "s3://social-backup-0001"}
    assert pulumi_mocks.one("aws:s3/bucket:Bucket").protect
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


@pytest.mark.parametrize("service, ok", [("a" * 29, True), ("a" * 30, False),
                                         ("a" * 32, False)])
def test_s3_bucket_prefix_fits_the_37_character_limit(service: str, ok: bool) -> None:
    from infra.backup import S3_PREFIX_MAX, s3_bucket_prefix

    if ok:
        assert len(s3_bucket_prefix(service)) <= S3_PREFIX_MAX
    else:
        with pytest.raises(ValueError, match="37 before its 26-character suffix"):
            s3_bucket_prefix(service)


def test_gcs_backup_is_private_versioned_protected(pulumi_mocks: Harness) -> None:
    from infra.backup import GcsBackup

    outputs = pulumi_mocks.run(lambda: GcsBackup("backup", "social", "EU").outputs())
    assert outputs == {"vendor": "gcp", "kind": "gcs", "bucket": "backup-bucket-5678",
                       "url": "gs://backup-bucket-5678"}
    bucket = pulumi_mocks.one("gcp:storage/bucket:Bucket")
    assert bucket.protect
    assert bucket.inputs["publicAccessPrevention"] == "enforced"
    assert bucket.inputs["uniformBucketLevelAccess"] is True
    assert bucket.inputs["versioning"]["enabled"] is True


def test_route53_zone_created_before_the_set_is_not_replaced(pulumi_mocks: Harness) -> None:
    pulumi_mocks.run(lambda: Route53Zone("route53", "example.org.").outputs())
    assert "delegationSetId" in pulumi_mocks.one("aws:route53/zone:Zone").ignore_changes


def test_each_provider_gets_one_txt_value_quoted_its_own_way(pulumi_mocks: Harness,
                                                             dns_vendor: str) -> None:
    component, _, record_type, values = ZONES[dns_vendor]
    specs = [*STATIC, RecordSpec(name="dkim", type="TXT", values=["v=DKIM1; p=MIIB"])]
    pulumi_mocks.run(lambda: component("zone", "example.org", specs).outputs())
    txt = {r.inputs["name"]: r.inputs[values] for r in pulumi_mocks.of_type(record_type)
           if r.inputs["type"] == "TXT"}
    # The AWS provider quotes a TXT value itself, Cloud DNS takes it as in a zone file.
    quoted = '"v=spf1 -all"' if dns_vendor == "clouddns" else "v=spf1 -all"
    assert txt["example.org."] == [quoted]
    assert txt["dkim.example.org."] == ["v=DKIM1; p=MIIB"]
