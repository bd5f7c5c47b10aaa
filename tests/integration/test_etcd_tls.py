"""Our etcd client over https against a real etcd cluster with mutual TLS
(``--client-cert-auth``, a throwaway CA from ``lab.etcd.make_certs``).

The happy path (kv, leases, transactions, the watch stream) and each way TLS settings
go wrong: every one is a single line naming the endpoint and the setting to fix, never
"no quorum" (retrying cannot help) and never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from failover.config import load_config
from failover.coord.etcdclient import (
    Compare,
    EtcdAuthError,
    EtcdClient,
    EtcdTlsError,
    EtcdUnavailable,
    Op,
)
from failover.engine import Engine
from failover.watch import Reconciler
from lab import etcd as lab_etcd
from tests.integration.clusterworld import World

pytestmark = pytest.mark.integration


def client(cluster: lab_etcd.Cluster, **tls: str) -> EtcdClient:
    assert cluster.tls is not None
    files = {"ca_file": str(cluster.tls.ca), "cert_file": str(cluster.tls.client_cert),
             "key_file": str(cluster.tls.client_key)}
    return EtcdClient(cluster.endpoints, timeout=5, **{**files, **tls})


def one_line(exc: pytest.ExceptionInfo[BaseException]) -> str:
    text = str(exc.value)
    assert "\n" not in text and "no quorum" not in text and "Traceback" not in text, text
    return text


def test_kv_leases_txn_and_watch_over_mutual_tls(etcd_tls_cluster: lab_etcd.Cluster) -> None:
    assert all(e.startswith("https://127.0.0.1:") for e in etcd_tls_cluster.endpoints)
    c = client(etcd_tls_cluster)
    rev = c.put("/t/a", "1")
    got = c.get("/t/a")
    assert got is not None and got.value == "1" and got.mod_revision == rev
    lease = c.grant(5)
    assert c.keepalive(lease) > 0
    ok, _ = c.txn([Compare.create_revision("/t/b", 0)], [Op.put("/t/b", "2", lease)])
    assert ok
    ok, _ = c.txn([Compare.create_revision("/t/b", 0)], [Op.put("/t/b", "3", lease)])
    assert not ok, "create-if-absent must fail on an existing key"
    assert [(kv.key, kv.value) for kv in c.get_prefix("/t/")] == [("/t/a", "1"), ("/t/b", "2")]
    # The /v3/watch stream over TLS: history from a revision, then the stream ends on time.
    c.delete("/t/a")
    events = list(c.watch("/t/a", start_revision=rev, seconds=2))
    assert [e.type for e in events] == ["PUT", "DELETE"]
    c.revoke(lease)
    assert c.get("/t/b") is None, "revoking the lease deletes its keys"


def test_a_member_certificate_our_ca_did_not_sign_is_refused_plainly(
        etcd_tls_cluster: lab_etcd.Cluster, tmp_path: Path) -> None:
    other = lab_etcd.make_certs(tmp_path / "other")
    c = client(etcd_tls_cluster, ca_file=str(other.ca))
    with pytest.raises(EtcdTlsError) as exc:
        c.get("/k")
    text = one_line(exc)
    assert etcd_tls_cluster.endpoints[0] in text and "did not verify" in text, text
    assert "cluster.tls.ca_file" in text
    with pytest.raises(EtcdTlsError, match="did not verify"):
        list(c.watch("/k", start_revision=1, seconds=2))


def test_no_client_certificate_is_refused_plainly(etcd_tls_cluster: lab_etcd.Cluster) -> None:
    assert etcd_tls_cluster.tls is not None
    c = EtcdClient(etcd_tls_cluster.endpoints, timeout=5, ca_file=str(etcd_tls_cluster.tls.ca))
    with pytest.raises(EtcdAuthError) as exc:
        c.put("/k", "v")
    text = one_line(exc)
    assert etcd_tls_cluster.endpoints[0] in text and "client certificate" in text, text
    assert "cluster.tls.cert_file" in text


def test_a_client_certificate_from_another_ca_is_refused_plainly(
        etcd_tls_cluster: lab_etcd.Cluster, tmp_path: Path) -> None:
    other = lab_etcd.make_certs(tmp_path / "other")
    c = client(etcd_tls_cluster, cert_file=str(other.client_cert),
               key_file=str(other.client_key))
    with pytest.raises(EtcdTlsError) as exc:
        c.get("/k")
    text = one_line(exc)
    assert "refused our TLS handshake" in text and "cluster.tls.cert_file" in text, text


def test_plain_http_endpoints_with_tls_or_to_a_tls_member_say_https(
        etcd_tls_cluster: lab_etcd.Cluster) -> None:
    assert etcd_tls_cluster.tls is not None
    plain = [e.replace("https://", "http://") for e in etcd_tls_cluster.endpoints]
    with pytest.raises(EtcdTlsError, match=f"endpoint {plain[0]} is not https"):
        EtcdClient(plain, timeout=5, ca_file=str(etcd_tls_cluster.tls.ca))
    # Without cluster.tls etcd just hangs up: not surely TLS, so a hint, not a verdict.
    with pytest.raises(EtcdUnavailable, match=r"write https:// and set cluster\.tls"):
        EtcdClient(plain, timeout=5).get("/k")


def test_an_unreadable_tls_file_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.crt"
    with pytest.raises(EtcdTlsError, match=f"cluster.tls.ca_file {missing}"):
        EtcdClient(["https://127.0.0.1:9"], timeout=1, ca_file=str(missing))
    certs = lab_etcd.make_certs(tmp_path / "certs")
    with pytest.raises(EtcdTlsError, match=r"cluster\.tls\.cert_file"):
        EtcdClient(["https://127.0.0.1:9"], timeout=1, ca_file=str(certs.ca),
                   cert_file=str(certs.client_cert), key_file=str(certs.server_key))


def test_a_watcher_cycle_and_the_cli_over_tls(etcd_tls_cluster: lab_etcd.Cluster,
                                              tmp_path: Path) -> None:
    """The config's cluster.tls reaches the engine: a watcher cycle publishes its view and
    takes the lead over https; a laptop reads it with the CLI; a wrong CA is one line."""
    world = World(tmp_path, etcd_tls_cluster)
    try:
        e = Engine(load_config(world.config("w-gcp", "gcp")))
        try:
            result = Reconciler(e, auto_move=True).cycle()
            assert result.action in ("none", "keep"), result.sentence
        finally:
            e.close()
        laptop = world.config("laptop", "metal", auto=False)
        status = world.cli(laptop, "status", "--format", "json")
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)
        other = lab_etcd.make_certs(tmp_path / "other")
        assert etcd_tls_cluster.tls is not None
        bad = laptop.read_text().replace(str(etcd_tls_cluster.tls.ca), str(other.ca))
        laptop.write_text(bad)
        refused = world.cli(laptop, "status", "--format", "json")
        lines = refused.stderr.strip().splitlines()
        assert refused.returncode == 3 and len(lines) == 1, refused.stderr
        assert "did not verify" in lines[0] and "Traceback" not in refused.stderr
    finally:
        world.close()
