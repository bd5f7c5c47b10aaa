"""AWS hosting: a network, a security group, one instance running the service, an Elastic IP.

The security group opens the service port to everyone and SSH only to the
placement's admin CIDRs (no SSH rule at all when there are none). The
Elastic IP outlives instance replacement and is protected, so the address
failover knows stays valid when the service description changes.

What replaces the instance, on purpose: a changed startup script (service
description) and a changed pinned ``ami``. An instance that runs an etcd
member keeps the member's data on a protected EBS volume, and its user data
is only the volume's mount: the service, etcd, the watcher and their
configuration are pushed over SSH (pulumi-command) and change in place.
What does not replace it: a newer Debian AMI when none is pinned, and a key
added later (``ignore_changes``); the subnet's availability zone is chosen
once among those that offer the instance type, and kept.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from infra.hosting import HostingComponent, check_user_data
from infra.service import Placement, Service, instance_type
from infra.volume import mount_script
from infra.watcher import WatcherNode, split_versions

# Debian's own account publishes the official Debian AMIs.
DEBIAN_OWNER = "136693071363"
DEBIAN_12_AMD64 = "debian-12-amd64-*"
DATA_DEVICE = "/dev/sdf"


class AwsPlacement(Placement):
    """An AWS region; a new VPC unless ``use_default_vpc``."""

    vendor: str = "aws"
    region: str
    instance_type: str | None = None
    ami: str | None = None
    use_default_vpc: bool = False
    vpc_cidr: str = "10.42.0.0/16"
    subnet_cidr: str = "10.42.1.0/24"
    availability_zone: str | None = None
    # The etcd member's data volume (GiB), when the machine runs one.
    data_size: int = 8


def pick_zone(offered: list[str], wanted: str | None, instance: str, region: str) -> str:
    """The availability zone to use: ``wanted`` if it offers the type, else the first offered."""
    if not offered:
        raise ValueError(f"no availability zone of {region} offers {instance}; choose "
                         "another failover:instanceType or region")
    if wanted is None:
        return sorted(offered)[0]
    if wanted not in offered:
        raise ValueError(f"failover:availabilityZone {wanted} does not offer {instance}; "
                         f"these do: {', '.join(sorted(offered))}")
    return wanted


class AwsHosting(HostingComponent):
    """The service on one EC2 instance behind an Elastic IP."""

    def __init__(self, name: str, service: Service, placement: AwsPlacement,
                 node: WatcherNode | None = None,
                 opts: pulumi.ResourceOptions | None = None,
                 private_key: pulumi.Input[str] | None = None) -> None:
        super().__init__("failover:hosting:Aws", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        region = placement.region
        tags = {"service": service.name, "hosting": placement.hosting, "managed-by": "failover"}

        machine = instance_type("aws", service.size, placement.instance_type)
        # Looked up now, so that a type this region's zones do not offer fails at preview.
        offered = aws.ec2.get_instance_type_offerings(
            location_type="availability-zone", region=region,
            filters=[aws.ec2.GetInstanceTypeOfferingsFilterArgs(
                name="instance-type", values=[machine])],
            opts=pulumi.InvokeOptions(parent=self)).locations
        self.availability_zone = pick_zone(list(offered), placement.availability_zone,
                                           machine, region)
        vpc_id, subnet_id, gateway = self._network(name, placement, tags, child)

        ingress = [aws.ec2.SecurityGroupIngressArgs(
            description=f"{service.name} service port",
            protocol="tcp", from_port=service.port, to_port=service.port,
            cidr_blocks=["0.0.0.0/0"], ipv6_cidr_blocks=["::/0"],
        )]
        if placement.admin_cidrs:
            ingress.append(aws.ec2.SecurityGroupIngressArgs(
                description="SSH from admins",
                protocol="tcp", from_port=placement.ssh_port, to_port=placement.ssh_port,
                cidr_blocks=placement.admin_networks(4) or None,
                ipv6_cidr_blocks=placement.admin_networks(6) or None,
            ))
        for port, sources in node.ingress(placement.admin_cidrs) if node else []:
            v4, v6 = split_versions(sources)
            ingress.append(aws.ec2.SecurityGroupIngressArgs(
                description="failover etcd", protocol="tcp", from_port=port, to_port=port,
                cidr_blocks=v4 or None, ipv6_cidr_blocks=v6 or None))
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg", region=region, vpc_id=vpc_id,
            description=f"{service.name}: service port to all, SSH to admins",
            ingress=ingress,
            egress=[aws.ec2.SecurityGroupEgressArgs(
                protocol="-1", from_port=0, to_port=0,
                cidr_blocks=["0.0.0.0/0"], ipv6_cidr_blocks=["::/0"])],
            tags=tags, opts=child)

        key_name: pulumi.Input[str] | None = None
        if placement.ssh_public_key:
            key_name = aws.ec2.KeyPair(f"{name}-key", region=region,
                                       public_key=placement.ssh_public_key,
                                       tags=tags, opts=child).key_name

        ami: pulumi.Input[str]
        # A key added later would replace the instance: keep the first one (README).
        ignored = ["keyName"]
        if placement.ami:
            ami = placement.ami
        else:
            # A newer Debian AMI must not replace a running instance on the next up;
            # pin failover:ami to move to another one on purpose.
            ignored.append("ami")
            ami = aws.ec2.get_ami_output(
                most_recent=True, owners=[DEBIAN_OWNER], region=region,
                filters=[aws.ec2.GetAmiFilterArgs(name="name", values=[DEBIAN_12_AMD64])],
                opts=pulumi.InvokeOutputOptions(parent=self)).id
        if placement.availability_zone is None:
            # Chosen among today's offerings; a zone AWS adds later must not move us (a
            # changed zone, or the default subnet of another zone, would replace the instance).
            ignored += ["availabilityZone", "subnetId"]

        user_data: pulumi.Input[str]
        if node is None:
            user_data = check_user_data(self.script(service, placement, None), "aws")
        else:
            # The member's data outlives the instance: a protected volume in its zone.
            self.volume = aws.ebs.Volume(
                f"{name}-data", region=region, availability_zone=self.availability_zone,
                size=placement.data_size, type="gp3", encrypted=True,
                tags={**tags, "Name": f"{service.name}-{placement.hosting}-data"},
                opts=pulumi.ResourceOptions(
                    parent=self, protect=True,
                    ignore_changes=[] if placement.availability_zone else ["availabilityZone"]))
            # On Nitro instances the volume shows up as an NVMe disk named by its id.
            user_data = self.volume.id.apply(lambda vid: check_user_data(mount_script([
                f"/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_{vid.replace('-', '')}",
                DATA_DEVICE, DATA_DEVICE.replace("/dev/sd", "/dev/xvd")]), "aws"))

        self.instance = aws.ec2.Instance(
            f"{name}-instance", region=region, ami=ami,
            instance_type=machine, availability_zone=self.availability_zone,
            subnet_id=subnet_id, vpc_security_group_ids=[self.security_group.id],
            key_name=key_name,
            # Only the bootstrap when the machine runs a member (the volume's mount); the
            # rest is pushed over SSH and changes in place.
            user_data=user_data, user_data_replace_on_change=True,
            metadata_options=aws.ec2.InstanceMetadataOptionsArgs(http_tokens="required"),
            root_block_device=aws.ec2.InstanceRootBlockDeviceArgs(encrypted=True, volume_size=16),
            tags={**tags, "Name": f"{service.name}-{placement.hosting}"},
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=ignored))

        # The address DNS points at: protected, and associated only once the internet
        # gateway is attached (else EC2 answers Gateway.NotAttached).
        self.eip = aws.ec2.Eip(f"{name}-eip", region=region, domain="vpc",
                               instance=self.instance.id, tags=tags,
                               opts=pulumi.ResourceOptions(
                                   parent=self, protect=True,
                                   depends_on=[gateway] if gateway is not None else None))
        if node is not None:
            # Moved to a new instance: detached from the old one (stopped first, so etcd
            # lets go of its data) before it is attached to the new one.
            self.attachment = aws.ec2.VolumeAttachment(
                f"{name}-data-attach", region=region, device_name=DATA_DEVICE,
                volume_id=self.volume.id, instance_id=self.instance.id,
                stop_instance_before_detaching=True,
                opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True))
            # Debian's AMIs log in as admin, with sudo.
            self.push_to_machine(name, service, placement, node, self.eip.public_ip, "admin",
                                 private_key, self.instance, [self.attachment, self.eip])
        self.finish(service, placement, [self.eip.public_ip], node)

    def _network(self, name: str, placement: AwsPlacement, tags: dict[str, str],
                 child: pulumi.ResourceOptions
                 ) -> tuple[pulumi.Input[str], pulumi.Input[str], aws.ec2.InternetGateway | None]:
        """The VPC, the public subnet in the chosen zone, and the gateway we made (if any)."""
        region = placement.region
        zone = self.availability_zone
        if placement.use_default_vpc:
            invoke = pulumi.InvokeOutputOptions(parent=self)
            vpc = aws.ec2.get_vpc_output(default=True, region=region, opts=invoke)
            subnets = aws.ec2.get_subnets_output(
                region=region, opts=invoke,
                filters=vpc.id.apply(lambda vpc_id: [
                    aws.ec2.GetSubnetsFilterArgs(name="vpc-id", values=[vpc_id]),
                    aws.ec2.GetSubnetsFilterArgs(name="default-for-az", values=["true"]),
                    aws.ec2.GetSubnetsFilterArgs(name="availability-zone", values=[zone])]))

            def first(ids: list[str]) -> str:
                if not ids:
                    raise ValueError(f"the default VPC of {region} has no default subnet in "
                                     f"{zone}; create one (aws ec2 create-default-subnet) or "
                                     "unset failover:useDefaultVpc")
                return sorted(ids)[0]
            return vpc.id, subnets.ids.apply(first), None
        vpc_res = aws.ec2.Vpc(f"{name}-vpc", region=region, cidr_block=placement.vpc_cidr,
                              enable_dns_hostnames=True, tags=tags, opts=child)
        gateway = aws.ec2.InternetGateway(f"{name}-igw", region=region, vpc_id=vpc_res.id,
                                          tags=tags, opts=child)
        subnet = aws.ec2.Subnet(f"{name}-subnet", region=region, vpc_id=vpc_res.id,
                                cidr_block=placement.subnet_cidr, availability_zone=zone,
                                map_public_ip_on_launch=True, tags=tags,
                                opts=pulumi.ResourceOptions(
                                    parent=self,
                                    ignore_changes=[] if placement.availability_zone
                                    else ["availabilityZone"]))
        routes = aws.ec2.RouteTable(
            f"{name}-routes", region=region, vpc_id=vpc_res.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=gateway.id)],
            tags=tags, opts=child)
        aws.ec2.RouteTableAssociation(f"{name}-routes-assoc", region=region, subnet_id=subnet.id,
                                      route_table_id=routes.id, opts=child)
        return vpc_res.id, subnet.id, gateway
