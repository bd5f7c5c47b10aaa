"""The coordination interface: the one thing the engine and the watcher see.

Two backends implement it: :mod:`failover.coord.local` (one machine: a flock
and a pin file keyed by the zone, the SQLite journal as the store) and
:mod:`failover.coord.etcd` (watchers on several vendors: a leader lease, a
cluster lock, fenced shared state and vantage points in etcd).

What they share:

- ``snapshot()``: the shared state one watch cycle reads, read once and
  immutable (Patroni's ``Cluster`` from ``load_cluster_from_dcs()``): the
  leader, this node's lead epoch, the pin, terminated vendors, the vantage
  points' views, the cluster's last verdicts;
- ``lock()``: the zone's move lock, held from planning to the end of
  verification; a second mover gets :class:`LockHeld` naming the holder;
- ``guard()``: called before each DNS provider write; raises when the lock
  (or, for the leader, its lease) was lost since it was taken, else gives the
  write its fencing token (:class:`WriteLease`);
- ``store``: where moves are recorded and read back (the journal's verbs);
- terminated vendors and the operator's pin;
- a watcher's verbs (``publish_view``, ``campaign``, ``save_cluster_state``,
  ``adopt_unfinished``, ``publish_sentence``): the local backend is the only
  node, so it always leads and has nothing to publish.

Every failure of the store is a :class:`~failover.errors.CoordinationError`;
one that means "the store cannot be asked" (fail-static) is a
:class:`~failover.errors.CoordinationUnavailable`.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

from failover.coord.quorum import View
from failover.errors import LockLost as LockLost  # re-exported: its old home
from failover.journal import MoveRow, StepRow
from failover.verdict import Verdict


@dataclass(frozen=True)
class Holder:
    """Who holds a lock or set a pin: enough for a person to find them."""

    node: str
    pid: int
    host: str
    since: float
    command: str

    @classmethod
    def me(cls, node: str, command: str | None = None) -> Holder:
        return cls(node, os.getpid(), socket.gethostname(), time.time(),
                   command or " ".join(["failover", *sys.argv[1:]]))

    def describe(self) -> str:
        from failover.clock import stamp

        return (f"{self.node} (pid {self.pid}, host {self.host}, since {stamp(self.since)}, "
                f"{self.command})")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Holder:
        return cls(str(data.get("node", "?")), int(data.get("pid", 0)),
                   str(data.get("host", "?")), float(data.get("since", 0.0)),
                   str(data.get("command", "?")))


# A pin's kinds: a person's move or rollback (it expires), or 'failover pause'.
PIN_MOVE = "move"
PIN_PAUSE = "pause"


def utc_stamp(at: float) -> str:
    """A moment for people, with its zone: '2026-12-07 21:40 UTC'."""
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(at))


def span(seconds: float) -> str:
    """'42 s', '29 min', '3 h 5 min': how long, for people."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


@dataclass(frozen=True)
class Pin:
    """The operator's decision: watchers move nothing while it stands.

    A pin never strands users: a manual move's pin expires (``until``, from
    ``pins.move_expires``); a ``pause`` pin lasts until ``failover resume`` (or its
    ``--for``); and a watcher yields a pin whose served hosting is DOWN or TERMINATED
    unless ``pins.strict`` (see :mod:`failover.watch`).
    """

    holder: Holder
    reason: str                 # "move 12 (failover move --off aws)" or "paused"
    move_id: int | None = None
    kind: str = PIN_MOVE        # PIN_MOVE | PIN_PAUSE
    until: float | None = None  # when it stops holding (epoch seconds); None: until resume
    # Set only on a pin read from this node's cache because etcd could not be asked:
    # when it was last read from etcd.
    last_known: float | None = None

    def expired(self, now: float | None = None) -> bool:
        return self.until is not None and (time.time() if now is None else now) >= self.until

    def expiry(self, now: float | None = None) -> str:
        """Until when it holds, for people: "until 2026-12-07 22:10 UTC (in 29 min) or
        'failover resume'", or "until 'failover resume'"."""
        if self.until is None:
            return "until 'failover resume'"
        now = time.time() if now is None else now
        if now >= self.until:
            return (f"expired at {utc_stamp(self.until)} ({span(now - self.until)} ago); the "
                    "next cycle clears it")
        return (f"until {utc_stamp(self.until)} (in {span(self.until - now)}) or "
                "'failover resume'")

    def sentence(self, now: float | None = None) -> str:
        known = ""
        if self.last_known is not None:
            now_ = time.time() if now is None else now
            known = (f" (last known: etcd cannot be asked; read {span(now_ - self.last_known)} "
                     "ago)")
        return (f"pinned by {self.holder.describe()}: {self.reason}; watchers move nothing "
                f"{self.expiry(now)}{known}")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"holder": self.holder.to_json(), "reason": self.reason,
                               "move_id": self.move_id, "kind": self.kind, "until": self.until}
        if self.last_known is not None:
            out["last_known"] = self.last_known
            out["age"] = round(time.time() - self.last_known, 1)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Pin:
        move_id = data.get("move_id")
        until = data.get("until")
        kind = str(data.get("kind", PIN_MOVE))
        return cls(Holder.from_json(data.get("holder", {})), str(data.get("reason", "")),
                   int(move_id) if move_id is not None else None,
                   kind if kind in (PIN_MOVE, PIN_PAUSE) else PIN_MOVE,
                   float(until) if until is not None else None)

    def same(self, other: Pin | None) -> bool:
        """The same decision (one person's one pin), whatever cache it was read from."""
        return other is not None and (self.holder, self.reason, self.move_id, self.until) \
            == (other.holder, other.reason, other.move_id, other.until)


@dataclass(frozen=True)
class WriteLease:
    """What a DNS write may carry while this process holds the lock: its fencing token
    (an etcd revision, which only grows) and the monotonic time after which no write may
    start (the lease could run out before it lands)."""

    epoch: int
    deadline: float


@dataclass(frozen=True)
class Leader:
    """The watcher that may move automatically, as the leader key names it."""

    holder: Holder
    revision: int    # the leader key's create revision: the lead's epoch, which fences it

    @property
    def node(self) -> str:
        return self.holder.node


@dataclass(frozen=True)
class Snapshot:
    """The shared state as one cycle sees it, read once (Patroni's ``Cluster``): the
    cycle's decisions read this, not the store. Immutable; each cycle takes its own.

    The local backend fills ``pin`` and ``terminated`` only: it has no leader, no views.
    """

    pin: Pin | None = None
    # vendor -> (since, reason): vendors judged TERMINATED, evacuated until reinstated.
    terminated: Mapping[str, tuple[float, str]] = field(default_factory=dict)
    # The leader key's holder; None when nobody holds it, and for the local backend,
    # which has no leader key (its one node always wins its campaign).
    leader: Leader | None = None
    # This node's lead epoch as its last campaign found it (the leader key's create
    # revision); None while it follows, and for the local backend.
    fence: int | None = None
    took_over_from: str | None = None     # whom this node's last campaign took the lead from
    views: tuple[View, ...] = ()          # the live vantage points, each with its cycle time
    # The cluster's last verdict per hosting with its since and up streak (the leader's).
    cluster_state: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Read-only all the way down, so no decision can change what the next one reads.
        object.__setattr__(self, "terminated", MappingProxyType(dict(self.terminated)))
        object.__setattr__(self, "cluster_state", MappingProxyType(
            {h: MappingProxyType(dict(s)) for h, s in self.cluster_state.items()}))
        object.__setattr__(self, "views", tuple(self.views))


class MoveStore(Protocol):
    """Where a move is recorded as it happens, and read back by status, history, rollback.

    The local journal is one; the etcd store writes the local journal and the shared
    record together.

    Each step of :meth:`begin_move` is a dict with provider, vendor, state, tolerated,
    error, and before, desired and changes: each either JSON text (what a bulk move
    passes, so it never holds a dict per record) or the JSON-able list itself.
    """

    def begin_move(self, *, kind: str, at: float, reason: str, args: dict[str, Any],
                   checksum: str, steps: Sequence[dict[str, Any]],
                   rollback_of: int | None = None) -> int: ...

    def step_state(self, move_id: int, provider: str, state: str, *, at: float,
                   error: str | None = None) -> None: ...

    def move_state(self, move_id: int, state: str, *, at: float | None = None,
                   summary: str | None = None) -> None: ...

    def record_verification(self, move_id: int, provider: str, authority: str, ok: bool,
                            seconds: float, detail: str, at: float) -> None: ...

    def moves(self, limit: int = 20) -> list[MoveRow]: ...

    def move(self, move_id: int) -> MoveRow | None: ...

    def steps(self, move_id: int) -> list[StepRow]: ...

    def verifications(self, move_id: int) -> list[dict[str, Any]]: ...

    def rolled_back(self, move_id: int) -> bool: ...


def newest_not_rolled_back(store: MoveStore, kind: str) -> MoveRow | None:
    """The newest move of ``kind`` ("move", "delegation") that no rollback has undone,
    among the last 1,000; None when there is none."""
    for row in store.moves(limit=1000):
        if row.kind == kind and not store.rolled_back(row.id):
            return row
    return None


class Coordinator(ABC):
    """One zone's coordination: snapshot, lock, guard, store, terminated vendors, pin, and
    a watcher's verbs."""

    kind: str = "local"
    node: str = "local"
    where: str = ""            # the store, for people: a journal path or etcd endpoints
    took_over_from: str | None = None   # set by a campaign that took the lead from another

    @property
    def clustered(self) -> bool:
        return False

    @abstractmethod
    def snapshot(self) -> Snapshot:
        """The shared state for one cycle, read at once (one etcd transaction)."""

    @abstractmethod
    def lock(self, command: str | None = None, *, auto: bool = False,
             break_glass: bool = False) -> AbstractContextManager[Any]:
        """Hold the zone's move lock for the block, or raise LockHeld naming the holder.

        ``auto``: a watcher's move, which needs leadership as well; ``break_glass``: a
        person acting while the cluster cannot be asked (local lock only)."""

    def guard(self) -> WriteLease | None:
        """Raise LockLost when the lock taken by :meth:`lock` is no longer ours; else the
        fencing token the next DNS write carries (None: nothing to fence with, as for a
        local flock, which cannot be lost while its holder lives)."""
        return None

    def heartbeat(self) -> None:
        """While a move verifies: renew what a lock holder must renew (nothing, locally)."""
        return None

    def renew(self) -> None:
        """A watcher's cycle renews its hold on the cluster first (nothing, locally)."""
        return None

    def lead_lease(self) -> WriteLease | None:
        """The fencing token this node leads with (None: it does not lead, or has no
        epochs, as a local node)."""
        return None

    def wait_until(self) -> float | None:
        """How long a leading watcher's cycle may wait on a DNS provider (a monotonic
        time: its lease, renewed now, less the margin); None: no bound."""
        return None

    @property
    @abstractmethod
    def store(self) -> MoveStore:
        """Where moves are written and read."""

    @abstractmethod
    def terminated_vendors(self) -> dict[str, tuple[float, str]]: ...

    @abstractmethod
    def mark_terminated(self, vendor: str, at: float, reason: str) -> None: ...

    @abstractmethod
    def reinstate(self, vendor: str) -> bool: ...

    @abstractmethod
    def pin(self) -> Pin | None: ...

    @abstractmethod
    def set_pin(self, pin: Pin) -> None: ...

    @abstractmethod
    def clear_pin(self) -> Pin | None: ...

    # -- a watcher's verbs -----------------------------------------------------------

    @abstractmethod
    def publish_view(self, verdicts: Sequence[Verdict], at: float) -> None:
        """Publish this vantage point's verdicts of the cycle at ``at``."""

    @abstractmethod
    def campaign(self) -> str:
        """Try to lead; the leader's node name (ours when we lead)."""

    @abstractmethod
    def views(self) -> list[View]:
        """The live vantage points' views."""

    @abstractmethod
    def cluster_state(self) -> dict[str, Any]:
        """The cluster's last verdicts with their since and up streaks (the leader's)."""

    @abstractmethod
    def save_cluster_state(self, state: dict[str, Any]) -> None:
        """The leader records the cluster's verdicts for the next cycle."""

    @abstractmethod
    def adopt_unfinished(self, at: float) -> list[MoveRow]:
        """As the new leader: moves left half done by a process that lost the lock, now
        recorded as interrupted."""

    @abstractmethod
    def publish_sentence(self, sentence: str, at: float) -> None:
        """Publish this node's last cycle sentence, for 'failover cluster'."""

    # -- readers and the loop -------------------------------------------------------

    def fall_back(self) -> str | None:
        """For readers (status, history): when the shared store cannot be asked, read this
        node's own journal instead. None when the store answers; else the one line that
        says so, for the reader to show before what it read."""
        return None

    def wait(self, stop: threading.Event, seconds: float) -> None:
        """The watch loop's pause between cycles: until ``stop`` is set or ``seconds`` pass
        (the etcd backend also wakes a follower when the leader goes)."""
        stop.wait(max(0.0, seconds))

    def describe(self) -> dict[str, Any]:
        """For 'failover cluster': backend, leader, lock holder, pin, each node's sentence."""
        pin = self.pin()
        return {"backend": self.kind, "where": self.where, "leader": None, "lock": None,
                "pin": pin.sentence() if pin else None, "nodes": []}

    def close(self) -> None:
        """Let go of anything held (a lease, a connection)."""
        return None
