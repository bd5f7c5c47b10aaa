"""A row per SaaS dependency: the provider in use, its account, the fallback's.

Used by ``check`` (as findings), the status page and the runbook. A dependency is
CRITICAL when its provider in use is TERMINATED and no fallback is usable, WARNING when
its provider is DEGRADED or TERMINATED (and a fallback waits), when it has no fallback,
or when the provider in use cannot be told; OK otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from failover.config import Config
from failover.saas.probe import ProviderState


@dataclass(frozen=True)
class DependencyRow:
    dependency: str
    selected: str | None
    vendor: str | None
    state: ProviderState | None               # of the provider in use
    fallback: str | None
    fallback_state: ProviderState | None
    status: str                               # OK | WARNING | CRITICAL | UNKNOWN
    severity: int
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"dependency": self.dependency, "selected": self.selected, "vendor": self.vendor,
                "account": self.state.account if self.state else None,
                "verdict": self.state.verdict if self.state else None,
                "fallback": self.fallback,
                "fallback_verdict": self.fallback_state.verdict if self.fallback_state
                else None, "status": self.status, "reason": self.reason}


def rows(config: Config, selected: dict[str, str | None],
         states: dict[tuple[str, str], ProviderState], terminated: set[str]) -> list[DependencyRow]:
    out = []
    for dep, spec in config.saas.items():
        cur = selected.get(dep)
        state = states.get((dep, cur)) if cur else None
        others = [n for n in spec.providers if n != cur]
        usable = [n for n in others if spec.providers[n].vendor not in terminated
                  and (states.get((dep, n)) is None
                       or states[(dep, n)].verdict not in ("TERMINATED", "DEGRADED"))]
        fallback = usable[0] if usable else (others[0] if others else None)
        fstate = states.get((dep, fallback)) if fallback else None
        vendor = spec.providers[cur].vendor if cur else None
        gone = (state is not None and state.verdict == "TERMINATED") or (
            vendor is not None and vendor in terminated)
        if cur is None:
            status, sev, why = "UNKNOWN", 3, "cannot tell which provider is in use"
        elif gone and not usable:
            status, sev, why = "CRITICAL", 2, (f"{cur} is TERMINATED and no fallback is "
                                               "usable")
        elif gone:
            status, sev, why = "WARNING", 1, (f"{cur} is TERMINATED; switch with 'failover "
                                              f"move --saas {dep} --to {fallback}'")
        elif state is not None and state.verdict == "DEGRADED":
            status, sev, why = "WARNING", 1, f"{cur}: {state.account_reason}; " \
                                             f"{state.service_reason}"
        elif not others:
            status, sev, why = "WARNING", 1, (f"no fallback; losing {cur} stops {dep}")
        else:
            status, sev = "OK", 0
            why = (f"{cur} account {state.account}" if state else f"{cur} in use") + \
                  (f"; fallback {fallback} {fstate.verdict if fstate else 'not probed'}"
                   if fallback else "")
        out.append(DependencyRow(dep, cur, vendor, state, fallback, fstate, status, sev, why))
    return out


def findings(dep_rows: list[DependencyRow]) -> list[Any]:
    from failover.report import Finding

    return [Finding("saas", r.dependency, r.status, r.severity, r.reason, vendor=r.vendor,
                    evidence=[s.to_json() for s in (r.state, r.fallback_state) if s])
            for r in dep_rows]


def runbook_lines(config: Config, vendor: str) -> list[str]:
    """The runbook's lines for one vendor: each SaaS dependency with a provider there, and
    what it falls back to."""
    from failover.config import DnsSwitch

    out = []
    for dep, spec in config.saas.items():
        here = [n for n, p in spec.providers.items() if p.vendor == vendor]
        if not here:
            continue
        rest = [f"{n} ({p.vendor})" for n, p in spec.providers.items() if p.vendor != vendor]
        switch = ("none: switch it by hand" if spec.switch is None else
                  f"DNS {spec.switch.type} {spec.switch.name}"
                  if isinstance(spec.switch, DnsSwitch) else "webhook to the application")
        if rest:
            out.append(f"- **SaaS {dep}**: {', '.join(here)} at {vendor}; falls back to "
                       f"{rest[0]} (switch: {switch}); `failover move --off {vendor}` "
                       f"switches it, or `failover move --saas {dep} --to "
                       f"{rest[0].split(' ')[0]}` alone.")
        else:
            out.append(f"- **SaaS {dep}**: {', '.join(here)} at {vendor} and **no fallback**: "
                       f"losing {vendor} stops {dep}.")
    return out
