"""What a first `pulumi up` and every later one must get right, as far as mocks can see it.

Mocks never diff, never validate values and never protect; these tests
assert the options that make a real engine do the right thing: ``protect``,
``retain_on_delete``, ``aliases``, ``ignore_changes``, ``depends_on``, the
availability zone, and the look-ups that fail at preview.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from stacks import program
from tests.infra.harness import HETZNER_TYPES, Harness
from tests.infra.test_hostings import build_aws, build_gcp, build_hetzner
from tests.infra.test_stacks import STACKS, USER_SETS, _stack_config

ADDRESS_TYPES = {"aws": ["aws:ec2/eip:Eip"], "gcp": ["gcp:compute/address:Address"],
                 "hetzner": ["hcloud:index/primaryIp:PrimaryIp"]}
BUILDERS = {"aws": build_aws, "gcp": build_gcp, "hetzner": build_hetzner}


@pytest.mark.parametrize("cloud", sorted(ADDRESS_TYPES))
def test_addresses_dns_points_at_are_protected(pulumi_mocks: Harness, cloud: str) -> None:
    pulumi_mocks.run(lambda: BUILDERS[cloud]().outputs())
    for typ in ADDRESS_TYPES[cloud]:
        for address in pulumi_mocks.of_type(typ):
            assert address.protect, f"{cloud}: {address.name} is not protected"
    if cloud == "hetzner":
        assert all(ip.inputs["deleteProtection"] is True
                   for ip in pulumi_mocks.of_type("hcloud:index/primaryIp:PrimaryIp"))


@pytest.mark.parametrize("stack", ["aws-prod", "gcp-prod", "hetzner-prod"])
def test_renaming_the_hosting_keeps_every_logical_name(stack: str) -> None:
    config = _stack_config(STACKS / f"Pulumi.{stack}.yaml")
    config.update(USER_SETS.get(config["failover:target"], {}))

    def names(hosting: str) -> tuple[dict[tuple[str, str], dict[str, Any]], list[str]]:
        harness = Harness(config={**config, "failover:hosting": hosting})
        try:
            harness.run(lambda: program.build(config["failover:target"],
                                              program.load_description()))
        finally:
            Harness.configure({}, [])
        component = harness.component(program.HOSTING_NAME)
        return ({(r.type, r.name): r.inputs for r in harness.monitor.registrations.values()
                 if r.custom}, component.alias_names)

    before, aliases_before = names("old-name")
    after, aliases_after = names("new-name")
    assert set(before) == set(after), "a renamed hosting would recreate resources"
    # Beyond names, only tags and labels may change (a description, for one, forces a new
    # GCP network).
    for key, inputs in before.items():
        changed = {k for k in set(inputs) | set(after[key])
                   if inputs.get(k) != after[key].get(k)}
        assert changed <= {"tags", "labels"}, f"{key}: renaming changes {changed}"
    # Stacks deployed when names came from the hosting keep their resources.
    assert aliases_before == ["old-name"] and aliases_after == ["new-name"]


def test_aws_instance_ignores_new_amis_and_late_keys(pulumi_mocks: Harness) -> None:
    pulumi_mocks.run(lambda: build_aws(ssh_public_key="ssh-ed25519 AAAAkey admin").outputs())
    instance = pulumi_mocks.one("aws:ec2/instance:Instance")
    assert {"ami", "keyName", "availabilityZone"} <= set(instance.ignore_changes)


def test_aws_pinned_ami_and_zone_are_followed(pulumi_mocks: Harness) -> None:
    pulumi_mocks.run(lambda: build_aws(ami="ami-0pinned", availability_zone="us-east-1b")
                     .outputs())
    instance = pulumi_mocks.one("aws:ec2/instance:Instance")
    # Pinning is the upgrade path: a new pin replaces the instance, on purpose.
    assert instance.inputs["ami"] == "ami-0pinned"
    assert "ami" not in instance.ignore_changes
    assert "availabilityZone" not in instance.ignore_changes
    assert instance.inputs["availabilityZone"] == "us-east-1b"
    assert pulumi_mocks.one("aws:ec2/subnet:Subnet").inputs["availabilityZone"] == "us-east-1b"


def test_aws_zone_is_one_that_offers_the_instance_type(pulumi_mocks: Harness) -> None:
    pulumi_mocks.run(lambda: build_aws().outputs())
    subnet = pulumi_mocks.one("aws:ec2/subnet:Subnet")
    instance = pulumi_mocks.one("aws:ec2/instance:Instance")
    assert subnet.inputs["availabilityZone"] == "us-east-1a"
    assert instance.inputs["availabilityZone"] == "us-east-1a"
    assert "availabilityZone" in subnet.ignore_changes
    offers = [c for c in pulumi_mocks.mocks.calls
              if c.token == "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings"]
    assert offers and offers[0].args["locationType"] == "availability-zone"
    assert {"name": "instance-type", "values": ["t3.small"]} in offers[0].args["filters"]


def test_aws_default_vpc_subnet_is_in_the_chosen_zone(pulumi_mocks: Harness) -> None:
    pulumi_mocks.run(lambda: build_aws(use_default_vpc=True).outputs())
    calls = {call.token: call.args for call in pulumi_mocks.mocks.calls}
    assert {"name": "availability-zone", "values": ["us-east-1a"]} in \
        calls["aws:ec2/getSubnets:getSubnets"]["filters"]


@pytest.mark.parametrize("placement, message", [
    ({"availability_zone": "us-east-1e"}, "us-east-1e does not offer t3.small"),
    ({"instance_type": "p9.huge"}, "no availability zone of us-east-1 offers p9.huge"),
])
def test_aws_unoffered_type_or_zone_fails_at_preview(pulumi_mocks: Harness,
                                                     placement: dict[str, Any],
                                                     message: str) -> None:
    with pytest.raises(Exception, match=message):
        pulumi_mocks.run(lambda: build_aws(**placement).outputs())


def test_aws_elastic_ip_waits_for_the_internet_gateway(pulumi_mocks: Harness) -> None:
    pulumi_mocks.run(lambda: build_aws().outputs())
    gateway = pulumi_mocks.one("aws:ec2/internetGateway:InternetGateway")
    eip = pulumi_mocks.one("aws:ec2/eip:Eip")
    assert gateway.urn in eip.dependencies


def test_hetzner_server_ignores_late_keys_and_uses_a_current_type(pulumi_mocks: Harness) -> None:
    pulumi_mocks.run(lambda: build_hetzner().outputs())
    server = pulumi_mocks.one("hcloud:index/server:Server")
    assert "sshKeys" in server.ignore_changes
    assert server.inputs["serverType"] == "cx23"
    assert server.inputs["sshKeys"], "no key: Hetzner would mail a root password"


@pytest.mark.parametrize("server_type, message", [
    ("cx22", "'cx22' is no longer sold in fsn1"),
    ("cx99", "'cx99' does not exist"),
])
def test_hetzner_retired_or_unknown_type_fails_at_preview(pulumi_mocks: Harness,
                                                          server_type: str,
                                                          message: str) -> None:
    with pytest.raises(Exception, match=message):
        pulumi_mocks.run(lambda: build_hetzner(server_type=server_type).outputs())


def test_hetzner_type_not_in_the_location_or_soon_gone() -> None:
    from infra.hetzner import check_server_type

    def found(name: str) -> Any:
        raw = HETZNER_TYPES[name]
        return SimpleNamespace(id=raw["id"], locations=[SimpleNamespace(
            name=loc["name"], available=loc["available"], is_deprecated=loc["isDeprecated"],
            unavailable_after=loc["unavailableAfter"]) for loc in raw["locations"]])

    with pytest.raises(ValueError, match="not offered in ash"):
        check_server_type(found("cx23"), "cx23", "ash")
    # Before its last day a deprecated type still deploys (with a warning).
    still = datetime(2025, 11, 1, tzinfo=UTC)
    soon = found("cx22")
    for loc in soon.locations:
        loc.available = True
    assert check_server_type(soon, "cx22", "fsn1", today=still) == "cx22"


def _bash_without_python(script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    bash = shutil.which("bash")
    assert bash
    return subprocess.run([bash, "-c", script], text=True, capture_output=True, check=False,
                          env={"PATH": str(tmp_path), "FAILOVER_CLIENT": "198.51.100.7"})


def test_metal_guard_without_python3_fails_loudly(tmp_path: Path) -> None:
    from infra.metal import MetalPlacement, ssh_guard_script
    from tests.infra.test_hostings import HOST_KEY

    placement = MetalPlacement(hosting="metal-fra", vendor="colo-fra", host="192.0.2.20",
                               host_key=HOST_KEY, admin_cidrs=["198.51.100.7/32"])
    guard = ssh_guard_script(placement, 8080)
    done = _bash_without_python("set -euo pipefail\n" + guard, tmp_path)
    assert done.returncode == 1
    assert "python3 is needed" in done.stderr
    unknown = subprocess.run([str(shutil.which("bash")), "-c", guard], text=True,
                             capture_output=True, check=False, env={"PATH": str(tmp_path)})
    assert unknown.returncode == 1 and "address is unknown" in unknown.stderr
