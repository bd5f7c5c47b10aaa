"""What users are sent to: per DNS provider, the hostings its answers point at, judged.

``check`` reads every DNS provider and maps the answers it serves back to hostings
(by their endpoints). One finding per provider says what it serves and whether that
exposes users: a DOWN or TERMINATED hosting still served, or nothing healthy served,
is CRITICAL; healthy standbys served while a better hosting is down is a WARNING.
The check's exit code then follows that exposure, not the mere existence of a dead
hosting: after a successful move away from it the alert clears to WARNING.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from failover.config import Config
from failover.errors import EXIT_CRITICAL, EXIT_OK, EXIT_UNKNOWN, EXIT_WARNING
from failover.health import DEGRADED, DOWN, TERMINATED, UNKNOWN, UP, Verdict
from failover.records import RRKey, RRSet, normalize_value
from failover.report import Finding, worst


def owners(endpoints: Mapping[str, Mapping[str, Sequence[str]]]) -> dict[tuple[str, str], set[str]]:
    """(type, value) -> the hostings with that endpoint."""
    out: dict[tuple[str, str], set[str]] = {}
    for hosting, by_type in endpoints.items():
        for rtype, values in by_type.items():
            for value in values or ():
                try:
                    key = (rtype, normalize_value(rtype, value))
                except ValueError:
                    continue
                out.setdefault(key, set()).add(hosting)
    return out


def served(rrsets: Mapping[RRKey, RRSet], owned: Mapping[tuple[str, str], set[str]]
           ) -> tuple[set[str], set[str]]:
    """The hostings ``rrsets`` point at, and the values that are no hosting's."""
    hostings: set[str] = set()
    strangers: set[str] = set()
    for rr in rrsets.values():
        for value in rr.values:
            found = owned.get((rr.rtype, value))
            if found:
                hostings |= found
            else:
                strangers.add(value)
    return hostings, strangers


def serving_findings(config: Config, verdicts: Mapping[str, Verdict],
                     terminated: Iterable[str],
                     current: Mapping[str, tuple[dict[RRKey, RRSet] | None, str | None]],
                     endpoints: Mapping[str, Mapping[str, Sequence[str]]]) -> list[Finding]:
    """One ``serving`` finding per DNS provider (see the module docstring)."""
    owned = owners(endpoints)
    gone = set(terminated)
    out = []
    for provider, (rrsets, error) in current.items():
        vendor = config.dns[provider].vendor
        metrics: dict[str, float] = {f"served.{h}": 0.0 for h in config.hosting}
        if rrsets is None:
            # It does not answer: users it sends anywhere are out of our sight (exit 2).
            out.append(Finding("serving", provider, "CRITICAL", EXIT_CRITICAL,
                               f"does not answer, so what it serves is unknown: {error}",
                               vendor=vendor,
                               metrics={**metrics, "readable": 0.0}))
            continue
        hostings, strangers = served(rrsets, owned)
        metrics.update({f"served.{h}": 1.0 for h in hostings})
        metrics["readable"] = 1.0

        def state(h: str) -> str:
            v = verdicts.get(h)
            if config.hosting[h].vendor in gone:
                return TERMINATED
            return v.verdict if v is not None else UNKNOWN

        shown = ", ".join(f"{h} ({state(h)})" for h in sorted(hostings))
        shown += "".join(f", {v} (no hosting's)" for v in sorted(strangers))
        dead = sorted(h for h in hostings if state(h) in (DOWN, TERMINATED))
        healthy = sorted(h for h in hostings if state(h) in (UP, DEGRADED))
        if not hostings and not strangers:
            sev, reason = EXIT_CRITICAL, "serves no answer for the managed records"
        elif dead:
            sev = EXIT_CRITICAL
            reason = (f"traffic is still on {', '.join(f'{h} ({state(h)})' for h in dead)}"
                      + (f" (serves {shown})" if len(hostings) + len(strangers) > len(dead)
                         else "") + f"; run '{move_off(config.hosting[h].vendor for h in dead)}'")
        elif not healthy:
            sev, reason = EXIT_CRITICAL, f"serves {shown}: nothing healthy"
        else:
            best = min(config.hosting[h].priority for h in healthy)
            better = sorted(h for h, spec in config.hosting.items()
                            if spec.priority < best and state(h) not in (UP, DEGRADED))
            if better:
                sev = EXIT_WARNING
                reason = (f"serves {shown}, a standby, while "
                          + ", ".join(f"{h} is {state(h)}" for h in better))
            elif any(state(h) != UP for h in healthy) or strangers:
                sev, reason = EXIT_WARNING, f"serves {shown}"
            else:
                sev, reason = EXIT_OK, f"serves {shown}"
        out.append(Finding("serving", provider, ["OK", "WARNING", "CRITICAL"][sev], sev,
                           reason, vendor=vendor, metrics=metrics))
    return out


def move_off(vendors: Iterable[str], command: str = "move") -> str:
    """The exact command that moves traffic off ``vendors``: what a hint prints, to be run
    as printed (plain 'failover move' would let the policy pick, maybe the dead vendor)."""
    return " ".join(["failover", command, *(f"--off {v}" for v in sorted(set(vendors)))])


def evacuation(verdicts: Sequence[Verdict], serving: Sequence[Finding],
               terminated: Iterable[str] = ()) -> list[str]:
    """The vendors to move off now: those whose DOWN or TERMINATED hostings a DNS provider
    still serves, while a healthy hosting at another vendor remains. Empty when no move
    off a vendor would help (nothing dead is served, or nothing healthy is left)."""
    gone = set(terminated)
    dead = {v.hosting: v.vendor for v in verdicts
            if v.verdict in (DOWN, TERMINATED) or v.vendor in gone}
    served_dead = {dead[h] for f in serving for h in dead if f.metrics.get(f"served.{h}")}
    if any(v.verdict in (UP, DEGRADED) and v.vendor not in served_dead | gone
           for v in verdicts):
        return sorted(served_dead)
    return []


def exposure_exit_code(verdicts: Sequence[Verdict], serving: Sequence[Finding],
                       min_healthy: int, hosting_exit_code: int) -> int:
    """The hostings' part of the check's exit code, following what users are sent to:
    2 while a DOWN/TERMINATED hosting is served or too few are healthy; 1 while a hosting
    is not UP but not served (a standby serves) or one is DEGRADED; 0 all well. With no
    DNS provider readable nothing shows the traffic left: the hostings' own code."""
    if hosting_exit_code == EXIT_UNKNOWN or not any(f.metrics.get("readable")
                                                    for f in serving):
        return hosting_exit_code
    codes = [f.severity for f in serving]
    if sum(v.healthy for v in verdicts) < min_healthy:
        codes.append(EXIT_CRITICAL)
    if any(v.verdict != UP or v.termination_suspected for v in verdicts):
        codes.append(EXIT_WARNING)
    return worst([EXIT_OK, *codes])


def relax_vendor_findings(findings: list[Finding], serving: Sequence[Finding],
                          config: Config) -> list[Finding]:
    """A vendor's CRITICAL (terminated, refusing our account) is a WARNING once none of
    its hostings is served by any readable provider: users are no longer exposed, and
    the alert must clear when the move succeeded."""
    readable = [f for f in serving if f.metrics.get("readable")]
    if not readable or len(readable) < len(serving):
        return findings
    out = []
    for f in findings:
        if f.kind == "vendor" and f.severity == EXIT_CRITICAL:
            hostings = [h for h, spec in config.hosting.items() if spec.vendor == f.name]
            if not any(s.metrics.get(f"served.{h}") for s in readable for h in hostings):
                f = Finding(f.kind, f.name, "WARNING", EXIT_WARNING,
                            f"{f.reason}; none of its hostings is served any more",
                            vendor=f.vendor, seconds=f.seconds, evidence=f.evidence,
                            metrics=f.metrics)
        out.append(f)
    return out
