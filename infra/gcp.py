"""GCP hosting: a network of its own, firewall rules, one instance, a static external address.

A new VPC network, not the project's ``default`` one: the default network
comes with ``default-allow-ssh`` open to 0.0.0.0/0. The service port is
open to everyone, SSH only to the placement's admin CIDRs (one rule per IP
version, as GCP requires). The static address outlives instance
replacement and is protected. A changed startup script or image replaces
the instance; SSH keys live in metadata and change in place. An instance that
runs an etcd member keeps the member's data on a protected persistent disk;
its startup script is only the disk's mount, and the rest is pushed over SSH.
"""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from infra.hosting import HostingComponent, check_user_data
from infra.service import Placement, Service, instance_type
from infra.volume import mount_script
from infra.watcher import WatcherNode, split_versions

DEBIAN_12 = "debian-cloud/debian-12"
DATA_DEVICE = "failover-data"


class GcpPlacement(Placement):
    """A GCP region and zone, in the provider's project unless ``project`` is set."""

    vendor: str = "gcp"
    region: str
    zone: str
    project: str | None = None
    machine_type: str | None = None
    image: str = DEBIAN_12
    subnet_cidr: str = "10.43.1.0/24"
    ssh_user: str = "admin"
    # The etcd member's data disk (GB), when the machine runs one.
    data_size: int = 10


class GcpHosting(HostingComponent):
    """The service on one Compute Engine instance with a static external address."""

    def __init__(self, name: str, service: Service, placement: GcpPlacement,
                 node: WatcherNode | None = None,
                 opts: pulumi.ResourceOptions | None = None,
                 private_key: pulumi.Input[str] | None = None) -> None:
        super().__init__("failover:hosting:Gcp", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        project = placement.project
        # Firewall rules find the instance by this network tag.
        tag = f"failover-{service.name}"
        labels = {"service": service.name, "hosting": placement.hosting, "managed-by": "failover"}

        self.network = gcp.compute.Network(
            f"{name}-net", project=project, auto_create_subnetworks=False,
            # A network's description cannot change: nothing renamable goes in it.
            description="failover hosting network", opts=child)
        self.subnetwork = gcp.compute.Subnetwork(
            f"{name}-subnet", project=project, region=placement.region,
            network=self.network.id, ip_cidr_range=placement.subnet_cidr, opts=child)

        self.firewalls = [gcp.compute.Firewall(
            f"{name}-allow-service", project=project, network=self.network.id,
            description=f"{service.name} service port to everyone",
            direction="INGRESS", target_tags=[tag], source_ranges=["0.0.0.0/0"],
            allows=[gcp.compute.FirewallAllowArgs(protocol="tcp", ports=[str(service.port)])],
            opts=child)]
        for version in (4, 6):
            sources = placement.admin_networks(version)
            if sources:
                self.firewalls.append(gcp.compute.Firewall(
                    f"{name}-allow-ssh-v{version}", project=project, network=self.network.id,
                    description="SSH from admins", direction="INGRESS", target_tags=[tag],
                    source_ranges=sources,
                    allows=[gcp.compute.FirewallAllowArgs(
                        protocol="tcp", ports=[str(placement.ssh_port)])],
                    opts=child))

        for port, sources in node.ingress(placement.admin_cidrs) if node else []:
            for version, ranges in zip((4, 6), split_versions(sources), strict=True):
                if ranges:
                    self.firewalls.append(gcp.compute.Firewall(
                        f"{name}-allow-etcd-{port}-v{version}", project=project,
                        network=self.network.id, description="failover etcd",
                        direction="INGRESS", target_tags=[tag], source_ranges=ranges,
                        allows=[gcp.compute.FirewallAllowArgs(protocol="tcp",
                                                              ports=[str(port)])],
                        opts=child))

        self.address = gcp.compute.Address(
            f"{name}-ip", project=project, region=placement.region,
            address_type="EXTERNAL", network_tier="PREMIUM", labels=labels,
            # The address DNS points at: a destroy or rename must not release it.
            opts=pulumi.ResourceOptions(parent=self, protect=True))

        metadata = {"block-project-ssh-keys": "true"}
        if placement.ssh_public_key:
            metadata["ssh-keys"] = f"{placement.ssh_user}:{placement.ssh_public_key}"
        attached: list[gcp.compute.InstanceAttachedDiskArgs] = []
        if node is None:
            startup = check_user_data(self.script(service, placement, None), "gcp")
        else:
            # The member's data outlives the instance: a protected disk in its zone.
            self.disk = gcp.compute.Disk(
                f"{name}-data", project=project, zone=placement.zone, size=placement.data_size,
                type="pd-balanced", labels=labels,
                opts=pulumi.ResourceOptions(parent=self, protect=True))
            attached = [gcp.compute.InstanceAttachedDiskArgs(
                source=self.disk.self_link, device_name=DATA_DEVICE)]
            startup = check_user_data(
                mount_script([f"/dev/disk/by-id/google-{DATA_DEVICE}"]), "gcp")
        self.instance = gcp.compute.Instance(
            f"{name}-vm", project=project, zone=placement.zone,
            machine_type=instance_type("gcp", service.size, placement.machine_type),
            tags=[tag], labels=labels, metadata=metadata,
            # A changed startup script replaces the instance (and so runs the new script);
            # with an etcd member it is only the data disk's mount, the rest goes over SSH.
            metadata_startup_script=startup, attached_disks=attached or None,
            boot_disk=gcp.compute.InstanceBootDiskArgs(
                initialize_params=gcp.compute.InstanceBootDiskInitializeParamsArgs(
                    image=placement.image, size=16)),
            network_interfaces=[gcp.compute.InstanceNetworkInterfaceArgs(
                subnetwork=self.subnetwork.id,
                access_configs=[gcp.compute.InstanceNetworkInterfaceAccessConfigArgs(
                    nat_ip=self.address.address, network_tier="PREMIUM")])],
            shielded_instance_config=gcp.compute.InstanceShieldedInstanceConfigArgs(
                enable_secure_boot=True, enable_vtpm=True, enable_integrity_monitoring=True),
            allow_stopping_for_update=True,
            # The static address and the data disk go to one instance at a time.
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True,
                                        depends_on=self.firewalls))
        if node is not None:
            self.push_to_machine(name, service, placement, node, self.address.address,
                                 placement.ssh_user, private_key, self.instance,
                                 [self.instance])
        self.finish(service, placement, [self.address.address], node)
