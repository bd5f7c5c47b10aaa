"""Every hosting component under Pulumi's mocks: what it opens, to whom, and what it exports.

Each vendor's firewall is read back from what the component registered
(security group, firewall rules, nftables ruleset) into one shape, so that
the same assertions hold everywhere: the service port is open to the
internet, SSH is open to the admin CIDRs and to nothing wider, and the
outputs have the shared shape with the addresses the vendor returned.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pytest

from infra.hosting import HOSTING_OUTPUTS, HostingComponent
from infra.service import Service, health_url
from infra.watcher import WatcherNode
from tests.infra.harness import AWS_EIP, GCP_ADDRESS, HETZNER_V4, HETZNER_V6, Harness

ADMINS = ["198.51.100.7/32", "2001:db8:ad::/48"]
SERVICE = Service(name="social", image="ghcr.io/example/social:1.4.2", port=8080)
HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f"
ADMIN_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAdminKeyForTests admin@laptop"
PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----"
ALL_PORTS = range(0, 65536)
SSH = 22


@dataclass
class Ingress:
    """One inbound allow rule, whatever the vendor calls it."""

    ports: range
    sources: list[str]


# -- building each component -----------------------------------------------------

def build_aws(node: WatcherNode | None = None, **placement: Any) -> HostingComponent:
    from infra.aws import AwsHosting, AwsPlacement

    return AwsHosting("web", SERVICE, AwsPlacement(
        hosting="aws-use1", region="us-east-1", **{"admin_cidrs": ADMINS, **placement}), node,
        private_key=PRIVATE_KEY if node else None)


def build_gcp(node: WatcherNode | None = None, **placement: Any) -> HostingComponent:
    from infra.gcp import GcpHosting, GcpPlacement

    return GcpHosting("web", SERVICE, GcpPlacement(
        hosting="gcp-euw1", region="europe-west1", zone="europe-west1-b",
        **{"admin_cidrs": ADMINS, **placement}), node,
        private_key=PRIVATE_KEY if node else None)


def build_hetzner(node: WatcherNode | None = None, **placement: Any) -> HostingComponent:
    from infra.hetzner import HetznerHosting, HetznerPlacement

    return HetznerHosting("web", SERVICE, HetznerPlacement(
        hosting="hetzner-fsn1", location="fsn1",
        **{"admin_cidrs": ADMINS, "ssh_public_key": ADMIN_KEY, **placement}), node,
        private_key=PRIVATE_KEY if node else None)


def build_metal(node: WatcherNode | None = None, **placement: Any) -> HostingComponent:
    from infra.metal import MetalHosting, MetalPlacement

    return MetalHosting("web", SERVICE, MetalPlacement(
        hosting="metal-fra", vendor="colo-fra", host="192.0.2.20", host_key=HOST_KEY,
        **{"admin_cidrs": ADMINS, **placement}), private_key="-----BEGIN OPENSSH PRIVATE KEY-----",
        node=node)


# -- reading each vendor's firewall back ---------------------------------------------

def _port_range(spec: str | None) -> range:
    if spec in (None, "", "any", "all"):
        return ALL_PORTS
    low, _, high = str(spec).partition("-")
    return range(int(low), int(high or low) + 1)


def aws_ingress(h: Harness) -> list[Ingress]:
    rules = []
    for group in h.of_type("aws:ec2/securityGroup:SecurityGroup"):
        for rule in group.inputs.get("ingress", []):
            ports = (ALL_PORTS if str(rule["protocol"]) in ("-1", "all")
                     else range(int(rule["fromPort"]), int(rule["toPort"]) + 1))
            rules.append(Ingress(ports, [*rule.get("cidrBlocks", []),
                                         *rule.get("ipv6CidrBlocks", [])]))
    # Rules as resources of their own would count too.
    for rule in h.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"):
        rules.append(Ingress(
            ALL_PORTS if str(rule.inputs["ipProtocol"]) == "-1"
            else range(int(rule.inputs["fromPort"]), int(rule.inputs["toPort"]) + 1),
            [rule.inputs.get("cidrIpv4") or rule.inputs.get("cidrIpv6") or "0.0.0.0/0"]))
    for rule in h.of_type("aws:ec2/securityGroupRule:SecurityGroupRule"):
        if rule.inputs["type"] == "ingress":
            ports = range(int(rule.inputs["fromPort"]), int(rule.inputs["toPort"]) + 1)
            rules.append(Ingress(ports, [*rule.inputs.get("cidrBlocks", []),
                                         *rule.inputs.get("ipv6CidrBlocks", [])]))
    return rules


def gcp_ingress(h: Harness) -> list[Ingress]:
    rules = []
    for fw in h.of_type("gcp:compute/firewall:Firewall"):
        if fw.inputs.get("direction", "INGRESS") != "INGRESS":
            continue
        # GCP's default for an ingress rule without sources is 0.0.0.0/0.
        sources = fw.inputs.get("sourceRanges") or ["0.0.0.0/0"]
        for allow in fw.inputs.get("allows", []):
            for spec in allow.get("ports") or [None]:
                rules.append(Ingress(_port_range(spec), sources))
    return rules


def hetzner_ingress(h: Harness) -> list[Ingress]:
    rules = []
    for fw in h.of_type("hcloud:index/firewall:Firewall"):
        for rule in fw.inputs.get("rules", []):
            if rule["direction"] == "in" and rule["protocol"] in ("tcp", "udp"):
                rules.append(Ingress(_port_range(rule.get("port")), rule.get("sourceIps", [])))
    return rules


_NFT_RULE = re.compile(r"^\s*tcp dport (\d+)(?: ip6? saddr \{ ([^}]*) \})?"
                       r"( ct state established,related)? (accept|drop)$")


def metal_ingress(h: Harness) -> list[Ingress]:
    """Read the nftables ruleset the install script writes; the host's policy is accept."""
    script = next(c for c in h.of_type("command:remote:Command")
                  if c.name.endswith("-install")).inputs["stdin"]
    rules: list[Ingress] = []
    dropped: set[int] = set()
    for line in script.splitlines():
        match = _NFT_RULE.match(line)
        if not match:
            continue
        port, sources, established, verdict = match.groups()
        if verdict == "drop":
            dropped.add(int(port))
        elif not established and int(port) not in dropped:
            rules.append(Ingress(_port_range(port),
                                 [s.strip() for s in sources.split(",")] if sources
                                 else ["0.0.0.0/0", "::/0"]))
    # Anything not dropped stays open to everyone under the accept policy.
    if SSH not in dropped:
        rules.append(Ingress(range(SSH, SSH + 1), ["0.0.0.0/0", "::/0"]))
    return rules


VENDORS: dict[str, tuple[Callable[..., HostingComponent], Callable[[Harness], list[Ingress]]]] = {
    "aws": (build_aws, aws_ingress),
    "gcp": (build_gcp, gcp_ingress),
    "hetzner": (build_hetzner, hetzner_ingress),
    "metal": (build_metal, metal_ingress),
}
EXPECTED_ADDRESSES = {
    "aws": [AWS_EIP],
    "gcp": [GCP_ADDRESS],
    "hetzner": [HETZNER_V4, HETZNER_V6],
    "metal": ["192.0.2.20"],
}
EXPECTED_VENDOR = {"aws": "aws", "gcp": "gcp", "hetzner": "hetzner", "metal": "colo-fra"}


def _sources_covering(rules: list[Ingress], port: int) -> list[ipaddress.IPv4Network
                                                              | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(s) for r in rules if port in r.ports for s in r.sources]


def _world(networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> list[str]:
    return [str(n) for n in networks if n.prefixlen == 0]


@pytest.fixture(params=sorted(VENDORS))
def vendor(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_service_port_is_open_to_everyone(pulumi_mocks: Harness, vendor: str) -> None:
    build, ingress = VENDORS[vendor]
    pulumi_mocks.run(lambda: build().outputs())
    world = _world(_sources_covering(ingress(pulumi_mocks), SERVICE.port))
    assert "0.0.0.0/0" in world, f"{vendor}: service port {SERVICE.port} is not open"


def test_ssh_is_open_to_admins_only(pulumi_mocks: Harness, vendor: str) -> None:
    build, ingress = VENDORS[vendor]
    pulumi_mocks.run(lambda: build().outputs())
    sources = _sources_covering(ingress(pulumi_mocks), SSH)
    assert not _world(sources), f"{vendor}: SSH is open to {_world(sources)}"
    admins = [ipaddress.ip_network(a) for a in ADMINS]
    for source in sources:
        assert any(source.version == a.version and source.subnet_of(a)  # type: ignore[arg-type]
                   for a in admins), f"{vendor}: SSH open to {source}, not an admin network"
    assert sources, f"{vendor}: admins cannot reach SSH"


@pytest.mark.parametrize("cloud", ["aws", "gcp", "hetzner"])
def test_no_admins_means_no_ssh_rule(pulumi_mocks: Harness, cloud: str) -> None:
    build, ingress = VENDORS[cloud]
    pulumi_mocks.run(lambda: build(admin_cidrs=[]).outputs())
    assert not _sources_covering(ingress(pulumi_mocks), SSH)


def test_outputs_have_the_shared_shape(pulumi_mocks: Harness, vendor: str) -> None:
    build, _ = VENDORS[vendor]
    components: list[HostingComponent] = []

    def program() -> dict[str, pulumi.Output[Any]]:
        components.append(build())
        return components[0].outputs()

    outputs = pulumi_mocks.run(program)
    expected = {
        "vendor": EXPECTED_VENDOR[vendor],
        "hosting": {"aws": "aws-use1", "gcp": "gcp-euw1", "hetzner": "hetzner-fsn1",
                    "metal": "metal-fra"}[vendor],
        "addresses": EXPECTED_ADDRESSES[vendor],
        "port": SERVICE.port,
        "health_url": health_url(EXPECTED_ADDRESSES[vendor][0], SERVICE.port,
                                 SERVICE.health_path),
    }
    assert set(HOSTING_OUTPUTS) == set(expected)
    assert outputs == expected
    # The component registers the same outputs with the engine (what `pulumi stack` shows).
    registered = pulumi_mocks.component("web").outputs
    assert set(registered) == set(HOSTING_OUTPUTS)
    assert {**registered, "port": int(registered["port"])} == expected
    for address in outputs["addresses"]:
        ipaddress.ip_address(address)
