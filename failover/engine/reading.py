"""Reading the DNS providers: every provider's managed records read at once, each
within its own deadline; write credentials proved without writing; and the tally of
what concurrent waits are still waiting on, for the live line."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from failover.config import Config, read_deadline
from failover.dns.base import Provider
from failover.engine.check import PoolFactory
from failover.errors import FailoverError, ProviderAuthError, ProviderUnreachable
from failover.records import RRKey, RRSet

# Per DNS provider: its RRsets for the managed records, or None and why it could not say.
Reads = dict[str, tuple[dict[RRKey, RRSet] | None, str | None]]
# Tells the live line what a wait still waits on: (doing, names pending, seconds so far).
OnWaiting = Callable[[str, list[str], float], None]


class Waiting:
    """What concurrent waits (provider reads, control planes) are still waiting on: the
    event names everything pending in every wait, so a slow control plane is not hidden
    by the DNS reads going on beside it."""

    def __init__(self, emit: Callable[[str, dict[str, Any]], None]) -> None:
        self._emit = emit
        self._waiting: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def __call__(self, doing: str, names: list[str], seconds: float) -> None:
        """``names`` empty: that wait is over, said silently."""
        with self._lock:
            if not names:
                self._waiting.pop(doing, None)
                return
            self._waiting[doing] = names
            pending = [n for group in self._waiting.values() for n in group]
        self._emit("waiting", {"doing": doing, "providers": pending, "seconds": seconds})


def read_all(config: Config, provider: Callable[[str], Provider],
             keys: Sequence[tuple[str, str]], on_waiting: OnWaiting,
             until: float | None = None) -> Reads:
    """Every provider's current RRsets for ``keys``, read concurrently.

    Each read has its provider's deadline (``deadline``, else ``timeout``): a provider
    past it is reported as not answering, so it counts as serving nothing known, and
    holds up nothing else. ``until`` (a :func:`time.monotonic` value; a leading
    watcher's lease, less its margin) cuts every deadline short: a cycle never waits on
    a provider past the time its lease is sure to hold. While reads are pending,
    ``on_waiting("reading", ...)`` names them about once a second, so a person sees
    which provider is slow.
    """
    names = list(config.dns)
    answers: Reads = {}
    arrived = threading.Condition()

    def read(name: str) -> None:
        answer: tuple[dict[RRKey, RRSet] | None, str | None]
        try:
            answer = provider(name).read(keys), None
        except FailoverError as exc:
            answer = None, str(exc)
        except Exception as exc:  # an SDK error we did not map: still one line
            answer = None, f"{name}: {type(exc).__name__}: {exc}"
        with arrived:
            answers[name] = answer
            arrived.notify_all()

    # Daemon threads, not a pool: a hung provider's read must not hold the process at exit.
    for name in names:
        threading.Thread(target=read, args=(name,), name=f"read-{name}", daemon=True).start()
    # Real time, not the engine's clock: the threads wait in real time whatever the clock.
    start = time.monotonic()
    limits = {n: read_deadline(config.dns[n]) for n in names}
    if until is not None:   # at least a moment: a provider that answers at once is read
        limits = {n: min(limit, max(0.2, until - start)) for n, limit in limits.items()}
    out: Reads = {}
    with arrived:
        while True:
            now = time.monotonic()
            for n in names:
                if n in out:
                    continue
                if n in answers:
                    out[n] = answers[n]
                elif now - start >= limits[n]:
                    why = (f"did not answer within {limits[n]:.1f} s (what is left of this "
                           "node's lease: a leader's cycle waits no longer)"
                           if limits[n] < read_deadline(config.dns[n])
                           else f"did not answer within {limits[n]:g} s (its deadline; "
                                f"dns.{n}.deadline sets it)")
                    out[n] = None, str(ProviderUnreachable(n, why))
            pending = [n for n in names if n not in out]
            if not pending:
                break
            if now - start >= 1.0:
                on_waiting("reading", pending, now - start)
            arrived.wait(min(1.0, min(limits[n] for n in pending) - (now - start)))
    on_waiting("reading", [], 0.0)
    return {n: out[n] for n in names}


def prove_writes(provider: Callable[[str], Provider], names: Sequence[str],
                 pool: PoolFactory, until: float | None = None
                 ) -> dict[str, tuple[bool | None, str]]:
    """Per provider, whether it accepts our write credentials, proved without
    changing the zone (see :meth:`Provider.check_write`): (True, how it was proved),
    (False, why it refused) or (None, why it could not be told; also a provider that
    has not answered by ``until``, as :func:`read_all` cuts a read short)."""
    def prove(name: str) -> tuple[str, tuple[bool | None, str]]:
        try:
            how = provider(name).check_write()
        except ProviderAuthError as exc:
            return name, (False, str(exc))
        except FailoverError as exc:
            return name, (None, str(exc))
        except Exception as exc:  # an SDK error we did not map: still one line
            return name, (None, f"{name}: {type(exc).__name__}: {exc}")
        if how is None:
            return name, (None, f"{name}: cannot prove write credentials without writing")
        return name, (True, how)

    if not names:
        return {}
    if until is None:
        with pool(max_workers=len(names)) as workers:
            return dict(workers.map(prove, names))
    done = within(names, lambda n: prove(n)[1], until)
    return {n: r if isinstance(r, tuple) else (None, str(r)) for n, r in done.items()}


T = TypeVar("T")


def within(names: Sequence[str], act: Callable[[str], T], until: float
           ) -> dict[str, T | ProviderUnreachable]:
    """``act(name)`` for every name at once, in daemon threads (a hung provider must not
    hold the process), waited on until ``until`` (a :func:`time.monotonic` value): a name
    still running then is a ProviderUnreachable saying so. ``act`` handles its own
    errors."""
    results: dict[str, T | ProviderUnreachable] = {}
    arrived = threading.Condition()

    def run(name: str) -> None:
        value = act(name)
        with arrived:
            results[name] = value
            arrived.notify_all()

    for name in names:
        threading.Thread(target=run, args=(name,), name=f"within-{name}", daemon=True).start()
    with arrived:
        while len(results) < len(names):
            left = until - time.monotonic()
            if left <= 0:
                break
            arrived.wait(left)
        return {n: results[n] if n in results else ProviderUnreachable(
                    n, "did not answer while this node's lease was sure to hold: a leader's "
                       "cycle waits no longer") for n in names}
