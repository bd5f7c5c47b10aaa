"""Hetzner Cloud hosting: primary IPs, a firewall, one server running the service.

The firewall opens the service port (and ICMP) to everyone and SSH only to
the placement's admin CIDRs; Hetzner drops whatever a firewall does not
allow. The primary IPv4 and IPv6 addresses are kept when the server is
replaced (``auto_delete`` off) and protected twice (Hetzner's own delete
protection and Pulumi's ``protect``), so the addresses failover knows stay
valid. The server type is looked up before anything is created: a type
Hetzner no longer sells fails the preview with one line. An SSH key is
required: without one Hetzner mails a generated root password. A key that is
already in the project (same fingerprint, or named by ``failover:sshKeyName``)
is used, not uploaded again: Hetzner refuses a duplicate fingerprint. A server
that runs an etcd member keeps the member's data on a protected volume; its
user data is only the volume's mount, and the rest is pushed over SSH.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import UTC, datetime
from typing import Any

import pulumi
import pulumi_hcloud as hcloud
from pydantic import model_validator

from infra.hosting import HostingComponent, check_user_data
from infra.service import Placement, Service, instance_type
from infra.volume import mount_script
from infra.watcher import WatcherNode


class HetznerPlacement(Placement):
    """A Hetzner Cloud location (``fsn1``, ``nbg1``, ``hel1``, ``ash``, ...)."""

    vendor: str = "hetzner"
    location: str
    server_type: str | None = None
    image: str = "debian-12"
    # An SSH key already in the Hetzner project, used instead of ssh_public_key's.
    ssh_key_name: str | None = None
    # The etcd member's data volume (GB, 10 at least), when the machine runs one.
    data_size: int = 10

    @model_validator(mode="after")
    def _needs_a_key(self) -> HetznerPlacement:
        if not self.ssh_public_key and not self.ssh_key_name:
            raise ValueError("hetzner needs failover:sshPublicKey or failover:sshKeyName: "
                             "without a key Hetzner sets a generated root password and mails it")
        return self


def check_server_type(found: Any, name: str, location: str,
                      today: datetime | None = None) -> str:
    """``name`` if Hetzner sells it in ``location`` today; else one clear ValueError.

    ``found`` is what ``hcloud.get_server_type`` answered (None or no id: no such type).
    """
    hint = "set failover:serverType to a current type (e.g. cx23, cpx22, cax11)"
    if found is None or getattr(found, "id", None) is None:
        raise ValueError(f"hetzner server type '{name}' does not exist; {hint}")
    now = (today or datetime.now(UTC)).date().isoformat()
    for entry in getattr(found, "locations", None) or []:
        if entry.name != location:
            continue
        gone = (entry.unavailable_after or "")[:10]
        if entry.is_deprecated and (not gone or gone <= now):
            raise ValueError(f"hetzner server type '{name}' is no longer sold in {location}"
                             f" (deprecated{', unavailable after ' + gone if gone else ''}); "
                             f"{hint}")
        if not entry.available:
            raise ValueError(f"hetzner server type '{name}' is not available in {location} "
                             f"right now; {hint}, or another location")
        if entry.is_deprecated:
            pulumi.log.warn(f"hetzner server type '{name}' is deprecated and can no longer be "
                            f"created in {location} after {gone}; plan a move")
        return name
    raise ValueError(f"hetzner server type '{name}' is not offered in {location}; {hint}")


def fingerprint(public_key: str) -> str:
    """The MD5 fingerprint Hetzner gives a key (``aa:bb:...``), or "" if it is not a key."""
    parts = public_key.split()
    try:
        blob = base64.b64decode(parts[1], validate=True) if len(parts) > 1 else b""
    except binascii.Error:
        return ""
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest() if blob else ""
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def existing_key(keys: Any, placement: HetznerPlacement, labels: dict[str, str]) -> int | None:
    """The id of the project's key to use, or None when this stack creates (or owns) one.

    ``keys`` is what ``hcloud.get_ssh_keys`` answered. Hetzner refuses a second key
    with the same fingerprint (uniqueness_error), so a key someone already uploaded
    is used as it is; the key this stack created before (our labels) stays ours.
    """
    found = list(getattr(keys, "ssh_keys", None) or [])
    if placement.ssh_key_name:
        for key in found:
            if key.name == placement.ssh_key_name:
                return int(key.id)
        raise ValueError(f"failover:sshKeyName '{placement.ssh_key_name}' is not an SSH key "
                         "of this Hetzner project (hcloud ssh-key list)")
    wanted = fingerprint(str(placement.ssh_public_key))
    for key in found:
        if wanted and key.fingerprint == wanted:
            ours = all((key.labels or {}).get(k) == v for k, v in labels.items())
            return None if ours else int(key.id)
    return None


class HetznerHosting(HostingComponent):
    """The service on one Hetzner Cloud server with its own primary IPs."""

    def __init__(self, name: str, service: Service, placement: HetznerPlacement,
                 node: WatcherNode | None = None,
                 opts: pulumi.ResourceOptions | None = None,
                 private_key: pulumi.Input[str] | None = None) -> None:
        super().__init__("failover:hosting:Hetzner", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        labels = {"service": service.name, "hosting": placement.hosting, "managed-by": "failover"}

        rules = [
            hcloud.FirewallRuleArgs(direction="in", protocol="tcp", port=str(service.port),
                                    source_ips=["0.0.0.0/0", "::/0"],
                                    description=f"{service.name} service port"),
            hcloud.FirewallRuleArgs(direction="in", protocol="icmp",
                                    source_ips=["0.0.0.0/0", "::/0"], description="ping"),
        ]
        if placement.admin_cidrs:
            rules.append(hcloud.FirewallRuleArgs(
                direction="in", protocol="tcp", port=str(placement.ssh_port),
                source_ips=placement.admin_cidrs, description="SSH from admins"))
        for port, sources in node.ingress(placement.admin_cidrs) if node else []:
            rules.append(hcloud.FirewallRuleArgs(direction="in", protocol="tcp", port=str(port),
                                                 source_ips=sources, description="failover etcd"))
        self.firewall = hcloud.Firewall(f"{name}-fw", rules=rules, labels=labels, opts=child)

        wanted = instance_type("hetzner", service.size, placement.server_type)
        server_type = check_server_type(
            hcloud.get_server_type(name=wanted, opts=pulumi.InvokeOptions(parent=self)),
            wanted, placement.location)

        # The addresses DNS points at.
        kept = pulumi.ResourceOptions(parent=self, protect=True)
        self.ipv4 = hcloud.PrimaryIp(f"{name}-ipv4", type="ipv4", assignee_type="server",
                                     location=placement.location, auto_delete=False,
                                     delete_protection=True, labels=labels, opts=kept)
        self.ipv6 = hcloud.PrimaryIp(f"{name}-ipv6", type="ipv6", assignee_type="server",
                                     location=placement.location, auto_delete=False,
                                     delete_protection=True, labels=labels, opts=kept)

        known = existing_key(hcloud.get_ssh_keys(opts=pulumi.InvokeOptions(parent=self)),
                             placement, labels)
        ssh_keys: list[pulumi.Input[str]] = [str(known)] if known is not None else [
            hcloud.SshKey(f"{name}-key", public_key=str(placement.ssh_public_key),
                          labels=labels, opts=child).id]

        user_data: pulumi.Input[str]
        if node is None:
            user_data = check_user_data(self.script(service, placement, None), "hetzner")
        else:
            # The member's data outlives the server: a protected volume, protected twice.
            self.volume = hcloud.Volume(
                f"{name}-data", size=placement.data_size, location=placement.location,
                delete_protection=True, labels=labels,
                opts=pulumi.ResourceOptions(parent=self, protect=True))
            user_data = self.volume.id.apply(lambda vid: check_user_data(
                mount_script([f"/dev/disk/by-id/scsi-0HC_Volume_{vid}"]), "hetzner"))

        self.server = hcloud.Server(
            f"{name}-server", server_type=server_type,
            image=placement.image, location=placement.location, labels=labels,
            # With an etcd member only the volume's mount; the rest goes over SSH.
            ssh_keys=ssh_keys, user_data=user_data,
            firewall_ids=[self.firewall.id.apply(int)],
            public_nets=[hcloud.ServerPublicNetArgs(
                ipv4_enabled=True, ipv4=self.ipv4.id.apply(int),
                ipv6_enabled=True, ipv6=self.ipv6.id.apply(int))],
            # A primary IP is assigned to one server at a time. A changed key list would
            # replace the server (README: which config changes replace what).
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True,
                                        ignore_changes=["sshKeys"]))
        if node is not None:
            self.attachment = hcloud.VolumeAttachment(
                f"{name}-data-attach", server_id=self.server.id.apply(int),
                volume_id=self.volume.id.apply(int), automount=False,
                opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True))
            self.push_to_machine(name, service, placement, node, self.server.ipv4_address,
                                 "root", private_key, self.server, [self.attachment])
        self.finish(service, placement, [self.server.ipv4_address, self.server.ipv6_address],
                    node)
