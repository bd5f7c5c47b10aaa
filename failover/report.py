"""A check's findings, and the machine formats they are reported in: JSON, JUnit XML, Prometheus.

A :class:`Finding` is one checked thing: a hosting (its verdict), a vendor's
control plane, a DNS provider, a backup. Every finding has a status and a
severity on the monitoring-plugin scale (0 OK, 1 WARNING, 2 CRITICAL,
3 UNKNOWN), one sentence of reason, its evidence and a few numbers.
Whoever runs a check (the CLI, the watcher, a CI job) gathers findings and
hands them to one of the three renderers here. Nothing here touches a
terminal; output is a string or a dict, the same for the same input.

JSON (``to_json``), stable: new keys may be added, none removed or renamed::

    {
      "service": "social",
      "at": 1700000000.0,                 # when the check started, seconds since the epoch
      "exit_code": 2,                     # 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN
      "status": "CRITICAL",               # the exit code's name
      "findings": [                       # ordered by kind (hosting, vendor, dns, backup), name
        {"kind": "hosting", "name": "aws-use1", "vendor": "aws",
         "status": "DOWN", "severity": 2, "reason": "all 2 probes failed ...",
         "seconds": 2.0, "evidence": [{...}], "metrics": {"ok_streak": 0, ...}},
        {"kind": "backup", "name": "db", "vendor": "aws", "status": "WARNING",
         "severity": 1, "reason": "newest backup is 3h old, over the 1h RPO",
         "seconds": 0.1, "evidence": [{...}], "metrics": {"age_seconds": 10800.0, ...}}
      ],
      ...                                 # any ``extra`` keys, e.g. the engine's "hostings"
    }

Hosting findings have the hosting's verdict as ``status`` (UP, DEGRADED, DOWN,
TERMINATED, UNKNOWN) and the probe results as evidence; every other kind has
OK, WARNING, CRITICAL or UNKNOWN.

JUnit XML (``to_junit``): ``<testsuites>`` with one ``<testsuite
name="failover.<kind>">`` per kind and one ``<testcase classname="failover.<kind>"
name="<name>">`` per finding. Severity 2 and 3 are ``<failure>`` (type: the
status, message: status and reason, text: the evidence); severity 1 passes
with ``WARNING: <reason>`` in ``<system-out>``; every test case carries its
status, severity, vendor and metrics as ``<properties>``.

Prometheus text exposition format 0.0.4 (``to_prometheus``), for
node_exporter's textfile collector or a Pushgateway; every sample is a gauge
labelled with ``service``:

- ``failover_check_status`` the exit code; ``failover_check_timestamp_seconds``
- ``failover_finding_severity{kind,name,vendor}`` for every finding
- ``failover_hosting_up{hosting,vendor}`` 1 while UP or DEGRADED: DEGRADED means some
  checks failed but fewer than ``fall`` in a row, so the hosting keeps its traffic; 0 for
  DOWN, TERMINATED and UNKNOWN (``failover_hosting_verdict`` tells them apart)
- ``failover_hosting_verdict{hosting,vendor,verdict}`` 1 for the current verdict, 0 for others
- ``failover_probe_success`` / ``failover_probe_latency_seconds{hosting,target,probe}``
- ``failover_vendor_up{vendor}`` the vendor's control plane accepts our account
- ``failover_dns_provider_up{provider,vendor}``; ``failover_dns_soa_serial`` when known
- ``failover_delegation_ok`` and ``failover_delegation_vendors`` for the parent zone's NS
  set (with ``delegation:`` configured; it is not a DNS provider)
- every duration is in seconds (probe evidence in JSON: ``latency_seconds``; its older
  ``latency_ms`` stays for compatibility); values are printed with at most 15
  significant digits
- ``failover_backup_age_seconds{backup,vendor}`` (absent when no backup was found),
  ``failover_backup_fresh{backup,vendor}``
- ``failover_served{provider,hosting}`` 1 while the provider's answers point at the hosting
- ``failover_moves_total{kind}`` moves and rollbacks journaled;
  ``failover_last_move_timestamp_seconds``; ``failover_check_duration_seconds``

For vendors and DNS providers "up" is the finding's ``metrics["up"]`` when its
producer sets one, else 1 for OK or WARNING and 0 for CRITICAL or UNKNOWN.
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from failover.errors import EXIT_CRITICAL, EXIT_OK, EXIT_UNKNOWN, EXIT_WARNING
from failover.finding import Finding as Finding  # re-exported: its old home
from failover.health import DEGRADED, DOWN, TERMINATED, UNKNOWN, UP, VERDICTS, Verdict

OK, WARNING, CRITICAL = "OK", "WARNING", "CRITICAL"
STATUSES = (OK, WARNING, CRITICAL, UNKNOWN)          # indexed by severity and exit code
KINDS = ("hosting", "vendor", "dns", "serving", "backup")

_VERDICT_SEVERITY = {UP: EXIT_OK, DEGRADED: EXIT_WARNING, DOWN: EXIT_CRITICAL,
                     TERMINATED: EXIT_CRITICAL, UNKNOWN: EXIT_UNKNOWN}


def hosting_findings(verdicts: Sequence[Verdict]) -> list[Finding]:
    """One finding per hosting verdict: UP 0, DEGRADED 1, DOWN and TERMINATED 2, UNKNOWN 3."""
    findings = []
    for v in verdicts:
        # Probes run concurrently: the check took as long as its slowest probe.
        seconds = max((e.latency for e in v.evidence), default=0.0)
        metrics: dict[str, float] = {
            "ok_streak": v.ok_streak, "fail_streak": v.fail_streak,
            "probes": len(v.evidence), "probes_failed": sum(not e.ok for e in v.evidence)}
        findings.append(Finding("hosting", v.hosting, v.verdict,
                                _VERDICT_SEVERITY.get(v.verdict, EXIT_UNKNOWN), v.reason,
                                vendor=v.vendor, seconds=seconds,
                                evidence=[e.to_json() for e in v.evidence], metrics=metrics))
    return findings


def worst(codes: Iterable[int]) -> int:
    """The worst of some exit codes: CRITICAL over UNKNOWN over WARNING over OK.

    An UNKNOWN (a backup store that did not answer) must not hide a CRITICAL
    (a hosting that is down), so 3 ranks below 2 here.
    """
    rank = {EXIT_OK: 0, EXIT_WARNING: 1, EXIT_UNKNOWN: 2, EXIT_CRITICAL: 3}
    return max(codes, key=lambda c: rank.get(c, 2), default=EXIT_OK)


def overall_exit_code(hosting_exit_code: int, findings: Iterable[Finding]) -> int:
    """The check's exit code: the engine's code for the hostings (which knows
    ``min_healthy``) combined with every other finding's severity.

    3 (UNKNOWN) only when nothing at all could be judged. A part that could not be
    seen while the rest was (a DNS provider or a backup store not answering) is
    CRITICAL: cron must not read "BIND is down" as "the check itself is broken".
    """
    codes = [hosting_exit_code, *(f.severity for f in findings if f.kind != "hosting")]
    if all(code == EXIT_UNKNOWN for code in codes):
        return EXIT_UNKNOWN
    return worst([EXIT_CRITICAL if code == EXIT_UNKNOWN else code for code in codes])


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """Findings in report order: by kind (hosting, vendor, dns, backup, others), then name."""
    def key(f: Finding) -> tuple[int, str, str]:
        rank = KINDS.index(f.kind) if f.kind in KINDS else len(KINDS)
        return rank, f.kind, f.name

    return sorted(findings, key=key)


def status_name(code: int) -> str:
    return STATUSES[code] if 0 <= code < len(STATUSES) else UNKNOWN


# -- JSON -------------------------------------------------------------------------------

def to_json(service: str, at: float, exit_code: int, findings: Sequence[Finding],
            extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The documented JSON shape (see the module docstring); ``extra`` keys are added,
    without replacing the five keys above."""
    data: dict[str, Any] = dict(extra or {})
    data.update({"service": service, "at": at, "exit_code": exit_code,
                 "status": status_name(exit_code),
                 "findings": [f.to_json() for f in ordered(findings)]})
    return data


# -- JUnit XML ----------------------------------------------------------------------------

# Characters XML 1.0 cannot carry even escaped (most C0 controls, lone surrogates, U+FFFE/F).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(value: Any) -> str:
    return _NOT_XML.sub("\ufffd", str(value))


def _timestamp(at: float) -> str:
    """ISO 8601 in UTC without a zone suffix, as the JUnit schema's timestamp wants."""
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _evidence_line(e: dict[str, Any]) -> str:
    if "probe" in e and "target" in e:   # a ProbeResult
        state = "ok" if e.get("ok") else "FAIL"
        line = f"{state} {e['probe']} {e['target']} {e.get('latency_ms', '?')} ms"
        return f"{line}: {e['reason']}" if e.get("reason") else line
    return json.dumps(e, sort_keys=True, default=str)


def _headline(f: Finding) -> str:
    """``DOWN: all 2 probes failed``; a WARNING-level finding always starts with ``WARNING``."""
    if f.severity == EXIT_WARNING and f.status != WARNING:
        return f"{WARNING}: {f.status}: {f.reason}"
    return f"{f.status}: {f.reason}"


def _details(f: Finding) -> str:
    return "\n".join([_headline(f), *(_evidence_line(e) for e in f.evidence)])


def _sub(parent: ET.Element, tag: str, **attrs: Any) -> ET.Element:
    return ET.SubElement(parent, tag, {k: _xml_text(v) for k, v in attrs.items()})


def to_junit(service: str, at: float, findings: Sequence[Finding]) -> str:
    """JUnit XML that CI systems show as tests (see the module docstring)."""
    stamp = _timestamp(at)
    by_kind: dict[str, list[Finding]] = {}
    for f in ordered(findings):
        by_kind.setdefault(f.kind, []).append(f)
    total = sum(len(fs) for fs in by_kind.values())
    failed = sum(f.severity >= EXIT_CRITICAL for fs in by_kind.values() for f in fs)
    seconds = sum(f.seconds for fs in by_kind.values() for f in fs)
    root = ET.Element("testsuites", {
        "name": _xml_text(f"failover check {service}"), "tests": str(total),
        "failures": str(failed), "errors": "0", "time": f"{seconds:.3f}", "timestamp": stamp})
    for kind, fs in by_kind.items():
        suite = _sub(root, "testsuite", name=f"failover.{kind}", tests=len(fs),
                     failures=sum(f.severity >= EXIT_CRITICAL for f in fs), errors=0,
                     skipped=0, time=f"{sum(f.seconds for f in fs):.3f}", timestamp=stamp)
        props = _sub(suite, "properties")
        _sub(props, "property", name="service", value=service)
        for f in fs:
            case = _sub(suite, "testcase", classname=f"failover.{kind}", name=f.name,
                        time=f"{f.seconds:.3f}")
            props = _sub(case, "properties")
            _sub(props, "property", name="status", value=f.status)
            _sub(props, "property", name="severity", value=f.severity)
            if f.vendor is not None:
                _sub(props, "property", name="vendor", value=f.vendor)
            for key in sorted(f.metrics):
                _sub(props, "property", name=key, value=_number(f.metrics[key]))
            if f.severity >= EXIT_CRITICAL:
                failure = _sub(case, "failure", message=_headline(f), type=f.status)
                failure.text = _xml_text(_details(f))
            elif f.severity == EXIT_WARNING:
                _sub(case, "system-out").text = _xml_text(_details(f))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


# -- Prometheus text exposition -------------------------------------------------------------

def _number(value: float) -> str:
    """A sample value as the exposition format writes it: 1, 0.25, NaN, +Inf."""
    v = float(value)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    if v.is_integer() and abs(v) < 2**53:
        return str(int(v))
    # 15 significant digits: 0.0051, not repr's 0.0050999999999999995.
    return f"{v:.15g}"


def _label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _help_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n")


class _Exposition:
    """Gauge families in order; each family's samples kept together, duplicates dropped."""

    def __init__(self, service: str) -> None:
        self.service = service
        self._families: dict[str, tuple[str, dict[str, str]]] = {}

    def add(self, family: str, help_text: str, labels: dict[str, str | None],
            value: float) -> None:
        pairs = {"service": self.service, **{k: v or "" for k, v in labels.items()}}
        text = ",".join(f'{k}="{_label_value(v)}"' for k, v in pairs.items())
        samples = self._families.setdefault(family, (help_text, {}))[1]
        samples.setdefault(text, _number(value))

    def render(self) -> str:
        lines = []
        for family, (help_text, samples) in self._families.items():
            lines.append(f"# HELP {family} {_help_text(help_text)}")
            lines.append(f"# TYPE {family} gauge")
            lines += [f"{family}{{{labels}}} {value}" for labels, value in samples.items()]
        return "\n".join(lines) + "\n"


def _up(f: Finding) -> float:
    if "up" in f.metrics:
        return f.metrics["up"]
    return 1.0 if f.severity in (EXIT_OK, EXIT_WARNING) else 0.0


def to_prometheus(service: str, at: float, exit_code: int, findings: Sequence[Finding], *,
                  seconds: float | None = None, moves: dict[str, int] | None = None,
                  last_move: float | None = None) -> str:
    """Prometheus text exposition format 0.0.4 (see the module docstring for the families)."""
    out = _Exposition(service)
    out.add("failover_check_status", "Exit code of the last check: 0 OK, 1 WARNING, "
            "2 CRITICAL, 3 UNKNOWN.", {}, exit_code)
    out.add("failover_check_timestamp_seconds", "When the last check started, in seconds "
            "since the epoch.", {}, at)
    if seconds is not None:
        out.add("failover_check_duration_seconds", "How long the whole check took, in "
                "seconds.", {}, seconds)
    for kind, count in sorted((moves or {}).items()):
        out.add("failover_moves_total", "Moves and rollbacks in the journal, by kind.",
                {"kind": kind}, count)
    if last_move is not None:
        out.add("failover_last_move_timestamp_seconds", "When the newest move or rollback "
                "started, in seconds since the epoch.", {}, last_move)
    findings = ordered(findings)
    for f in findings:
        kind = "delegation" if _is_delegation(f) else f.kind
        out.add("failover_finding_severity", "Severity of each finding: 0 OK, 1 WARNING, "
                "2 CRITICAL, 3 UNKNOWN.", {"kind": kind, "name": f.name, "vendor": f.vendor},
                f.severity)
    handlers: dict[str, Callable[[_Exposition, Finding], None]] = {
        "hosting": _hosting_samples, "vendor": _vendor_samples, "dns": _dns_samples,
        "backup": _backup_samples, "vantage": _vantage_samples, "cluster": _cluster_samples,
        "serving": _serving_samples, "registrar": _registrar_samples}
    for kind, handler in handlers.items():
        for f in findings:
            if f.kind == kind:
                handler(out, f)
    for f in findings:
        if f.kind == "hosting":
            _probe_samples(out, f)
    return out.render()


def _is_delegation(f: Finding) -> bool:
    """The parent zone's delegation: a finding among the DNS ones, but no DNS provider."""
    return f.kind == "dns" and f.name == "delegation" and f.vendor is None


def _delegation_samples(out: _Exposition, f: Finding) -> None:
    out.add("failover_delegation_ok", "1 while the parent zone delegates to name servers "
            "of at least two vendors, else 0.", {}, f.severity == EXIT_OK)
    if "vendors" in f.metrics:
        out.add("failover_delegation_vendors", "Vendors whose name servers the parent zone "
                "lists.", {}, f.metrics["vendors"])


def _vantage_samples(out: _Exposition, f: Finding) -> None:
    node, _, hosting = f.name.partition("/")
    labels: dict[str, str | None] = {"node": node, "hosting": hosting, "vendor": f.vendor}
    out.add("failover_vantage_hosting_up", "1 while this vantage point (a clustered "
            "watcher) sees the hosting serve, else 0.", labels, f.metrics.get("up", 0.0))
    out.add("failover_vantage_counted", "1 if the cluster counts this vantage point (it "
            "sees something up), else 0.", labels, f.metrics.get("counted", 0.0))


def _cluster_samples(out: _Exposition, f: Finding) -> None:
    if "up" not in f.metrics:
        return   # the 'etcd cannot be asked' finding has only its severity
    labels: dict[str, str | None] = {"hosting": f.name, "vendor": f.vendor}
    out.add("failover_cluster_hosting_up", "1 while the cluster's verdict (quorum of live "
            "vantage points) says the hosting serves, else 0.", labels, f.metrics["up"])
    out.add("failover_cluster_down_votes", "Live vantage points counted that say the "
            "hosting is down.", labels, f.metrics["down_votes"])


def _hosting_samples(out: _Exposition, f: Finding) -> None:
    labels: dict[str, str | None] = {"hosting": f.name, "vendor": f.vendor}
    out.add("failover_hosting_up", "1 while the hosting is judged serving: UP, or DEGRADED "
            "(some checks failed, fewer than fall in a row, so traffic stays); 0 for DOWN, "
            "TERMINATED and UNKNOWN.", labels, f.status in (UP, DEGRADED))
    for verdict in VERDICTS:
        out.add("failover_hosting_verdict", "The hosting's verdict: 1 for the current one, "
                "0 for the others.", {**labels, "verdict": verdict}, f.status == verdict)


def _probe_samples(out: _Exposition, f: Finding) -> None:
    for e in f.evidence:
        if "probe" not in e or "target" not in e:
            continue
        labels: dict[str, str | None] = {"hosting": f.name, "target": str(e["target"]),
                                         "probe": str(e["probe"])}
        out.add("failover_probe_success", "1 if the probe passed, else 0.", labels,
                bool(e.get("ok")))
        seconds = e.get("latency_seconds")
        if seconds is None and "latency_ms" in e:
            seconds = float(e["latency_ms"]) / 1000
        if seconds is not None:
            out.add("failover_probe_latency_seconds", "How long the probe took, in seconds "
                    "(until it failed, for a failed probe).", labels, seconds)


def _vendor_samples(out: _Exposition, f: Finding) -> None:
    out.add("failover_vendor_up", "1 while the vendor's control plane accepts our account.",
            {"vendor": f.name}, _up(f))


def _dns_samples(out: _Exposition, f: Finding) -> None:
    if _is_delegation(f):
        _delegation_samples(out, f)
        return
    labels: dict[str, str | None] = {"provider": f.name, "vendor": f.vendor}
    out.add("failover_dns_provider_up", "1 while the DNS provider answers for the zone.",
            labels, _up(f))
    if "soa_serial" in f.metrics:
        out.add("failover_dns_soa_serial", "The SOA serial the DNS provider serves.", labels,
                f.metrics["soa_serial"])


def _serving_samples(out: _Exposition, f: Finding) -> None:
    for key, value in sorted(f.metrics.items()):
        if key.startswith("served."):
            out.add("failover_served", "1 while the DNS provider's answers point at the "
                    "hosting, else 0.", {"provider": f.name, "hosting": key[len("served."):]},
                    value)


def _registrar_samples(out: _Exposition, f: Finding) -> None:
    # The days left as a number, so an alert rule can pick its own threshold (issue 23).
    if "days_left" in f.metrics:
        out.add("failover_registration_days_left", "Days until the domain's registration "
                "at this registrar expires.", {"registrar": f.name}, f.metrics["days_left"])


def _backup_samples(out: _Exposition, f: Finding) -> None:
    labels: dict[str, str | None] = {"backup": f.name, "vendor": f.vendor}
    if "age_seconds" in f.metrics:
        out.add("failover_backup_age_seconds", "Age of the newest backup, in seconds.", labels,
                f.metrics["age_seconds"])
    out.add("failover_backup_fresh", "1 if the newest backup is within the recovery-point "
            "objective, else 0.", labels, f.severity == EXIT_OK)
