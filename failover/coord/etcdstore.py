"""The etcd shared store: what the watchers share, and the shared history of moves.

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

The leader and lock keys, and the fence their revisions make, belong to the
coordinator (:mod:`failover.coord.etcd`); the store asks it, through
:class:`Fencing`, which compares guard a write. :class:`SharedState` reads and
writes the rest; :class:`SharedHistory` keeps the moves, together with this
node's own journal.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from collections.abc import Sequence
from typing import Any, Protocol

from failover.coord.base import Coordinator, Holder, Leader, Pin, Snapshot
from failover.coord.etcdclient import KV, Compare, EtcdClient, Op, parse_kv
from failover.coord.quorum import View
from failover.errors import EtcdUnavailable, LockLost
from failover.journal import MOVE_RUNNING, Journal, MoveRow, StepRow, json_value


class Fencing(Protocol):
    """What the store asks the coordinator: the compares that fence a write now."""

    @property
    def holds_lock(self) -> bool:
        """This process holds the cluster lock."""

    def lock_fence(self) -> list[dict[str, Any]]:
        """The compares that hold while this process keeps the cluster lock (and, for a
        watcher's move, the lead); raises LockLost when it holds none."""

    def lead_fence(self) -> dict[str, Any]:
        """The compare that holds while this node leads."""


def txn_kvs(answer: dict[str, Any], index: int = 0) -> list[KV]:
    """The keys read by the ``index``-th range op of a txn's response."""
    try:
        kvs = answer["responses"][index]["response_range"].get("kvs", [])
    except (KeyError, IndexError):
        return []
    return [parse_kv(kv) for kv in kvs]


class SharedState:
    """The shared state a cycle reads: pin, terminated vendors, views, sentences, the
    cluster's verdicts; and the fenced write."""

    def __init__(self, client: EtcdClient, base: str, fencing: Fencing) -> None:
        self.client = client
        self.base = base
        self.fencing = fencing

    def key(self, name: str) -> str:
        return self.base + name

    def fenced(self, ops: list[dict[str, Any]], what: str | None = None) -> None:
        """Write ``ops`` only if we still hold the lock (and the lead, for a watcher)."""
        ok, _ = self.client.txn(self.fencing.lock_fence(), ops)
        if not ok:
            if what is not None:
                raise LockLost(f"{what} refused: this process lost the cluster lock (its "
                               "lease ran out; another node may hold it now), so it wrote "
                               f"nothing; run '{what}' again")
            raise LockLost("lost the cluster lock: another node holds it now "
                           "(our lease ran out); this process records and writes nothing more")

    # -- one read for a cycle ----------------------------------------------------------

    def snapshot(self, *, fence: int | None, took_over_from: str | None) -> Snapshot:
        """Leader, pin, terminated vendors, views and the cluster's verdicts, read in one
        transaction, so at one revision; ``fence`` and ``took_over_from`` are what the
        coordinator knows of its own lead."""
        names = ("leader", "pin", "terminated/", "views/", "cluster")
        _ok, answer = self.client.txn([], [Op.get_prefix(self.key(n)) if n.endswith("/")
                                           else Op.get(self.key(n)) for n in names])
        leader, pin, terminated, views, cluster = (txn_kvs(answer, i)
                                                   for i in range(len(names)))
        return Snapshot(
            pin=Pin.from_json(pin[0].json()) if pin else None,
            terminated=_terminated(terminated),
            leader=Leader(Holder.from_json(leader[0].json()), leader[0].create_revision)
            if leader else None,
            fence=fence, took_over_from=took_over_from,
            views=tuple(View.from_json(kv.json()) for kv in views),
            cluster_state=dict(cluster[0].json()) if cluster else {})

    # -- vendors -------------------------------------------------------------------------

    def terminated_vendors(self) -> dict[str, tuple[float, str]]:
        return _terminated(self.client.get_prefix(self.key("terminated/")))

    def mark_terminated(self, vendor: str, at: float, reason: str, by: str) -> None:
        """Only the leader marks, fenced on its lead (a lone view cannot); a mark already
        there stays."""
        key = self.key(f"terminated/{vendor}")
        value = json.dumps({"since": at, "reason": reason, "by": by})
        self.client.txn([self.fencing.lead_fence(), Compare.create_revision(key, 0)],
                        [Op.put(key, value)])

    def reinstate(self, vendor: str) -> bool:
        """Fenced on the cluster lock when held (``Engine.reinstate`` takes it), as moves
        are; whether the vendor was marked."""
        key = self.key(f"terminated/{vendor}")
        gone = self.client.get(key) is not None
        if self.fencing.holds_lock:
            self.fenced([Op.delete(key)], f"failover reinstate {vendor}")
        else:
            self.client.delete(key)
        return gone

    # -- the pin ---------------------------------------------------------------------------

    def pin(self) -> Pin | None:
        kv = self.client.get(self.key("pin"))
        return Pin.from_json(kv.json()) if kv else None

    def set_pin(self, pin: Pin) -> None:
        value = json.dumps(pin.to_json())
        if self.fencing.holds_lock:
            self.fenced([Op.put(self.key("pin"), value)])
        else:
            self.client.put(self.key("pin"), value)

    def delete_pin(self) -> None:
        """Fenced on the cluster lock when held ('failover resume' takes it), as moves are."""
        if self.fencing.holds_lock:
            self.fenced([Op.delete(self.key("pin"))], "failover resume")
        else:
            self.client.delete(self.key("pin"))

    # -- views, sentences, the cluster's verdicts ----------------------------------------

    def publish_view(self, view: View, lease: int) -> None:
        self.client.put(self.key(f"views/{view.node}"), json.dumps(view.to_json()), lease)

    def views(self) -> list[View]:
        return [View.from_json(kv.json()) for kv in self.client.get_prefix(self.key("views/"))]

    def publish_sentence(self, node: str, vendor: str, at: float, sentence: str,
                         lease: int) -> None:
        self.client.put(self.key(f"nodes/{node}"),
                        json.dumps({"node": node, "vendor": vendor, "at": at,
                                    "sentence": sentence}), lease)

    def sentences(self) -> list[dict[str, Any]]:
        """Each live watcher's last cycle sentence."""
        return [kv.json() for kv in self.client.get_prefix(self.key("nodes/"))]

    def cluster_state(self) -> dict[str, Any]:
        kv = self.client.get(self.key("cluster"))
        return dict(kv.json()) if kv else {}

    def save_cluster_state(self, state: dict[str, Any]) -> None:
        """Written by the leader only, fenced on its lead."""
        self.client.txn([self.fencing.lead_fence()],
                        [Op.put(self.key("cluster"), json.dumps(state))])


def _terminated(kvs: Sequence[KV]) -> dict[str, tuple[float, str]]:
    out = {}
    for kv in kvs:
        data = kv.json()
        out[kv.key.rsplit("/", 1)[1]] = (float(data["since"]), str(data["reason"]))
    return out


class SharedHistory:
    """The shared history in etcd, written together with this node's own journal.

    ``coord`` pins a break-glass move copied here, as any pin is set."""

    def __init__(self, state: SharedState, journal: Journal, coord: Coordinator, *,
                 vendor: str, history_keep: int) -> None:
        self.state = state
        self.client = state.client
        self.journal = journal
        self.coord = coord
        self.vendor = vendor
        self.history_keep = history_keep
        self._local: dict[int, int] = {}          # shared id -> local journal id
        self._records: dict[int, dict[str, Any]] = {}
        self._mutex = threading.Lock()
        self._synced = False

    def _key(self, move_id: int) -> str:
        return self.state.key(f"moves/{move_id:08d}")

    def record(self, move_id: int) -> tuple[KV, dict[str, Any] | None]:
        kv = self.client.get(self._key(move_id))
        if kv is None:
            return KV(self._key(move_id), "", 0, 0, 0), None
        return kv, kv.json()

    def _allocate(self, record: dict[str, Any], fence: list[dict[str, Any]]) -> int:
        """The next move number and its record, in one transaction (retried on a race);
        the same transaction deletes the moves older than the last ``history_keep``."""
        client, seq_key = self.client, self.state.key("seq")
        keep = self.history_keep
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
        record = {"kind": kind, "started": at, "finished": None, "state": "applying",
                  "reason": reason, "args": args, "checksum": checksum, "pid": os.getpid(),
                  "host": socket.gethostname(), "node": self.coord.node, "vendor": self.vendor,
                  "rollback_of": rollback_of, "summary": None,
                  "steps": [{**s, **{part: json_value(s[part])
                                     for part in ("before", "desired", "changes")},
                             "error": s.get("error"), "started": None, "applied": None}
                            for s in steps], "verifications": []}
        # Shared first: if etcd or the lock is gone, nothing is written anywhere.
        number = self._allocate(record, self.state.fencing.lock_fence())
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
                self.client.txn([Compare.mod_revision(kv.key, kv.mod_revision)],
                                [Op.put(kv.key, json.dumps(found))])
                return
            change(record)
            # If this fails it is recorded locally; the guard stops further provider
            # writes, and the next leader finds this move unfinished in the shared history.
            with contextlib.suppress(LockLost, EtcdUnavailable):
                self.state.fenced([Op.put(self._key(move_id), json.dumps(record))])

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
        if not self._synced:
            self._synced = True
            self.sync_break_glass()
        kvs = self.client.get_prefix(self.state.key("moves/"))
        lock = self.client.get(self.state.key("lock"))
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

    # -- a new leader's duty -----------------------------------------------------------------

    def adopt_unfinished(self, at: float) -> list[MoveRow]:
        """As the new leader: every shared move left half done by a process that no longer
        holds the lock is recorded as interrupted (fenced on our lead), and returned."""
        found = []
        for m in self.moves(limit=50):
            if m.state != "interrupted":
                continue
            key, rec = self.record(m.id)
            if rec is None or rec["state"] not in MOVE_RUNNING:
                continue   # recorded as interrupted already
            found.append(m)
            rec["state"] = "interrupted"
            rec["summary"] = (f"left half done by {rec.get('node')} (pid {rec.get('pid')}, "
                              f"host {rec.get('host')}), which lost the cluster lock; found by "
                              f"{self.coord.node}, which plans again from what providers serve")
            rec["finished"] = at
            self.client.txn([self.state.fencing.lead_fence(),
                             Compare.mod_revision(key.key, key.mod_revision)],
                            [Op.put(key.key, json.dumps(rec))])
        return found

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
                      "node": self.coord.node, "vendor": self.vendor,
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
