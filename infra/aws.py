"""AWS hosting: a network, a security group, one instance running the service, an Elastic IP.

The security group opens the service port to everyone and SSH only to the
placement's admin CIDRs (no SSH rule at all when there are none). The
Elastic IP outlives instance replacement, so the address failover knows
stays valid when the service description changes.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from infra.hosting import HostingComponent
from infra.service import Placement, Service, instance_type, startup_script

# Debian's own account publishes the official Debian AMIs.
DEBIAN_OWNER = "136693071363"
DEBIAN_12_AMD64 = "debian-12-amd64-*"


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


class AwsHosting(HostingComponent):
    """The service on one EC2 instance behind an Elastic IP."""

    def __init__(self, name: str, service: Service, placement: AwsPlacement,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("failover:hosting:Aws", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        region = placement.region
        tags = {"service": service.name, "hosting": placement.hosting, "managed-by": "failover"}

        vpc_id, subnet_id = self._network(name, placement, tags, child)

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
        if placement.ami:
            ami = placement.ami
        else:
            ami = aws.ec2.get_ami_output(
                most_recent=True, owners=[DEBIAN_OWNER], region=region,
                filters=[aws.ec2.GetAmiFilterArgs(name="name", values=[DEBIAN_12_AMD64])],
                opts=pulumi.InvokeOutputOptions(parent=self)).id

        self.instance = aws.ec2.Instance(
            f"{name}-instance", region=region, ami=ami,
            instance_type=instance_type("aws", service.size, placement.instance_type),
            subnet_id=subnet_id, vpc_security_group_ids=[self.security_group.id],
            key_name=key_name,
            user_data=startup_script(service), user_data_replace_on_change=True,
            metadata_options=aws.ec2.InstanceMetadataOptionsArgs(http_tokens="required"),
            root_block_device=aws.ec2.InstanceRootBlockDeviceArgs(encrypted=True, volume_size=16),
            tags={**tags, "Name": f"{service.name}-{placement.hosting}"}, opts=child)

        self.eip = aws.ec2.Eip(f"{name}-eip", region=region, domain="vpc",
                               instance=self.instance.id, tags=tags, opts=child)
        self.finish(service, placement, [self.eip.public_ip])

    def _network(self, name: str, placement: AwsPlacement, tags: dict[str, str],
                 child: pulumi.ResourceOptions) -> tuple[pulumi.Input[str], pulumi.Input[str]]:
        """The VPC and public subnet the instance lives in: the default ones or new ones."""
        region = placement.region
        if placement.use_default_vpc:
            invoke = pulumi.InvokeOutputOptions(parent=self)
            vpc = aws.ec2.get_vpc_output(default=True, region=region, opts=invoke)
            subnets = aws.ec2.get_subnets_output(
                region=region, opts=invoke,
                filters=vpc.id.apply(lambda vpc_id: [
                    aws.ec2.GetSubnetsFilterArgs(name="vpc-id", values=[vpc_id]),
                    aws.ec2.GetSubnetsFilterArgs(name="default-for-az", values=["true"])]))
            return vpc.id, subnets.ids.apply(lambda ids: sorted(ids)[0])
        vpc_res = aws.ec2.Vpc(f"{name}-vpc", region=region, cidr_block=placement.vpc_cidr,
                              enable_dns_hostnames=True, tags=tags, opts=child)
        gateway = aws.ec2.InternetGateway(f"{name}-igw", region=region, vpc_id=vpc_res.id,
                                          tags=tags, opts=child)
        subnet = aws.ec2.Subnet(f"{name}-subnet", region=region, vpc_id=vpc_res.id,
                                cidr_block=placement.subnet_cidr,
                                availability_zone=placement.availability_zone,
                                map_public_ip_on_launch=True, tags=tags, opts=child)
        routes = aws.ec2.RouteTable(
            f"{name}-routes", region=region, vpc_id=vpc_res.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=gateway.id)],
            tags=tags, opts=child)
        aws.ec2.RouteTableAssociation(f"{name}-routes-assoc", region=region, subnet_id=subnet.id,
                                      route_table_id=routes.id, opts=child)
        return vpc_res.id, subnet.id
