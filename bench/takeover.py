"""Leader takeover: from the dead leader's lease expiring until a new leader acts.

``python -m bench.takeover [--runs N]`` starts a three-member etcd (Debian's etcd, on
loopback), two BIND servers and two hostings (the coordination tests' world,
``tests/integration/clusterworld.py``: interval 1 s, lease ttl 3 s), and two (or, with
``--watchers 3``, three) ``failover watch --auto-move`` processes. Each run kills the
leading watcher (SIGKILL) and watches etcd itself (``/v3/watch``) for:

- **expired**: the ``leader`` key deleted (etcd ends the dead process's lease);
- **led**: the ``leader`` key written again, by another watcher;
- **acted**: that leader's first write of the cluster's verdicts (``cluster``), the first
  thing a leader does in a cycle it leads.

It prints expired -> led and expired -> acted for each run, and their median and
maximum. The seconds from the kill to expiry are the lease (ttl plus etcd's half-second
expiry check), which no follower can shorten. Timestamps are this process's, taken as
etcd streams each change. Not part of ``python -m bench all``: it is the measurement of
one coordination change, run by hand.
"""

from __future__ import annotations

import argparse
import base64
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from failover.coord.etcdclient import EtcdClient
from failover.errors import EtcdUnavailable
from lab import etcd as lab_etcd

PREFIX = "/failover/example.test./"
NODES = {"w-aws": "aws", "w-gcp": "gcp", "w-metal": "metal"}


class Seen:
    """Each change of one key, with the time it streamed in, from a background watch."""

    def __init__(self, client: EtcdClient, key: str) -> None:
        self.events: list[tuple[float, str, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(client, key), daemon=True)
        self._thread.start()

    def _run(self, client: EtcdClient, key: str) -> None:
        answer = client.call("kv/range", {"key": base64.b64encode(key.encode()).decode()})
        revision = int(answer["header"]["revision"]) + 1
        while not self._stop.is_set():
            try:
                for e in client.watch(key, start_revision=revision, seconds=5):
                    self.events.append((time.time(), e.type, e.revision))
                    revision = e.revision + 1
            except EtcdUnavailable:
                time.sleep(0.2)

    def first(self, kind: str, after: float, timeout: float = 60) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, type_, _rev in list(self.events):
                if type_ == kind and at >= after:
                    return at
            time.sleep(0.01)
        raise SystemExit(f"takeover: no {kind} of the key within {timeout:.0f} s")

    def stop(self) -> None:
        self._stop.set()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.takeover",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--watchers", type=int, choices=(2, 3), default=2,
                        help="2: the leader and one follower, whose own wait is the takeover "
                        "(the default); 3: the first of two followers to wake")
    args = parser.parse_args(argv)
    nodes = dict(list(NODES.items())[:args.watchers])
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.integration.clusterworld import World

    root = Path(tempfile.mkdtemp(prefix="takeover-"))
    os.environ["FAILOVER_LOCK_DIR"] = str(root / "zone-locks")
    etcd = lab_etcd.start_cluster(root / "etcd", list(NODES.values()))
    world = World(root, etcd)
    client = EtcdClient(etcd.endpoints, timeout=5)
    leader_seen = Seen(client, PREFIX + "leader")
    acted_seen = Seen(client, PREFIX + "cluster")
    led, acted = [], []
    try:
        procs = {n: world.watcher(world.config(n, v), root / f"{n}.log")
                 for n, v in nodes.items()}
        for run in range(args.runs):
            deadline = time.monotonic() + 60
            while not (client.get(PREFIX + "leader")
                       and len(client.get_prefix(PREFIX + "views/")) == len(nodes)):
                if time.monotonic() > deadline:
                    raise SystemExit("takeover: the watchers never settled")
                time.sleep(0.1)
            time.sleep(1.5)   # a few quiet cycles
            leader = client.get(PREFIX + "leader")
            assert leader is not None
            node = leader.json()["node"]
            killed = time.time()
            os.kill(procs[node].pid, signal.SIGKILL)
            procs[node].wait()
            expired = leader_seen.first("DELETE", killed)
            new = leader_seen.first("PUT", expired)
            first = acted_seen.first("PUT", new)
            led.append(new - expired)
            acted.append(first - expired)
            print(f"run {run + 1}: killed {node}; lease expired {expired - killed:.2f} s after "
                  f"the kill; expired -> led {new - expired:.3f} s, expired -> acted "
                  f"{first - expired:.3f} s", flush=True)
            procs[node] = world.watcher(world.config(node, NODES[node]), root / f"{node}.log")
        print(f"{args.runs} runs, {args.watchers} watchers: expired -> led median "
              f"{statistics.median(led):.3f} s, max {max(led):.3f} s; expired -> acted "
              f"median {statistics.median(acted):.3f} s, max {max(acted):.3f} s; "
              f"load average {os.getloadavg()[0]:.1f}")
    finally:
        leader_seen.stop()
        acted_seen.stop()
        world.close()
        etcd.down()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
