"""Jobs on daemon threads, each given up on after its own budget.

The DNS check asks every provider, and each provider's sources, at once; a hung
server must hold neither the check nor the process's exit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Jobs(Generic[T]):
    """Jobs on daemon threads, each given up on after its own budget (a hung server
    never holds the check, nor the process's exit)."""

    def __init__(self) -> None:
        self._threads: dict[str, tuple[threading.Thread, float]] = {}
        self._results: dict[str, T] = {}

    def start(self, key: str, job: Callable[[], T], budget: float) -> None:
        def run() -> None:
            self._results[key] = job()

        thread = threading.Thread(target=run, name=f"dnscheck {key}", daemon=True)
        self._threads[key] = (thread, time.monotonic() + budget)
        thread.start()

    def results(self) -> dict[str, T | None]:
        """Each job's result; None for a job still running past its budget."""
        for thread, deadline in self._threads.values():
            thread.join(max(0.0, deadline - time.monotonic()))
        return {key: self._results.get(key) for key in self._threads}

