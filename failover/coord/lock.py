"""The move lock: only one move at a time.

A local file lock (``flock``), one per zone (see :mod:`failover.coord.local`). The
holder writes who it is into the file, so the loser can say "held by ops-laptop (pid 4242, host
ops-laptop, since 12:03:04, failover move --off aws)". The kernel drops the lock when the
holder dies, so a killed move never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time
from pathlib import Path
from types import TracebackType

from failover.coord.base import Holder
from failover.errors import JournalError, LockHeld


class MoveLock:
    """``with MoveLock(path): ...`` holds the lock for the block or raises LockHeld."""

    def __init__(self, path: Path, command: str | None = None) -> None:
        self.path = path
        self.command = command or " ".join(["failover", *sys.argv[1:]])
        self._fd: int | None = None

    def __enter__(self) -> MoveLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        except OSError as exc:   # ELOOP: a symbolic link planted in its place
            raise JournalError(f"{self.path}: cannot open the move lock: {exc.strerror}; "
                               "remove it") from None
        if os.fstat(fd).st_uid != os.geteuid():
            # Another user's file: its flock could keep every move out (issue 21).
            owner = os.fstat(fd).st_uid
            os.close(fd)
            raise JournalError(f"{self.path}: a lock owned by uid {owner}, not this user "
                               f"(uid {os.geteuid()}), is refused; remove it if nobody of "
                               "yours made it")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise LockHeld(f"another move is running: held by {holder}; wait for it to finish, "
                           "or see 'failover status'") from None
        info = Holder.me(socket.gethostname(), self.command).to_json()
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _read_holder(fd: int) -> str:
    # The holder writes its details just after taking the lock: give it a moment.
    for _ in range(50):
        try:
            info = json.loads(os.pread(fd, 4096, 0) or b"{}")
            return Holder.from_json({"node": info["host"], **info}).describe()
        except (ValueError, KeyError, TypeError):
            time.sleep(0.01)
    return "another process (no holder details)"
