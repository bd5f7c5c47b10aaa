"""What the engine, the watcher and the drill tell the world, as typed events; and the sinks
that hear them.

The deciders (:mod:`failover.engine`, :mod:`failover.watch`, :mod:`failover.drill`) emit
one frozen event when something worth telling happens, to the :class:`Sink` they were
given, and know nothing of who listens. The subscribers (the notices in
:mod:`failover.notify`, the status page in :mod:`failover.reports.publish`) turn events
into what they send; the CLI wires them (octoDNS's plan outputs are the model: one plan,
several consumers it never names).

- :class:`VendorTerminated`: a check marked a vendor TERMINATED for the first time;
- :class:`Moved`: a move or rollback ended (journaled), with what every DNS provider
  serves after it, from the reads the plan made and what the move wrote;
- :class:`CycleEnded`: a watch or reconcile cycle ended, with its sentence;
- :class:`DrillEnded`: a drill ended.

Events only carry data: a subscriber never calls back into whoever emitted them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from failover.records import RRKey, RRSet

if TYPE_CHECKING:
    from failover.move import MoveResult
    from failover.plan import Plan

# Per DNS provider: its RRsets for the managed records, or None and why it could not be read.
Served = Mapping[str, tuple[dict[RRKey, RRSet] | None, str | None]]


@dataclass(frozen=True)
class VendorTerminated:
    """A vendor newly judged TERMINATED (from its hostings' verdicts, or a SaaS account)."""

    vendor: str
    hostings: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class Moved:
    """A move or rollback that ran: the plan it applied, its result (already journaled),
    and what each DNS provider serves after it (so that nobody has to read them again)."""

    plan: Plan
    result: MoveResult
    served: Served


@dataclass(frozen=True)
class CycleEnded:
    """A reconcile cycle's outcome, as journaled (see :class:`failover.watch.CycleResult`)."""

    at: float
    sentence: str
    # none | keep | would-move | pinned | stranded | moved | refused | busy | follower |
    # fail-static | error
    action: str
    checksum: str | None
    clustered: bool              # the watcher coordinates through etcd
    served: Served | None        # what the cycle read from the DNS providers, if it read them


@dataclass(frozen=True)
class DrillEnded:
    """A drill that ran to its end (its summary is journaled, kind ``drill``)."""

    vendor: str
    outcome: str                 # passed | failed | planned | declined
    sentence: str
    failed: tuple[str, ...]      # the labels of the phases that failed
    errors: tuple[str, ...]
    served: Served | None        # what the DNS providers served when it ended, if read


Event = VendorTerminated | Moved | CycleEnded | DrillEnded


class Sink(Protocol):
    def emit(self, event: Event) -> None:
        """Hear one event; never raise into the emitter, never block it for long."""


@runtime_checkable
class Draining(Protocol):
    """A sink that works in the background and can be waited for before the process ends."""

    def drain(self, timeout: float | None = None) -> None:
        """Wait for the work under way, bounded."""


class NullSink:
    """Hears everything, tells nobody."""

    def emit(self, event: Event) -> None:
        """Nothing to do."""


class Sinks:
    """Fans each event out to every sink added, in the order they were added."""

    def __init__(self, *sinks: Sink) -> None:
        self._sinks: list[Sink] = list(sinks)

    def add(self, sink: Sink) -> None:
        self._sinks.append(sink)

    def emit(self, event: Event) -> None:
        for sink in self._sinks:
            sink.emit(event)

    def drain(self, timeout: float | None = None) -> None:
        """Wait for every sink that works in the background (each bounded by ``timeout``)."""
        for sink in self._sinks:
            if isinstance(sink, Draining):
                sink.drain(timeout)
