"""The etcd backend: watchers on several vendors, one leader, fenced shared state.

Keys, all under ``<prefix>/<zone>/`` (the zone, not a file, names the state):

=================  =====================================================  ==========
key                what                                                    lease
=================  =====================================================  ==========
leader             the watcher that may move automatically                 its own
lock               who is moving now: node, pid, host, since, command      holder's
views/NODE         a vantage point's verdicts                              its own
nodes/NODE         a watcher's last cycle sentence                         its own
pin                the operator's pin                                      none
terminated/VENDOR  a vendor the cluster judged TERMINATED                  none
moves/NNNNNNNN     a move: plan checksum, steps with before-images and     none
                   states, verifications, outcome (the shared history:
                   the last ``history_keep`` moves)
seq                the last move number                                    none
cluster            the cluster's verdicts with their since/streaks         none
=================  =====================================================  ==========

Fencing: every write made while moving is a transaction that compares the lock
key's create revision with the one this process got (and, for a watcher, the
leader key's), so a process that lost its lease (frozen, cut off) can no
longer record anything; before each DNS provider write, :meth:`guard` checks
the same in etcd and that the lease has not run out by our own clock.

One lease per process (the session), refreshed by a thread every third of
ttl; when etcd cannot be reached for longer than ttl the session is gone and
the process stops acting (as Patroni demotes itself).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from failover.clock import Clock
from failover.config import Config
from failover.coord.base import Coordinator, Holder, LockLost, MoveStore, Pin
from failover.coord.etcdclient import KV, Compare, EtcdClient, EtcdUnavailable, Op, parse_kv
from failover.coord.lock import MoveLock
from failover.coord.quorum import View
from failover.errors import ConfigError, LockHeld
from failover.health import Verdict
from failover.journal import MOVE_RUNNING, Journal, MoveRow, StepRow, json_value


class Session:
    """This process's lease, kept alive by a thread; ``valid()`` by our own monotonic clock."""

    def __init__(self, client: EtcdClient, ttl: int) -> None:
        self.client = client
        self.ttl = ttl
        self.lease: int | None = None
        self._valid_until = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._mutex = threading.Lock()

    def ensure(self) -> int:
        """The live lease, granted anew when there is none or it ran out."""
        with self._mutex:
            if self.lease is not None and self.valid():
                return self.lease
            sent = time.monotonic()
            self.lease = self.client.grant(self.ttl)
            self._valid_until = sent + self.ttl
            if self._thread is None:
                self._thread = threading.Thread(target=self._keepalive, daemon=True,
                                                name="etcd-keepalive")
                self._thread.start()
            return self.lease

    def valid(self) -> bool:
        return self.lease is not None and time.monotonic() < self._valid_until

    def _keepalive(self) -> None:
        while not self._stop.wait(max(0.2, self.ttl / 3)):
            lease = self.lease
            if lease is None:
                continue
            sent = time.monotonic()
            try:
                left = self.client.keepalive(lease)
            except Exception:   # unreachable: the lease runs out on its own; valid() says so
                continue
            with self._mutex:
                if self.lease != lease:
                    continue
                if left <= 0:
                    self.lease, self._valid_until = None, 0.0   # expired while we were away
                else:
                    self._valid_until = sent + left

    def close(self) -> None:
        self._stop.set()
        lease, self.lease = self.lease, None
        if lease is not None:
            self.client.revoke(lease)


def _txn_kv(answer: dict[str, Any], index: int = 0) -> KV | None:
    """The key read by the ``index``-th range op of a txn's response."""
    try:
        kvs = answer["responses"][index]["response_range"].get("kvs", [])
    except (KeyError, IndexError):
        return None
    return parse_kv(kvs[0]) if kvs else None


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
        self.base = f"{cluster.prefix.rstrip('/')}/{config.zone}/"
        tls = cluster.tls
        self.client = EtcdClient(
            cluster.endpoints, timeout=cluster.retry_timeout,
            ca_file=str(config.resolve_path(tls.ca_file)) if tls else None,
            cert_file=str(config.resolve_path(tls.cert_file)) if tls and tls.cert_file else None,
            key_file=str(config.resolve_path(tls.key_file)) if tls and tls.key_file else None,
            username=cluster.username, password=self._password())
        self.session = Session(self.client, max(1, round(cluster.ttl)))
        self._lock_rev: int | None = None
        self._leader_rev: int | None = None
        self._auto = False
        self._break_glass = False
        self._store = SharedStore(self)
        self._synced = False
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
            try:
                return path.read_text().strip()
            except OSError as exc:
                raise ConfigError(f"cluster.password_file: {path}: {exc.strerror}") from None
        return None

    def key(self, name: str) -> str:
        return self.base + name

    @property
    def clustered(self) -> bool:
        return True

    # -- the lock and fencing ----------------------------------------------------

    def _fence(self) -> list[dict[str, Any]]:
        if self._lock_rev is None:
            raise LockLost("this process does not hold the cluster lock")
        fence = [Compare.create_revision(self.key("lock"), self._lock_rev)]
        if self._auto:
            fence.append(Compare.create_revision(self.key("leader"), self._leader_rev or -1))
        return fence

    def fenced(self, ops: list[dict[str, Any]], what: str | None = None) -> None:
        """Write ``ops`` only if we still hold the lock (and the lead, for a watcher)."""
        ok, _ = self.client.txn(self._fence(), ops)
        if not ok:
            if what is not None:
                raise LockLost(f"{what} refused: this process lost the cluster lock (its "
                               "lease ran out; another node may hold it now), so it wrote "
                               f"nothing; run '{what}' again")
            raise LockLost("lost the cluster lock: another node holds it now "
                           "(our lease ran out); this process records and writes nothing more")

    @contextmanager
    def _cluster_lock(self, command: str | None, auto: bool) -> Iterator[None]:
        lease = self.session.ensure()
        holder = Holder.me(self.node, command)
        compares = [Compare.create_revision(self.key("lock"), 0)]
        if auto:
            compares.append(Compare.create_revision(self.key("leader"), self._leader_rev or -1))
        ok, answer = self.client.txn(compares, [Op.put(self.key("lock"),
                                                       json.dumps(holder.to_json()), lease)],
                                     [Op.get(self.key("lock"))])
        if not ok:
            kv = _txn_kv(answer)
            if kv is None:
                raise LockHeld("not the leader any more: another watcher leads; "
                               "it decides the next move")
            raise LockHeld(f"another move is running: held by "
                           f"{Holder.from_json(kv.json()).describe()}; wait for it to finish, "
                           "or see 'failover cluster'")
        self._lock_rev, self._auto = int(answer["header"]["revision"]), auto
        try:
            yield
        finally:
            rev, self._lock_rev, self._auto = self._lock_rev, None, False
            with contextlib.suppress(EtcdUnavailable):   # else the lock goes with our lease
                self.client.txn([Compare.create_revision(self.key("lock"), rev)],
                                [Op.delete(self.key("lock"))])

    @contextmanager
    def _glass(self, command: str | None) -> Iterator[None]:
        from failover.coord.local import lock_dir, zone_key

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
        return self._cluster_lock(command, auto)

    def guard(self) -> None:
        if self._break_glass:
            return
        if not self.session.valid():
            raise LockLost("this node's etcd lease ran out (frozen or cut off longer than "
                           "ttl): it writes nothing more")
        try:
            ok, _ = self.client.txn(self._fence(), [])
        except EtcdUnavailable as exc:
            raise LockLost(f"cannot confirm the cluster lock ({exc})") from None
        if not ok:
            raise LockLost("lost the cluster lock to another node: this node writes nothing "
                           "more")

    # -- the store -------------------------------------------------------------

    @property
    def store(self) -> MoveStore:
        if self._break_glass or self._offline:
            return self.journal
        return self._store

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
            return self._store.sync_break_glass()
        except EtcdUnavailable:
            return []

    # -- vendors and the pin -------------------------------------------------------

    def terminated_vendors(self) -> dict[str, tuple[float, str]]:
        if self._break_glass:
            return self.journal.terminated_vendors()   # etcd is out of reach
        out = {}
        for kv in self.client.get_prefix(self.key("terminated/")):
            data = kv.json()
            out[kv.key.rsplit("/", 1)[1]] = (float(data["since"]), str(data["reason"]))
        return out

    def mark_terminated(self, vendor: str, at: float, reason: str) -> None:
        """Only the leader marks, fenced on its lead (a lone view cannot)."""
        key = self.key(f"terminated/{vendor}")
        value = json.dumps({"since": at, "reason": reason, "by": self.node})
        self.client.txn([Compare.create_revision(self.key("leader"), self._leader_rev or -1),
                         Compare.create_revision(key, 0)], [Op.put(key, value)])
        self.journal.mark_terminated(vendor, at, reason)

    def reinstate(self, vendor: str) -> bool:
        """Fenced on the cluster lock when held (``Engine.reinstate`` takes it), as moves are."""
        key = self.key(f"terminated/{vendor}")
        gone = self.client.get(key) is not None
        if self._lock_rev is not None:
            self.fenced([Op.delete(key)], f"failover reinstate {vendor}")
        else:
            self.client.delete(key)
        return self.journal.reinstate(vendor) or gone

    def pin(self) -> Pin | None:
        if self._offline:
            return None   # the pin lives in etcd only; the reader said etcd is out of reach
        kv = self.client.get(self.key("pin"))
        return Pin.from_json(kv.json()) if kv else None

    def set_pin(self, pin: Pin) -> None:
        if self._break_glass:
            return   # etcd is out of reach: sync() pins when it copies the move
        value = json.dumps(pin.to_json())
        if self._lock_rev is not None:
            self.fenced([Op.put(self.key("pin"), value)])
        else:
            self.client.put(self.key("pin"), value)

    def clear_pin(self) -> Pin | None:
        """Fenced on the cluster lock when held ('failover resume' takes it), as moves are."""
        pin = self.pin()
        if self._lock_rev is not None:
            self.fenced([Op.delete(self.key("pin"))], "failover resume")
        else:
            self.client.delete(self.key("pin"))
        return pin

    # -- watchers: views, leadership, sentences -----------------------------------------

    def publish_view(self, verdicts: Sequence[Verdict], at: float) -> None:
        view = View(self.node, self.cluster.vendor, at,
                    {v.hosting: (v.verdict, v.reason) for v in verdicts})
        self.client.put(self.key(f"views/{self.node}"), json.dumps(view.to_json()),
                        self.session.ensure())

    def views(self) -> list[View]:
        return [View.from_json(kv.json()) for kv in self.client.get_prefix(self.key("views/"))]

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
        kv = _txn_kv(answer)
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
        dead leader's lease and one check, not up to a whole interval more. When the
        stream cannot be opened the wait is the plain one."""
        since = self._vacancy_from
        if since is None or seconds <= 0:
            stop.wait(max(0.0, seconds))
            return
        vacant = threading.Event()

        def follow() -> None:
            with contextlib.suppress(EtcdUnavailable):
                for _event in self.client.watch(self.key("leader"), start_revision=since,
                                                seconds=seconds, deletes_only=True):
                    vacant.set()
                    return

        threading.Thread(target=follow, daemon=True, name="etcd-watch-leader").start()
        deadline = time.monotonic() + seconds
        # Short slices, so a stop signal is seen as soon as without the watch.
        while not stop.is_set() and not vacant.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            vacant.wait(min(left, 0.05))

    def publish_sentence(self, sentence: str, at: float) -> None:
        if not self.session.valid():
            return
        self.client.put(self.key(f"nodes/{self.node}"),
                        json.dumps({"node": self.node, "vendor": self.cluster.vendor, "at": at,
                                    "sentence": sentence}), self.session.ensure())

    def cluster_state(self) -> dict[str, Any]:
        """The cluster's last verdicts with their since and up streaks (the leader's)."""
        kv = self.client.get(self.key("cluster"))
        return dict(kv.json()) if kv else {}

    def save_cluster_state(self, state: dict[str, Any]) -> None:
        """Written by the leader only, fenced on its lead."""
        self.client.txn([Compare.create_revision(self.key("leader"), self._leader_rev or -1)],
                        [Op.put(self.key("cluster"), json.dumps(state))])

    def adopt_unfinished(self, at: float) -> list[MoveRow]:
        """As the new leader: every shared move left half done by a process that no longer
        holds the lock is recorded as interrupted (fenced on our lead), and returned."""
        found = []
        for m in self._store.moves(limit=50):
            if m.state != "interrupted":
                continue
            key, rec = self._store.record(m.id)
            if rec is None or rec["state"] not in MOVE_RUNNING:
                continue   # recorded as interrupted already
            found.append(m)
            rec["state"] = "interrupted"
            rec["summary"] = (f"left half done by {rec.get('node')} (pid {rec.get('pid')}, "
                              f"host {rec.get('host')}), which lost the cluster lock; found by "
                              f"{self.node}, which plans again from what providers serve")
            rec["finished"] = at
            self.client.txn([Compare.create_revision(self.key("leader"),
                                                     self._leader_rev or -1),
                             Compare.mod_revision(key.key, key.mod_revision)],
                            [Op.put(key.key, json.dumps(rec))])
        return found

    def describe(self) -> dict[str, Any]:
        leader = self.client.get(self.key("leader"))
        lock = self.client.get(self.key("lock"))
        pin = self.pin()
        return {"backend": "etcd", "where": self.where,
                "leader": Holder.from_json(leader.json()).describe() if leader else None,
                "lock": Holder.from_json(lock.json()).describe() if lock else None,
                "pin": pin.sentence() if pin else None,
                "views": [v.to_json() for v in self.views()],
                "nodes": [kv.json() for kv in self.client.get_prefix(self.key("nodes/"))]}

    def close(self) -> None:
        self.session.close()


class SharedStore:
    """The shared history in etcd, written together with this node's own journal."""

    def __init__(self, coord: EtcdCoordinator) -> None:
        self.coord = coord
        self.journal = coord.journal
        self._local: dict[int, int] = {}          # shared id -> local journal id
        self._records: dict[int, dict[str, Any]] = {}
        self._mutex = threading.Lock()

    def _key(self, move_id: int) -> str:
        return self.coord.key(f"moves/{move_id:08d}")

    def record(self, move_id: int) -> tuple[KV, dict[str, Any] | None]:
        kv = self.coord.client.get(self._key(move_id))
        if kv is None:
            return KV(self._key(move_id), "", 0, 0, 0), None
        return kv, kv.json()

    def _allocate(self, record: dict[str, Any], fence: list[dict[str, Any]]) -> int:
        """The next move number and its record, in one transaction (retried on a race);
        the same transaction deletes the moves older than the last ``history_keep``."""
        client, seq_key = self.coord.client, self.coord.key("seq")
        keep = self.coord.cluster.history_keep
        for _ in range(20):
            seq = client.get(seq_key)
            number = int(seq.value) + 1 if seq else 1
            guard = (Compare.mod_revision(seq_key, seq.mod_revision) if seq
                     else Compare.create_revision(seq_key, 0))
            record["id"] = number
            ops = [Op.put(seq_key, str(number)), Op.put(self._key(number), json.dumps(record))]
            if number > keep:
                ops.append(Op.delete(self._key(0), self._key(number - keep + 1)))
            ok, _ = client.txn([guard, *fence], ops)
            if ok:
                return number
            if fence:
                ok, _ = client.txn(fence, [])
                if not ok:
                    raise LockLost("lost the cluster lock before the move began; nothing "
                                   "was written")
        raise EtcdUnavailable("could not number the move: the sequence key kept changing")

    # -- writing (MoveStore) ---------------------------------------------------------

    def begin_move(self, *, kind: str, at: float, reason: str, args: dict[str, Any],
                   checksum: str, steps: Sequence[dict[str, Any]],
                   rollback_of: int | None = None) -> int:
        import socket

        c = self.coord
        record = {"kind": kind, "started": at, "finished": None, "state": "applying",
                  "reason": reason, "args": args, "checksum": checksum, "pid": os.getpid(),
                  "host": socket.gethostname(), "node": c.node, "vendor": c.cluster.vendor,
                  "rollback_of": rollback_of, "summary": None,
                  "steps": [{**s, **{part: json_value(s[part])
                                     for part in ("before", "desired", "changes")},
                             "error": s.get("error"), "started": None, "applied": None}
                            for s in steps], "verifications": []}
        # Shared first: if etcd or the lock is gone, nothing is written anywhere.
        number = self._allocate(record, c._fence())
        local = self.journal.begin_move(kind=kind, at=at, reason=reason,
                                        args={**args, "shared_id": number}, checksum=checksum,
                                        steps=steps, rollback_of=rollback_of)
        with self._mutex:
            self._local[number] = local
            self._records[number] = record
        return number

    def _update(self, move_id: int, change: Any) -> None:
        with self._mutex:
            record = self._records.get(move_id)
            if record is None:
                # A move another process made ('status' settling a step): change it only
                # if nobody wrote it since we read it.
                kv, found = self.record(move_id)
                if found is None:
                    return
                change(found)
                self.coord.client.txn([Compare.mod_revision(kv.key, kv.mod_revision)],
                                      [Op.put(kv.key, json.dumps(found))])
                return
            change(record)
            # If this fails it is recorded locally; the guard stops further provider
            # writes, and the next leader finds this move unfinished in the shared history.
            with contextlib.suppress(LockLost, EtcdUnavailable):
                self.coord.fenced([Op.put(self._key(move_id), json.dumps(record))])

    def _local_id(self, move_id: int) -> int | None:
        return self._local.get(move_id)

    def step_state(self, move_id: int, provider: str, state: str, *, at: float,
                   error: str | None = None) -> None:
        local = self._local_id(move_id)
        if local is not None:
            self.journal.step_state(local, provider, state, at=at, error=error)

        def change(rec: dict[str, Any]) -> None:
            for s in rec["steps"]:
                if s["provider"] == provider:
                    s["state"], s["error"] = state, error
                    s["started" if state == "writing" else "applied"] = at
        self._update(move_id, change)

    def move_state(self, move_id: int, state: str, *, at: float | None = None,
                   summary: str | None = None) -> None:
        local = self._local_id(move_id)
        if local is not None:
            self.journal.move_state(local, state, at=at, summary=summary)

        def change(rec: dict[str, Any]) -> None:
            rec["state"] = state
            rec["finished"] = at if at is not None else rec["finished"]
            rec["summary"] = summary if summary is not None else rec["summary"]
        self._update(move_id, change)

    def record_verification(self, move_id: int, provider: str, authority: str, ok: bool,
                            seconds: float, detail: str, at: float) -> None:
        local = self._local_id(move_id)
        if local is not None:
            self.journal.record_verification(local, provider, authority, ok, seconds, detail,
                                             at)
        row = {"provider": provider, "authority": authority, "ok": ok, "seconds": seconds,
               "detail": detail, "at": at}
        self._update(move_id, lambda rec: rec["verifications"].append(row))

    # -- reading ---------------------------------------------------------------------------

    def _all(self) -> list[dict[str, Any]]:
        c = self.coord
        if not c._synced:
            c._synced = True
            self.sync_break_glass()
        kvs = c.client.get_prefix(c.key("moves/"))
        lock = c.client.get(c.key("lock"))
        holder = Holder.from_json(lock.json()) if lock else None
        out = []
        for kv in kvs:
            rec = kv.json()
            mine = holder is not None and (holder.node, holder.pid) == (rec.get("node"),
                                                                        rec.get("pid"))
            if rec["state"] in MOVE_RUNNING and not mine:
                rec = {**rec, "state": "interrupted"}
            out.append(rec)
        return sorted(out, key=lambda r: -int(r["id"]))

    def moves(self, limit: int = 20) -> list[MoveRow]:
        return [_row(r) for r in self._all()[:limit]]

    def move(self, move_id: int) -> MoveRow | None:
        return next((_row(r) for r in self._all() if r["id"] == move_id), None)

    def steps(self, move_id: int) -> list[StepRow]:
        _kv, rec = self.record(move_id)
        if rec is None:
            return []
        return [StepRow(move_id=move_id, provider=s["provider"], vendor=s["vendor"],
                        before=s["before"], desired=s["desired"], changes=s["changes"],
                        state=s["state"], error=s.get("error"), started=s.get("started"),
                        applied=s.get("applied"), tolerated=bool(s.get("tolerated")))
                for s in sorted(rec["steps"], key=lambda s: s["provider"])]

    def verifications(self, move_id: int) -> list[dict[str, Any]]:
        _kv, rec = self.record(move_id)
        return [{**v, "move_id": move_id} for v in (rec or {}).get("verifications", [])]

    def rolled_back(self, move_id: int) -> bool:
        return any(r.get("rollback_of") == move_id and r["state"] == "done" for r in self._all())

    # -- break glass ------------------------------------------------------------------------

    def sync_break_glass(self) -> list[int]:
        """Copy this node's break-glass moves into the shared history (once each)."""
        done = {int(e["data_json"]["local_id"]) for e in _events(self.journal, "shared")}
        numbers = []
        for m in reversed(self.journal.moves(limit=1000)):
            if not m.args.get("break_glass") or m.id in done or m.state in MOVE_RUNNING:
                continue
            steps = self.journal.steps(m.id)
            record = {"kind": m.kind, "started": m.started, "finished": m.finished,
                      "state": m.state, "reason": m.reason, "args": m.args,
                      "checksum": m.checksum, "pid": m.pid, "host": m.host,
                      "node": self.coord.node, "vendor": self.coord.cluster.vendor,
                      "rollback_of": m.rollback_of, "break_glass": True, "local_id": m.id,
                      "summary": f"BREAK GLASS (without the cluster lock): {m.summary}",
                      "steps": [{"provider": s.provider, "vendor": s.vendor,
                                 "before": s.before, "desired": s.desired,
                                 "changes": s.changes, "state": s.state, "error": s.error,
                                 "started": s.started, "applied": s.applied,
                                 "tolerated": s.tolerated} for s in steps],
                      "verifications": self.journal.verifications(m.id)}
            number = self._allocate(record, [])
            self.journal.event(time.time(), "shared",
                               f"break-glass move {m.id} copied to etcd as move {number}",
                               {"local_id": m.id, "shared_id": number})
            if self.coord.pin() is None and m.state != "failed":
                self.coord.set_pin(Pin(Holder(self.coord.node, m.pid, m.host, m.started,
                                              "failover move --break-glass"),
                                       f"break-glass move {number}", number))
            numbers.append(number)
        return numbers


def _events(journal: Journal, kind: str) -> list[dict[str, Any]]:
    return [{**e, "data_json": json.loads(e["data"])} for e in journal.events(10000, kind)]


def _row(r: dict[str, Any]) -> MoveRow:
    return MoveRow(id=int(r["id"]), kind=str(r["kind"]), started=float(r["started"]),
                   finished=r.get("finished"), state=str(r["state"]), reason=str(r["reason"]),
                   # Which node moved, for readers of the shared history.
                   args={**dict(r.get("args") or {}), "node": r.get("node")},
                   checksum=str(r["checksum"]),
                   pid=int(r.get("pid", 0)), host=str(r.get("host", "?")),
                   rollback_of=r.get("rollback_of"), summary=r.get("summary"))
