"""The ``_acme-challenge`` TXT records, through the move's own path.

:func:`txt_plan` builds a :class:`~failover.plan.Plan` over the challenge names only
(never a managed record): at every DNS provider, the TXT values served now plus ours
(``publish``) or less ours (``withdraw``), so a token another client placed there stays.
:func:`apply` runs it with :func:`failover.move.execute` under the zone's lock: journaled
with its before-images, written at every provider concurrently, and verified at every
authority (BIND and its secondaries, Route 53's API...). The CA is asked to validate only
when :func:`served_everywhere` holds for the publishing move.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Literal

from failover.certs.writer import DnsWriter
from failover.config import read_deadline
from failover.errors import CertError, FailoverError
from failover.move import EventSink, MoveResult, execute
from failover.plan import Plan, ProviderPlan
from failover.policy import Decision
from failover.records import RRKey, RRSet, diff

# Per DNS provider: its RRsets for the challenge names, or None and why it could not say.
Reads = dict[str, tuple[dict[RRKey, RRSet] | None, str | None]]
KIND = "acme-challenge"
TTL = 60  # short: a token is useful for minutes, and a stale one must age out fast
Action = Literal["publish", "withdraw"]


def txt_plan(zone: str, dns: Mapping[str, str],
             current: Mapping[str, tuple[Mapping[RRKey, RRSet] | None, str | None]],
             tokens: Mapping[str, Sequence[str]], action: Action, reason: str) -> Plan:
    """The plan that adds (``publish``) or removes (``withdraw``) ``tokens`` (absolute
    name -> TXT values) at each provider of ``dns`` (name -> vendor), leaving every other
    value and name as served. A provider that could not be read is unreachable in the plan."""
    keys = sorted((name, "TXT") for name in tokens)
    providers = []
    for provider, vendor in dns.items():
        served, error = current.get(provider, (None, f"{provider}: not read"))
        if served is None:
            providers.append(ProviderPlan(provider, vendor, None, {}, [], error))
            continue
        now = {k: rr for k, rr in served.items() if (k.name, k.rtype) in keys}
        desired: dict[RRKey, RRSet] = {}
        for name, values in tokens.items():
            key = RRKey(name, "TXT")
            have = set(now[key].values) if key in now else set()
            ours = set(RRSet.of(name, "TXT", TTL, values).values)
            want = have | ours if action == "publish" else have - ours
            if want:
                ttl = now[key].ttl if key in now and action == "withdraw" else TTL
                desired[key] = RRSet.of(name, "TXT", ttl, want)
        providers.append(ProviderPlan(provider, vendor, now, desired, diff(now, desired)))
    return Plan(zone, Decision((), reason), providers, keys)


def read(writer: DnsWriter, keys: Sequence[tuple[str, str]]) -> Reads:
    """Every provider's RRsets for ``keys``, read concurrently, each within its deadline
    (``dns.NAME.deadline``); one that fails or is late is unreadable, with why."""
    config = writer.config
    names = list(config.dns)

    def one(name: str) -> tuple[dict[RRKey, RRSet] | None, str | None]:
        try:
            return writer.provider(name).read(keys), None
        except FailoverError as exc:
            return None, str(exc)
        except Exception as exc:  # an SDK error we did not map: still one line
            return None, f"{name}: {type(exc).__name__}: {exc}"

    pool = ThreadPoolExecutor(max_workers=max(1, len(names)), thread_name_prefix="certs-read")
    try:
        futures = {n: pool.submit(one, n) for n in names}
        wait(futures.values(), timeout=max(read_deadline(config.dns[n]) for n in names))
        out: Reads = {}
        for n, f in futures.items():
            out[n] = f.result() if f.done() else (None, f"{n}: did not answer within "
                                                  f"{read_deadline(config.dns[n]):g} s")
        return out
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def apply(engine: DnsWriter, tokens: Mapping[str, Sequence[str]], action: Action, *,
          reason: str, on_event: EventSink | None = None) -> tuple[Plan, MoveResult]:
    """Read every provider, plan, write and verify ``tokens`` under the zone's lock."""
    config = engine.config
    keys = sorted((name, "TXT") for name in tokens)
    with engine.lock(f"failover certs ({action} {KIND})"):
        current = read(engine, keys)
        plan = txt_plan(config.zone, {n: s.vendor for n, s in config.dns.items()},
                        current, tokens, action, reason)
        result = execute(plan, {n: engine.provider(n) for n in config.dns}, engine.store,
                         engine.clock, kind=KIND, reason=reason,
                         args={"action": action, "names": sorted(tokens)},
                         verify_timeout=config.verify.timeout,
                         verify_interval=config.verify.interval, on_event=on_event,
                         guard=engine.coord.guard)
    return plan, result


def served_everywhere(result: MoveResult) -> None:
    """Raise CertError unless every provider was written and every one of its authorities
    serves the plan: a CA asking an authority that lags would fail the order."""
    missing = []
    for step in result.steps:
        if not step.written:
            missing.append(f"{step.provider} not written ({step.error or step.state})")
        elif not step.verified:
            bad = [v.authority for v in step.verifications if not v.ok] or ["(no authority)"]
            missing.append(f"{step.provider} not served at {', '.join(bad)}")
    if missing:
        raise CertError("the _acme-challenge records are not served everywhere, so the CA "
                        f"was not asked to validate: {'; '.join(missing)} (move "
                        f"{result.move_id} in the journal)")
