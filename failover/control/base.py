"""What a control-plane probe reports, and the bookkeeping every such probe shares.

A :class:`ControlResult` answers "is our account at this vendor alive, and are
our machines there running?" with one of three states:

- ``alive``: the vendor's API accepted our credentials;
- ``refused``: termination evidence: the vendor refuses our account or keys;
- ``unknown``: we could not tell (timeouts, throttling, 5xx, connection refused,
  our own missing credentials); never termination evidence.

A :class:`Trace` is what one probe carries while it runs: the evidence it has
gathered so far (kept even when the probe runs out of time), its time budget,
and the secrets it has read, which are scrubbed from every reason and every
piece of evidence before anything leaves the probe.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from failover.config import Config
from failover.config.secretfile import SecretFileError, read_secret_env, read_secret_file
from failover.untrusted import clean, remember_secret

ALIVE = "alive"
REFUSED = "refused"
UNKNOWN = "unknown"
STATES = (ALIVE, REFUSED, UNKNOWN)

MAX_REASON = 200
MAX_DETAIL = 300
_MIN_SECRET = 4      # shorter values would scrub innocent words
_MASK = "***"


@dataclass(frozen=True)
class ControlResult:
    """What one vendor's control plane said, with the evidence and how long it took."""

    vendor: str
    kind: str                 # aws | gcp | ssh | http
    state: str                # alive | refused | unknown
    reason: str               # one short sentence
    latency: float            # seconds
    at: float                 # clock.now() when the probe started
    evidence: list[dict[str, Any]]   # {"probe", "ok", "code", "detail"}; never secrets
    instances_running: int | None = None
    instances_expected: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape: every field, latency in milliseconds as in data-plane results."""
        return {"vendor": self.vendor, "kind": self.kind, "state": self.state,
                "reason": self.reason, "latency_ms": round(self.latency * 1000, 1),
                "at": self.at, "evidence": [dict(e) for e in self.evidence],
                "instances_running": self.instances_running,
                "instances_expected": self.instances_expected}


@dataclass(frozen=True)
class Outcome:
    """A probe's conclusion, before the common fields (vendor, timing, evidence) are added."""

    state: str
    reason: str
    instances_running: int | None = None
    instances_expected: int | None = None


class SecretMissing(Exception):
    """A credential the config points at is not there (unset variable, unreadable file)."""


def shorten(text: object, limit: int = MAX_REASON) -> str:
    """One inert line of at most ``limit`` characters: reasons quote what the vendor said."""
    return clean(text, limit)


@dataclass
class Trace:
    """Evidence, time budget and secrets of one running probe.

    The budget is real time (``time.monotonic``), not the injected clock: it bounds
    real sockets. Appends happen on the probe's thread while the caller may take a
    snapshot after a timeout, hence the lock.
    """

    timeout: float
    started: float = field(default_factory=time.monotonic)
    _evidence: list[dict[str, Any]] = field(default_factory=list)
    _secrets: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def remaining(self) -> float:
        """Seconds left of the probe's budget (zero or more)."""
        return max(0.0, self.started + self.timeout - time.monotonic())

    def secret(self, value: str | None) -> None:
        """Remember a credential so that it is scrubbed from everything reported."""
        if value and len(value) >= _MIN_SECRET:
            remember_secret(value)
            with self._lock:
                self._secrets.add(value)

    def scrub(self, text: str) -> str:
        """``text`` with every known secret masked."""
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for value in secrets:
            text = text.replace(value, _MASK)
        return text

    def add(self, probe: str, ok: bool, code: str | None = None, detail: str = "") -> None:
        """Record one API call's outcome: which call, whether it went well, the vendor's code."""
        # The code is the vendor's too (an API error code, an HTTP status).
        entry = {"probe": probe, "ok": ok, "code": None if code is None else shorten(code, 80),
                 "detail": shorten(detail, MAX_DETAIL)}
        with self._lock:
            self._evidence.append(entry)

    def evidence(self) -> list[dict[str, Any]]:
        """A scrubbed copy of the evidence so far."""
        with self._lock:
            entries = [dict(e) for e in self._evidence]
        for entry in entries:
            for key in ("probe", "code", "detail"):
                if isinstance(entry[key], str):
                    entry[key] = self.scrub(entry[key])
        return entries


def read_secret(config: Config, trace: Trace, *, env: str | None, file: str | None,
                what: str) -> str:
    """A credential from an environment variable or a file (relative to the config file).

    The value is registered with ``trace`` for scrubbing; a missing one raises
    :class:`SecretMissing` with a message that names the variable or file, never a value.
    """
    if env:
        try:
            value = read_secret_env(env)
        except SecretFileError as exc:
            raise SecretMissing(f"{what}: {exc}") from None
        if not value:
            raise SecretMissing(f"{what}: environment variable {env} is not set")
    elif file:
        try:
            value = read_secret_file(config.resolve_path(file))
        except SecretFileError as exc:
            raise SecretMissing(f"{what}: {exc}") from None
    else:
        raise SecretMissing(f"{what}: neither an environment variable nor a file is configured")
    trace.secret(value)
    return value
