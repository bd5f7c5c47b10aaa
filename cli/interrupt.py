"""Ctrl-C while DNS is being written (issue 20): the first lets the writes under way
finish, and what was written is verified, journaled and summed up with the command that
undoes it; the second stops waiting (writes still under way are journaled as outcome
unknown) and the split is printed; after the move ended, Ctrl-C changes nothing.

The engine is told through two events (``cancel``, ``abandon``) that it checks between
steps; a KeyboardInterrupt raised in the middle of a write is what left DNS split without
a word before.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType, TracebackType

# The exit code of a command a person interrupted (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130


def process_started() -> float:
    """When this process started, on the monotonic clock: the wall time a person waits
    includes the interpreter's start and the imports (Linux: /proc/self/stat's start
    time against CLOCK_BOOTTIME; elsewhere, now)."""
    now = time.monotonic()
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[19])          # field 22: starttime, in clock ticks since boot
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return now
    return now - age if 0 <= age < 3600 else now


class LeaveWaiting(Exception):
    """A Ctrl-C while the ended command waits for its notices: stop waiting for them."""


class Interrupts:
    """SIGINT for one command that writes DNS. Before :meth:`arm` a Ctrl-C interrupts as
    usual (planning, the prompt: nothing written); once armed it sets ``cancel`` then
    ``abandon``; once :meth:`finish` ed it only says that the outcome stands."""

    def __init__(self, what: str = "move") -> None:
        self.what = what
        self.cancel = threading.Event()
        self.abandon = threading.Event()
        self.armed = False
        self.finished = False
        # Writes left under way by the second Ctrl-C: their threads may wait for a
        # provider's timeout, so the process ends at once when the block does.
        self.left_behind = False
        self.closing = False     # the outcome is printed; notices and the page are waited for
        self.started = process_started()   # for the wall time the person waited
        self._old: object = None

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGINT, self._on_signal)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)  # type: ignore[arg-type]
        if self.left_behind and exc is None:
            # Everything is journaled and printed; the lock is let go and the journal
            # closed. Waiting for the abandoned writes is what the person refused.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(EXIT_INTERRUPTED)

    def arm(self) -> None:
        """From here on DNS may be written: a Ctrl-C no longer raises."""
        self.armed = True

    def finish(self) -> None:
        """The writes and verification ended: the outcome stands, whatever Ctrl-C follows."""
        self.finished = True

    def _say(self, line: str) -> None:
        sys.stderr.write(f"failover: {line}\n")
        sys.stderr.flush()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if not self.armed:
            raise KeyboardInterrupt
        if self.finished and self.closing:
            self._say(f"Ctrl-C: not waiting for the notices; the {self.what}'s outcome "
                      "stands")
            self.closing = False
            raise LeaveWaiting
        if self.finished:
            self._say(f"Ctrl-C: the {self.what} already ended; its outcome stands (what "
                      "is left: the summary and the notices, bounded)")
        elif not self.cancel.is_set():
            self.cancel.set()
            self._say("Ctrl-C: starting no more writes; the writes under way finish and "
                      "are verified, then the summary and the undo command (Ctrl-C again "
                      "to stop waiting)")
        elif not self.abandon.is_set():
            self.abandon.set()
            self._say("Ctrl-C again: no more waiting; writes still under way are "
                      "journaled as outcome unknown, and what is split is printed")
        else:
            self._say("Ctrl-C: already stopping")

    @property
    def interrupted(self) -> bool:
        return self.cancel.is_set()
