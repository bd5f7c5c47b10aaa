"""``failover cluster fence`` against the lab's real DNS providers (BIND, Route 53 in
moto): it shows the fence each provider holds, exits 1 while they disagree or hold
none, and ``--reset --yes`` deletes it everywhere (the way out after etcd was rebuilt
and its revisions start again below the fence)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from failover.config import load_config
from failover.dns.fence import Fence
from failover.engine import Engine

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def fence_cli(lab: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cli.app", "--config",
                           str(Path(lab["dir"]) / "failover.yaml"), "cluster", "fence", *args],
                          capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={"PATH": "/usr/bin:/bin", "CI": "true", "COLUMNS": "80",
                               "PYTHONPATH": str(ROOT), "HOME": str(lab["dir"])})


def test_fence_shows_each_provider_and_reset_deletes_it(lab: dict[str, Any]) -> None:
    shown = fence_cli(lab, "--format", "json")
    assert shown.returncode == 1, shown.stdout + shown.stderr      # no fence anywhere yet
    assert {f["epoch"] for f in json.loads(shown.stdout)["fences"]} == {None}
    engine = Engine(load_config(Path(lab["dir"]) / "failover.yaml"))
    try:
        for name in engine.config.dns:
            engine.provider(name).advance_fence(Fence(812))
    finally:
        engine.close()
    table = fence_cli(lab)
    assert table.returncode == 0, table.stdout + table.stderr
    assert table.stdout.count("epoch 812") == len(engine.config.dns), table.stdout
    refused = subprocess.run([sys.executable, "-m", "cli.app", "--config",
                              str(Path(lab["dir"]) / "failover.yaml"), "cluster", "fence",
                              "--reset"], capture_output=True, text=True, timeout=120,
                             cwd=ROOT, stdin=subprocess.DEVNULL)
    assert refused.returncode == 4 and "pass --yes" in refused.stderr, refused.stderr
    reset = fence_cli(lab, "--reset", "--yes")
    assert reset.returncode == 0, reset.stdout + reset.stderr
    assert reset.stdout.count("fence deleted") == len(engine.config.dns)
    after = json.loads(fence_cli(lab, "--format", "json").stdout)
    assert {f["epoch"] for f in after["fences"]} == {None}
