"""DNS zones at two DNS vendors (Route 53, Cloud DNS), exporting their name servers.

Pulumi owns the zone and the records failover does not manage (MX, TXT,
...). It never owns the records failover manages: those are seeded by
``failover move`` right after the deploy, at every DNS provider from the
same inventory, so the zones agree from the first answer, a DNS stack reads
no other stack on ``up``, and active-active weighted sets never conflict
with a Pulumi record after ``refresh``.

Zones are protected and retained on delete: a new zone gets new name
servers, which breaks the delegation. Route 53 zones take their name
servers from a reusable delegation set (also protected and retained), so a
zone recreated from the same set keeps the name servers the registrar has.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp
from pydantic import BaseModel, ConfigDict, Field

DNS_OUTPUTS = ("vendor", "kind", "zone", "zone_id", "name_servers")


class RecordSpec(BaseModel):
    """One record set: ``name`` relative to the zone (``@`` is the apex)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    type: Literal["A", "AAAA", "CNAME", "MX", "TXT", "SPF", "CAA", "NS", "SRV"] = "A"
    ttl: int = Field(default=60, ge=1, le=86400)
    values: list[str] = Field(default_factory=list)


def absolute(name: str, zone: str) -> str:
    """``www`` in ``example.org.`` -> ``www.example.org.``."""
    zone = zone.rstrip(".") + "."
    if name in ("@", "", zone):
        return zone
    return name if name.endswith(".") else f"{name}.{zone}"


def kept() -> pulumi.ResourceOptions:
    """Options for what the delegation depends on: never deleted by Pulumi, even by destroy."""
    return pulumi.ResourceOptions(protect=True, retain_on_delete=True)


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


def check_static(static: Sequence[RecordSpec], managed: Sequence[RecordSpec] = ()) -> None:
    """A static record must not be one failover manages (the next up would undo a move)."""
    owned = {(absolute(r.name, "z."), r.type) for r in managed}
    for spec in static:
        if (absolute(spec.name, "z."), spec.type) in owned:
            raise ValueError(f"static record {spec.name} {spec.type} is also managed by "
                             "failover; list it in one place only")
        if not spec.values:
            raise ValueError(f"static record {spec.name} {spec.type} has no values")


def route53_values(spec: RecordSpec) -> list[str]:
    """The values as the Route 53 provider wants them: TXT and SPF without their quotes.

    service.yaml writes a TXT value once, quoted as in a zone file, which is what
    Cloud DNS takes; the AWS provider adds its own pair of quotes, and a value quoted
    twice is refused with InvalidChangeBatch (terraform-provider-aws#365).
    """
    if spec.type not in ("TXT", "SPF"):
        return list(spec.values)
    return [v[1:-1] if len(v) >= 2 and v[0] == v[-1] == '"' else v for v in spec.values]


class Route53Zone(_Zone):
    """A public hosted zone on Route 53 with name servers from a reusable delegation set.

    ``delegation_set_id`` reuses a set that already exists (for example one
    retained from an earlier stack); otherwise one is created here.
    """

    def __init__(self, name: str, zone: str, static: Sequence[RecordSpec] = (),
                 vendor: str = "aws", delegation_set_id: str | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("failover:dns:Route53Zone", name, None, opts)
        check_static(static)
        zone = zone.rstrip(".") + "."
        set_id: pulumi.Input[str]
        if delegation_set_id:
            set_id = delegation_set_id
        else:
            self.delegation_set = aws.route53.DelegationSet(
                f"{name}-delegation", reference_name=f"failover {zone}",
                opts=pulumi.ResourceOptions.merge(kept(), pulumi.ResourceOptions(parent=self)))
            set_id = self.delegation_set.id
        self.delegation_set_id = pulumi.Output.from_input(set_id)
        self.hosted_zone = aws.route53.Zone(
            f"{name}-zone", name=zone.rstrip("."), delegation_set_id=set_id,
            comment="failover: managed records move here",
            # Route 53 cannot give an existing zone a delegation set: a zone created before
            # the set keeps its name servers rather than being replaced.
            opts=pulumi.ResourceOptions.merge(kept(), pulumi.ResourceOptions(
                parent=self, ignore_changes=["delegationSetId"])))
        self.records: dict[str, aws.route53.Record] = {}
        for spec in static:
            self.records[f"{spec.name} {spec.type}"] = aws.route53.Record(
                f"{name}-{_slug(spec)}", zone_id=self.hosted_zone.zone_id,
                name=absolute(spec.name, zone), type=spec.type, ttl=spec.ttl,
                records=route53_values(spec), opts=pulumi.ResourceOptions(parent=self))
        self._finish(vendor, "route53", zone, self.hosted_zone.zone_id,
                     self.hosted_zone.name_servers)


class CloudDnsZone(_Zone):
    """A public managed zone on Google Cloud DNS, same contract as :class:`Route53Zone`."""

    def __init__(self, name: str, zone: str, static: Sequence[RecordSpec] = (),
                 vendor: str = "gcp", project: str | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("failover:dns:CloudDnsZone", name, None, opts)
        check_static(static)
        zone = zone.rstrip(".") + "."
        self.managed_zone = gcp.dns.ManagedZone(
            f"{name}-zone", project=project, dns_name=zone, visibility="public",
            description="failover: managed records move here",
            opts=pulumi.ResourceOptions.merge(kept(), pulumi.ResourceOptions(parent=self)))
        self.records: dict[str, gcp.dns.RecordSet] = {}
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
