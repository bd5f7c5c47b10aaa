"""A full check's findings: the vendors' control planes judged, and the DNS providers'
findings with what their write credentials proved; and :class:`FullCheck`, which holds
them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from failover.engine.check import CheckReport
from failover.errors import EXIT_CRITICAL
from failover.finding import Finding
from failover.health import DOWN, TERMINATED


@dataclass
class FullCheck:
    """A check of everything a move depends on: hostings, vendors' control planes, backups."""

    report: CheckReport
    findings: list[Finding]      # hostings first
    exit_code: int
    seconds: float = 0.0         # the whole check, DNS providers and backups included
    moves: dict[str, int] = field(default_factory=dict)     # kind -> how many journaled
    last_move: float | None = None                          # when the newest one started

    def to_json(self, service: str) -> dict[str, Any]:
        from failover.report import to_json

        return to_json(service, self.report.at, self.exit_code, self.findings,
                       extra=self.report.to_json())


def vendor_findings(report: CheckReport) -> list[Finding]:
    """One finding per vendor with a control plane or a termination mark."""
    down = {v.vendor for v in report.verdicts if v.verdict in (TERMINATED, DOWN)}
    out = []
    for vendor in sorted(set(report.controls) | set(report.terminated)):
        c = report.controls.get(vendor)
        evidence = list(c.evidence) if c is not None else []
        metrics: dict[str, float] = {"up": 1.0 if c is not None and c.state == "alive"
                                     else 0.0}
        if c is not None and c.instances_expected is not None:
            metrics["instances_running"] = float(c.instances_running or 0)
            metrics["instances_expected"] = float(c.instances_expected)
        seconds = c.latency if c is not None else 0.0
        if vendor in report.terminated:
            since, _why = report.terminated[vendor]
            status, sev = "CRITICAL", 2
            reason = (f"marked TERMINATED since {_stamp(since)}: never served again until "
                      f"'failover reinstate {vendor}'")
            if c is not None:
                reason += f"; control plane now: {c.state}: {c.reason}"
        elif c is None:
            continue
        elif c.state == "refused":
            status, sev = "CRITICAL", 2
            reason = f"control plane refuses our account: {c.reason}"
            if vendor not in down:
                status, sev = "WARNING", 1
                reason += " while its hostings still serve: termination in progress?"
        elif c.state == "unknown":
            status, sev = "WARNING", 1
            reason = f"control plane did not say (not termination evidence): {c.reason}"
        elif (c.instances_expected is not None
              and (c.instances_running or 0) < c.instances_expected):
            status, sev = "WARNING", 1
            reason = f"account alive; {c.reason}"
        else:
            status, sev, reason = "OK", 0, f"account alive: {c.reason}"
        out.append(Finding("vendor", vendor, status, sev, reason, vendor=vendor,
                           seconds=seconds, evidence=evidence, metrics=metrics))
    return out


def with_write_proofs(findings: list[Finding], proofs: Mapping[str, tuple[bool | None, str]]
                      ) -> list[Finding]:
    """Each provider's ``dns`` finding with what its write credentials proved: a refusal
    is CRITICAL (a move would fail there), an unproven key is said, not judged."""
    out = []
    for f in findings:
        ok, text = proofs.get(f.name, (None, "")) if f.kind == "dns" else (None, "")
        if ok is False:
            f = replace(f, status="CRITICAL", severity=EXIT_CRITICAL,
                        reason=f"write credentials refused: {text}; {f.reason}")
        elif ok is True:
            f = replace(f, reason=f"{f.reason}; write credentials accepted ({text})")
        out.append(f)
    return out


def _stamp(ts: float) -> str:
    from failover.clock import stamp

    return stamp(ts)
