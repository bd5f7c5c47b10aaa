"""The one Pulumi program behind every stack in this folder.

``service.yaml`` describes the service and its zone once; each stack's
``failover:target`` picks what this stack builds: a hosting at one vendor
(``aws``, ``gcp``, ``hetzner``, ``metal``), the zone at one DNS vendor
(``route53``, ``clouddns``) or a backup bucket (``s3-backup``,
``gcs-backup``). A target imports only its own vendor's SDK.

Hosting stacks export the shared hosting shape at the top level (vendor,
hosting, addresses, port, health_url), which is what ``failover inventory``
reads with ``from_stack``; DNS stacks export the zone and its name servers.
Nothing here reads another stack: each stack can be updated while every
other one is gone.

Logical names do not contain the hosting's or the service's name, so that
renaming either in config changes tags, never resources; the names older
versions used are kept as aliases.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from infra.dns import RecordSpec, check_static
from infra.service import Service
from infra.watcher import Coordination, WatcherNode

SERVICE_FILE = Path(__file__).with_name("service.yaml")
NAMESPACE = "failover"
# The component's logical name in every hosting stack, whatever the hosting is called.
HOSTING_NAME = "hosting"
BACKUP_NAME = "backup"


class ZoneDescription(BaseModel):
    """The zone in ``service.yaml``: failover's records and everything else."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    zone: str
    managed: list[RecordSpec] = Field(min_length=1)
    static: list[RecordSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _managed_are_addresses(self) -> ZoneDescription:
        for spec in self.managed:
            if spec.type not in ("A", "AAAA", "CNAME"):
                raise ValueError(f"managed record {spec.name} {spec.type}: failover manages "
                                 "A, AAAA and CNAME only")
        check_static(self.static, self.managed)
        return self


class Recovery(BaseModel):
    """What recovery depends on beyond the stacks: read by ``failover audit``, not by Pulumi."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    registrar: str | None = None
    # A second registrar where an account is ready to take a transfer of the domain.
    second_registrar: str | None = None
    # How admins sign in to the vendors' consoles and APIs (an IdP, or each vendor's own).
    admin_sign_in: list[str] = Field(default_factory=list)
    # Accounts at each vendor that do not go through the IdP.
    break_glass: bool = False
    # Where 'pulumi stack export' copies of the state are kept (backend URLs).
    state_backups: list[str] = Field(default_factory=list)


class Description(BaseModel):
    """``service.yaml``: the service and its zone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    service: Service
    dns: ZoneDescription
    # The watchers' etcd cluster; each hosting stack names its member (failover:etcdMember).
    coordination: Coordination | None = None
    recovery: Recovery = Field(default_factory=Recovery)


def load_description(path: Path = SERVICE_FILE) -> Description:
    """Read and validate ``service.yaml``."""
    return Description.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def _renamed(old: str) -> pulumi.ResourceOptions:
    """Options for a component whose logical name used to be ``old``: its children follow."""
    return pulumi.ResourceOptions(aliases=[pulumi.Alias(name=old)])


def _refuse_moved(cfg: pulumi.Config) -> None:
    """Settings older versions read, which would now do nothing: say where they went."""
    if cfg.get("backupBucket") is not None:
        raise ValueError("failover:backupBucket: backups have stacks of their own now "
                         "(backup-aws, backup-gcp); remove the setting and see README "
                         "'Backups' to move an existing bucket without deleting it")


def _node(cfg: pulumi.Config, desc: Description) -> WatcherNode | None:
    """This stack's etcd member and watcher, if ``failover:etcdMember`` names one."""
    member = cfg.get("etcdMember")
    if member is None:
        return None
    if desc.coordination is None:
        raise ValueError(f"failover:etcdMember is {member}, but service.yaml has no "
                         "coordination section (the cluster's members and their addresses)")
    path = SERVICE_FILE.parent / desc.coordination.watcher_config
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"coordination.watcher_config {path}: {exc.strerror or exc}") from None
    return WatcherNode(coordination=desc.coordination, member=member, config_text=text)


def _machine_key(cfg: pulumi.Config) -> pulumi.Output[str] | None:
    """The deploy key a machine with an etcd member is set up with over SSH (a secret)."""
    return cfg.get_secret("privateKey") if cfg.get("etcdMember") else None


def _common(cfg: pulumi.Config) -> dict[str, Any]:
    """Placement settings every hosting target reads."""
    _refuse_moved(cfg)
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

    region = cfg.get("region") or pulumi.Config("aws").require("region")
    placement = AwsPlacement(**_common(cfg), region=region,
                             instance_type=cfg.get("instanceType"), ami=cfg.get("ami"),
                             availability_zone=cfg.get("availabilityZone"),
                             use_default_vpc=cfg.get_bool("useDefaultVpc") or False)
    return AwsHosting(HOSTING_NAME, desc.service, placement, _node(cfg, desc),
                      opts=_renamed(placement.hosting),
                      private_key=_machine_key(cfg)).outputs()


def build_gcp(cfg: pulumi.Config, desc: Description) -> dict[str, Any]:
    from infra.gcp import GcpHosting, GcpPlacement

    gcp_cfg = pulumi.Config("gcp")
    region = cfg.get("region") or gcp_cfg.require("region")
    placement = GcpPlacement(**_common(cfg), region=region,
                             zone=cfg.get("zone") or gcp_cfg.require("zone"),
                             project=cfg.get("project"), machine_type=cfg.get("machineType"))
    return GcpHosting(HOSTING_NAME, desc.service, placement, _node(cfg, desc),
                      opts=_renamed(placement.hosting),
                      private_key=_machine_key(cfg)).outputs()


def build_hetzner(cfg: pulumi.Config, desc: Description) -> dict[str, Any]:
    from infra.hetzner import HetznerHosting, HetznerPlacement

    placement = HetznerPlacement(**_common(cfg), location=cfg.require("location"),
                                 server_type=cfg.get("serverType"),
                                 ssh_key_name=cfg.get("sshKeyName"))
    return HetznerHosting(HOSTING_NAME, desc.service, placement, _node(cfg, desc),
                          opts=_renamed(placement.hosting),
                          private_key=_machine_key(cfg)).outputs()


def build_metal(cfg: pulumi.Config, desc: Description) -> dict[str, Any]:
    from infra.metal import MetalHosting, MetalPlacement

    placement = MetalPlacement(**_common(cfg), host=cfg.require("host"),
                               host_key=cfg.require("hostKey"), user=cfg.get("user") or "root",
                               addresses=cfg.get_object("addresses") or [],
                               guard_ssh=cfg.get_bool("guardSsh") is not False)
    hosting = MetalHosting(HOSTING_NAME, desc.service, placement,
                           private_key=cfg.require_secret("privateKey"),
                           node=_node(cfg, desc), opts=_renamed(placement.hosting))
    return hosting.outputs()


def build_s3_backup(cfg: pulumi.Config, desc: Description) -> dict[str, Any]:
    from infra.backup import S3Backup

    region = cfg.get("region") or pulumi.Config("aws").require("region")
    return S3Backup(BACKUP_NAME, desc.service.name, region,
                    keep_days=cfg.get_int("keepDays") or 30).outputs()


def build_gcs_backup(cfg: pulumi.Config, desc: Description) -> dict[str, Any]:
    from infra.backup import GcsBackup

    location = cfg.get("location") or pulumi.Config("gcp").require("region")
    return GcsBackup(BACKUP_NAME, desc.service.name, location,
                     keep_days=cfg.get_int("keepDays") or 30, project=cfg.get("project")).outputs()


def _refuse_seeding(cfg: pulumi.Config) -> None:
    """Older DNS stacks seeded the managed records themselves; that now belongs to failover."""
    for key in ("initial", "initialFrom"):
        if cfg.get(key) is not None:
            raise ValueError(
                f"failover:{key}: DNS stacks no longer create the managed records (failover "
                "seeds every zone from one inventory). Remove the setting; if this stack "
                "created them before, first keep them in the zone with 'pulumi state delete "
                "URN' for each managed record (README 'Upgrading DNS stacks')")


def build_route53(cfg: pulumi.Config, desc: Description) -> dict[str, Any]:
    from infra.dns import Route53Zone

    _refuse_seeding(cfg)
    zone = Route53Zone("route53", desc.dns.zone, desc.dns.static,
                       delegation_set_id=cfg.get("delegationSetId"))
    return {**zone.outputs(), "delegation_set_id": zone.delegation_set_id}


def build_clouddns(cfg: pulumi.Config, desc: Description) -> dict[str, Any]:
    from infra.dns import CloudDnsZone

    _refuse_seeding(cfg)
    return CloudDnsZone("clouddns", desc.dns.zone, desc.dns.static,
                        project=cfg.get("project")).outputs()


TARGETS: dict[str, Callable[[pulumi.Config, Description], dict[str, Any]]] = {
    "aws": build_aws,
    "gcp": build_gcp,
    "hetzner": build_hetzner,
    "metal": build_metal,
    "route53": build_route53,
    "clouddns": build_clouddns,
    "s3-backup": build_s3_backup,
    "gcs-backup": build_gcs_backup,
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
