"""The background the subscribers send from: notices and the status page on their own threads.

A move returns as soon as it is verified and journaled; its notice and the page are
sent from here, so they cannot delay the next step (a rollback, the next watch cycle).
:meth:`Outbox.drain` waits for them, bounded, before the process ends (the engine's
``close`` drains its sinks), so a one-shot ``failover move`` still gets its notice out.

:class:`Recorder` is what a subscriber needs of whoever it serves (the engine, as the
CLI wires it): the config, the clock and the journal where deliveries are kept.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from failover.clock import Clock
from failover.config import Config
from failover.journal import Journal

log = logging.getLogger("failover.notify")


class Recorder(Protocol):
    @property
    def config(self) -> Config: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def journal(self) -> Journal: ...


class Outbox:
    def __init__(self, config: Config) -> None:
        self.config = config
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def run(self, name: str, work: Callable[[], Any]) -> None:
        """Do ``work`` on a thread of its own; a failure is logged, never raised."""
        def run() -> None:
            try:
                work()
            except Exception as exc:  # the outbox never takes the engine down
                log.warning("%s failed: %s: %s", name, type(exc).__name__, exc)

        t = threading.Thread(target=run, name=name, daemon=True)
        with self._lock:
            self._threads = [x for x in self._threads if x.is_alive()]
            self._threads.append(t)
        t.start()

    def pending(self) -> list[str]:
        """The names of the work still under way ("notice-move", "heartbeat", "page"), for
        a person told what the process waits for."""
        with self._lock:
            return [t.name for t in self._threads if t.is_alive()]

    def bound(self) -> float:
        """How long :meth:`drain` waits at most: two notify deadlines, the page's reads
        and upload, and a second."""
        cfg = self.config
        return (2 * (cfg.notify.deadline if cfg.notify else 0.0)
                + (cfg.page.timeout + cfg.verify.timeout if cfg.page else 0.0) + 1.0)

    def drain(self, timeout: float | None = None) -> None:
        """Wait for everything under way, at most ``timeout`` seconds in all (default:
        :meth:`bound`). What is still running then is left behind (daemon threads), so a
        second drain, by another subscriber sharing this outbox, does not wait for it
        again."""
        if timeout is None:
            timeout = self.bound()
        end = time.monotonic() + timeout
        with self._lock:
            threads, self._threads = self._threads, []
        for t in threads:
            t.join(max(0.0, end - time.monotonic()))
