"""The journal: an embedded SQLite record of checks, verdicts, moves and verifications.

It is the memory that makes one-shot runs (cron, CI) behave like a daemon:
rise/fall counters live here. For moves it is the safety net: the plan and
every provider's before-image are committed before anything is written, and
each provider's step moves ``planned -> writing -> applied|failed`` with a
commit at each edge, so a process killed half way leaves a journal from
which ``status`` can tell what was and was not written.

Secrets never reach it: only record sets, probe outcomes and sentences.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import stat
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from failover.errors import JournalError

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS checks (
  id INTEGER PRIMARY KEY, at REAL NOT NULL, hosting TEXT NOT NULL, probe TEXT NOT NULL,
  target TEXT NOT NULL, ok INTEGER NOT NULL, latency REAL NOT NULL, reason TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS checks_at ON checks (at);
CREATE TABLE IF NOT EXISTS hosting_state (
  hosting TEXT PRIMARY KEY, verdict TEXT NOT NULL, ok_streak INTEGER NOT NULL,
  fail_streak INTEGER NOT NULL, since REAL NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS verdicts (
  id INTEGER PRIMARY KEY, at REAL NOT NULL, hosting TEXT NOT NULL, verdict TEXT NOT NULL,
  reason TEXT NOT NULL, evidence TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS moves (
  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, started REAL NOT NULL, finished REAL,
  state TEXT NOT NULL, reason TEXT NOT NULL, args TEXT NOT NULL, checksum TEXT NOT NULL,
  pid INTEGER NOT NULL, host TEXT NOT NULL, rollback_of INTEGER, summary TEXT);
CREATE TABLE IF NOT EXISTS move_steps (
  move_id INTEGER NOT NULL, provider TEXT NOT NULL, vendor TEXT NOT NULL,
  before TEXT NOT NULL, desired TEXT NOT NULL, changes TEXT NOT NULL, state TEXT NOT NULL,
  error TEXT, started REAL, applied REAL, tolerated INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (move_id, provider));
CREATE TABLE IF NOT EXISTS step_images (
  move_id INTEGER NOT NULL, provider TEXT NOT NULL, before TEXT NOT NULL,
  desired TEXT NOT NULL, changes TEXT NOT NULL, PRIMARY KEY (move_id, provider));
CREATE TABLE IF NOT EXISTS verifications (
  id INTEGER PRIMARY KEY, move_id INTEGER NOT NULL, provider TEXT NOT NULL,
  authority TEXT NOT NULL, ok INTEGER NOT NULL, seconds REAL NOT NULL, detail TEXT NOT NULL,
  at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS vendor_state (
  vendor TEXT PRIMARY KEY, state TEXT NOT NULL, since REAL NOT NULL, reason TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY, at REAL NOT NULL, kind TEXT NOT NULL, sentence TEXT NOT NULL,
  data TEXT NOT NULL);
"""

# Move states. A move whose process died while 'applying' or 'verifying' is
# shown as interrupted by readers; the row itself is never rewritten by them.
MOVE_RUNNING = ("applying", "verifying")


@dataclass(frozen=True)
class HostingState:
    hosting: str
    verdict: str
    ok_streak: int
    fail_streak: int
    since: float
    updated: float


@dataclass(frozen=True)
class MoveRow:
    id: int
    kind: str
    started: float
    finished: float | None
    state: str
    reason: str
    args: dict[str, Any]
    checksum: str
    pid: int
    host: str
    rollback_of: int | None
    summary: str | None

    @property
    def interrupted(self) -> bool:
        """True when the move stopped half way: its process is gone and it never finished."""
        if self.state not in MOVE_RUNNING:
            return False
        if self.host != socket.gethostname():
            return False  # cannot tell from here; readers say 'running elsewhere?'
        return not _pid_alive(self.pid)

    @property
    def shown_state(self) -> str:
        return "interrupted" if self.interrupted else self.state


@dataclass(frozen=True)
class StepRow:
    move_id: int
    provider: str
    vendor: str
    before: list[dict[str, Any]]
    desired: list[dict[str, Any]]
    changes: list[dict[str, Any]]
    state: str
    error: str | None
    started: float | None
    applied: float | None
    tolerated: bool


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _private(path: Path) -> None:
    """The journal's folder exists (only its last level is made, as ``.failover`` beside
    the config: a mistyped path is an error, not folders made from the root), and the
    file is 0600 (0640 kept): it holds addresses, reasons and the vendors' own words.
    SQLite gives its -wal and -shm files the database file's mode."""
    folder = path.parent
    if not folder.is_dir():
        try:
            folder.mkdir(mode=0o700)
        except OSError as exc:
            raise JournalError(f"{path}: the journal's folder {folder} does not exist and "
                               f"cannot be made ({exc.strerror}); create it, or set "
                               "'journal:' in the config to a file in an existing folder"
                               ) from None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        raise JournalError(f"{path}: cannot open the journal: {exc.strerror}; set "
                           "'journal:' in the config to a writable path") from None
    try:
        info = os.fstat(fd)
        if stat.S_IMODE(info.st_mode) & 0o037 and info.st_uid == os.geteuid():
            os.fchmod(fd, stat.S_IMODE(info.st_mode) & 0o740)
    finally:
        os.close(fd)


class Journal:
    """One SQLite file; safe to share between the threads of one move."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        _private(self.path)
        try:
            self._db = sqlite3.connect(str(self.path), timeout=30, check_same_thread=False,
                                       isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            # A 256 KiB page cache, not SQLite's 2 MiB: writes are appends and the
            # reads are by key, and a bulk move's before-images would otherwise fill
            # the whole cache for nothing (1.5 MiB of a 10,000-record move's peak).
            self._db.execute("PRAGMA cache_size=-256")
            self._db.executescript(_SCHEMA)
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)",
                             (str(SCHEMA_VERSION),))
        except (sqlite3.Error, OSError) as exc:
            raise JournalError(f"{self.path}: cannot open the journal: {exc}; "
                               "set 'journal:' in the config to a writable path") from None
        self._lock = threading.RLock()

    def close(self) -> None:
        # Under the lock: a thread still recording (a move abandoned by a second Ctrl-C, a
        # watcher's cycle) finishes its transaction first, and any after it gets
        # "closed database", never a connection freed under it (sqlite3 then crashes).
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    # -- checks and verdicts -------------------------------------------------

    def record_checks(self, rows: Sequence[tuple[float, str, str, str, bool, float, str]]) -> None:
        """(at, hosting, probe, target, ok, latency, reason) per probe."""
        with self._tx() as db:
            db.executemany("INSERT INTO checks (at, hosting, probe, target, ok, latency, reason)"
                           " VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

    def hosting_states(self) -> dict[str, HostingState]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM hosting_state").fetchall()
        return {r["hosting"]: HostingState(**dict(r)) for r in rows}

    def last_reason(self, hosting: str) -> str:
        """The sentence of ``hosting``'s newest verdict ('' if it has none): why it is
        what it is. Read newest first by id, so a long journal costs one short scan."""
        with self._lock:
            row = self._db.execute("SELECT reason FROM verdicts WHERE hosting = ? "
                                   "ORDER BY id DESC LIMIT 1", (hosting,)).fetchone()
        return str(row["reason"]) if row is not None else ""

    def save_verdicts(self, at: float, states: Sequence[HostingState],
                      verdicts: Sequence[tuple[str, str, str, list[dict[str, Any]]]]) -> None:
        """Store the new counters and the verdicts (hosting, verdict, reason, evidence)."""
        with self._tx() as db:
            db.executemany(
                "INSERT INTO hosting_state VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(hosting) DO "
                "UPDATE SET verdict=excluded.verdict, ok_streak=excluded.ok_streak, "
                "fail_streak=excluded.fail_streak, since=excluded.since, updated=excluded.updated",
                [(s.hosting, s.verdict, s.ok_streak, s.fail_streak, s.since, s.updated)
                 for s in states])
            db.executemany("INSERT INTO verdicts (at, hosting, verdict, reason, evidence) "
                           "VALUES (?, ?, ?, ?, ?)",
                           [(at, h, v, r, json.dumps(e)) for h, v, r, e in verdicts])

    # -- moves -----------------------------------------------------------------

    def begin_move(self, *, kind: str, at: float, reason: str, args: dict[str, Any],
                   checksum: str, steps: Sequence[dict[str, Any]],
                   rollback_of: int | None = None) -> int:
        """Commit the move and every provider's before-image before anything is written."""
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO moves (kind, started, state, reason, args, checksum, pid, host,"
                " rollback_of) VALUES (?, ?, 'applying', ?, ?, ?, ?, ?, ?)",
                (kind, at, reason, json.dumps(args, sort_keys=True), checksum, os.getpid(),
                 socket.gethostname(), rollback_of))
            move_id = int(cur.lastrowid or 0)
            # The images go in their own table: SQLite rewrites a whole row on UPDATE,
            # and a step's state changes at each edge, so a 10,000-record before-image
            # in move_steps was copied (and synced) twice more per provider. move_steps
            # keeps '' there, which no reader takes for an empty image.
            db.executemany(
                "INSERT INTO move_steps (move_id, provider, vendor, before, desired, changes,"
                " state, tolerated, error) VALUES (?, ?, ?, '', '', '', ?, ?, ?)",
                [(move_id, s["provider"], s["vendor"], s["state"],
                  int(s.get("tolerated", False)), s.get("error")) for s in steps])
            db.executemany(
                "INSERT INTO step_images (move_id, provider, before, desired, changes)"
                " VALUES (?, ?, ?, ?, ?)",
                ((move_id, s["provider"], json_text(s["before"]), json_text(s["desired"]),
                  json_text(s["changes"])) for s in steps))
        return move_id

    def step_state(self, move_id: int, provider: str, state: str, *, at: float,
                   error: str | None = None) -> None:
        column = "started" if state == "writing" else "applied"
        with self._tx() as db:
            db.execute(f"UPDATE move_steps SET state=?, error=?, {column}=? "
                       "WHERE move_id=? AND provider=?", (state, error, at, move_id, provider))

    def move_state(self, move_id: int, state: str, *, at: float | None = None,
                   summary: str | None = None) -> None:
        with self._tx() as db:
            db.execute("UPDATE moves SET state=?, finished=COALESCE(?, finished),"
                       " summary=COALESCE(?, summary) WHERE id=?", (state, at, summary, move_id))

    def record_verification(self, move_id: int, provider: str, authority: str, ok: bool,
                            seconds: float, detail: str, at: float) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO verifications (move_id, provider, authority, ok, seconds,"
                       " detail, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (move_id, provider, authority, int(ok), seconds, detail, at))

    def moves(self, limit: int = 20) -> list[MoveRow]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM moves ORDER BY id DESC LIMIT ?",
                                    (limit,)).fetchall()
        return [_move(r) for r in rows]

    def move(self, move_id: int) -> MoveRow | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM moves WHERE id=?", (move_id,)).fetchone()
        return _move(row) if row else None

    def steps(self, move_id: int) -> list[StepRow]:
        with self._lock:
            # Journals written before step_images hold the images in move_steps.
            rows = self._db.execute(
                "SELECT s.move_id, s.provider, s.vendor, s.state, s.error, s.started,"
                " s.applied, s.tolerated, COALESCE(i.before, s.before) AS before,"
                " COALESCE(i.desired, s.desired) AS desired,"
                " COALESCE(i.changes, s.changes) AS changes FROM move_steps s"
                " LEFT JOIN step_images i USING (move_id, provider)"
                " WHERE s.move_id=? ORDER BY s.provider", (move_id,)).fetchall()
        return [StepRow(move_id=r["move_id"], provider=r["provider"], vendor=r["vendor"],
                        before=json.loads(r["before"]), desired=json.loads(r["desired"]),
                        changes=json.loads(r["changes"]), state=r["state"], error=r["error"],
                        started=r["started"], applied=r["applied"],
                        tolerated=bool(r["tolerated"])) for r in rows]

    def verifications(self, move_id: int) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM verifications WHERE move_id=? ORDER BY id",
                                    (move_id,)).fetchall()
        return [dict(r) for r in rows]

    def rolled_back(self, move_id: int) -> bool:
        with self._lock:
            row = self._db.execute("SELECT 1 FROM moves WHERE rollback_of=? AND state='done'",
                                   (move_id,)).fetchone()
        return row is not None

    # -- vendors -------------------------------------------------------------------

    def mark_terminated(self, vendor: str, at: float, reason: str) -> None:
        """Remember that a vendor terminated us; kept until an operator reinstates it."""
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO vendor_state VALUES (?, 'terminated', ?, ?)",
                       (vendor, at, reason))

    def reinstate(self, vendor: str) -> bool:
        with self._tx() as db:
            cur = db.execute("DELETE FROM vendor_state WHERE vendor=?", (vendor,))
        return cur.rowcount > 0

    def terminated_vendors(self) -> dict[str, tuple[float, str]]:
        with self._lock:
            rows = self._db.execute("SELECT vendor, since, reason FROM vendor_state").fetchall()
        return {r["vendor"]: (r["since"], r["reason"]) for r in rows}

    # -- what this node last read of shared state (kept in meta) ------------------

    def remember(self, key: str, value: dict[str, Any] | None) -> None:
        """Keep ``value`` under ``key`` (None forgets it): e.g. the pin last read from etcd,
        shown as last known while etcd cannot be asked."""
        with self._tx() as db:
            if value is None:
                db.execute("DELETE FROM meta WHERE key=?", (f"seen:{key}",))
            else:
                db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                           (f"seen:{key}", json.dumps(value, sort_keys=True)))

    def recall(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key=?",
                                   (f"seen:{key}",)).fetchone()
        if row is None:
            return None
        try:
            value = json.loads(row[0])
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    # -- events ------------------------------------------------------------------

    def event(self, at: float, kind: str, sentence: str,
              data: dict[str, Any] | None = None) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO events (at, kind, sentence, data) VALUES (?, ?, ?, ?)",
                       (at, kind, sentence, json.dumps(data or {}, sort_keys=True)))

    def count_events(self, kind: str) -> int:
        with self._lock:
            row = self._db.execute("SELECT count(*) FROM events WHERE kind=?", (kind,)).fetchone()
        return int(row[0])

    def events(self, limit: int = 50, kind: str | None = None) -> list[dict[str, Any]]:
        query = "SELECT * FROM events"
        params: tuple[Any, ...] = ()
        if kind:
            query += " WHERE kind=?"
            params = (kind,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY id DESC LIMIT ?",
                                    (*params, limit)).fetchall()
        return [dict(r) for r in rows]


def json_text(value: str | list[Any]) -> str:
    """A step's before, desired or changes as stored: JSON text is kept as given."""
    return value if isinstance(value, str) else json.dumps(value)


def json_value(value: str | list[Any]) -> list[Any]:
    """The inverse of :func:`json_text`: the list, for a store that keeps it as such."""
    return json.loads(value) if isinstance(value, str) else value


def _move(r: sqlite3.Row) -> MoveRow:
    return MoveRow(id=r["id"], kind=r["kind"], started=r["started"], finished=r["finished"],
                   state=r["state"], reason=r["reason"], args=json.loads(r["args"]),
                   checksum=r["checksum"], pid=r["pid"], host=r["host"],
                   rollback_of=r["rollback_of"], summary=r["summary"])
