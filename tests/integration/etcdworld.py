"""A node of a clustered config over real etcd, without DNS servers: for the tests of the
shared store itself (the lock, move records, watches), where no provider is written.

``node_config(dir, endpoints, node, vendor)`` writes a config whose ``cluster:`` points at
``endpoints`` (a lab etcd cluster, or a fault proxy in front of one of its members).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from failover.clock import SystemClock
from failover.config import load_config
from failover.config.cluster import Cluster
from failover.coord.etcd import EtcdCoordinator
from failover.journal import Journal

TIMING = {"ttl": "3s", "loop_wait": "1s", "retry_timeout": "1s"}


def node_config(dir: Path, endpoints: list[str], node: str = "w-aws",
                vendor: str = "aws", timing: Mapping[str, object] | None = None) -> Path:
    path = dir / f"{node}.yaml"
    cluster: dict[str, object] = {"endpoints": endpoints, "node": node, "vendor": vendor,
                                  **(timing or TIMING)}
    if "watchers" in Cluster.model_fields:   # the configured vantage points (issue 19)
        cluster["watchers"] = ["w-aws", "w-gcp", "w-metal"]
    path.write_text(f"""
service: s
zone: example.test.
records: [{{name: www, type: A}}]
vendors: {{aws: {{}}, gcp: {{}}, metal: {{}}}}
hosting:
  a: {{vendor: aws, priority: 1, endpoints: {{A: [127.0.0.11]}}}}
  g: {{vendor: gcp, priority: 2, endpoints: {{A: [127.0.0.12]}}}}
dns:
  bind: {{vendor: metal, kind: rfc2136, server: 127.0.0.1, port: 9,
          tsig: {{name: k., secret_env: NONE_NEEDED}}}}
checks: [{{kind: tcp, port: 9, timeout: 300ms}}]
journal: {dir / node / 'journal.sqlite'}
cluster: {json.dumps(cluster)}
""")
    return path


def coordinator(dir: Path, endpoints: list[str], node: str = "w-aws",
                vendor: str = "aws", timing: Mapping[str, object] | None = None) -> EtcdCoordinator:
    config = load_config(node_config(dir, endpoints, node, vendor, timing))
    (dir / node).mkdir(parents=True, exist_ok=True)
    return EtcdCoordinator(config, Journal(dir / node / "journal.sqlite"), SystemClock())
