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
    """The machine's directory for zone locks and pins (created world-writable, sticky)."""
    explicit = os.environ.get(LOCK_DIR_ENV)
    candidates = [Path(explicit)] if explicit else [
        Path("/run/lock/failover"), Path(tempfile.gettempdir()) / "failover-lock"]
    problems = []
    for folder in candidates:
        try:
            if not folder.is_dir():
                folder.mkdir(parents=True, exist_ok=True)
                if not explicit:
                    folder.chmod(0o1777)   # every user's failover shares one lock per zone
            if os.access(folder, os.W_OK | os.X_OK):
                return folder
            problems.append(f"{folder}: not writable")
        except OSError as exc:
            problems.append(f"{folder}: {exc.strerror}")
    raise JournalError(f"no directory for the move lock ({'; '.join(problems)}); set "
                       f"{LOCK_DIR_ENV} to a writable directory")


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
            data: dict[str, Any] = json.loads(self.pin_path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise JournalError(f"{self.pin_path}: unreadable pin ({exc}); "
                               "'failover resume' removes it") from None
        return Pin.from_json(data)

    def set_pin(self, pin: Pin) -> None:
        # Written whole, then renamed: a reader sees the old pin or the new one.
        tmp = self.pin_path.with_name(f".{self.pin_path.name}.{os.getpid()}")
        tmp.write_text(json.dumps(pin.to_json()))
        tmp.chmod(0o666)
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
