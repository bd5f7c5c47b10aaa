"""A machine that runs an etcd member survives the stack's own upgrades, under Pulumi's mocks.

Its data lives on a protected volume that outlives it; its user data (which
replaces it when it changes) is only that volume's mount; the service, etcd,
the watcher and their configuration are pushed over SSH, so a new image tag,
watch.yaml or coordination setting changes the pushed script and no machine.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import pulumi
import pytest

from infra.hosting import HostingComponent, check_user_data
from infra.service import Service
from infra.volume import mount_script
from infra.watcher import VOLUME, Coordination, WatcherNode
from tests.infra import test_hostings
from tests.infra.harness import Harness, Registration
from tests.infra.test_watcher import COORD, WATCH, WHEEL

CLOUDS = ("aws", "gcp", "hetzner")
# machine type, the type and name of the data volume, its attachment (None: inline).
MACHINES = {
    "aws": ("aws:ec2/instance:Instance", "aws:ebs/volume:Volume",
            "aws:ec2/volumeAttachment:VolumeAttachment"),
    "gcp": ("gcp:compute/instance:Instance", "gcp:compute/disk:Disk", None),
    "hetzner": ("hcloud:index/server:Server", "hcloud:index/volume:Volume",
                "hcloud:index/volumeAttachment:VolumeAttachment"),
}
USER_DATA_KEY = {"aws": "userData", "gcp": "metadataStartupScript", "hetzner": "userData"}


@pytest.fixture(params=CLOUDS)
def cloud(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _build(vendor: str, service: Service = test_hostings.SERVICE,
           coordination: Coordination = COORD, watch: str = WATCH) -> Harness:
    harness = Harness()
    build, _ = test_hostings.VENDORS[vendor]
    node = WatcherNode(coordination=coordination, member=vendor, config_text=watch)

    def run() -> dict[str, pulumi.Output[Any]]:
        original = test_hostings.SERVICE
        test_hostings.SERVICE = service
        try:
            hosting: HostingComponent = build(node=node)
        finally:
            test_hostings.SERVICE = original
        return hosting.outputs()

    harness.run(run)
    return harness


def _install(h: Harness) -> Registration:
    return next(c for c in h.of_type("command:remote:Command") if c.name.endswith("-install"))


def test_the_members_data_is_on_a_protected_volume(cloud: str) -> None:
    h = _build(cloud)
    machine_type, volume_type, attachment_type = MACHINES[cloud]
    machine, volume = h.one(machine_type), h.one(volume_type)
    assert volume.protect, f"{cloud}: a destroy or a replacement would take etcd's data"
    if attachment_type:
        attachment = h.one(attachment_type)
        # Detached from the old machine before it is attached to the new one.
        assert attachment.delete_before_replace
        assert machine.urn in attachment.dependencies
    else:
        assert machine.inputs["attachedDisks"][0]["deviceName"] == "failover-data"
        assert volume.urn in machine.dependencies
    user_data = str(machine.inputs[USER_DATA_KEY[cloud]])
    # Only the volume's mount forces a new machine: no service, etcd, certificate or config.
    assert f"mount {VOLUME}" in user_data
    for absent in ("ETCD_", "watch.yaml", "docker", test_hostings.SERVICE.image or "",
                   "pip install"):
        assert absent not in user_data, f"{cloud}: {absent} in user data"
    assert "mkfs.ext4" in user_data and 'blkid "$dev" >/dev/null ||' in user_data


def test_the_rest_is_pushed_over_ssh_after_the_volume_and_again_on_a_new_machine(
        cloud: str) -> None:
    h = _build(cloud)
    machine_type, _, attachment_type = MACHINES[cloud]
    install = _install(h)
    script = str(install.inputs["stdin"])
    assert script.index(f"mountpoint -q {VOLUME}") < script.index("ETCD_NAME=")
    assert str(test_hostings.SERVICE.image) in script
    assert f"ETCD_DATA_DIR={VOLUME}/etcd\n" in script
    assert f"ln -sfn {VOLUME}/tls /etc/failover/tls" in script
    # The machine's id: a new machine runs it again (mocked ids: name-id, or Hetzner's number).
    assert h.one(machine_type).urn in install.dependencies
    assert len(install.inputs["triggers"]) == 1
    if attachment_type:
        assert h.one(attachment_type).urn in install.dependencies
    assert install.inputs["connection"]["privateKey"].startswith("-----BEGIN")
    assert "connection" in install.secret_inputs
    bash = shutil.which("bash")
    assert bash
    for text in (script, str(h.one(machine_type).inputs[USER_DATA_KEY[cloud]])):
        done = subprocess.run([bash, "-n"], input=text, text=True, capture_output=True,
                              check=False)
        assert done.returncode == 0, done.stderr


NEW_IMAGE = test_hostings.SERVICE.model_copy(update={"image": "ghcr.io/example/social:1.5.0"})
CHANGES: dict[str, dict[str, Any]] = {
    "image tag": {"service": NEW_IMAGE},
    "watch.yaml": {"watch": WATCH.replace("\nttl: 60\n", "\nttl: 120\n", 1)},
    "coordination": {"coordination": COORD.model_copy(update={
        "package": WHEEL.replace("0.1.0", "0.2.0"), "token": "social-2",
        "client_cidrs": ["192.0.2.0/24"]})},
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_routine_change_replaces_no_machine(cloud: str, change: str) -> None:
    before, after = _build(cloud), _build(cloud, **CHANGES[change])
    machine_type, volume_type, attachment_type = MACHINES[cloud]
    for typ in filter(None, (machine_type, volume_type, attachment_type)):
        assert before.one(typ).inputs == after.one(typ).inputs, \
            f"{cloud}: a new {change} changes the {typ} (a replacement)"
    assert _install(before).inputs["stdin"] != _install(after).inputs["stdin"], \
        f"{cloud}: a new {change} would never reach the machine"


def test_a_member_needs_the_deploy_key_for_ssh() -> None:
    from infra.hetzner import HetznerHosting, HetznerPlacement

    h = Harness()
    placement = HetznerPlacement(hosting="hetzner-fsn1", location="fsn1",
                                 admin_cidrs=test_hostings.ADMINS,
                                 ssh_public_key=test_hostings.ADMIN_KEY)
    node = WatcherNode(coordination=COORD, member="hetzner", config_text=WATCH)
    with pytest.raises(Exception, match="failover:privateKey"):
        h.run(lambda: HetznerHosting("web", test_hostings.SERVICE, placement, node).outputs())


def test_user_data_over_the_vendors_limit_fails_at_preview() -> None:
    small = mount_script(["/dev/sdf"])
    assert check_user_data(small, "aws") == small
    with pytest.raises(ValueError, match=r"the aws startup script is 16385 bytes; aws accepts "
                                         r"16384"):
        check_user_data("x" * 16385, "aws")
    check_user_data("x" * 16385, "hetzner")
