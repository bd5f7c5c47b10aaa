"""What goes out after the engine acts: notices and the status page, in the background.

A move returns as soon as it is verified and journaled; its notice and the page are
sent from here on their own threads, so it cannot delay the next step (a rollback,
the next watch cycle). :meth:`Outbox.drain` waits for them, bounded, before the
process ends (the engine's ``close`` calls it), so a one-shot ``failover move``
still gets its notice out.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from failover.engine import Engine
    from failover.notify.notices import Notice

log = logging.getLogger("failover.notify")


class Outbox:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def run(self, name: str, work: Callable[[], Any]) -> None:
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

    def notify(self, notice: Notice) -> None:
        """Send ``notice`` to every channel in the background (nothing without ``notify:``)."""
        if self.engine.config.notify is None:
            return
        from failover.notify.send import Notifier

        notifier = Notifier(self.engine.config, journal=self.engine.journal,
                            clock=self.engine.clock)
        self.run(f"notice-{notice.kind}", lambda: notifier.send(notice))

    def publish(self, *, move_id: int | None = None) -> None:
        """Publish the status page to every target in the background (nothing without
        ``page:`` targets)."""
        page = self.engine.config.page
        if page is None or not page.targets:
            return
        from failover.reports.publish import publish_page

        self.run("status-page", lambda: publish_page(self.engine, move_id=move_id))

    def drain(self, timeout: float | None = None) -> None:
        """Wait for everything under way, at most ``timeout`` seconds in all (default:
        two notify deadlines, the page's reads and upload, and a second)."""
        cfg = self.engine.config
        if timeout is None:
            timeout = (2 * (cfg.notify.deadline if cfg.notify else 0.0)
                       + (cfg.page.timeout + cfg.verify.timeout if cfg.page else 0.0) + 1.0)
        end = time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
        for t in threads:
            t.join(max(0.0, end - time.monotonic()))
