"""A member whose data is gone comes back through infra/etcdstart.py's real start script.

A three-member lab cluster with client TLS (Debian's etcd 3.4); one member is
killed and its data dir wiped, as on a machine replaced with an empty volume,
then the generated script is run with the settings the component generates for
that member (``lab.replace.member_settings``: infra.watcher's, with the lab's
ports, paths and plain peer URLs). It must not bootstrap (``member ... has
already been bootstrapped``) but remove its old self, be added again and join:
three started members, all healthy. Done twice in a row, for two different
members, with a write and a read through the quorum before, between and after.
A member alone, with no first-deploy marker, must refuse to start a second
cluster.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.etcdstart import FIRST_DEPLOY, start_script
from lab import etcd as lab_etcd
from lab.procs import LabError
from lab.replace import member_settings

pytestmark = pytest.mark.integration
NAMES = ["aws", "gcp", "metal"]
JOIN_TIMEOUT = 60.0  # a loaded two-core machine


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[lab_etcd.Cluster]:
    if not shutil.which("etcdctl"):
        pytest.fail("needs etcdctl: apt-get install etcd-client", pytrace=False)
    try:
        started = lab_etcd.start_cluster(tmp_path / "etcd", NAMES, tls=True)
    except LabError as exc:
        pytest.fail(f"etcd with TLS did not start: {exc}", pytrace=False)
    try:
        yield started
    finally:
        started.down()


def _ctl(cluster: lab_etcd.Cluster, endpoints: list[str], *args: str,
         check: bool = True) -> subprocess.CompletedProcess[str]:
    tls = cluster.tls
    assert tls is not None
    return subprocess.run(["etcdctl", f"--endpoints={','.join(endpoints)}",
                           f"--cacert={tls.ca}", f"--cert={tls.client_cert}",
                           f"--key={tls.client_key}", "--command-timeout=10s", *args],
                          capture_output=True, text=True, check=check)


def _run_script(cluster: lab_etcd.Cluster, name: str, tmp: Path,
                procs: list[subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
    script = tmp / "etcd-start"
    script.write_text(start_script(etcd=lab_etcd.etcd_binary(), etcdctl="etcdctl"))
    script.chmod(0o755)
    flags = tmp / f"{name}.flags"
    flags.mkdir(exist_ok=True)
    # What infra.watcher.etcd_environment generates for this member (its ports, the
    # lab's data dir and certificates, plain peer URLs: lab/replace.py).
    env = {"PATH": os.environ["PATH"], **member_settings(cluster, name, flags)}
    log = (tmp / f"{name}.start.log").open("ab")
    proc = subprocess.Popen([str(script)], env=env, stdout=log, stderr=log,
                            cwd=tmp, start_new_session=True)
    procs.append(proc)
    return proc


def _wipe(cluster: lab_etcd.Cluster, name: str) -> None:
    """The machine is gone and its replacement has an empty data dir."""
    cluster.kill(name)
    shutil.rmtree(cluster.member(name).data_dir)


def _quorum_holds(cluster: lab_etcd.Cluster, endpoints: list[str]) -> None:
    """A write and a read through raft succeed (after at most one election: the member
    killed may have led)."""
    value = uuid.uuid4().hex
    deadline = time.monotonic() + 15
    while True:
        put = _ctl(cluster, endpoints, "put", "/failover/test/quorum", value, check=False)
        if put.returncode == 0:
            break
        assert time.monotonic() < deadline, f"no quorum at {endpoints}: {put.stderr[-500:]}"
        time.sleep(0.3)
    got = _ctl(cluster, endpoints, "get", "--print-value-only", "/failover/test/quorum")
    assert got.stdout.strip() == value


def _rejoined(cluster: lab_etcd.Cluster, name: str, proc: subprocess.Popen[bytes],
              log: Path) -> None:
    deadline = time.monotonic() + JOIN_TIMEOUT
    while True:
        members = _ctl(cluster, cluster.endpoints, "member", "list", "-w", "simple",
                       check=False).stdout.splitlines()
        health = _ctl(cluster, cluster.endpoints, "endpoint", "health", check=False)
        started = [line for line in members if ", started, " in line]
        if len(members) == 3 and len(started) == 3 and health.returncode == 0:
            break
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{name} did not rejoin (script exit {proc.poll()}): members "
                        f"{members}, health {health.stderr.strip()}; log: "
                        f"{log.read_text()[-2000:]}", pytrace=False)
        time.sleep(0.3)
    assert any(f", {name}, " in line for line in started)


def test_a_member_with_an_empty_data_dir_rejoins_twice_in_a_row(
        cluster: lab_etcd.Cluster, tmp_path: Path) -> None:
    procs: list[subprocess.Popen[bytes]] = []
    try:
        _quorum_holds(cluster, cluster.endpoints)
        for name in ("aws", "gcp"):
            before = _ctl(cluster, cluster.endpoints, "member", "list", "-w", "simple").stdout
            old_id = next(line.split(", ")[0] for line in before.splitlines()
                          if f", {name}, " in line)
            _wipe(cluster, name)
            others = [m.endpoint for m in cluster.members.values() if m.name != name]
            _quorum_holds(cluster, others)
            proc = _run_script(cluster, name, tmp_path, procs)
            _rejoined(cluster, name, proc, tmp_path / f"{name}.start.log")
            # The etcd process is the script's pid (exec); the lab may stop it now.
            cluster.member(name).pid = proc.pid
            after = _ctl(cluster, cluster.endpoints, "member", "list", "-w", "simple").stdout
            assert old_id not in after, "the old member was not removed"
            _quorum_holds(cluster, cluster.endpoints)
            _quorum_holds(cluster, [cluster.member(name).endpoint])
            log = (tmp_path / f"{name}.start.log").read_text()
            assert "rejoining as" in log and "already been bootstrapped" not in log
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)


def test_without_peers_or_marker_it_refuses_a_second_cluster(
        cluster: lab_etcd.Cluster, tmp_path: Path) -> None:
    procs: list[subprocess.Popen[bytes]] = []
    cluster.down()
    shutil.rmtree(cluster.member("aws").data_dir)
    try:
        proc = _run_script(cluster, "aws", tmp_path, procs)
        assert proc.wait(timeout=60) == 1
        assert not cluster.member("aws").data_dir.exists()
        log = (tmp_path / "aws.start.log").read_text()
        assert "not bootstrapping a second cluster" in log
        # With the first-deploy marker it bootstraps (and waits for its peers).
        (tmp_path / "aws.flags" / FIRST_DEPLOY).touch()
        proc = _run_script(cluster, "aws", tmp_path, procs)
        deadline = time.monotonic() + 30
        while not (cluster.member("aws").data_dir / "member").exists():
            assert proc.poll() is None, (tmp_path / "aws.start.log").read_text()
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert "bootstrapping the cluster as aws" in (tmp_path / "aws.start.log").read_text()
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
