"""The etcd coordinator: watchers on several vendors, one leader, fenced shared state.

This module holds what makes one process act for the cluster: its lease (the
session), the leader key it campaigns for, the cluster lock it takes to move,
and the fence their revisions make. What the watchers share (the pin,
terminated vendors, views, sentences, the history of moves) and the key
layout live in :mod:`failover.coord.etcdstore`.

Fencing: every write made while moving is a transaction that compares the lock
key's create revision with the one this process got (and, for a watcher, the
leader key's), so a process that lost its lease (frozen, cut off) can no
longer record anything; before each DNS provider write, :meth:`guard` checks
the same in etcd and that the lease has not run out by our own clock.

One lease per process (the session). A watcher renews it from its loop (each
cycle, before each DNS write, while verifying), so a stuck loop loses the lead;
a person's command keeps it alive by a thread while the person reads the plan.
When it cannot be renewed in time the process stops writing before the lease
runs out by its own clock (as Patroni demotes itself), and each DNS write
carries the lock's revision as a fencing token (:mod:`failover.dns.fence`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from failover.clock import Clock
from failover.config import Config
from failover.config.secretfile import SecretFileError, read_secret_file
from failover.coord.base import Coordinator, Holder, MoveStore, Pin, Snapshot, WriteLease
from failover.coord.etcdclient import Compare, EtcdClient, Op
from failover.coord.etcdstore import SharedHistory, SharedState, txn_kvs
from failover.coord.local import lock_dir, zone_key
from failover.coord.lock import MoveLock
from failover.coord.quorum import View
from failover.errors import ConfigError, EtcdUnavailable, LockHeld, LockLost
from failover.journal import Journal, MoveRow
from failover.verdict import Verdict


class Session:
    """This process's lease. ``valid()`` is judged by our own monotonic clock.

    A watcher's lease is renewed by its loop (:meth:`renew`, at each cycle and before
    each DNS write), never by a free-running thread: a loop that is stuck (a hung
    provider, a long write) stops renewing, its lease runs out, and it loses the lead
    and the lock, as Patroni's HA loop does. A person's command keeps its lease alive
    with :meth:`kept_alive` while it waits for the person at the plan's prompt.
    """

    def __init__(self, client: EtcdClient, ttl: int, margin: float) -> None:
        self.client = client
        self.ttl = ttl
        # How long before the lease runs out by our clock we stop starting writes: an
        # etcd request's timeout, so a renewal that failed is seen before the deadline.
        self.margin = min(margin, ttl / 2)
        self.lease: int | None = None
        self._valid_until = 0.0
        self._mutex = threading.Lock()
        self._keepers = 0
        self._stop = threading.Event()

    def ensure(self) -> int:
        """The live lease, granted anew when there is none or it ran out."""
        with self._mutex:
            if self.lease is not None and self.valid():
                return self.lease
            return self._grant()

    def _grant(self) -> int:
        sent = time.monotonic()
        self.lease = self.client.grant(self.ttl)
        self._valid_until = sent + self.ttl
        return self.lease

    def renew(self) -> int:
        """Renew the lease now (a new one when it ran out); raises EtcdUnavailable when etcd
        cannot be asked, and the lease then runs out on its own."""
        with self._mutex:
            lease = self.lease
            if lease is None or not self.valid():
                return self._grant()
            sent = time.monotonic()
            left = self.client.keepalive(lease)
            if self.lease != lease:
                return self.lease if self.lease is not None else self._grant()
            if left <= 0:   # it expired while we were away: whatever it held is gone
                self.lease, self._valid_until = None, 0.0
                return self._grant()
            self._valid_until = sent + left
            return lease

    def valid(self, margin: float = 0.0) -> bool:
        return self.lease is not None and time.monotonic() + margin < self._valid_until

    def deadline(self) -> float:
        """The monotonic time after which this process starts no DNS write."""
        return self._valid_until - self.margin

    @contextmanager
    def kept_alive(self) -> Iterator[None]:
        """Renew every third of ttl for the block (a person reading a plan)."""
        with self._mutex:
            self._keepers += 1
            first = self._keepers == 1
            if first:
                self._stop.clear()
        thread = None
        if first:
            thread = threading.Thread(target=self._keepalive, daemon=True,
                                      name="etcd-keepalive")
            thread.start()
        try:
            yield
        finally:
            with self._mutex:
                self._keepers -= 1
                if self._keepers == 0:
                    self._stop.set()

    def _keepalive(self) -> None:
        while not self._stop.wait(max(0.2, self.ttl / 3)):
            with contextlib.suppress(Exception):   # unreachable: valid() says so in time
                self.renew()

    def close(self) -> None:
        self._stop.set()
        lease, self.lease = self.lease, None
        if lease is not None:
            with contextlib.suppress(EtcdUnavailable):
                self.client.revoke(lease)


class EtcdCoordinator(Coordinator):
    kind = "etcd"

    def __init__(self, config: Config, journal: Journal, clock: Clock) -> None:
        cluster = config.cluster
        assert cluster is not None
        self.config = config
        self.cluster = cluster
        self.journal = journal
        self.clock = clock
        self.node = cluster.node
        self.where = f"etcd {', '.join(cluster.endpoints)} (this node's journal: {journal.path})"
        tls = cluster.tls
        self.client = EtcdClient(
            cluster.endpoints, timeout=cluster.retry_timeout,
            ca_file=str(config.resolve_path(tls.ca_file)) if tls else None,
            cert_file=str(config.resolve_path(tls.cert_file)) if tls and tls.cert_file else None,
            key_file=str(config.resolve_path(tls.key_file)) if tls and tls.key_file else None,
            username=cluster.username, password=self._password())
        self.session = Session(self.client, max(1, round(cluster.ttl)), cluster.retry_timeout)
        self.shared = SharedState(self.client, f"{cluster.prefix.rstrip('/')}/{config.zone}/",
                                  self)
        self._lock_rev: int | None = None
        self._leader_rev: int | None = None
        self._auto = False
        self._break_glass = False
        self._history = SharedHistory(self.shared, journal, self, vendor=cluster.vendor,
                                      history_keep=cluster.history_keep,
                                      pin_expires=config.pins.move_expires)
        self._offline = False    # a reader fell back to this node's journal
        self._vacancy_from: int | None = None   # the revision a follower watches from
        self.followed: str | None = None          # the leader seen by the last campaign
        self.took_over_from: str | None = None    # set by the campaign that took the lead

    def _password(self) -> str | None:
        c = self.cluster
        if c.password_env:
            value = os.environ.get(c.password_env)
            if value is None:
                raise ConfigError(f"cluster.password_env: ${c.password_env} is not set")
            return value
        if c.password_file:
            path = self.config.resolve_path(c.password_file)
            try:   # bounded, one line
                return read_secret_file(path)
            except SecretFileError as exc:
                raise ConfigError(f"cluster.password_file: {exc}") from None
        return None

    def key(self, name: str) -> str:
        return self.shared.key(name)

    @property
    def clustered(self) -> bool:
        return True

    def snapshot(self) -> Snapshot:
        return self.shared.snapshot(fence=self._leader_rev, took_over_from=self.took_over_from)

    # -- the fence (what the shared store asks) ------------------------------------------

    @property
    def holds_lock(self) -> bool:
        return self._lock_rev is not None

    def lock_fence(self) -> list[dict[str, Any]]:
        if self._lock_rev is None:
            raise LockLost("this process does not hold the cluster lock")
        fence = [Compare.create_revision(self.key("lock"), self._lock_rev)]
        if self._auto:
            fence.append(self.lead_fence())
        return fence

    def lead_fence(self) -> dict[str, Any]:
        return Compare.create_revision(self.key("leader"), self._leader_rev or -1)

    # -- the lock --------------------------------------------------------------------------

    @contextmanager
    def _cluster_lock(self, command: str | None, auto: bool) -> Iterator[None]:
        lease = self.session.ensure()
        holder = Holder.me(self.node, command)
        # Ours alone: a txn retried after its answer was lost finds the lock it took.
        token = uuid.uuid4().hex
        compares = [Compare.create_revision(self.key("lock"), 0)]
        if auto:
            compares.append(self.lead_fence())
        ok, answer = self.client.txn(
            compares, [Op.put(self.key("lock"), json.dumps({**holder.to_json(),
                                                            "token": token}), lease)],
            [Op.get(self.key("lock"))])
        if ok:
            self._lock_rev = int(answer["header"]["revision"])
        else:
            held = txn_kvs(answer)
            if not held:
                raise LockHeld("not the leader any more: another watcher leads; "
                               "it decides the next move")
            if held[0].json().get("token") != token:
                raise LockHeld(f"another move is running: held by "
                               f"{Holder.from_json(held[0].json()).describe()}; wait for it "
                               "to finish, or see 'failover cluster'")
            self._lock_rev = held[0].create_revision
        self._auto = auto
        try:
            yield
        finally:
            rev, self._lock_rev, self._auto = self._lock_rev, None, False
            with contextlib.suppress(EtcdUnavailable):   # else the lock goes with our lease
                self.client.txn([Compare.create_revision(self.key("lock"), rev)],
                                [Op.delete(self.key("lock"))])

    @contextmanager
    def _glass(self, command: str | None) -> Iterator[None]:
        # Still one mover per zone on this machine; the cluster is not asked.
        with MoveLock(lock_dir() / f"{zone_key(self.config.zone)}.lock", command):
            self._break_glass = True
            try:
                yield
            finally:
                self._break_glass = False
        self.sync()

    def lock(self, command: str | None = None, *, auto: bool = False,
             break_glass: bool = False) -> Any:
        if break_glass:
            return self._glass(command)
        if auto:   # a watcher: its loop renews the lease (guard, heartbeat)
            return self._cluster_lock(command, auto)
        return self._person_lock(command)

    @contextmanager
    def _person_lock(self, command: str | None) -> Iterator[None]:
        # A person may read the plan for minutes: a thread keeps the lease meanwhile.
        with self.session.kept_alive(), self._cluster_lock(command, False):
            yield

    def guard(self) -> WriteLease | None:
        """Renew the lease, confirm the lock (and, for a watcher, the lead) in etcd, and
        give the write its fencing token: the lock's create revision, with the deadline
        after which no DNS write may start (``margin`` before the lease runs out by our
        own clock). Raises LockLost instead when any of it fails."""
        if self._break_glass:
            return None
        with contextlib.suppress(EtcdUnavailable):   # judged by valid() just below
            self.session.renew()
        if not self.session.valid(self.session.margin):
            raise LockLost("this node could not renew its etcd lease in time (stuck, frozen "
                           "or cut off): it starts no DNS write, which could land after "
                           "another node took over")
        try:
            ok, _ = self.client.txn(self.lock_fence(), [])
        except EtcdUnavailable as exc:
            raise LockLost(f"cannot confirm the cluster lock ({exc})") from None
        if not ok or self._lock_rev is None:
            raise LockLost("lost the cluster lock to another node: this node writes nothing "
                           "more")
        return WriteLease(self._lock_rev, self.session.deadline())

    def heartbeat(self) -> None:
        """Renew the lease while a move verifies (best effort: when it fails, the lease
        runs out, and what is recorded after is fenced)."""
        if self._break_glass or self._lock_rev is None:
            return
        with contextlib.suppress(EtcdUnavailable):
            self.session.renew()

    def renew(self) -> None:
        """A watcher's cycle renews its lease first (raises CoordinationUnavailable when
        etcd cannot be asked: the cycle is fail-static)."""
        self.session.renew()

    def wait_until(self) -> float | None:
        """While this node leads as a watcher: renew the lease (a progress point of the
        loop) and bound the cycle's waits on DNS providers by it, so that a provider that
        drops our packets cannot make the leader's cycle outlive its lease."""
        if self._leader_rev is None:
            return None
        with contextlib.suppress(EtcdUnavailable):
            self.session.renew()
        return self.session.deadline() if self.session.valid() else time.monotonic()

    def lead_lease(self) -> WriteLease | None:
        """While this node leads and its lease is valid beyond the margin: its lead epoch
        (the leader key's create revision) as a fencing token, with the deadline."""
        if self._leader_rev is None or not self.session.valid(self.session.margin):
            return None
        return WriteLease(self._leader_rev, self.session.deadline())

    # -- the store -------------------------------------------------------------

    @property
    def store(self) -> MoveStore:
        if self._break_glass or self._offline:
            return self.journal
        return self._history

    def fall_back(self) -> str | None:
        try:
            self.client.get(self.key("seq"))
            return None
        except EtcdUnavailable:
            self._offline = True
            self.where = str(self.journal.path)
            return (f"the cluster cannot be reached (etcd {', '.join(self.cluster.endpoints)} "
                    f"did not answer): what follows is this node's own journal "
                    f"({self.journal.path}), not the shared history")

    def sync(self) -> list[int]:
        """Copy break-glass moves made here into the shared history; best effort."""
        try:
            return self._history.sync_break_glass()
        except EtcdUnavailable:
            return []

    # -- vendors and the pin -------------------------------------------------------

    def terminated_vendors(self) -> dict[str, tuple[float, str]]:
        if self._break_glass:
            return self.journal.terminated_vendors()   # etcd is out of reach
        return self.shared.terminated_vendors()

    def mark_terminated(self, vendor: str, at: float, reason: str) -> None:
        """Only the leader marks, fenced on its lead (a lone view cannot)."""
        self.shared.mark_terminated(vendor, at, reason, self.node)
        self.journal.mark_terminated(vendor, at, reason)

    def reinstate(self, vendor: str) -> bool:
        """Fenced on the cluster lock when held (``Engine.reinstate`` takes it), as moves are."""
        gone = self.shared.reinstate(vendor)
        return self.journal.reinstate(vendor) or gone

    def pin(self) -> Pin | None:
        """The pin in etcd; while etcd cannot be asked (a reader fell back), the one this
        node last read there, marked last known with when it was read (issue 19)."""
        if self._offline:
            return self.last_known_pin()
        try:
            pin = self.shared.pin()
        except EtcdUnavailable:
            if self._break_glass:
                return self.last_known_pin()
            raise
        # Remembered here, so that a reader with etcd out of reach still sees it.
        self.journal.remember("pin", {"at": time.time(),
                                      "pin": pin.to_json() if pin else None})
        return pin

    def last_known_pin(self) -> Pin | None:
        seen = self.journal.recall("pin")
        if not seen or not isinstance(seen.get("pin"), dict):
            return None
        return dataclasses.replace(Pin.from_json(seen["pin"]),
                                   last_known=float(seen.get("at", 0.0)))

    def set_pin(self, pin: Pin) -> None:
        if self._break_glass:
            return   # etcd is out of reach: sync() pins when it copies the move
        self.shared.set_pin(pin)

    def clear_pin(self) -> Pin | None:
        """Fenced on the cluster lock when held ('failover resume' takes it), as moves are."""
        pin = self.pin()
        self.shared.delete_pin()
        return pin

    # -- watchers: views, leadership, sentences -----------------------------------------

    def publish_view(self, verdicts: Sequence[Verdict], at: float) -> None:
        view = View(self.node, self.cluster.vendor, at,
                    {v.hosting: (v.verdict, v.reason) for v in verdicts})
        self.shared.publish_view(view, self.session.ensure())

    def views(self) -> list[View]:
        return self.shared.views()

    def campaign(self) -> str:
        """Try to lead; the leader's node name (ours when we lead)."""
        self._vacancy_from = None
        lease = self.session.ensure()
        me = Holder.me(self.node, "failover watch").to_json()
        ok, answer = self.client.txn([Compare.create_revision(self.key("leader"), 0)],
                                     [Op.put(self.key("leader"), json.dumps(me), lease)],
                                     [Op.get(self.key("leader"))])
        followed, self.followed = self.followed, None
        if ok:
            self._leader_rev = int(answer["header"]["revision"])
            self.took_over_from = followed
            return self.node
        self.took_over_from = None
        leader = txn_kvs(answer)
        kv = leader[0] if leader else None
        if kv is not None and kv.lease == lease:
            self._leader_rev = kv.create_revision
            return self.node
        self._leader_rev = None
        # A follower wakes when the leader key goes: any deletion after this read.
        self._vacancy_from = int(answer["header"]["revision"]) + 1
        self.followed = str(kv.json().get("node", "?")) if kv else "?"
        return self.followed

    def wait(self, stop: threading.Event, seconds: float) -> None:
        """As a follower, also wake when the leader key is deleted (its holder's lease
        ended, or it let go), streamed from etcd (``/v3/watch``), so a takeover costs the
        dead leader's lease and one check, not up to a whole interval more.

        A stream that ends early (the member serving it died, or etcd cancelled it
        because its revision was compacted) comes back: the leader key is read again,
        and the watch goes on from that read's revision, at another member if need be,
        until the wait's time is up. When no stream can be opened the wait is the
        plain one."""
        since = self._vacancy_from
        if since is None or seconds <= 0:
            stop.wait(max(0.0, seconds))
            return
        vacant, done = threading.Event(), threading.Event()
        deadline = time.monotonic() + seconds

        def follow(start: int) -> None:
            while not done.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                began = time.monotonic()
                with contextlib.suppress(EtcdUnavailable):
                    for _event in self.client.watch(self.key("leader"), start_revision=start,
                                                    seconds=left, deletes_only=True):
                        vacant.set()
                        return
                if done.is_set() or deadline - time.monotonic() <= 0:
                    return
                # The stream ended early. What was missed is in the key: gone, or made
                # again after we began to follow (so the leader we followed went).
                try:
                    _ok, answer = self.client.txn([], [Op.get(self.key("leader"))])
                except EtcdUnavailable:
                    done.wait(min(0.5, max(0.0, deadline - time.monotonic())))
                    continue
                leader = txn_kvs(answer)
                if not leader or leader[0].create_revision >= since:
                    vacant.set()
                    return
                start = int(answer["header"]["revision"]) + 1
                # A member that ends every stream at once is not asked in a tight loop.
                done.wait(max(0.0, 0.2 - (time.monotonic() - began)))

        threading.Thread(target=follow, args=(since,), daemon=True,
                         name="etcd-watch-leader").start()
        try:
            # Short slices, so a stop signal is seen as soon as without the watch.
            while not stop.is_set() and not vacant.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                vacant.wait(min(left, 0.05))
        finally:
            done.set()

    def publish_sentence(self, sentence: str, at: float) -> None:
        if not self.session.valid():
            return
        self.shared.publish_sentence(self.node, self.cluster.vendor, at, sentence,
                                     self.session.ensure())

    def cluster_state(self) -> dict[str, Any]:
        return self.shared.cluster_state()

    def save_cluster_state(self, state: dict[str, Any]) -> None:
        """Written by the leader only, fenced on its lead."""
        self.shared.save_cluster_state(state)

    def adopt_unfinished(self, at: float) -> list[MoveRow]:
        return self._history.adopt_unfinished(at)

    def describe(self) -> dict[str, Any]:
        leader = self.client.get(self.key("leader"))
        lock = self.client.get(self.key("lock"))
        pin = self.pin()
        return {"backend": "etcd", "where": self.where,
                "leader": Holder.from_json(leader.json()).describe() if leader else None,
                "lock": Holder.from_json(lock.json()).describe() if lock else None,
                "pin": pin.sentence() if pin else None,
                "views": [v.to_json() for v in self.views()],
                "nodes": self.shared.sentences()}

    def close(self) -> None:
        self.session.close()
