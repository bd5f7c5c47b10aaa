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
moves/NNNNNNNN     a move: plan checksum, state, outcome, its token (the     none
                   shared history: the last ``history_keep`` moves)
moveparts/NNNNNNNN/  its steps, before-images in chunks, verifications    none
                   (see :class:`SharedHistory`)
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
import uuid
from collections.abc import Sequence
from typing import Any, Protocol

from failover.coord.base import Coordinator, Holder, Leader, Pin, Snapshot
from failover.coord.etcdclient import KV, MAX_REQUEST, Compare, EtcdClient, Op, parse_kv
from failover.coord.quorum import View
from failover.errors import CoordinationError, EtcdRequestTooLarge, EtcdUnavailable, LockLost
from failover.journal import MOVE_RUNNING, Journal, MoveRow, StepRow, json_text


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

    def fenced_by(self, fence: list[dict[str, Any]], ops: list[dict[str, Any]]) -> None:
        """Write ``ops`` only while ``fence`` holds (none: a break-glass copy)."""
        ok, _ = self.client.txn(fence, ops)
        if not ok:
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

    A move is sharded, so that no key and no request nears etcd's size limit however
    large the zone: ``moves/NNNNNNNN`` holds the move itself (state, summary, its
    token), and ``moveparts/NNNNNNNN/`` holds each step (``steps/PROVIDER``), each
    before-image, desired state and change list in chunks
    (``images/PROVIDER/before/NNNN``), and each verification
    (``verifications/PROVIDER/NNNNNN``). A step changes state by rewriting its own small
    key, a verification adds one. Moves written whole under ``moves/NNNNNNNN`` by an
    older release are read as they are.

    Once a move has begun, nothing written to etcd about it raises: DNS may be
    written already, and the journal has it; a failure is recorded there as an event.

    ``coord`` pins a break-glass move copied here, as any pin is set."""

    def __init__(self, state: SharedState, journal: Journal, coord: Coordinator, *,
                 vendor: str, history_keep: int, pin_expires: float | None = None) -> None:
        self.state = state
        self.client = state.client
        self.journal = journal
        self.coord = coord
        self.vendor = vendor
        self.history_keep = history_keep
        # For a break-glass move's pin (pins.move_expires), as a manual move's.
        self.pin_expires = pin_expires
        self._local: dict[int, int] = {}          # shared id -> local journal id
        self._records: dict[int, dict[str, Any]] = {}
        self._steps: dict[tuple[int, str], dict[str, Any]] = {}
        self._checks: dict[tuple[int, str], int] = {}   # verifications written per step
        self._reported: set[str] = set()          # broken records already reported
        self._mutex = threading.Lock()
        self._synced = False

    def _key(self, move_id: int) -> str:
        return self.state.key(f"moves/{move_id:08d}")

    def _part(self, move_id: int, *names: str) -> str:
        return self.state.key(f"moveparts/{move_id:08d}/" + "/".join(names))

    def record(self, move_id: int) -> tuple[KV, dict[str, Any] | None]:
        """The move's own key and its value (a whole record from an older release)."""
        kv = self.client.get(self._key(move_id))
        if kv is None:
            return KV(self._key(move_id), "", 0, 0, 0), None
        return kv, kv.json()

    def _allocate(self, record: dict[str, Any], fence: list[dict[str, Any]]) -> int:
        """The next move number and its record, in one transaction (retried on a race);
        the same transaction deletes the moves older than the last ``history_keep``.

        The record carries a token of its own, so that when a member applied the
        transaction and its answer was lost (the client then asks the next member, where
        the sequence has moved), the record found with our token is ours: its number is
        taken, and no move is numbered twice."""
        client, seq_key = self.client, self.state.key("seq")
        keep = self.history_keep
        token = record.setdefault("token", uuid.uuid4().hex)
        for _ in range(20):
            seq = client.get(seq_key)
            current = int(seq.value) if seq else 0
            number = current + 1
            guard = (Compare.mod_revision(seq_key, seq.mod_revision) if seq
                     else Compare.create_revision(seq_key, 0))
            record["id"] = number
            value = json.dumps(record)
            _fits(self._key(number), value)
            ops = [Op.put(seq_key, str(number)), Op.put(self._key(number), value)]
            if number > keep:
                ops.append(Op.delete(self._key(0), self._key(number - keep + 1)))
                ops.append(Op.delete(self._part(0), self._part(number - keep + 1)))
            ok, answer = client.txn([guard, *fence], ops, [Op.get(seq_key)])
            if ok:
                return number
            now = txn_kvs(answer)
            mine = self._find(token, number, int(now[0].value) if now else 0)
            if mine is not None:
                return mine
            if fence:
                ok, _ = client.txn(fence, [])
                if not ok:
                    raise LockLost("lost the cluster lock before the move began; nothing "
                                   "was written")
        raise EtcdUnavailable("could not number the move: the sequence key kept changing")

    def _find(self, token: str, first: int, last: int) -> int | None:
        """The number from ``first`` to ``last`` whose record carries ``token``."""
        for number in range(first, min(last, first + 100) + 1):
            kv = self.client.get(self._key(number))
            if kv is not None and _loads(kv.value).get("token") == token:
                return number
        return None

    def _write_parts(self, number: int, steps: Sequence[dict[str, Any]],
                     verifications: Sequence[dict[str, Any]],
                     fence: list[dict[str, Any]]) -> None:
        """Each step, its images in chunks, and the verifications, in fenced transactions
        that each stay under etcd's request limit."""
        pieces: list[tuple[str, str]] = []
        for s in steps:
            provider = str(s["provider"])
            row = {k: v for k, v in s.items() if k not in _IMAGES}
            pieces.append((self._part(number, "steps", provider), json.dumps(row)))
            for part in _IMAGES:
                text = json_text(s[part])
                for i in range(0, max(1, len(text)), _CHUNK):
                    pieces.append((self._part(number, "images", provider, part,
                                              f"{i // _CHUNK:04d}"), text[i:i + _CHUNK]))
        counts: dict[str, int] = {}
        for v in verifications:
            provider = str(v["provider"])
            counts[provider] = counts.get(provider, 0) + 1
            pieces.append((self._part(number, "verifications", provider,
                                      f"{counts[provider]:06d}"), json.dumps(v)))
        for provider, n in counts.items():
            self._checks[(number, provider)] = n
        batch: list[dict[str, Any]] = []
        size = 0
        for key, value in pieces:
            _fits(key, value)
            bytes_ = len(key.encode()) + len(value.encode())
            if batch and (size + bytes_ > _BATCH or len(batch) == _BATCH_OPS):
                self.state.fenced_by(fence, batch)
                batch, size = [], 0
            batch.append(Op.put(key, value))
            size += bytes_
        if batch:
            self.state.fenced_by(fence, batch)

    def _create(self, record: dict[str, Any], steps: Sequence[dict[str, Any]],
                verifications: Sequence[dict[str, Any]], fence: list[dict[str, Any]]) -> int:
        """Number the move, then write its parts; a move whose parts could not be written
        is marked failed (best effort) and the error raised: nothing else was written.
        ``record`` becomes the move's own key's value (its number and token added)."""
        meta = record
        meta.update(format=2, providers=[str(s["provider"]) for s in steps])
        number = self._allocate(meta, fence)
        try:
            self._write_parts(number, steps, verifications, fence)
        except (CoordinationError, ValueError) as exc:
            meta.update(state="failed", summary=f"its steps could not be shared: {exc}")
            with contextlib.suppress(CoordinationError):
                self.state.fenced_by(fence, [Op.put(self._key(number), json.dumps(meta))])
            raise
        return number

    # -- writing (MoveStore) ---------------------------------------------------------

    def begin_move(self, *, kind: str, at: float, reason: str, args: dict[str, Any],
                   checksum: str, steps: Sequence[dict[str, Any]],
                   rollback_of: int | None = None) -> int:
        record = {"kind": kind, "started": at, "finished": None, "state": "applying",
                  "reason": reason, "args": args, "checksum": checksum, "pid": os.getpid(),
                  "host": socket.gethostname(), "node": self.coord.node, "vendor": self.vendor,
                  "rollback_of": rollback_of, "summary": None}
        rows = [{**s, "error": s.get("error"), "started": None, "applied": None}
                for s in steps]
        # Shared first: if etcd or the lock is gone, nothing is written anywhere.
        number = self._create(record, rows, [], self.state.fencing.lock_fence())
        local = self.journal.begin_move(kind=kind, at=at, reason=reason,
                                        args={**args, "shared_id": number}, checksum=checksum,
                                        steps=steps, rollback_of=rollback_of)
        with self._mutex:
            self._local[number] = local
            self._records[number] = record
            for row in rows:
                self._steps[(number, str(row["provider"]))] = {
                    k: v for k, v in row.items() if k not in _IMAGES}
        return number

    def _write(self, move_id: int, key: str, value: str, what: str) -> None:
        """A fenced write of one key of our own move; never raises (see the class)."""
        try:
            _fits(key, value)
            self.state.fenced([Op.put(key, value)])
        except (LockLost, EtcdUnavailable):
            # Recorded locally; the guard stops further provider writes, and the next
            # leader finds this move unfinished in the shared history.
            pass
        except CoordinationError as exc:
            self.journal.event(time.time(), "shared",
                               f"move {move_id}: {what} not shared ({exc}); this node's "
                               "journal has it", {"shared_id": move_id})

    def _others(self, move_id: int, change: Any, step: str | None) -> None:
        """A move another process made ('status' settling a step): change it only if
        nobody wrote it since we read it."""
        kv, found = self.record(move_id)
        if found is None:
            return
        if "steps" not in found and step is not None:   # sharded: the step's own key
            part = self.client.get(self._part(move_id, "steps", step))
            if part is None:
                return
            kv, found = part, part.json()
        change(found)
        with contextlib.suppress(CoordinationError):
            self.client.txn([Compare.mod_revision(kv.key, kv.mod_revision)],
                            [Op.put(kv.key, json.dumps(found))])

    def _local_id(self, move_id: int) -> int | None:
        return self._local.get(move_id)

    def step_state(self, move_id: int, provider: str, state: str, *, at: float,
                   error: str | None = None) -> None:
        local = self._local_id(move_id)
        if local is not None:
            self.journal.step_state(local, provider, state, at=at, error=error)

        def change(s: dict[str, Any]) -> None:
            s["state"], s["error"] = state, error
            s["started" if state == "writing" else "applied"] = at

        def change_whole(rec: dict[str, Any]) -> None:
            for s in rec["steps"]:
                if s["provider"] == provider:
                    change(s)
        with self._mutex:
            row = self._steps.get((move_id, provider))
            if row is not None:
                change(row)
                value = json.dumps(row)
        if row is not None:
            self._write(move_id, self._part(move_id, "steps", provider), value,
                        f"step {provider} {state}")
        elif move_id not in self._records:
            _, found = self.record(move_id)
            self._others(move_id, change_whole if found and "steps" in found else change,
                         provider)

    def move_state(self, move_id: int, state: str, *, at: float | None = None,
                   summary: str | None = None) -> None:
        local = self._local_id(move_id)
        if local is not None:
            self.journal.move_state(local, state, at=at, summary=summary)

        def change(rec: dict[str, Any]) -> None:
            rec["state"] = state
            rec["finished"] = at if at is not None else rec["finished"]
            rec["summary"] = summary if summary is not None else rec["summary"]
        with self._mutex:
            record = self._records.get(move_id)
            if record is not None:
                change(record)
                value = json.dumps(record)
        if record is None:
            self._others(move_id, change, None)
        else:
            self._write(move_id, self._key(move_id), value, f"its state {state}")

    def record_verification(self, move_id: int, provider: str, authority: str, ok: bool,
                            seconds: float, detail: str, at: float) -> None:
        local = self._local_id(move_id)
        if local is not None:
            self.journal.record_verification(local, provider, authority, ok, seconds, detail,
                                             at)
        row = {"provider": provider, "authority": authority, "ok": ok, "seconds": seconds,
               "detail": detail, "at": at}
        with self._mutex:
            if move_id not in self._records:
                return   # only the mover verifies its own move
            n = self._checks.get((move_id, provider), 0) + 1
            self._checks[(move_id, provider)] = n
        self._write(move_id, self._part(move_id, "verifications", provider, f"{n:06d}"),
                    json.dumps(row), f"a verification of {provider} at {authority}")

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
            rec = _loads(kv.value)
            if not _readable(rec):
                self._report(kv.key, "it is not a move record this release can read")
                continue
            mine = holder is not None and (holder.node, holder.pid) == (rec.get("node"),
                                                                        rec.get("pid"))
            if rec["state"] in MOVE_RUNNING and not mine:
                rec = {**rec, "state": "interrupted"}
            out.append(rec)
        return sorted(out, key=lambda r: -int(r["id"]))

    def _report(self, key: str, why: str) -> None:
        """Say once, in this node's journal, that a shared record was skipped."""
        if key in self._reported:
            return
        self._reported.add(key)
        self.journal.event(time.time(), "shared", f"etcd key {key} skipped: {why}",
                           {"key": key})

    def moves(self, limit: int = 20) -> list[MoveRow]:
        return [_row(r) for r in self._all()[:limit]]

    def move(self, move_id: int) -> MoveRow | None:
        return next((_row(r) for r in self._all() if r["id"] == move_id), None)

    def _parts(self, move_id: int) -> dict[str, str]:
        """Every part of a sharded move, by its name below ``moveparts/NNNNNNNN/``."""
        start = self._part(move_id)
        return {kv.key[len(start):]: kv.value for kv in self.client.get_prefix(start)}

    def _step_dicts(self, move_id: int) -> list[dict[str, Any]]:
        _kv, rec = self.record(move_id)
        if rec is None:
            return []
        if "steps" in rec:
            return list(rec["steps"])
        parts = self._parts(move_id)
        steps = []
        for name in sorted(parts):
            kind, _, provider = name.partition("/")
            if kind != "steps" or "/" in provider:
                continue
            step = json.loads(parts[name])
            for image in _IMAGES:
                prefix = f"images/{provider}/{image}/"
                text = "".join(parts[n] for n in sorted(parts) if n.startswith(prefix))
                step[image] = json.loads(text) if text else []
            steps.append(step)
        return steps

    def steps(self, move_id: int) -> list[StepRow]:
        return [StepRow(move_id=move_id, provider=s["provider"], vendor=s["vendor"],
                        before=s["before"], desired=s["desired"], changes=s["changes"],
                        state=s["state"], error=s.get("error"), started=s.get("started"),
                        applied=s.get("applied"), tolerated=bool(s.get("tolerated")))
                for s in sorted(self._step_dicts(move_id), key=lambda s: s["provider"])]

    def verifications(self, move_id: int) -> list[dict[str, Any]]:
        _kv, rec = self.record(move_id)
        if rec is None:
            return []
        if "verifications" in rec:
            rows = list(rec["verifications"])
        else:
            parts = self._parts(move_id)
            rows = sorted((json.loads(v) for n, v in parts.items()
                           if n.startswith("verifications/")),
                          key=lambda v: float(v.get("at", 0)))
        return [{**v, "move_id": move_id} for v in rows]

    def rolled_back(self, move_id: int) -> bool:
        return any(r.get("rollback_of") == move_id and r["state"] == "done" for r in self._all())

    # -- a new leader's duty -----------------------------------------------------------------

    def adopt_unfinished(self, at: float) -> list[MoveRow]:
        """As the new leader: every shared move left half done by a process that no longer
        holds the lock is recorded as interrupted (fenced on our lead), and returned. A
        record that cannot be read or rewritten (broken, too large) is reported in the
        journal once and skipped, so it never stops the leader."""
        found = []
        for m in self.moves(limit=50):
            if m.state != "interrupted":
                continue
            try:
                key, rec = self.record(m.id)
            except ValueError:
                self._report(self._key(m.id), "it is not JSON")
                continue
            if rec is None or rec["state"] not in MOVE_RUNNING:
                continue   # recorded as interrupted already
            rec["state"] = "interrupted"
            rec["summary"] = (f"left half done by {rec.get('node')} (pid {rec.get('pid')}, "
                              f"host {rec.get('host')}), which lost the cluster lock; found by "
                              f"{self.coord.node}, which plans again from what providers serve")
            rec["finished"] = at
            try:
                self.client.txn([self.state.fencing.lead_fence(),
                                 Compare.mod_revision(key.key, key.mod_revision)],
                                [Op.put(key.key, json.dumps(rec))])
            except EtcdRequestTooLarge as exc:
                self._report(key.key, f"it cannot be rewritten as interrupted ({exc})")
                continue
            found.append(m)
        return found

    # -- break glass ------------------------------------------------------------------------

    def sync_break_glass(self) -> list[int]:
        """Copy this node's break-glass moves into the shared history (once each)."""
        done = {int(e["data_json"]["local_id"]) for e in _events(self.journal, "shared")
                if "local_id" in e["data_json"]}
        numbers = []
        for m in reversed(self.journal.moves(limit=1000)):
            if not m.args.get("break_glass") or m.id in done or m.state in MOVE_RUNNING:
                continue
            steps = [{"provider": s.provider, "vendor": s.vendor, "before": s.before,
                      "desired": s.desired, "changes": s.changes, "state": s.state,
                      "error": s.error, "started": s.started, "applied": s.applied,
                      "tolerated": s.tolerated} for s in self.journal.steps(m.id)]
            record = {"kind": m.kind, "started": m.started, "finished": m.finished,
                      "state": m.state, "reason": m.reason, "args": m.args,
                      "checksum": m.checksum, "pid": m.pid, "host": m.host,
                      "node": self.coord.node, "vendor": self.vendor,
                      "rollback_of": m.rollback_of, "break_glass": True, "local_id": m.id,
                      "summary": f"BREAK GLASS (without the cluster lock): {m.summary}"}
            number = self._create(record, steps, self.journal.verifications(m.id), [])
            self.journal.event(time.time(), "shared",
                               f"break-glass move {m.id} copied to etcd as move {number}",
                               {"local_id": m.id, "shared_id": number})
            if self.coord.pin() is None and m.state != "failed":
                # A manual move's pin, and so it expires as one (pins.move_expires).
                until = (time.time() + self.pin_expires if self.pin_expires is not None
                         else None)
                self.coord.set_pin(Pin(Holder(self.coord.node, m.pid, m.host, m.started,
                                              "failover move --break-glass"),
                                       f"break-glass move {number}", number, until=until))
            numbers.append(number)
        return numbers


# A step's images, each kept in its own chunked keys.
_IMAGES = ("before", "desired", "changes")
# Characters of an image per key: a few chunks make one request, far under the limit.
_CHUNK = 256 * 1024
# What one transaction of parts carries: well under the limit, so that each is quick to
# commit on a slow disk, within a member's share of retry_timeout.
_BATCH = min(MAX_REQUEST, 2 * _CHUNK)
# Operations in one transaction: under etcd's --max-txn-ops (128 by default).
_BATCH_OPS = 100


def _fits(key: str, value: str) -> None:
    """Raise EtcdRequestTooLarge, before sending, for a key no request can carry."""
    size = len(key.encode()) + len(value.encode())
    if size > MAX_REQUEST:
        raise EtcdRequestTooLarge(
            f"etcd key {key} would hold {size} bytes, above what one request to etcd may "
            f"carry ({MAX_REQUEST}); nothing was sent")


def _loads(text: str) -> dict[str, Any]:
    """A record's JSON; {} when it is not a JSON object."""
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _readable(rec: dict[str, Any]) -> bool:
    try:
        _row(rec)
    except (KeyError, TypeError, ValueError):
        return False
    return isinstance(rec.get("state"), str)


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
