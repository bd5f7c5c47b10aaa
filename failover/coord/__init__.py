"""Coordination: one interface (:mod:`failover.coord.base`), two backends.

``make_coordinator`` picks the backend from the config: etcd when it has a
``cluster:`` section, the local flock and journal otherwise.
"""

from __future__ import annotations

from failover.clock import Clock
from failover.config import Config
from failover.coord.base import Coordinator
from failover.journal import Journal


def make_coordinator(config: Config, journal: Journal, clock: Clock) -> Coordinator:
    if config.cluster is not None:
        from failover.coord.etcd import EtcdCoordinator

        return EtcdCoordinator(config, journal, clock)
    from failover.coord.local import LocalCoordinator

    return LocalCoordinator(config.zone, journal)
