"""Time, passed in: so that hysteresis, timeouts and verification are tested without sleeping."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Wall-clock seconds since the epoch (for the journal)."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (for durations)."""

    def sleep(self, seconds: float) -> None:
        """Wait."""


class SystemClock:
    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class FakeClock:
    """A clock that moves only when told to (or when slept on)."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._mono = 0.0

    def now(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self._now += seconds
        self._mono += seconds


def stamp(at: float | None) -> str:
    """A moment for people: local time with its zone, said once.

    '2026-12-07 22:20:19 UTC' where the zone's name says its offset (UTC, GMT at +0000),
    '2026-12-07 23:20:19 CET (UTC+01:00)' where it does not, and the offset alone where
    the zone has no name ('+03'). '-' for no moment.
    """
    if not at:
        return "-"
    t = time.localtime(at)
    when = time.strftime("%Y-%m-%d %H:%M:%S", t)
    offset = t.tm_gmtoff or 0
    sign = "+" if offset >= 0 else "-"
    hours, minutes = divmod(abs(offset) // 60, 60)
    utc = f"UTC{sign}{hours:02d}:{minutes:02d}"
    name = t.tm_zone or ""
    if offset == 0 and name in ("UTC", "GMT", "Z", ""):
        return f"{when} UTC"
    if not name or name[0] in "+-" or name.startswith(("UTC", "GMT")):
        return f"{when} {utc}"
    return f"{when} {name} ({utc})"
