"""The one Pulumi program behind every stack in this folder.

``service.yaml`` describes the service and its zone once; each stack's
``failover:target`` picks what this stack builds: a hosting at one vendor
(``aws``, ``gcp``, ``hetzner``, ``metal``) or the zone at one DNS vendor
(``route53``, ``clouddns``). A target imports only its own vendor's SDK.

Hosting stacks export the shared hosting shape at the top level (vendor,
hosting, addresses, port, health_url), which is what ``failover inventory``
reads with ``from_stack``; DNS stacks export the zone and its name servers.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pydantic import BaseModel, ConfigDict, Field

from infra.dns import RecordSpec
from infra.service import Service

SERVICE_FILE = Path(__file__).with_name("service.yaml")
NAMESPACE = "failover"


class ZoneDescription(BaseModel):
    """The zone in ``service.yaml``: failover's records and everything else."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    zone: str
    managed: list[RecordSpec] = Field(min_length=1)
    static: list[RecordSpec] = Field(default_factory=list)


class Description(BaseModel):
    """``service.yaml``: the service and its zone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    service: Service
    dns: ZoneDescription


def load_description(path: Path = SERVICE_FILE) -> Description:
    """Read and validate ``service.yaml``."""
    return Description.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def _common(cfg: pulumi.Config) -> dict[str, Any]:
    """Placement settings every hosting target reads."""
    common: dict[str, Any] = {
        "hosting": cfg.require("hosting"),
        "admin_cidrs": cfg.get_object("adminCidrs") or [],
        "ssh_public_key": cfg.get("sshPublicKey"),
    }
    if cfg.get("vendor"):
        common["vendor"] = cfg.get("vendor")
    if cfg.get_int("sshPort"):
        common["ssh_port"] = cfg.get_int("sshPort")
    return common


def build_aws(cfg: pulumi.Config, desc: Description) -> dict[str, Any]:
    from infra.aws import AwsHosting, AwsPlacement
    from infra.backup import S3Backup

    region = cfg.get("region") or pulumi.Config("aws").require("region")
    placement = AwsPlacement(**_common(cfg), region=region,
                             instance_type=cfg.get("instanceType"), ami=cfg.get("ami"),
                             use_default_vpc=cfg.get_bool("useDefaultVpc") or False)
    hosting = AwsHosting(placement.hosting, desc.service, placement)
    exports: dict[str, Any] = hosting.outputs()
    if cfg.get_bool("backupBucket") is not False:
        exports["backup"] = S3Backup(f"{desc.service.name}-backup", desc.service.name,
                                     region).outputs()
    return exports


def build_gcp(cfg: pulumi.Config, desc: Description) -> dict[str, Any]:
    from infra.backup import GcsBackup
    from infra.gcp import GcpHosting, GcpPlacement

    gcp_cfg = pulumi.Config("gcp")
    region = cfg.get("region") or gcp_cfg.require("region")
    placement = GcpPlacement(**_common(cfg), region=region,
                             zone=cfg.get("zone") or gcp_cfg.require("zone"),
                             project=cfg.get("project"), machine_type=cfg.get("machineType"))
    hosting = GcpHosting(placement.hosting, desc.service, placement)
    exports: dict[str, Any] = hosting.outputs()
    if cfg.get_bool("backupBucket") is not False:
        exports["backup"] = GcsBackup(f"{desc.service.name}-backup", desc.service.name,
                                      cfg.get("backupLocation") or region,
                                      project=cfg.get("project")).outputs()
    return exports


def build_hetzner(cfg: pulumi.Config, desc: Description) -> dict[str, Any]:
    from infra.hetzner import HetznerHosting, HetznerPlacement

    placement = HetznerPlacement(**_common(cfg), location=cfg.require("location"),
                                 server_type=cfg.get("serverType"))
    return HetznerHosting(placement.hosting, desc.service, placement).outputs()


def build_metal(cfg: pulumi.Config, desc: Description) -> dict[str, Any]:
    from infra.metal import MetalHosting, MetalPlacement

    placement = MetalPlacement(**_common(cfg), host=cfg.require("host"),
                               host_key=cfg.require("hostKey"), user=cfg.get("user") or "root",
                               addresses=cfg.get_object("addresses") or [],
                               guard_ssh=cfg.get_bool("guardSsh") is not False)
    hosting = MetalHosting(placement.hosting, desc.service, placement,
                           private_key=cfg.require_secret("privateKey"))
    return hosting.outputs()


def initial_answers(cfg: pulumi.Config,
                    records: Sequence[RecordSpec]) -> list[tuple[RecordSpec, pulumi.Input[Any]]]:
    """The first answers of the managed records: ``initial`` as written, else ``initialFrom``.

    ``initialFrom`` names a hosting stack of this project; its ``addresses``
    output is split into A and AAAA answers.
    """
    written = cfg.get_object("initial")
    if written is not None:
        if not isinstance(written, dict):
            raise ValueError("failover:initial must map record types to answers, "
                             "e.g. {A: [203.0.113.10]}")
        missing = sorted({r.type for r in records} - set(written))
        if missing:
            raise ValueError(f"failover:initial has no answers for {', '.join(missing)}")
        return [(r, list(written[r.type])) for r in records]
    source = cfg.get("initialFrom")
    if source is None:
        raise ValueError("set failover:initialFrom (a hosting stack) or failover:initial "
                         "(answers per record type) for the managed records' first answers")
    if any(r.type == "CNAME" for r in records):
        raise ValueError("a managed CNAME needs failover:initial; initialFrom gives addresses")
    ref = pulumi.StackReference(
        f"{pulumi.get_organization()}/{pulumi.get_project()}/{source}")
    addresses = ref.require_output("addresses")

    def of_version(version: int) -> Callable[[Any], list[str]]:
        def pick(values: Any) -> list[str]:
            found = [str(v) for v in values if ipaddress.ip_address(v).version == version]
            if not found:
                raise ValueError(f"stack {source} exports no IPv{version} address")
            return found
        return pick

    return [(r, addresses.apply(of_version(4 if r.type == "A" else 6))) for r in records]


def _zone_parts(cfg: pulumi.Config, desc: Description) -> tuple[str, list[Any], list[RecordSpec]]:
    return desc.dns.zone, initial_answers(cfg, desc.dns.managed), desc.dns.static


def build_route53(cfg: pulumi.Config, desc: Description) -> dict[str, Any]:
    from infra.dns import Route53Zone

    zone, managed, static = _zone_parts(cfg, desc)
    return Route53Zone("route53", zone, managed, static).outputs()


def build_clouddns(cfg: pulumi.Config, desc: Description) -> dict[str, Any]:
    from infra.dns import CloudDnsZone

    zone, managed, static = _zone_parts(cfg, desc)
    return CloudDnsZone("clouddns", zone, managed, static, project=cfg.get("project")).outputs()


TARGETS: dict[str, Callable[[pulumi.Config, Description], dict[str, Any]]] = {
    "aws": build_aws,
    "gcp": build_gcp,
    "hetzner": build_hetzner,
    "metal": build_metal,
    "route53": build_route53,
    "clouddns": build_clouddns,
}


def build(target: str, desc: Description) -> dict[str, Any]:
    """Build one target's resources; return the stack outputs to export."""
    if target not in TARGETS:
        raise ValueError(f"failover:target '{target}' is not one of {', '.join(TARGETS)}")
    return TARGETS[target](pulumi.Config(NAMESPACE), desc)


def main() -> None:
    """Pulumi's entry point: build the stack's target and export its outputs."""
    cfg = pulumi.Config(NAMESPACE)
    for key, value in build(cfg.require("target"), load_description()).items():
        pulumi.export(key, value)
