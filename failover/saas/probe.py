"""Per SaaS provider: is our account alive, does the service answer, and the verdict.

Every provider of every dependency is asked at once (threads: the probes block).
Account: the control-plane probe of its ``control:`` (same kinds and evidence as a
vendor's). Service: one HTTP request to its ``data:`` URL. The verdict:

- ``TERMINATED``: the account is refused and the service fails, or has no data probe
  (an API that refuses our key is, to us, gone);
- ``DEGRADED``: the account is refused while the service answers (termination under
  way?), or the account is alive and the service fails;
- ``UP``: account alive (or not probed) and service up (or not probed);
- ``UNKNOWN``: nothing could be said (timeouts, 5xx, no probes at all).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from failover.clock import Clock, SystemClock
from failover.config import Config, SaasDataProbe

ALIVE, REFUSED, UNKNOWN = "alive", "refused", "unknown"


@dataclass(frozen=True)
class ProviderState:
    dependency: str
    provider: str
    vendor: str
    account: str                  # alive | refused | unknown | not probed
    account_reason: str
    service: str                  # up | down | not probed
    service_reason: str
    verdict: str                  # UP | DEGRADED | TERMINATED | UNKNOWN

    def to_json(self) -> dict[str, Any]:
        return {"dependency": self.dependency, "provider": self.provider,
                "vendor": self.vendor, "account": self.account,
                "account_reason": self.account_reason, "service": self.service,
                "service_reason": self.service_reason, "verdict": self.verdict}


def verdict(account: str, service: str) -> str:
    if account == REFUSED:
        return "TERMINATED" if service in ("down", "not probed") else "DEGRADED"
    if service == "down":
        return "DEGRADED" if account == ALIVE else "UNKNOWN"
    if account == UNKNOWN and service == "not probed":
        return "UNKNOWN"
    if account == "not probed" and service == "not probed":
        return "UNKNOWN"
    return "UP"


def probe_providers(config: Config, *, clock: Clock | None = None
                    ) -> dict[tuple[str, str], ProviderState]:
    """(dependency, provider) -> its state, for every provider of every dependency."""
    clock = clock or SystemClock()
    jobs = [(dep, name) for dep, spec in config.saas.items() for name in spec.providers]
    if not jobs:
        return {}
    with ThreadPoolExecutor(max_workers=min(32, len(jobs)),
                            thread_name_prefix="saas") as pool:
        states = list(pool.map(lambda job: _probe(config, *job, clock=clock), jobs))
    return {(s.dependency, s.provider): s for s in states}


def _probe(config: Config, dep: str, name: str, *, clock: Clock) -> ProviderState:
    spec = config.saas[dep].providers[name]
    account, account_reason = "not probed", "no control: configured"
    if spec.control is not None:
        from failover.control import probe_control

        result = probe_control(f"{dep}/{name}", spec.control, config, clock=clock)
        account, account_reason = result.state, result.reason
    service, service_reason = "not probed", "no data: configured"
    if spec.data is not None:
        service, service_reason = _data(spec.data)
    return ProviderState(dep, name, spec.vendor, account, account_reason, service,
                         service_reason, verdict(account, service))


def _data(probe: SaasDataProbe) -> tuple[str, str]:
    from failover.control.web import WebError, public_url, request

    try:
        resp = request(probe.url, method=probe.method, timeout=probe.timeout,
                       verify_tls=probe.verify_tls, max_body=4096)
    except WebError as exc:
        return "down", f"{public_url(probe.url)}: {exc}"
    if resp.status in probe.expect_status:
        return "up", f"HTTP {resp.status}"
    return "down", f"{public_url(probe.url)}: HTTP {resp.status}"
