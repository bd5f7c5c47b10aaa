"""The etcd member and the watcher on each vendor's machine, under Pulumi's mocks."""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from infra.hosting import HostingComponent
from infra.service import startup_script
from infra.watcher import (
    Coordination,
    WatcherNode,
    cluster_section,
    coordination_script,
    etcd_environment,
)
from stacks import program
from tests.infra.harness import Harness, Registration
from tests.infra.test_hostings import ADMINS, SERVICE, VENDORS, _sources_covering

MEMBERS = {"aws": "203.0.113.10", "gcp": "198.51.100.20", "hetzner": "192.0.2.30",
           "metal": "192.0.2.20"}
WHEEL = ("https://files.example.org/failover-0.1.0-py3-none-any.whl#sha256=" + "ab" * 32)
COORD = Coordination(members=MEMBERS, token="social", client_cidrs=["192.0.2.128/25"],
                     package=WHEEL)
WATCH = (Path(program.__file__).parent / "watch.yaml").read_text(encoding="utf-8")
MEMBER_OF = {"aws": "aws", "gcp": "gcp", "hetzner": "hetzner", "metal": "metal"}


def _node(member: str) -> WatcherNode:
    return WatcherNode(coordination=COORD, member=member, config_text=WATCH)


USER_DATA = {"aws": ("aws:ec2/instance:Instance", "userData"),
             "gcp": ("gcp:compute/instance:Instance", "metadataStartupScript"),
             "hetzner": ("hcloud:index/server:Server", "userData")}


def _script(h: Harness, vendor: str) -> str:
    """What a machine with a member runs: pushed over SSH, on every vendor."""
    return str(_command(h, "install").inputs["stdin"])


def _user_data(h: Harness, vendor: str) -> str:
    typ, key = USER_DATA[vendor]
    return str(h.one(typ).inputs[key])


def _command(h: Harness, role: str) -> Registration:
    """The remote command ``<name>-install`` or ``<name>-first-deploy``."""
    found = [c for c in h.of_type("command:remote:Command") if c.name.endswith(f"-{role}")]
    assert len(found) == 1, f"expected one {role} command, found {len(found)}"
    return found[0]


@pytest.fixture(params=sorted(VENDORS))
def vendor(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _build(h: Harness, vendor: str) -> dict[str, Any]:
    build, _ = VENDORS[vendor]
    components: list[HostingComponent] = []

    def run() -> dict[str, pulumi.Output[Any]]:
        components.append(build(node=_node(MEMBER_OF[vendor])))
        return components[0].outputs()

    return dict(h.run(run))


def test_each_vendor_runs_a_member_and_a_watcher(pulumi_mocks: Harness, vendor: str) -> None:
    outputs = _build(pulumi_mocks, vendor)
    script = _script(pulumi_mocks, vendor)
    member = MEMBER_OF[vendor]
    assert f"ETCD_NAME={member}\n" in script
    assert f"ETCD_INITIAL_CLUSTER={COORD.initial_cluster()}\n" in script
    assert "ETCD_CLIENT_CERT_AUTH=true" in script and "ETCD_PEER_CLIENT_CERT_AUTH=true" in script
    assert "failover-etcd.service" in script and "failover-watch.service" in script
    assert "/opt/failover/bin/failover --config /etc/failover/watch.yaml watch" in script
    # Certificates are referenced on the host; no key material travels through Pulumi.
    assert "/etc/failover/tls/member.key" in script
    assert "PRIVATE KEY" not in script
    bash = shutil.which("bash")
    assert bash
    done = subprocess.run([bash, "-n"], input=script, text=True, capture_output=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert outputs["etcd"] == {"member": member,
                               "client_url": COORD.url(member, 2379),
                               "peer_url": COORD.url(member, 2380)}


def test_etcd_ports_are_open_to_members_and_admins_only(pulumi_mocks: Harness,
                                                        vendor: str) -> None:
    _build(pulumi_mocks, vendor)
    _, ingress = VENDORS[vendor]
    rules = ingress(pulumi_mocks)
    members = {ipaddress.ip_network(a) for a in MEMBERS.values()}
    allowed_clients = members | {ipaddress.ip_network(n) for n in [*ADMINS, "192.0.2.128/25"]}
    peer = set(_sources_covering(rules, COORD.peer_port))
    client = set(_sources_covering(rules, COORD.client_port))
    if vendor == "metal":
        # Everything not dropped is open under the host's accept policy; read the script.
        script = _script(pulumi_mocks, vendor)
        assert f"tcp dport {COORD.peer_port} drop" in script
        assert f"tcp dport {COORD.client_port} drop" in script
        peer = {n for n in peer if n.prefixlen}
        client = {n for n in client if n.prefixlen}
    assert peer == members, f"{vendor}: peer port open to {peer}"
    assert client == allowed_clients, f"{vendor}: client port open to {client}"


def test_watcher_config_gets_this_nodes_cluster_section() -> None:
    script = _node("gcp").script("gcp")
    text = script.split("put /etc/failover/watch.yaml 0644 <<'FAILOVER_EOF'\n", 1)[1]
    config = yaml.safe_load(text.split("FAILOVER_EOF", 1)[0])
    assert config["cluster"] == cluster_section(COORD, "gcp", "gcp")
    assert config["cluster"]["endpoints"] == [COORD.url(m, 2379) for m in MEMBERS]
    assert config["cluster"]["node"] == "gcp"
    assert config["journal"].startswith("/var/lib/failover-watch/")
    assert config["hosting"], "the watchers' config lost its hostings"


def test_member_listens_everywhere_and_advertises_its_own_address() -> None:
    env = dict(line.split("=", 1) for line in etcd_environment(COORD, "metal").splitlines())
    assert env["ETCD_ADVERTISE_CLIENT_URLS"] == "https://192.0.2.20:2379"
    assert env["ETCD_INITIAL_ADVERTISE_PEER_URLS"] == "https://192.0.2.20:2380"
    assert env["ETCD_INITIAL_CLUSTER_STATE"] == "new"
    assert env["ETCD_TRUSTED_CA_FILE"] == env["ETCD_PEER_TRUSTED_CA_FILE"]


@pytest.mark.parametrize("fields, message", [
    ({"members": {"a1": "192.0.2.1", "b1": "192.0.2.2"}}, "etcd needs 3 or more"),
    ({"members": {**MEMBERS, "bad": "host.example"}}, "not an IP address"),
    ({"members": {**MEMBERS, "metal": "2001:db8:20::1"}},
     r"coordination\.members\.metal: '2001:db8:20::1' is IPv6"),
    ({"members": MEMBERS, "ttl": 20}, "loop_wait \\+ 2 \\* retry_timeout"),
    ({"members": MEMBERS, "client_cidrs": ["0.0.0.0/0"]}, "whole internet"),
    ({"members": MEMBERS, "package": "failover; rm -rf /"}, "not a pip requirement"),
    ({"members": MEMBERS, "peer_port": 2379}, "must differ"),
    # No default package: a name nobody registered yet would run as root everywhere.
    ({"members": MEMBERS, "package": None}, "package"),
    ({"members": MEMBERS, "package": "failover"}, "not a pip requirement"),
    ({"members": MEMBERS, "package": "failover>=0.1"}, "not a pip requirement"),
    ({"members": MEMBERS, "package": "failover==0.1.0"}, "needs index_url"),
    ({"members": MEMBERS, "package": "https://x.example/failover-0.1.0-py3-none-any.whl"},
     "not a pip requirement"),
    ({"members": MEMBERS,
      "package": "http://x.example/f-0.1-py3-none-any.whl#sha256=" + "a" * 64},
     "not a pip requirement"),
    ({"members": MEMBERS, "package": WHEEL, "index_url": "https://pypi.example.org/simple"},
     "a wheel URL is fetched as it is"),
])
def test_coordination_refuses_a_cluster_that_cannot_work(fields: dict[str, Any],
                                                          message: str) -> None:
    given = {"package": WHEEL, **fields}
    with pytest.raises(ValueError, match=message):
        Coordination.model_validate({k: v for k, v in given.items() if v is not None})


@pytest.mark.parametrize("fields, pip", [
    ({"package": WHEEL}, f"'{WHEEL}'"),
    ({"package": "failover==0.1.0", "index_url": "https://pypi.example.org/simple"},
     "--index-url https://pypi.example.org/simple failover==0.1.0"),
])
def test_the_watcher_package_is_a_hashed_wheel_or_an_exact_version_from_your_index(
        fields: dict[str, str], pip: str) -> None:
    coordination = Coordination.model_validate({"members": MEMBERS, **fields})
    assert coordination.pip_arguments() == pip
    script = coordination_script(coordination, "aws", "aws", WATCH)
    assert f"/opt/failover/bin/pip install -q --upgrade {pip}\n" in script


def test_a_watch_yaml_the_watcher_would_refuse_fails_the_preview() -> None:
    broken = WATCH.replace("hosting:", "hostings:", 1)
    with pytest.raises(ValueError, match=r"coordination\.watcher_config"):
        WatcherNode(coordination=COORD, member="aws", config_text=broken)
    with pytest.raises(ValueError, match="not a failover config"):
        WatcherNode(coordination=COORD, member="aws", config_text="- a list\n")


def test_unknown_member_is_refused() -> None:
    with pytest.raises(ValueError, match=r"'azure' is not in coordination\.members"):
        _node("azure")


def test_stacks_export_etcd_when_the_stack_names_its_member(tmp_path: Path) -> None:
    from tests.infra.test_stacks import STACKS, USER_SETS, _stack_config

    base = yaml.safe_load((STACKS / "service.yaml").read_text(encoding="utf-8"))
    base["coordination"] = {"members": MEMBERS, "watcher_config": "watch.yaml",
                            "package": WHEEL}
    description = program.Description.model_validate(base)
    config = {**_stack_config(STACKS / "Pulumi.hetzner-prod.yaml"), **USER_SETS["hetzner"],
              "failover:etcdMember": "hetzner",
              "failover:privateKey": "-----BEGIN OPENSSH PRIVATE KEY-----"}
    harness = Harness(config=config, secret_keys=["failover:privateKey"])
    try:
        exports = harness.run(lambda: program.build("hetzner", description))
    finally:
        Harness.configure({}, [])
    assert exports["etcd"]["client_url"] == "https://192.0.2.30:2379"
    assert "ETCD_NAME=hetzner" in _script(harness, "hetzner")
    assert "ETCD_NAME" not in _user_data(harness, "hetzner")
    # Without the coordination section a member name is one clear error.
    harness = Harness(config=config)
    try:
        with pytest.raises(Exception, match="no coordination section"):
            harness.run(lambda: program.build("hetzner", program.load_description()))
    finally:
        Harness.configure({}, [])


def test_without_a_node_the_script_is_the_service_alone(pulumi_mocks: Harness) -> None:
    build, _ = VENDORS["hetzner"]
    outputs = pulumi_mocks.run(lambda: build().outputs())
    assert "etcd" not in outputs
    assert _user_data(pulumi_mocks, "hetzner") == startup_script(SERVICE)
    assert not pulumi_mocks.of_type("command:remote:Command")
    assert not pulumi_mocks.of_type("hcloud:index/volume:Volume")


def test_the_written_watcher_config_is_a_valid_failover_config(tmp_path: Path) -> None:
    from failover.config import parse_config
    from infra.watcher import watcher_config_text

    text = watcher_config_text(WATCH, COORD, "hetzner", "hetzner")
    config = parse_config(text, str(tmp_path / "watch.yaml"))
    assert config.cluster is not None
    assert config.cluster.node == "hetzner" and config.cluster.vendor == "hetzner"
    assert config.cluster.endpoints == COORD.client_urls()
    assert config.cluster.tls is not None
    assert config.cluster.tls.key_file == "/etc/failover/tls/member.key"


def test_pip_runs_only_when_the_requirement_changes_and_a_failed_install_fails(
        tmp_path: Path) -> None:
    script = _node("aws").script("aws")
    assert script.count("pip install") == 1
    # Run the install step alone, with a fake venv whose pip fails, then works.
    step = script[script.index("wanted="):script.index("put /etc/failover/watch.yaml")]
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    log = tmp_path / "pip.log"
    for tool, body in (("python", "exit 0"), ("failover", "exit 0"),
                       ("pip", f'echo "$@" >> {log}; exit "$(cat {tmp_path}/pip.rc)"')):
        (venv / "bin" / tool).write_text(f"#!/bin/sh\n{body}\n")
        (venv / "bin" / tool).chmod(0o755)
    runnable = "set -euo pipefail\nchanged=0\n" + step.replace("/opt/failover", str(venv))
    runs = []
    for rc in ("1", "0", "0"):
        (tmp_path / "pip.rc").write_text(rc)
        runs.append(subprocess.run(["bash", "-c", runnable], capture_output=True, check=False)
                    .returncode)
    # The failed install fails the run; the next run tries again; then nothing to do.
    assert runs == [1, 0, 0]
    assert len(log.read_text().splitlines()) == 2


def test_the_member_starts_through_the_rejoin_script(pulumi_mocks: Harness,
                                                     vendor: str) -> None:
    from infra.etcdstart import start_script
    from infra.watcher import ETCD_START

    _build(pulumi_mocks, vendor)
    script = _script(pulumi_mocks, vendor)
    assert f"ExecStart={ETCD_START}\n" in script
    assert start_script() in script
    env = dict(line.split("=", 1) for line in etcd_environment(COORD, "metal").splitlines())
    assert env["FAILOVER_ETCD_PEERS"].split(",") == [COORD.url(m, 2379)
                                                     for m in MEMBERS if m != "metal"]
    assert env["FAILOVER_ETCD_CERT"] == "/etc/failover/tls/member.crt"
    # The first-deploy marker is written once, after the first install, and never again.
    install, first = _command(pulumi_mocks, "install"), _command(pulumi_mocks, "first-deploy")
    assert install.urn in first.dependencies
    assert {"connection", "stdin", "create"} <= set(first.ignore_changes)
    assert "update" not in first.inputs and "triggers" not in first.inputs


def test_the_first_deploy_marker_is_written_only_for_a_member_that_never_ran(
        tmp_path: Path) -> None:
    import getpass

    from infra.etcdstart import first_deploy_script

    data, flags = tmp_path / "etcd", tmp_path / "etcd.flags"
    me = getpass.getuser()
    run = first_deploy_script(str(data), str(flags), user=me)
    subprocess.run(["bash", "-c", run.replace(f"-g {me}", "")], check=True)
    assert (flags / "first-deploy").exists()
    # Run again after the member has run (data, or the record that it joined): no marker.
    (flags / "first-deploy").unlink()
    (data / "member").mkdir(parents=True)
    subprocess.run(["bash", "-c", run.replace(f"-g {me}", "")], check=True)
    assert not (flags / "first-deploy").exists()
