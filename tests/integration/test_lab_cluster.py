"""The clustered lab: five vendors with etcd members; kill, freeze, thaw and revive act
on everything at one vendor and on nothing else (network partitions:
test_lab_partition.py)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from lab import bind, core, etcd, vendors
from lab.__main__ import main as lab_main
from lab.procs import LabError

pytestmark = pytest.mark.integration


def _states(lab: dict[str, Any]) -> dict[str, bool]:
    return {row["name"]: row["alive"] for row in core.status(lab["dir"])}


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def _proc_state(pid: int) -> str:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2]


def test_five_members_healthy_and_records_cached_for_five_seconds(
        cluster_lab: dict[str, Any]) -> None:
    cluster = etcd.Cluster.from_dict(core.load(cluster_lab["dir"])["cluster"]["etcd"])
    assert list(cluster.members) == list(vendors.VENDORS)
    assert all(m.healthy() for m in cluster.members.values())
    import dns.message
    import dns.query

    for server in ("bind", "knot"):
        reply = dns.query.udp(dns.message.make_query("www.example.test.", "A"),
                              "127.0.0.1", port=int(cluster_lab[server]["port"]), timeout=2)
        assert [(r.ttl, [x.to_text() for x in r]) for r in reply.answer] == \
            [(vendors.RECORD_TTL, ["127.0.0.11"])]
    config = (cluster_lab["dir"] / "watch-gcp.yaml").read_text()
    assert "node: watcher-gcp" in config and "vendor: gcp" in config
    assert cluster_lab["aws_proxy"]["endpoint"] in config  # Route 53 behind AWS's door


def test_kill_takes_every_part_of_one_vendor_and_revive_brings_it_back(
        cluster_lab: dict[str, Any]) -> None:
    before = _states(cluster_lab)
    assert all(before.values())
    assert lab_main(["kill", "metal", "--dir", str(cluster_lab["dir"])]) == 0
    after = _states(cluster_lab)
    gone = {name for name, up in after.items() if not up}
    assert gone == {"metal-fra", "bind", "knot", "etcd-metal"}
    assert _refused(int(cluster_lab["bind"]["port"]))
    assert _refused(int(cluster_lab["knot"]["port"]))
    quorum = etcd.Cluster.from_dict(core.load(cluster_lab["dir"])["cluster"]["etcd"])
    assert quorum.members["gcp"].becomes_healthy(within=60)  # four of five still decide

    assert lab_main(["revive", "metal", "--dir", str(cluster_lab["dir"])]) == 0
    assert all(_states(cluster_lab).values())
    # BIND came back with its zone (and journal); Knot transferred it afresh
    lab = core.load(cluster_lab["dir"])
    assert bind.answers("127.0.0.1", int(lab["knot"]["port"]), "www") == ["127.0.0.11"]
    assert bind.answers("127.0.0.1", int(lab["bind"]["port"]), "www") == ["127.0.0.11"]


def test_kill_aws_takes_route53_away_but_moto_keeps_its_state(
        cluster_lab: dict[str, Any]) -> None:
    vendors.kill(cluster_lab["dir"], "aws")
    assert _refused(int(cluster_lab["aws_proxy"]["port"]))
    assert _states(cluster_lab)["moto"]
    vendors.revive(cluster_lab["dir"], "aws")
    lab = core.load(cluster_lab["dir"])
    assert core.route53_answers({**lab, "moto": {**lab["moto"],
                                "endpoint": lab["aws_proxy"]["endpoint"]}}, "www") == \
        ["127.0.0.11"]


def test_freeze_stops_thaw_resumes_and_bad_vendors_are_one_line(
        cluster_lab: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    rows = vendors.freeze(cluster_lab["dir"], "gcp")
    assert {r["name"] for r in rows} == {"gcp-euw1", "etcd-gcp"}
    assert all(_proc_state(r["pid"]) == "T" for r in rows)
    assert core.load(cluster_lab["dir"])["cluster"]["frozen"] == ["gcp"]
    vendors.thaw(cluster_lab["dir"], "gcp")
    assert all(_proc_state(r["pid"]) != "T" for r in rows)

    with pytest.raises(LabError, match="unknown vendor 'ibm'; the lab's vendors are: aws"):
        vendors.kill(cluster_lab["dir"], "ibm")
    assert lab_main(["freeze", "--dir", str(cluster_lab["dir"])]) == 3
    assert "freeze needs a vendor" in capsys.readouterr().err

    vendors.freeze(cluster_lab["dir"], "quorum")  # down resumes and stops frozen ones
    core.down(cluster_lab["dir"])
    assert not any(_states(cluster_lab).values())


def test_partition_and_freeze_need_a_clustered_lab(lab: dict[str, Any],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("partition", "freeze"):
        assert lab_main([command, "aws", "--dir", str(lab["dir"])]) == 3
        assert f"{command} needs a clustered lab" in capsys.readouterr().err
