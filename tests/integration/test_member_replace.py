"""Replacing an etcd member whose data is gone, for real.

In the clustered lab (five vendors' members): ``python -m lab replace VENDOR`` stops a
member, wipes its data and starts it through the deployed machines' start script with
the settings the Pulumi component generates (lab/replace.py). Done twice in a row for
two vendors, with writes and reads through the quorum all along; after each, five started
members and no stale id. Then the matrix's single-vendor kills must still survive.

Against a three-member lab cluster: ``failover cluster replace-member`` refuses a healthy
member and a replacement that would lose quorum, and brings back a wiped member that is
then started with the settings it printed; while etcd answers 'unhealthy cluster' to the
add, the replacement tries again until it is allowed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from failover.coord.etcdclient import EtcdClient
from failover.coord.membership import Member, members, plan, replace
from failover.errors import CoordinationError
from lab import etcd, files, resolver, vendors
from lab.procs import python_env, spawn

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
JOIN_TIMEOUT = 90.0  # a loaded two-core machine


def _member_list(endpoints: list[str]) -> list[Member]:
    return members(EtcdClient(endpoints, timeout=5.0))


class QuorumProbe(threading.Thread):
    """Writes and reads a fresh value through ``endpoints`` every 0.2 s; records the
    longest time without a successful round trip."""

    def __init__(self, endpoints: list[str]) -> None:
        super().__init__(daemon=True)
        self.client = EtcdClient(endpoints, timeout=3.0)
        self.done = threading.Event()
        self.ok = 0
        self.longest_gap = 0.0
        self.errors: list[str] = []

    def run(self) -> None:
        last = time.monotonic()
        while not self.done.is_set():
            value = uuid.uuid4().hex
            try:
                self.client.put("/failover/test/replace", value)
                kv = self.client.get("/failover/test/replace")
                if kv is None or kv.value != value:
                    raise CoordinationError(f"read back {kv}, wrote {value}")
                self.ok += 1
                last = time.monotonic()
            except CoordinationError as exc:
                self.errors.append(str(exc)[:200])
            self.longest_gap = max(self.longest_gap, time.monotonic() - last)
            time.sleep(0.2)

    def stop(self) -> None:
        self.done.set()
        self.join(timeout=30)


def _lab(root: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lab", *args, "--dir", str(root)],
                          capture_output=True, text=True, timeout=timeout, cwd=REPO,
                          env=python_env())


def _replace_in_lab(root: Path, vendor: str) -> None:
    cluster = etcd.Cluster.from_dict(files.load(root)["cluster"]["etcd"])
    before = _member_list(cluster.endpoints)
    old = next(m.hex for m in before if m.name == vendor)
    others = [m.endpoint for m in cluster.members.values() if m.name != vendor]
    probe = QuorumProbe(others)
    probe.start()
    try:
        done = _lab(root, "replace", vendor)
    finally:
        probe.stop()
    assert done.returncode == 0, done.stderr
    assert f"old member {old} removed" in done.stdout
    # One election at most (the member replaced may have led): never minutes.
    assert probe.ok > 0 and probe.longest_gap < 10, (probe.longest_gap, probe.errors[-3:])
    cluster = etcd.Cluster.from_dict(files.load(root)["cluster"]["etcd"])
    after = _member_list(cluster.endpoints)
    assert sorted(m.name for m in after) == sorted(vendors.VENDORS)
    assert all(m.started for m in after)
    assert old not in {m.hex for m in after}, "the old member was not removed"
    assert cluster.member(vendor).healthy(timeout=3.0)
    log = cluster.member(vendor).log.read_text()
    assert f"rejoining as {vendor}" in log and "already been bootstrapped" not in log
    # Through the replaced member too.
    client = EtcdClient([cluster.member(vendor).endpoint], timeout=5.0)
    client.put("/failover/test/replaced", vendor)
    kv = client.get("/failover/test/replaced")
    assert kv is not None and kv.value == vendor


def _start_watchers(root: Path) -> None:
    """The lab's five watchers, as ``up --cluster`` starts them (cluster_lab leaves them)."""
    with files.locked(root):
        data = files.load(root)
        for vendor, w in data["cluster"]["watchers"].items():
            proc = spawn(vendors.watcher_argv(Path(w["config"])),
                         root / "watchers" / f"{vendor}.log", env=python_env(), cwd=root)
            w.update(pid=proc.pid, run=True)
        files.save(root, data)


def test_replacements_in_a_row_keep_quorum_and_the_matrix_survives(
        cluster_lab: dict[str, Any], tmp_path: Path) -> None:
    """One member replaced twice in a row (its second replacement meets the id its first
    one added), then another: each time the quorum answers throughout."""
    root = cluster_lab["dir"]
    for vendor in ("gcp", "gcp", "metal"):
        _replace_in_lab(root, vendor)
    # A replaced member is an ordinary member again: the vendor-kill matrix's single
    # rows (kill a vendor, members and watchers with it; revive it) all survive.
    _start_watchers(root)
    resolver.start(root)
    done = subprocess.run(
        [sys.executable, "-m", "cli.app", "-c", str(root / "failover.yaml"),
         "drill", "--matrix", "--lab", str(root), "--singles",
         "--report", str(tmp_path / "report"), "--format", "json"],
        capture_output=True, text=True, timeout=1200, env={**os.environ, "CI": "true"},
        stdin=subprocess.DEVNULL, cwd=REPO)
    assert done.returncode in (0, 2), done.stderr
    rows = json.loads(done.stdout)["rows"]
    assert sorted(r["kill"][0] for r in rows) == sorted(vendors.VENDORS)
    for r in rows:
        assert len(r["kill"]) == 1
        assert r["survived"], (r["name"], r["notes"])
        assert r["clean"], (r["name"], r["notes"])
    cluster = etcd.Cluster.from_dict(files.load(root)["cluster"]["etcd"])
    assert all(m.started for m in _member_list(cluster.endpoints))


CONFIG = """
service: s
zone: example.test.
records: [{{name: www, type: A}}]
vendors: {{aws: {{}}, gcp: {{}}, metal: {{}}}}
hosting:
  a: {{vendor: aws, priority: 1, endpoints: {{A: [127.0.0.21]}}}}
  g: {{vendor: gcp, priority: 2, endpoints: {{A: [127.0.0.22]}}}}
dns:
  bind: {{vendor: metal, kind: rfc2136, server: 127.0.0.1}}
journal: {journal}
cluster: {cluster}
"""


def _failover(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cli.app", "-c", str(config), *args],
                          capture_output=True, text=True, timeout=180, cwd=REPO,
                          env=python_env())


def _config(cluster: etcd.Cluster, tmp_path: Path) -> Path:
    section = {"endpoints": cluster.endpoints, "node": "laptop", "vendor": "metal",
               "ttl": "5s", "loop_wait": "1s", "retry_timeout": "2s",
               "watchers": [f"watcher-{m}" for m in cluster.members]}
    path = tmp_path / "failover.yaml"
    path.write_text(CONFIG.format(journal=tmp_path / "journal.sqlite",
                                  cluster=json.dumps(section)))
    return path


def _start_with(cluster: etcd.Cluster, name: str, settings: dict[str, str]) -> None:
    """Start the wiped member as the operator would, with what the command printed; return
    once it is healthy and every member started."""
    m = cluster.member(name)
    proc = spawn([etcd.etcd_binary(), "--name", name, "--data-dir", str(m.data_dir),
                  "--listen-client-urls", m.endpoint, "--advertise-client-urls", m.endpoint,
                  "--listen-peer-urls", m.peer_url, "--initial-advertise-peer-urls", m.peer_url,
                  "--initial-cluster", settings["ETCD_INITIAL_CLUSTER"],
                  "--initial-cluster-state", settings["ETCD_INITIAL_CLUSTER_STATE"],
                  "--heartbeat-interval", str(etcd.HEARTBEAT_MS),
                  "--election-timeout", str(etcd.ELECTION_MS), "--pre-vote"], m.log)
    m.pid = proc.pid
    assert m.becomes_healthy(JOIN_TIMEOUT), m.log.read_text()[-2000:]
    deadline = time.monotonic() + JOIN_TIMEOUT
    while not all(x.started for x in _member_list(cluster.endpoints)):
        assert time.monotonic() < deadline
        time.sleep(0.3)


def _printed(done: subprocess.CompletedProcess[str]) -> dict[str, str]:
    return dict(line.split("=", 1) for line in done.stdout.splitlines()
                if line.startswith("ETCD_"))


def test_replace_member_refuses_a_healthy_member_and_brings_back_a_wiped_one(
        etcd_cluster: etcd.Cluster, tmp_path: Path) -> None:
    config = _config(etcd_cluster, tmp_path)
    gcp = etcd_cluster.member("gcp")
    before = _member_list(etcd_cluster.endpoints)

    refused = _failover(config, "cluster", "replace-member", "gcp", "--peer-url", gcp.peer_url)
    assert refused.returncode == 4
    assert "started and healthy" in refused.stderr and len(refused.stderr.splitlines()) == 1
    assert _member_list(etcd_cluster.endpoints) == before

    etcd_cluster.kill("gcp")
    shutil.rmtree(gcp.data_dir)
    dry = _failover(config, "cluster", "replace-member", "gcp", "--peer-url", gcp.peer_url,
                    "--dry-run")
    assert dry.returncode == 0, dry.stderr
    old = next(m.hex for m in before if m.name == "gcp")
    assert f"would: member remove {old} (gcp" in dry.stdout and "nothing changed" in dry.stdout
    assert _member_list(etcd_cluster.endpoints) == before

    # Without --peer-url: the one the member list has for gcp.
    done = _failover(config, "cluster", "replace-member", "gcp")
    assert done.returncode == 0, done.stderr
    assert f"added gcp at {gcp.peer_url}" in done.stdout
    settings = _printed(done)
    assert settings["ETCD_INITIAL_CLUSTER_STATE"] == "existing"
    assert f"gcp={gcp.peer_url}" in settings["ETCD_INITIAL_CLUSTER"].split(",")
    assert len(settings["ETCD_INITIAL_CLUSTER"].split(",")) == 3

    _start_with(etcd_cluster, "gcp", settings)
    after = _member_list(etcd_cluster.endpoints)
    assert sorted(m.name for m in after) == ["aws", "gcp", "metal"]
    assert old not in {m.hex for m in after}
    again = _failover(config, "cluster", "replace-member", "gcp", "--peer-url", gcp.peer_url)
    assert again.returncode == 4 and "started and healthy" in again.stderr


def test_replace_member_refuses_to_lose_quorum(etcd_cluster: etcd.Cluster,
                                               tmp_path: Path) -> None:
    config = _config(etcd_cluster, tmp_path)
    etcd_cluster.kill("aws")
    etcd_cluster.kill("metal")
    metal = etcd_cluster.member("metal")
    done = _failover(config, "cluster", "replace-member", "metal", "--peer-url", metal.peer_url)
    assert done.returncode == 4, done.stdout
    assert ("lose quorum" in done.stderr or "did not answer" in done.stderr), done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_replace_member_waits_while_etcd_calls_the_cluster_unhealthy(
        etcd_cluster: etcd.Cluster) -> None:
    """etcd refuses to add a voter until every voting member has been connected to the
    leader for 5 s ('unhealthy cluster'): here a member that has just restarted. The
    replacement says so, tries again, and adds the member once etcd allows. (Through
    failover.coord.membership, the command's logic: the command's own start takes
    seconds, and the window would close before it adds.)"""
    gcp = etcd_cluster.member("gcp")
    etcd_cluster.kill("gcp")
    shutil.rmtree(gcp.data_dir)
    client = EtcdClient(etcd_cluster.endpoints, timeout=5.0)
    planned = plan(client, "gcp", None, connect=lambda urls: EtcdClient(urls, timeout=3.0))
    assert planned.peer_url == gcp.peer_url
    etcd_cluster.kill("metal")
    etcd_cluster.restart("metal")
    said: list[str] = []
    settings = replace(client, planned, said.append)
    assert any("unhealthy cluster" in line and "trying again" in line for line in said), said
    _start_with(etcd_cluster, "gcp", settings)
