"""The member settings infra/watcher.py writes, run by Debian's real etcd with real TLS.

Three members on loopback addresses read the ``ETCD_*`` variables the
component puts in /etc/failover/etcd.env (only the listen addresses are
narrowed to each member's own address, since all three share this
machine), with certificates from a throwaway CA made by openssl. The
cluster must form over peer TLS, and a client must need a certificate
from that CA, as the watchers' will.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.watcher import Coordination, etcd_environment
from lab.procs import free_port, spawn, stop_many

pytestmark = pytest.mark.integration
ADDRESSES = {"aws": "127.0.0.61", "gcp": "127.0.0.62", "hetzner": "127.0.0.63"}
START_TIMEOUT = 60.0  # a loaded two-core CI machine


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _make_ca(folder: Path) -> None:
    """A CA, and one certificate per member with its address as SAN, server and client use."""
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
             "/CN=failover test CA", "-keyout", "ca.key", "-out", "ca.crt", cwd=folder)
    for name, address in ADDRESSES.items():
        ext = folder / f"{name}.ext"
        # etcd 3.4 checks a peer's certificate against the address its connection comes
        # from; between loopback addresses that is 127.0.0.1 (on a cloud machine, its
        # public address after NAT), so the test certificates name it too.
        ext.write_text(f"subjectAltName=IP:{address},IP:127.0.0.1\n"
                       "extendedKeyUsage=serverAuth,clientAuth\n")
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
                 "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=folder)
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                 "-CAcreateserial", "-days", "1", "-extfile", ext.name,
                 "-out", f"{name}.crt", cwd=folder)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[Coordination, Path]]:
    etcd = shutil.which("etcd") or "/usr/bin/etcd"
    if not (shutil.which("openssl") and os.access(etcd, os.X_OK)):
        pytest.fail("needs etcd, etcdctl and openssl: install them with "
                    "'bash scripts/setup.sh' (make test does)", pytrace=False)
    _make_ca(tmp_path)
    hosts = list(ADDRESSES.values())
    client = free_port(hosts)
    peer = free_port(hosts, avoid=[client])
    coordination = Coordination(members=ADDRESSES, token="test", client_port=client,
                                peer_port=peer, tls_dir=str(tmp_path),
                                package="failover==0.1.0", index_url="https://pypi.example.org/simple")
    procs = []
    for name, address in ADDRESSES.items():
        env = dict(line.split("=", 1)
                   for line in etcd_environment(coordination, name).splitlines())
        # Each member's own files (on a real host they are all called member.*).
        env = {k: v.replace(f"{tmp_path}/member.", f"{tmp_path}/{name}.")
               for k, v in env.items()}
        env.update(ETCD_DATA_DIR=str(tmp_path / f"data-{name}"),
                   ETCD_LISTEN_CLIENT_URLS=f"https://{address}:{client}",
                   ETCD_LISTEN_PEER_URLS=f"https://{address}:{peer}")
        procs.append(spawn([etcd], tmp_path / f"{name}.log", env={"PATH": "/usr/bin", **env}))
    try:
        yield coordination, tmp_path
    finally:
        # A member told to stop hands off leadership first; the test needs none of that.
        stop_many([(p.pid, "etcd") for p in procs], timeout=1.0)
        for proc in procs:
            proc.wait(timeout=10)


def _etcdctl(coordination: Coordination, folder: Path, *args: str,
             cert: bool = True) -> subprocess.CompletedProcess[str]:
    auth = [f"--cacert={folder}/ca.crt"]
    if cert:
        auth += [f"--cert={folder}/aws.crt", f"--key={folder}/aws.key"]
    return subprocess.run(
        ["etcdctl", f"--endpoints={','.join(coordination.client_urls())}", *auth,
         "--command-timeout=5s", *args],
        env={"ETCDCTL_API": "3", "PATH": "/usr/bin"}, text=True, capture_output=True,
        check=False, timeout=30)


def test_members_form_a_cluster_over_tls_and_demand_client_certs(
        cluster: tuple[Coordination, Path]) -> None:
    coordination, folder = cluster
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        health = _etcdctl(coordination, folder, "endpoint", "health")
        if health.returncode == 0:
            break
        assert time.monotonic() < deadline, health.stderr + "".join(
            (folder / f"{n}.log").read_text()[-2000:] for n in ADDRESSES)
        time.sleep(0.5)
    members = _etcdctl(coordination, folder, "member", "list")
    assert members.returncode == 0, members.stderr
    for name, address in ADDRESSES.items():
        assert f"{name}, https://{address}:{coordination.peer_port}, " \
               f"https://{address}:{coordination.client_port}" in members.stdout
    assert _etcdctl(coordination, folder, "put", "/failover/x", "1").returncode == 0
    # No client certificate, no answer: the client port demands one from the CA.
    refused = _etcdctl(coordination, folder, "get", "/failover/x", cert=False)
    assert refused.returncode != 0
    # Plain HTTP gets nothing either.
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.61:{coordination.client_port}/health",
                               timeout=5)
