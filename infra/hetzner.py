"""Hetzner Cloud hosting: primary IPs, a firewall, one server running the service.

The firewall opens the service port (and ICMP) to everyone and SSH only to
the placement's admin CIDRs; Hetzner drops whatever a firewall does not
allow. The primary IPv4 and IPv6 addresses are kept when the server is
replaced (``auto_delete`` off), so the addresses failover knows stay valid.
"""

from __future__ import annotations

import pulumi
import pulumi_hcloud as hcloud

from infra.hosting import HostingComponent
from infra.service import Placement, Service, instance_type, startup_script


class HetznerPlacement(Placement):
    """A Hetzner Cloud location (``fsn1``, ``nbg1``, ``hel1``, ``ash``, ...)."""

    vendor: str = "hetzner"
    location: str
    server_type: str | None = None
    image: str = "debian-12"


class HetznerHosting(HostingComponent):
    """The service on one Hetzner Cloud server with its own primary IPs."""

    def __init__(self, name: str, service: Service, placement: HetznerPlacement,
                 opts: pulumi.ResourceOptions | None = None) -> None:
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
        self.firewall = hcloud.Firewall(f"{name}-fw", rules=rules, labels=labels, opts=child)

        self.ipv4 = hcloud.PrimaryIp(f"{name}-ipv4", type="ipv4", assignee_type="server",
                                     location=placement.location, auto_delete=False,
                                     labels=labels, opts=child)
        self.ipv6 = hcloud.PrimaryIp(f"{name}-ipv6", type="ipv6", assignee_type="server",
                                     location=placement.location, auto_delete=False,
                                     labels=labels, opts=child)

        ssh_keys: list[pulumi.Input[str]] = []
        if placement.ssh_public_key:
            ssh_keys.append(hcloud.SshKey(f"{name}-key", public_key=placement.ssh_public_key,
                                          labels=labels, opts=child).id)

        self.server = hcloud.Server(
            f"{name}-server",
            server_type=instance_type("hetzner", service.size, placement.server_type),
            image=placement.image, location=placement.location, labels=labels,
            ssh_keys=ssh_keys, user_data=startup_script(service),
            firewall_ids=[self.firewall.id.apply(int)],
            public_nets=[hcloud.ServerPublicNetArgs(
                ipv4_enabled=True, ipv4=self.ipv4.id.apply(int),
                ipv6_enabled=True, ipv6=self.ipv6.id.apply(int))],
            # A primary IP is assigned to one server at a time.
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True))
        self.finish(service, placement, [self.server.ipv4_address, self.server.ipv6_address])
