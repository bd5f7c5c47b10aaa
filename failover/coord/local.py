"""The local backend: one machine. A flock and a pin file keyed by the ZONE; the journal stores.

This node is the only one: it always leads, and has no vantage points to
publish to or read from, so a watcher's verbs do nothing here.

The lock and the pin live in one directory per machine, not beside the journal,
so two copies of one config with different journal files still share them:
``$FAILOVER_LOCK_DIR``, else ``/run/lock/failover``, else ``failover-lock`` in the
system's temporary directory. The kernel drops the flock when its holder dies.
"""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from failover.coord.base import Coordinator, MoveStore, Pin, Snapshot
from failover.coord.lock import MoveLock
from failover.coord.quorum import View
from failover.errors import JournalError
from failover.journal import Journal, MoveRow
from failover.verdict import Verdict

LOCK_DIR_ENV = "FAILOVER_LOCK_DIR"


def lock_dir() -> Path:
    """The machine's directory for zone locks and pins: ours, mode 0755.

    Only its owner may write there: in a world-writable one (an older failover made it
    1777) any local user could forge a pin that stops the automation, or hold a zone's
    flock so that no move runs. One owned by another user is refused, not skipped for
    the next candidate: that would split the lock between two users' failovers.
    """
    explicit = os.environ.get(LOCK_DIR_ENV)
    candidates = [Path(explicit)] if explicit else [
        Path("/run/lock/failover"), Path(tempfile.gettempdir()) / "failover-lock"]
    problems = []
    for folder in candidates:
        try:
            if not folder.is_dir():
                folder.mkdir(mode=0o755, parents=True, exist_ok=True)
            _ours(folder)
            if os.access(folder, os.W_OK | os.X_OK):
                return folder
            problems.append(f"{folder}: not writable")
        except OSError as exc:
            problems.append(f"{folder}: {exc.strerror}")
    raise JournalError(f"no directory for the move lock ({'; '.join(problems)}); set "
                       f"{LOCK_DIR_ENV} to a writable directory")


def _ours(folder: Path) -> None:
    """Refuse ``folder`` unless this user owns it; make it 0755 if others may write."""
    info = folder.lstat()
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise JournalError(f"{folder}: the lock directory is not a directory (a symbolic "
                           f"link?); remove it, or set {LOCK_DIR_ENV} to a directory of yours")
    if info.st_uid != os.geteuid():
        raise JournalError(f"{folder}: the lock directory is owned by uid {info.st_uid}, not "
                           f"this user (uid {os.geteuid()}); run failover as its owner, or "
                           f"set {LOCK_DIR_ENV} to a directory of yours")
    if stat.S_IMODE(info.st_mode) & 0o022:
        folder.chmod(0o755)


def refuse_foreign(path: Path, fd: int, what: str) -> None:
    """Raise JournalError when the open file ``fd`` belongs to another user: a pin or lock
    someone else wrote is not this user's decision."""
    owner = os.fstat(fd).st_uid
    if owner != os.geteuid():
        raise JournalError(f"{path}: a {what} owned by uid {owner}, not this user (uid "
                           f"{os.geteuid()}), is refused; remove it if nobody of yours "
                           "wrote it")


def zone_key(zone: str) -> str:
    """A file name for the zone: 'example.org.' -> 'example.org'."""
    return re.sub(r"[^a-z0-9._-]", "_", zone.lower().rstrip(".")) or "root"


class LocalCoordinator(Coordinator):
    kind = "local"

    def __init__(self, zone: str, journal: Journal) -> None:
        self.zone = zone
        self.node = socket.gethostname()
        self.journal = journal
        self.where = str(journal.path)
        folder = lock_dir()
        self.lock_path = folder / f"{zone_key(zone)}.lock"
        self.pin_path = folder / f"{zone_key(zone)}.pin.json"

    def snapshot(self) -> Snapshot:
        return Snapshot(terminated=self.terminated_vendors(), pin=self.pin())

    def lock(self, command: str | None = None, *, auto: bool = False,
             break_glass: bool = False) -> MoveLock:
        return MoveLock(self.lock_path, command)

    @property
    def store(self) -> MoveStore:
        return self.journal

    def terminated_vendors(self) -> dict[str, tuple[float, str]]:
        return self.journal.terminated_vendors()

    def mark_terminated(self, vendor: str, at: float, reason: str) -> None:
        self.journal.mark_terminated(vendor, at, reason)

    def reinstate(self, vendor: str) -> bool:
        return self.journal.reinstate(vendor)

    def pin(self) -> Pin | None:
        try:
            fd = os.open(self.pin_path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise JournalError(f"{self.pin_path}: unreadable pin ({exc.strerror}); "
                               "'failover resume' removes it") from None
        with os.fdopen(fd, "rb") as f:
            refuse_foreign(self.pin_path, fd, "pin")
            try:
                data: dict[str, Any] = json.loads(f.read(1024 * 1024))
            except (OSError, ValueError) as exc:
                raise JournalError(f"{self.pin_path}: unreadable pin ({exc}); "
                                   "'failover resume' removes it") from None
        return Pin.from_json(data)

    def set_pin(self, pin: Pin) -> None:
        # Written whole, then renamed: a reader sees the old pin or the new one.
        tmp = self.pin_path.with_name(f".{self.pin_path.name}.{os.getpid()}")
        tmp.write_text(json.dumps(pin.to_json()))
        tmp.chmod(0o644)
        tmp.replace(self.pin_path)

    def clear_pin(self) -> Pin | None:
        try:
            pin = self.pin()
        except JournalError:
            pin = None
        try:
            self.pin_path.unlink()
        except FileNotFoundError:
            return None
        return pin

    # -- a watcher's verbs: the only node leads and shares nothing ------------------

    def publish_view(self, verdicts: Sequence[Verdict], at: float) -> None:
        return None

    def campaign(self) -> str:
        return self.node

    def views(self) -> list[View]:
        return []

    def cluster_state(self) -> dict[str, Any]:
        return {}

    def save_cluster_state(self, state: dict[str, Any]) -> None:
        return None

    def adopt_unfinished(self, at: float) -> list[MoveRow]:
        return []   # the journal reads a move whose process is gone as interrupted

    def publish_sentence(self, sentence: str, at: float) -> None:
        return None   # the journal holds the cycle's sentence already
