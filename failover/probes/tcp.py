"""TCP probe: can a connection be opened within the timeout? Latency is the connect time."""

from __future__ import annotations

import asyncio

from failover.clock import Clock
from failover.probes.base import (
    ProbeResult,
    Target,
    describe_error,
    hard_close,
    hostport,
    timeout_reason,
)


async def probe_tcp(target: Target, clock: Clock) -> ProbeResult:
    """Connect to the endpoint at the check's port, then close at once. Never raises."""
    check = target.check
    at = clock.now()
    started = clock.monotonic()
    ok, reason = False, ""
    ended: float | None = None
    try:
        async with asyncio.timeout(check.timeout):
            _, writer = await asyncio.open_connection(target.address, check.port)
        ended = clock.monotonic()
        hard_close(writer.transport)
        ok = True
    except TimeoutError:
        reason = timeout_reason(check.timeout, "connecting")
    except Exception as exc:
        reason = describe_error(exc)
    return ProbeResult(hosting=target.hosting, probe=target.label,
                       target=hostport(target.address, check.port), ok=ok,
                       latency=(ended if ended is not None else clock.monotonic()) - started,
                       reason=reason, at=at)
