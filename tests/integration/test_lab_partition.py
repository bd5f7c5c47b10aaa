"""Real network partitions in the clustered lab (nftables on loopback): ``partition aws
--only etcd`` leaves every aws process running, cuts aws's sockets off the other etcd
members only (BIND and moto still answer them), the other members keep quorum, aws's
watcher says it cannot ask etcd, ``heal`` restores, and ``down`` leaves no table."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lab import core, etcd, netcut, partition, vendors
from lab.__main__ import main as lab_main
from lab.procs import LabError, alive

pytestmark = [pytest.mark.integration, pytest.mark.own_lab]

_PROBE = """
import json, socket, sys
out = []
for host, port in json.loads(sys.argv[1]):
    try:
        socket.create_connection((host, port), timeout=1.5).close()
        out.append(True)
    except OSError:
        out.append(False)
print(json.dumps(out))
"""


def _reach(gid: int, endpoints: list[tuple[str, int]]) -> list[bool]:
    """Whether a TCP connect from a socket of group ``gid`` (a vendor's) gets through."""
    done = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(endpoints)], group=gid,
                          extra_groups=[], capture_output=True, text=True, timeout=60,
                          check=True)
    return [bool(x) for x in json.loads(done.stdout)]


def _dns_from(gid: int, port: int) -> str:
    code = ("import sys, dns.message, dns.query; r = dns.query.udp(dns.message.make_query("
            "'www.example.test.', 'A'), '127.0.0.1', port=int(sys.argv[1]), timeout=3); "
            "print(r.answer[0][0].to_text())")
    done = subprocess.run([sys.executable, "-c", code, str(port)], group=gid, extra_groups=[],
                          capture_output=True, text=True, timeout=60)
    return done.stdout.strip() or done.stderr.strip().splitlines()[-1]


def _state(pid: int) -> str:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2]


def _eventually(what: str, ok: Callable[[], bool], within: float = 60) -> None:
    deadline = time.monotonic() + within
    while not ok():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not within {within:.0f}s", pytrace=False)
        time.sleep(0.25)


def _last_action(root: Path, vendor: str) -> str | None:
    try:
        db = sqlite3.connect(f"file:{root / f'journal-{vendor}.sqlite'}?mode=ro", uri=True,
                             timeout=5)
        try:
            row = db.execute("SELECT data FROM events WHERE kind='cycle' ORDER BY id DESC "
                             "LIMIT 1").fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return None
    return str(json.loads(row[0]).get("action")) if row else None


def _listening(pid: int) -> set[tuple[str, int]]:
    """(address, port) of every TCP socket ``pid`` listens on (from /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink().as_posix()
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    out = set()
    for line in Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]:
        f = line.split()
        if f[3] == "0A" and f[9] in inodes:  # LISTEN
            hexaddr, hexport = f[1].split(":")
            addr = socket.inet_ntoa(bytes.fromhex(hexaddr)[::-1])
            out.add((addr, int(hexport, 16)))
    return out


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[dict[str, Any]]:
    root = tmp_path / "lab"
    try:
        core.up(root)
        vendors.start(root)
    except core.LabError as exc:
        core.down(root)
        pytest.fail(f"the clustered lab did not start: {exc}", pytrace=False)
    try:
        yield {**core.load(root), "dir": root.resolve()}
    finally:
        core.down(root)


def test_partition_aws_only_etcd_cuts_etcd_alone_while_everything_runs(
        watched: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    root = watched["dir"]
    members = etcd.Cluster.from_dict(watched["cluster"]["etcd"]).members
    others = [(m.host, m.client_port) for n, m in members.items() if n != "aws"]
    aws_member = (members["aws"].host, members["aws"].client_port)
    bind_, moto = ("127.0.0.1", int(watched["bind"]["port"])), \
        ("127.0.0.1", int(watched["moto"]["port"]))
    proxy = ("127.0.0.1", int(watched["aws_proxy"]["port"]))
    aws, gcp = vendors.gid("aws"), vendors.gid("gcp")
    # every server a vendor runs listens where the cut says (nothing of it escapes)
    for vendor in vendors.VENDORS:
        said = set(partition.endpoints(watched, vendor))
        for row in vendors.vendor_rows(watched, vendor):
            if not row["name"].startswith("watch-"):
                assert _listening(row["pid"]) <= said, (vendor, row["name"])
    assert all(_reach(aws, [*others, bind_, moto]))
    _eventually("aws's watcher running its cycles", lambda: _last_action(root, "aws")
                in ("follower", "none", "keep"))

    assert lab_main(["partition", "aws", "--only", "etcd", "--dir", str(root)]) == 0
    assert "aws        partitioned (etcd)" in capsys.readouterr().out
    rows = vendors.vendor_rows(core.load(root), "aws")
    assert {r["name"] for r in rows} == {"aws-use1", "aws-proxy", "etcd-aws", "watch-aws"}
    assert all(alive(r["pid"]) and _state(r["pid"]) not in "TtZ" for r in rows)
    # aws's sockets reach no other etcd member, but BIND (TCP and UDP), moto, its own
    assert _reach(aws, [*others, bind_, moto, aws_member]) == \
        [False] * len(others) + [True, True, True]
    assert _dns_from(aws, bind_[1]) == "127.0.0.11"
    # the others' sockets do not reach aws's member, but its DNS API (Route 53's door)
    assert _reach(gcp, [aws_member, proxy, others[0]]) == [False, True, True]
    # the four other members keep their quorum; aws's member loses its leader
    assert members["gcp"].becomes_healthy(within=30)
    _eventually("aws's member unhealthy", lambda: not members["aws"].healthy())
    _eventually("aws's watcher fail-static", lambda: _last_action(root, "aws") ==
                "fail-static")
    assert all(_state(r["pid"]) not in "TtZ" for r in rows)
    assert lab_main(["status", "--dir", str(root)]) == 0
    assert "aws        partitioned (etcd)" in capsys.readouterr().out

    assert lab_main(["heal", "--dir", str(root)]) == 0
    assert "healed     aws" in capsys.readouterr().out
    assert not netcut.exists(root)
    assert all(_reach(aws, others))
    assert members["aws"].becomes_healthy(within=30)
    _eventually("aws's watcher back in the cluster", lambda: _last_action(root, "aws")
                in ("follower", "none", "keep"))

    # a full cut of gcp: its origin too, from aws's sockets; then down removes the table
    partition.partition(root, "gcp")
    gcp_origin = (watched["origins"]["hostings"]["gcp-euw1"]["address"],
                  int(watched["origins"]["port"]))
    assert _reach(aws, [gcp_origin, bind_]) == [False, True]
    assert _reach(0, [gcp_origin]) == [True]  # the world outside the vendors still does
    with pytest.raises(LabError, match="--only nothing: use one of etcd, dns"):
        partition.partition(root, "gcp", "nothing")
    core.down(root)
    listed = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True,
                            check=True).stdout
    assert netcut.table(root) not in listed
