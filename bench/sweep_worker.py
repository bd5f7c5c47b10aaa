"""failover's probe engine alone, in a process of its own: one sweep over a config's targets.

Run as ``python -m bench.sweep_worker CONFIG``. It loads the
config, builds the targets with ``failover.probes.targets_for`` and probes
them all with ``failover.probes.probe_all`` at the config's concurrency, then
prints one JSON line: probes, successes, failures with their commonest
reasons, the seconds and CPU seconds of the sweep alone, and the process's
resident memory before the sweep and its high-water mark after it.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

from bench.procs import status_kib
from failover.config import StaticEndpoints, load_config
from failover.probes import probe_all, targets_for


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path)
    args = parser.parse_args()
    config = load_config(args.config)
    endpoints = {name: {t: h.endpoints.values(t) for t in ("A", "AAAA", "CNAME")}
                 for name, h in config.hosting.items()
                 if isinstance(h.endpoints, StaticEndpoints)}
    targets = targets_for(config, endpoints)
    rss_before = status_kib("self", "VmRSS")
    cpu0, t0 = time.process_time(), time.perf_counter()
    results = probe_all(targets, concurrency=config.concurrency)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    reasons = Counter(r.reason for r in results if not r.ok)
    print(json.dumps({"probes": len(results), "ok": sum(r.ok for r in results),
                      "failed": sum(not r.ok for r in results),
                      "reasons": dict(reasons.most_common(5)), "seconds": seconds, "cpu": cpu,
                      "rss_before_kib": rss_before, "hwm_kib": status_kib("self", "VmHWM")}))


if __name__ == "__main__":
    main()
