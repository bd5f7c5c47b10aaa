"""Control-plane probes: is our account at each vendor alive, and are our machines running?

One module per kind of control plane (``aws``, ``gcp``, ``ssh``, ``http_api``),
each a ``probe(name, control, config, trace) -> Outcome``. This module runs
them: :func:`probe_vendor` for one vendor, :func:`probe_vendors` for several
at once (threads: the SDKs here block).

Nothing raises out of either: every failure is a :class:`ControlResult`. A probe
is bounded by its control's ``timeout`` as a whole (a probe that overruns is
abandoned on its thread and reported ``unknown`` with the evidence gathered so
far). Secrets the probe read are scrubbed from the reason and the evidence.

Modules are imported on first use, so that boto3 loads only for ``aws`` vendors.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from types import ModuleType

from failover.clock import Clock, SystemClock
from failover.config import Config, ControlPlane
from failover.control.base import (
    ALIVE,
    REFUSED,
    STATES,
    UNKNOWN,
    ControlResult,
    Outcome,
    Trace,
    shorten,
)

__all__ = ["ALIVE", "REFUSED", "STATES", "UNKNOWN", "ControlResult", "probe_control",
           "probe_vendor", "probe_vendors"]

_MODULES = {"aws": "failover.control.aws", "gcp": "failover.control.gcp",
            "ssh": "failover.control.ssh", "http": "failover.control.http_api"}
# Time a probe gets past its timeout to report its own (more precise) timeout.
GRACE = 0.5
MAX_WORKERS = 32


def _module(kind: str) -> ModuleType:
    return importlib.import_module(_MODULES[kind])


def probe_vendor(name: str, config: Config, *, clock: Clock | None = None) -> ControlResult | None:
    """Ask one vendor's control plane; None when the vendor is unknown or has no ``control:``."""
    vendor = config.vendors.get(name)
    if vendor is None or vendor.control is None:
        return None
    return probe_control(name, vendor.control, config, clock=clock)


def probe_control(name: str, control: ControlPlane, config: Config, *,
                  clock: Clock | None = None) -> ControlResult:
    """Ask one control plane (a vendor's, or a SaaS provider's account) whether our account
    is alive; ``name`` labels the result."""
    clock = clock or SystemClock()
    at, t0 = clock.now(), clock.monotonic()
    outcome: Outcome | None
    try:
        module = _module(control.kind)
    except Exception as exc:   # the SDK is missing or broken: still a result
        module = None
        outcome = Outcome(UNKNOWN, f"cannot load the {control.kind} probe: {type(exc).__name__}")
    trace = Trace(control.timeout)     # the budget starts once the SDK is loaded
    if module is not None:
        outcome = _bounded(lambda: module.probe(name, control, config, trace),
                           control.timeout + GRACE)
    if outcome is None:
        trace.add(control.kind, False, "Timeout", f"no answer within {control.timeout}s")
        outcome = Outcome(UNKNOWN, f"timeout after {control.timeout}s")
    return ControlResult(
        vendor=name, kind=control.kind, state=outcome.state,
        reason=shorten(trace.scrub(outcome.reason)), latency=clock.monotonic() - t0, at=at,
        evidence=trace.evidence(), instances_running=outcome.instances_running,
        instances_expected=outcome.instances_expected)


def probe_vendors(config: Config, *, clock: Clock | None = None,
                  vendors: Sequence[str] | None = None,
                  on_waiting: Callable[[list[str], float], None] | None = None
                  ) -> dict[str, ControlResult]:
    """Ask every vendor with a control plane (or those named) at once; vendor -> result.

    From a second on, ``on_waiting(vendors, seconds)`` names those still unanswered about
    once a second, so a person sees which control plane hangs."""
    names = [n for n in (vendors if vendors is not None else list(config.vendors))
             if n in config.vendors and config.vendors[n].control is not None]
    names = list(dict.fromkeys(names))
    if not names:
        return {}
    clock = clock or SystemClock()
    for kind in {c.kind for n in names if (c := config.vendors[n].control) is not None}:
        try:   # import in this thread, so no probe's budget pays for loading an SDK
            _module(kind)
        except Exception:   # reported by that vendor's probe_vendor
            continue
    with ThreadPoolExecutor(max_workers=min(len(names), MAX_WORKERS),
                            thread_name_prefix="control") as pool:
        futures = {n: pool.submit(probe_vendor, n, config, clock=clock) for n in names}
        # Real time, not the clock: the probes' threads wait in real time.
        start = time.monotonic()
        while True:
            _done, pending = wait(futures.values(), timeout=1.0)
            if not pending:
                break
            if on_waiting is not None:
                on_waiting([n for n, f in futures.items() if f in pending],
                           time.monotonic() - start)
        results = {n: f.result() for n, f in futures.items()}
    return {n: r for n, r in results.items() if r is not None}


def _bounded(run: Callable[[], Outcome], limit: float) -> Outcome | None:
    """``run()`` on a daemon thread; its outcome, or None if it is still running after ``limit``.

    A probe that overruns is left to finish on its own (daemon: it never holds up exit);
    an exception on the thread is an ``unknown`` outcome.
    """
    box: list[Outcome] = []

    def target() -> None:
        try:
            box.append(run())
        except Exception as exc:
            box.append(Outcome(UNKNOWN, shorten(f"probe failed: {type(exc).__name__}: {exc}")))

    thread = threading.Thread(target=target, name="control-probe", daemon=True)
    thread.start()
    thread.join(limit)
    return box[0] if box else None
