"""What one check is: the report it returns, and the probe seam it runs targets through.

:meth:`Engine.check <failover.engine.Engine.check>` probes every hosting through a
:class:`Probe`: the real probes (:func:`failover.probes.probe_all`) unless the engine
is given another, so a test or a drill's stand-in world chooses what the probes see
without subclassing the engine (httpx's ``MockTransport``).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, Protocol

from failover.clock import Clock
from failover.control.base import ControlResult
from failover.health import Verdict
from failover.probes.base import ProbeResult, Target
from failover.saas.probe import ProviderState


class Probe(Protocol):
    """Runs every target once; one result per target (the shape of ``probe_all``)."""

    def __call__(self, targets: Sequence[Target], *, concurrency: int,
                 clock: Clock | None = None) -> list[ProbeResult]: ...


class PoolFactory(Protocol):
    """Makes the thread pool the engine runs concurrent work on (control planes beside
    the probes, provider reads beside checks, write proofs): ``ThreadPoolExecutor`` by
    default."""

    def __call__(self, max_workers: int | None = None,
                 thread_name_prefix: str = "") -> Executor: ...


def real_probe(targets: Sequence[Target], *, concurrency: int,
               clock: Clock | None = None) -> list[ProbeResult]:
    """The real probes over the network (imported when first used: they are heavy)."""
    from failover.probes import probe_all

    return probe_all(targets, concurrency=concurrency, clock=clock)


@dataclass
class CheckReport:
    at: float
    verdicts: list[Verdict]
    results: list[ProbeResult]
    exit_code: int
    seconds: float
    controls: dict[str, ControlResult] = field(default_factory=dict)   # by vendor
    terminated: dict[str, tuple[float, str]] = field(default_factory=dict)
    # (dependency, provider) -> its state, when saas: is configured
    saas: dict[tuple[str, str], ProviderState] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"at": self.at, "exit_code": self.exit_code, "seconds": round(self.seconds, 3),
                "hostings": [v.to_json() for v in self.verdicts],
                "vendors": {name: c.to_json() for name, c in sorted(self.controls.items())},
                "terminated": {v: {"since": since, "reason": why}
                               for v, (since, why) in sorted(self.terminated.items())}}
