"""What each vendor's component must get right beyond the shared contract."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.harness import GCP_ADDRESS, Harness
from tests.infra.test_hostings import (
    HOST_KEY,
    SERVICE,
    build_aws,
    build_gcp,
    build_hetzner,
    build_metal,
)


def test_aws_default_vpc_uses_the_default_subnet_and_a_debian_ami(pulumi_mocks: Harness) -> None:
    pulumi_mocks.run(lambda: build_aws(use_default_vpc=True).outputs())
    assert not pulumi_mocks.of_type("aws:ec2/vpc:Vpc")
    instance = pulumi_mocks.one("aws:ec2/instance:Instance")
    group = pulumi_mocks.one("aws:ec2/securityGroup:SecurityGroup")
    assert group.inputs["vpcId"] == "vpc-default"
    assert instance.inputs["subnetId"] == "subnet-a"
    assert instance.inputs["ami"] == "ami-0debian12"
    calls = {call.token: call.args for call in pulumi_mocks.mocks.calls}
    assert calls["aws:ec2/getVpc:getVpc"]["default"] is True
    assert {"name": "vpc-id", "values": ["vpc-default"]} in \
        calls["aws:ec2/getSubnets:getSubnets"]["filters"]


def test_aws_instance_runs_the_service_and_keeps_its_address(pulumi_mocks: Harness) -> None:
    pulumi_mocks.run(lambda: build_aws(ssh_public_key="ssh-ed25519 AAAAkey admin").outputs())
    instance = pulumi_mocks.one("aws:ec2/instance:Instance")
    assert SERVICE.image in instance.inputs["userData"]
    assert instance.inputs["userDataReplaceOnChange"] is True
    assert instance.inputs["metadataOptions"]["httpTokens"] == "required"
    assert instance.inputs["instanceType"] == "t3.small"
    assert instance.inputs["keyName"] == "web-key"
    eip = pulumi_mocks.one("aws:ec2/eip:Eip")
    assert eip.inputs["instance"] == "web-instance-id"
    assert all(r.inputs.get("region") == "us-east-1"
               for r in pulumi_mocks.monitor.registrations.values() if r.type.startswith("aws:"))


def test_gcp_uses_its_own_network_not_default(pulumi_mocks: Harness) -> None:
    pulumi_mocks.run(lambda: build_gcp().outputs())
    network = pulumi_mocks.one("gcp:compute/network:Network")
    assert network.inputs["autoCreateSubnetworks"] is False
    for fw in pulumi_mocks.of_type("gcp:compute/firewall:Firewall"):
        assert fw.inputs["network"] == "web-net-id"
        assert fw.inputs["targetTags"] == ["failover-social"]
    instance = pulumi_mocks.one("gcp:compute/instance:Instance")
    nic = instance.inputs["networkInterfaces"][0]
    assert nic["subnetwork"] == "web-subnet-id"
    assert nic["accessConfigs"][0]["natIp"] == GCP_ADDRESS
    assert instance.inputs["tags"] == ["failover-social"]
    assert instance.inputs["metadata"]["block-project-ssh-keys"] == "true"
    assert SERVICE.image in instance.inputs["metadataStartupScript"]
    # The static address can serve one instance at a time.
    assert instance.delete_before_replace


def test_hetzner_keeps_primary_ips_and_attaches_the_firewall(pulumi_mocks: Harness) -> None:
    pulumi_mocks.run(lambda: build_hetzner().outputs())
    ips = pulumi_mocks.of_type("hcloud:index/primaryIp:PrimaryIp")
    assert sorted(ip.inputs["type"] for ip in ips) == ["ipv4", "ipv6"]
    assert all(ip.inputs["autoDelete"] is False for ip in ips)
    server = pulumi_mocks.one("hcloud:index/server:Server")
    assert len(server.inputs["firewallIds"]) == 1
    nets = server.inputs["publicNets"][0]
    assert nets["ipv4Enabled"] and nets["ipv6Enabled"]
    assert server.delete_before_replace
    assert SERVICE.image in server.inputs["userData"]


def _hetzner_key(key_id: int, name: str, labels: dict[str, str]) -> dict[str, object]:
    from infra.hetzner import fingerprint

    return {"id": key_id, "name": name, "fingerprint": fingerprint(USER_KEY),
            "publicKey": USER_KEY, "labels": labels}


# A real ed25519 public key (its blob decodes), so that its fingerprint can be computed.
USER_KEY = HOST_KEY + " ops@laptop"
OUR_LABELS = {"service": "social", "hosting": "hetzner-fsn1", "managed-by": "failover"}


@pytest.mark.parametrize("keys, settings, uses", [
    # No such key in the project: the stack uploads it.
    ([], {}, None),
    # Someone uploaded the same key: Hetzner refuses it twice, so it is used as it is.
    ([_hetzner_key(77, "laptop", {})], {}, "77"),
    # The key this stack uploaded before stays a resource of this stack.
    ([_hetzner_key(78, "web-key", OUR_LABELS)], {}, None),
    # Named in failover:sshKeyName: used, whatever its fingerprint.
    ([_hetzner_key(79, "ops", {})], {"ssh_key_name": "ops", "ssh_public_key": None}, "79"),
])
def test_hetzner_uses_a_key_already_in_the_project(pulumi_mocks: Harness, keys: list[object],
                                                   settings: dict[str, Any],
                                                   uses: str | None) -> None:
    pulumi_mocks.mocks.hetzner_keys = list(keys)  # type: ignore[arg-type]
    pulumi_mocks.run(lambda: build_hetzner(**{"ssh_public_key": USER_KEY, **settings})
                     .outputs())
    server = pulumi_mocks.one("hcloud:index/server:Server")
    created = pulumi_mocks.of_type("hcloud:index/sshKey:SshKey")
    if uses is None:
        assert len(created) == 1
        assert created[0].inputs["publicKey"] == USER_KEY
    else:
        assert not created
        assert server.inputs["sshKeys"] == [uses]


def test_hetzner_refuses_a_key_name_it_cannot_find(pulumi_mocks: Harness) -> None:
    with pytest.raises(Exception, match="sshKeyName 'gone' is not an SSH key"):
        pulumi_mocks.run(lambda: build_hetzner(ssh_key_name="gone").outputs())


def test_metal_pins_the_host_key_and_keeps_the_private_key_secret(pulumi_mocks: Harness) -> None:
    pulumi_mocks.run(lambda: build_metal().outputs())
    command = pulumi_mocks.one("command:remote:Command")
    connection = command.inputs["connection"]
    assert connection["hostKey"] == HOST_KEY
    assert connection["host"] == "192.0.2.20"
    assert connection["privateKey"].startswith("-----BEGIN")
    assert "connection" in command.secret_inputs
    assert command.inputs["create"] == command.inputs["update"]
    assert "systemctl disable --now failover-social.service" in command.inputs["delete"]


@pytest.mark.parametrize("host_key", ["", "AAAAC3Nza", "ssh-ed25519", "not a key at all"])
def test_metal_refuses_an_unpinned_host_key(host_key: str) -> None:
    from infra.metal import MetalPlacement

    with pytest.raises(ValueError, match="host_key"):
        MetalPlacement(hosting="metal-fra", vendor="colo-fra", host="192.0.2.20",
                       host_key=host_key, admin_cidrs=["198.51.100.7/32"])


def test_metal_needs_admins_for_its_ssh_guard() -> None:
    from infra.metal import MetalPlacement

    with pytest.raises(ValueError, match="admin_cidrs"):
        MetalPlacement(hosting="metal-fra", vendor="colo-fra", host="192.0.2.20",
                       host_key=HOST_KEY)
    unguarded = MetalPlacement(hosting="metal-fra", vendor="colo-fra", host="192.0.2.20",
                               host_key=HOST_KEY, guard_ssh=False)
    assert unguarded.public_addresses() == ["192.0.2.20"]


def test_metal_host_name_needs_addresses() -> None:
    from infra.metal import MetalPlacement

    with pytest.raises(ValueError, match="addresses"):
        MetalPlacement(hosting="metal-fra", vendor="colo-fra", host="fra1.example.net",
                       host_key=HOST_KEY, admin_cidrs=["198.51.100.7/32"])


@pytest.mark.parametrize("ami, zone", [(None, None), ("ami-0pinned", None),
                                       (None, "us-east-1b"), ("ami-0pinned", "us-east-1b")])
def test_aws_ami_and_zone_pins_each_alone_and_together(pulumi_mocks: Harness, ami: str | None,
                                                       zone: str | None) -> None:
    pulumi_mocks.run(lambda: build_aws(ami=ami, availability_zone=zone,
                                       use_default_vpc=True).outputs())
    instance = pulumi_mocks.one("aws:ec2/instance:Instance")
    looked_up = any(c.token == "aws:ec2/getAmi:getAmi" for c in pulumi_mocks.mocks.calls)
    # A pinned AMI is used and followed; an unpinned one is looked up once and kept.
    assert instance.inputs["ami"] == (ami or "ami-0debian12")
    assert looked_up is (ami is None)
    assert ("ami" in instance.ignore_changes) is (ami is None)
    # A pinned zone is followed; an unpinned one (and the default subnet it picked) is kept.
    assert instance.inputs["availabilityZone"] == (zone or "us-east-1a")
    assert ("availabilityZone" in instance.ignore_changes) is (zone is None)
    assert ("subnetId" in instance.ignore_changes) is (zone is None)
    assert "keyName" in instance.ignore_changes
