"""Data-plane probes: HTTP(S), TCP, TLS and DNS checks of every endpoint of every hosting.

``targets_for`` turns the config's checks and each hosting's endpoints into
:class:`Target` s; ``run_probes`` runs them on asyncio with a bound on how many
are in flight at once, each under its check's timeout; ``probe_all`` is the
same for callers without an event loop. No probe raises: every failure comes
back as a :class:`ProbeResult` with ``ok=False`` and a short reason.
"""

from __future__ import annotations

import asyncio
import importlib
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from failover.clock import Clock, SystemClock
from failover.probes.base import ProbeResult, Target, describe_error
from failover.records import absolute_name

__all__ = ["ProbeResult", "Target", "probe_all", "probe_one", "run_probes", "targets_for",
           "zone_host"]

ENDPOINT_TYPES = ("A", "AAAA", "CNAME")

Probe = Callable[[Target, Clock], Awaitable[ProbeResult]]
# check kind -> (module, function); a kind's module (dnspython's async code for
# "dns") is imported only when a check of that kind runs.
PROBES: dict[str, tuple[str, str]] = {
    "http": ("failover.probes.http", "probe_http"),
    "https": ("failover.probes.http", "probe_http"),
    "tcp": ("failover.probes.tcp", "probe_tcp"),
    "tls": ("failover.probes.tls", "probe_tls"),
    "dns": ("failover.probes.dns", "probe_dns"),
}


def _probe_for(kind: str) -> Probe | None:
    where = PROBES.get(kind)
    if where is None:
        return None
    probe: Probe = getattr(importlib.import_module(where[0]), where[1])
    return probe


def zone_host(config: Any) -> str:
    """The service's host name: the first managed record's absolute name, without the dot."""
    return absolute_name(config.records[0].name, config.zone).rstrip(".")


def targets_for(config: Any,
                endpoints: Mapping[str, Mapping[str, Sequence[str] | str | None]]) -> list[Target]:
    """One target per (hosting, check, endpoint value), in that order.

    ``endpoints[hosting]`` maps ``A``/``AAAA``/``CNAME`` to values: addresses, or a
    CNAME target's host name (probed by name, its trailing dot dropped); a single
    string is taken as a list of one. Repeated values are probed once.
    """
    host = zone_host(config)
    targets: list[Target] = []
    for hosting, by_type in endpoints.items():
        values: list[str] = []
        for rtype in ENDPOINT_TYPES:
            given = by_type.get(rtype) or []
            for value in [given] if isinstance(given, str) else given:
                value = value.strip()
                if rtype == "CNAME":
                    value = value.rstrip(".")
                if value and value not in values:
                    values.append(value)
        for check in config.checks:
            check = _for_hosting(config, check, hosting)
            targets.extend(Target(hosting=hosting, address=value, check=check, zone_host=host)
                           for value in values)
    return targets


def _for_hosting(config: Any, check: Any, hosting: str) -> Any:
    """The check as probed at ``hosting``: its port for that hosting, its CA file's full path."""
    update: dict[str, Any] = {}
    port = (getattr(check, "ports", None) or {}).get(hosting)
    if port is not None:
        update["port"] = port
    ca_file = getattr(check, "ca_file", None)
    if ca_file:
        update["ca_file"] = str(config.resolve_path(ca_file))
    return check.model_copy(update=update) if update else check


async def probe_one(target: Target, clock: Clock) -> ProbeResult:
    """Run one target's check. Never raises (bar cancellation of the caller)."""
    kind = getattr(target.check, "kind", None)
    probe = _probe_for(str(kind))
    if probe is None:
        return ProbeResult(hosting=target.hosting, probe=str(kind), target=target.address,
                           ok=False, latency=0.0, reason=f"unknown check kind {kind!r}",
                           at=clock.now())
    try:
        return await probe(target, clock)
    except Exception as exc:  # a bug in a probe must not take the others down
        return ProbeResult(hosting=target.hosting, probe=target.label, target=target.address,
                           ok=False, latency=0.0, reason=f"probe error: {describe_error(exc)}",
                           at=clock.now())


async def run_probes(targets: Sequence[Target], *, concurrency: int,
                     clock: Clock | None = None) -> list[ProbeResult]:
    """Probe every target, at most ``concurrency`` at a time; results in the targets' order."""
    clock = clock or SystemClock()
    targets = list(targets)
    results: list[ProbeResult | None] = [None] * len(targets)
    pending = iter(range(len(targets)))

    async def worker() -> None:
        # The bound is a fixed pool of workers sharing one iterator of targets: no more
        # probes in flight than workers, and as many tasks as the bound, not one per target.
        for i in pending:
            results[i] = await probe_one(targets[i], clock)

    workers = min(max(1, concurrency), len(targets))
    await asyncio.gather(*(worker() for _ in range(workers)))
    return [r for r in results if r is not None]


def probe_all(targets: Sequence[Target], *, concurrency: int,
              clock: Clock | None = None) -> list[ProbeResult]:
    """:func:`run_probes` for synchronous callers.

    From inside a running event loop (a notebook, an async caller that should
    have awaited ``run_probes``) it runs on a thread of its own instead of failing.
    """
    coro = run_probes(targets, concurrency=concurrency, clock=clock)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: list[list[ProbeResult]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            box.append(asyncio.run(coro))
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run, name="failover-probes")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return box[0]
