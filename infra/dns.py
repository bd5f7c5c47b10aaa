"""DNS zones at two DNS vendors (Route 53, Cloud DNS), exporting their name servers.

The records failover manages are created once, with initial answers, and
then ignored by Pulumi (``ignore_changes`` on their values and TTL): after a
move the zone no longer matches the program, and the next ``pulumi up``
must not move traffic back. Other records (MX, TXT, ...) are ordinary
Pulumi resources. Give the registrar the name servers of both zones.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp
from pydantic import BaseModel, ConfigDict, Field

# The properties failover rewrites, per resource type; Pulumi leaves them alone after creation.
ROUTE53_IGNORED = ["records", "ttl"]
CLOUDDNS_IGNORED = ["rrdatas", "ttl"]
DNS_OUTPUTS = ("vendor", "kind", "zone", "zone_id", "name_servers")


class RecordSpec(BaseModel):
    """One record set: ``name`` relative to the zone (``@`` is the apex)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    type: Literal["A", "AAAA", "CNAME", "MX", "TXT", "CAA", "NS", "SRV"] = "A"
    ttl: int = Field(default=60, ge=1, le=86400)
    values: list[str] = Field(default_factory=list)


def absolute(name: str, zone: str) -> str:
    """``www`` in ``example.org.`` -> ``www.example.org.``."""
    zone = zone.rstrip(".") + "."
    if name in ("@", "", zone):
        return zone
    return name if name.endswith(".") else f"{name}.{zone}"


class _Zone(pulumi.ComponentResource):
    vendor: pulumi.Output[str]
    kind: pulumi.Output[str]
    zone: pulumi.Output[str]
    zone_id: pulumi.Output[str]
    name_servers: pulumi.Output[Sequence[str]]

    def _finish(self, vendor: str, kind: str, zone: str, zone_id: pulumi.Output[str],
                name_servers: pulumi.Output[Sequence[str]]) -> None:
        self.vendor = pulumi.Output.from_input(vendor)
        self.kind = pulumi.Output.from_input(kind)
        self.zone = pulumi.Output.from_input(zone)
        self.zone_id = zone_id
        self.name_servers = name_servers
        self.register_outputs(self.outputs())

    def outputs(self) -> dict[str, pulumi.Output[Any]]:
        return {key: getattr(self, key) for key in DNS_OUTPUTS}


def _check(managed: Sequence[tuple[RecordSpec, pulumi.Input[Sequence[str]]]]) -> None:
    for spec, _ in managed:
        if spec.type not in ("A", "AAAA", "CNAME"):
            raise ValueError(f"managed record {spec.name} {spec.type}: failover manages "
                             "A, AAAA and CNAME only")


class Route53Zone(_Zone):
    """A public hosted zone on Route 53 with failover's records created once and then ignored.

    ``managed`` pairs each managed record with its initial answers (which may
    come from another stack's outputs); ``static`` records are kept as written.
    """

    def __init__(self, name: str, zone: str,
                 managed: Sequence[tuple[RecordSpec, pulumi.Input[Sequence[str]]]],
                 static: Sequence[RecordSpec] = (), vendor: str = "aws",
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("failover:dns:Route53Zone", name, None, opts)
        _check(managed)
        zone = zone.rstrip(".") + "."
        self.hosted_zone = aws.route53.Zone(f"{name}-zone", name=zone.rstrip("."),
                                            comment="failover: managed records move here",
                                            opts=pulumi.ResourceOptions(parent=self))
        self.records: dict[str, aws.route53.Record] = {}
        for spec, initial in managed:
            key = f"{spec.name} {spec.type}"
            self.records[key] = aws.route53.Record(
                f"{name}-{_slug(spec)}", zone_id=self.hosted_zone.zone_id,
                name=absolute(spec.name, zone), type=spec.type, ttl=spec.ttl, records=initial,
                opts=pulumi.ResourceOptions(parent=self, ignore_changes=ROUTE53_IGNORED))
        for spec in static:
            self.records[f"{spec.name} {spec.type}"] = aws.route53.Record(
                f"{name}-{_slug(spec)}", zone_id=self.hosted_zone.zone_id,
                name=absolute(spec.name, zone), type=spec.type, ttl=spec.ttl,
                records=spec.values, opts=pulumi.ResourceOptions(parent=self))
        self._finish(vendor, "route53", zone, self.hosted_zone.zone_id,
                     self.hosted_zone.name_servers)


class CloudDnsZone(_Zone):
    """A public managed zone on Google Cloud DNS, same contract as :class:`Route53Zone`."""

    def __init__(self, name: str, zone: str,
                 managed: Sequence[tuple[RecordSpec, pulumi.Input[Sequence[str]]]],
                 static: Sequence[RecordSpec] = (), vendor: str = "gcp",
                 project: str | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("failover:dns:CloudDnsZone", name, None, opts)
        _check(managed)
        zone = zone.rstrip(".") + "."
        self.managed_zone = gcp.dns.ManagedZone(
            f"{name}-zone", project=project, dns_name=zone, visibility="public",
            description="failover: managed records move here",
            opts=pulumi.ResourceOptions(parent=self))
        self.records: dict[str, gcp.dns.RecordSet] = {}
        for spec, initial in managed:
            self.records[f"{spec.name} {spec.type}"] = gcp.dns.RecordSet(
                f"{name}-{_slug(spec)}", project=project, managed_zone=self.managed_zone.name,
                name=absolute(spec.name, zone), type=spec.type, ttl=spec.ttl, rrdatas=initial,
                opts=pulumi.ResourceOptions(parent=self, ignore_changes=CLOUDDNS_IGNORED))
        for spec in static:
            self.records[f"{spec.name} {spec.type}"] = gcp.dns.RecordSet(
                f"{name}-{_slug(spec)}", project=project, managed_zone=self.managed_zone.name,
                name=absolute(spec.name, zone), type=spec.type, ttl=spec.ttl,
                rrdatas=spec.values, opts=pulumi.ResourceOptions(parent=self))
        self._finish(vendor, "clouddns", zone, self.managed_zone.name,
                     self.managed_zone.name_servers)


def _slug(spec: RecordSpec) -> str:
    label = "apex" if spec.name in ("@", "") else spec.name.rstrip(".").replace(".", "-")
    return f"{label}-{spec.type.lower()}"
