"""``failover drill --matrix`` in the clustered lab with its resolver and five watchers,
through the CLI: the row that kills the leader's own vendor (and aws, whose hosting is
the one served, if the leader is elsewhere), and the partition row that cuts the leader's
vendor off etcd while its watcher can still write DNS (cut-etcd:leader). Each row must
survive, be led by a live node, and leave the lab clean. The matrix's time bounds are
measured (see README), never asserted here: a loaded CI machine must not fail the build on
a slow second."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lab import core, resolver, vendors

pytestmark = pytest.mark.integration


@pytest.fixture
def watched_lab(tmp_path: Path) -> Iterator[dict[str, Any]]:
    root = tmp_path / "lab"
    try:
        core.up(root)
        vendors.start(root)
        data = resolver.start(root)
    except core.LabError as exc:
        core.down(root)
        pytest.fail(f"the lab did not start: {exc}", pytrace=False)
    try:
        yield {**data, "dir": root.resolve()}
    finally:
        core.down(root)


def _leader(lab: dict[str, Any]) -> str:
    from failover.config import load_config
    from failover.matrix import ClusterView

    view = ClusterView(load_config(lab["dir"] / "failover.yaml"))
    for _ in range(300):
        node = view.leader()
        if node:
            return node
        time.sleep(0.1)
    pytest.fail("no cluster leader within 30s of the lab's start")


def test_matrix_rows_for_the_leaders_vendor_and_aws(watched_lab: dict[str, Any],
                                                     tmp_path: Path) -> None:
    _leader(watched_lab)  # the cluster has elected one
    # 'leader' picks the vendor when its row starts: under load leadership may change
    # between this test's look and the row
    done = subprocess.run(
        [sys.executable, "-m", "cli.app", "-c", str(watched_lab["dir"] / "failover.yaml"),
         "drill", "--matrix", "--lab", str(watched_lab["dir"]), "--only", "leader",
         "--only", "aws", "--only", "cut-etcd:leader", "--report", str(tmp_path / "report"),
         "--format", "json"],
        capture_output=True, text=True, timeout=600, env={**os.environ, "CI": "true"},
        stdin=subprocess.DEVNULL)
    assert done.returncode in (0, 2), done.stderr
    report = json.loads(done.stdout)
    assert [r["chosen"] for r in report["rows"]] == ["leader", None, "leader"]
    killed_leader, aws, cut = report["rows"]
    for r in report["rows"][:2]:
        assert r["survived"], (r["name"], r["notes"])
        assert r["clean"], (r["name"], r["notes"])
        assert r["authority"] is not None and r["resolver"] is not None
    assert aws["kill"] == ["aws"]
    assert aws["moved"] and aws["mover"] and aws["mover"] != "watcher-aws"
    leader_vendor = killed_leader["kill"][0]
    assert killed_leader["leader_before"] == f"watcher-{leader_vendor}"
    assert killed_leader["name"] == f"{leader_vendor} (leader)"
    if killed_leader["moved"]:  # the leader's own vendor hosted what was served
        assert killed_leader["mover"] not in (None, f"watcher-{leader_vendor}")
    # the leader cut off etcd: another node leads, no one else acts as leader, nothing
    # moved, no split DNS, and the lab is clean after the heal
    assert cut["cut"] == "etcd" and cut["name"] == f"cut-etcd:{cut['kill'][0]} (leader)"
    assert cut["within"] and cut["clean"], cut["notes"]
    assert cut["one_leader"] and cut["split"] is False and not cut["moved"]
    assert cut["takeover"] is not None and cut["mover"] is None
    assert {p.name for p in (tmp_path / "report").iterdir()} == \
        {"matrix.md", "matrix.json", "matrix.svg"}
