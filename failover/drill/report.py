"""The drill's report model: the phases it measured, the checks it ran, what it wrote
and left behind (:class:`DrillReport`, whose JSON shape is report.json's), and the
newest finished drill of a vendor read back from the journal. Rendering it (Markdown,
the SVG timeline) is :mod:`failover.reports.drillreport`'s."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from failover.errors import EXIT_CRITICAL, EXIT_OK, EXIT_UNKNOWN
from failover.move import MoveResult
from failover.plan import Plan

REPORT_VERSION = 1


@dataclass
class Phase:
    """One measured span; ``start`` in seconds from the drill's time zero (the fault)."""

    name: str              # stop detect decide plan write verify restore recover
                           # rollback-write rollback-verify
    start: float
    seconds: float
    ok: bool
    detail: str = ""
    provider: str | None = None
    authority: str | None = None

    @property
    def end(self) -> float:
        return self.start + self.seconds

    @property
    def label(self) -> str:
        who = self.authority or self.provider
        return f"{self.name} {who}" if who else self.name

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "provider": self.provider,
                "authority": self.authority, "start": round(self.start, 4),
                "seconds": round(self.seconds, 4), "end": round(self.end, 4), "ok": self.ok,
                "detail": self.detail}


@dataclass
class CheckRow:
    """One run of the checks during the drill, and what it said of the vendor's hostings."""

    phase: str             # baseline | detect | recover
    number: int
    at: float              # seconds from time zero when the check ended
    seconds: float
    verdicts: dict[str, str]
    reasons: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return {"phase": self.phase, "number": self.number, "at": round(self.at, 4),
                "seconds": round(self.seconds, 4), "verdicts": self.verdicts,
                "reasons": self.reasons}


@dataclass
class DrillReport:
    """Everything a drill measured and did; rendered by
    :func:`failover.reports.drillreport.write_report`."""

    service: str
    zone: str
    vendor: str
    mode: str                    # lab (a real injector) | simulate
    applied: bool                # whether DNS was written
    config_path: str
    interval: float
    fall: int
    rise: int
    verify_timeout: float
    hostings: list[str]
    started: float
    # The highest TTL of the managed records: how long a resolver may still hand out the
    # dead vendor's answer after every authority serves the new one.
    ttl: int = 0
    finished: float = 0.0
    phases: list[Phase] = field(default_factory=list)
    checks: list[CheckRow] = field(default_factory=list)
    plan: Plan | None = None
    move: MoveResult | None = None
    rollback: MoveResult | None = None
    restored: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    outcome: str = "failed"      # passed | failed | planned | declined
    sentence: str = ""

    @property
    def exit_code(self) -> int:
        """0 passed (or planned cleanly), 2 a phase failed, 3 declined at the prompt."""
        return {"passed": EXIT_OK, "planned": EXIT_OK,
                "declined": EXIT_UNKNOWN}.get(self.outcome, EXIT_CRITICAL)

    @property
    def moved_cleanly(self) -> bool:
        """Every provider written and every authority verified (false if nothing moved)."""
        ps = [p for p in self.phases if p.name in ("write", "verify")]
        return bool(ps) and all(p.ok for p in ps)

    def phase(self, name: str) -> list[Phase]:
        return [p for p in self.phases if p.name == name]

    @property
    def totals(self) -> dict[str, float | None]:
        """Seconds: detect, decide (+plan), write and verify (the slowest of each, as they
        run concurrently), evacuate (time zero to the last authority verified), failback
        (restore to the last rollback verification), total. None where not measured."""
        def span(names: tuple[str, ...]) -> float | None:
            ps = [p for p in self.phases if p.name in names]
            return max(p.end for p in ps) - min(p.start for p in ps) if ps else None

        def slowest(name: str) -> float | None:
            ps = self.phase(name)
            return max(p.seconds for p in ps) if ps else None

        move_phases = [p for p in self.phases if p.name in ("write", "verify")]
        evacuate = max(p.end for p in move_phases) if move_phases else None
        failback = span(("restore", "recover", "rollback-write", "rollback-verify"))
        return {"detect": slowest("detect"), "decide": span(("decide", "plan")),
                "write": slowest("write"), "verify": slowest("verify"),
                "evacuate": evacuate,
                # What users see at worst: resolvers keep the old answer up to its TTL.
                "users_off": evacuate + self.ttl if evacuate is not None else None,
                "failback": failback,
                "total": span(tuple({p.name for p in self.phases}))}

    def summary_json(self) -> dict[str, Any]:
        """The compact form the journal keeps (and the runbook quotes)."""
        return {"vendor": self.vendor, "mode": self.mode, "applied": self.applied,
                "outcome": self.outcome, "exit_code": self.exit_code,
                "started": self.started, "finished": self.finished,
                "config": {"interval": self.interval, "fall": self.fall, "rise": self.rise},
                "totals": _rounded(self.totals), "phases": [p.to_json() for p in self.phases],
                "sentence": self.sentence}

    def to_json(self) -> dict[str, Any]:
        """The documented shape of report.json (version 1; keys may be added, never removed):

        ``{"version", "service", "zone", "vendor", "mode" ("lab"|"simulate"), "applied",
        "outcome" ("passed"|"failed"|"planned"|"declined"), "exit_code", "sentence",
        "started", "finished" (epoch seconds),
        "config": {"path", "interval", "fall", "rise", "verify_timeout", "ttl"},
        "hostings": [the vendor's hostings],
        "totals": {"detect", "decide", "write", "verify", "evacuate", "users_off",
        "failback", "total"} (seconds or null; users_off is evacuate plus the records' TTL,
        when the last resolver cache lets go of the vendor at worst),
        "phases": [{"name", "label", "provider", "authority", "start", "seconds", "end",
        "ok", "detail"}] (start/end in seconds from the fault),
        "providers": [{"provider", "vendor", "changes", "write", "write_ok", "rollback_write"}],
        "authorities": [{"provider", "authority", "verify", "rollback_verify", "ok"}],
        "checks": [{"phase", "number", "at", "seconds", "verdicts", "reasons"}],
        "plan": <plan as in 'plan --format json'> | null,
        "move": <result as in 'move --format json'> | null, "rollback": same | null,
        "restored": {"checked", "answers", "vendor_up", "detail"}, "errors": [...]}``
        """
        return {
            "version": REPORT_VERSION, "service": self.service, "zone": self.zone,
            "vendor": self.vendor, "mode": self.mode, "applied": self.applied,
            "outcome": self.outcome, "exit_code": self.exit_code, "sentence": self.sentence,
            "started": self.started, "finished": self.finished,
            "config": {"path": self.config_path, "interval": self.interval, "fall": self.fall,
                       "rise": self.rise, "verify_timeout": self.verify_timeout,
                       "ttl": self.ttl},
            "hostings": list(self.hostings),
            "totals": _rounded(self.totals),
            "phases": [p.to_json() for p in self.phases],
            "providers": self.providers(),
            "authorities": self.authorities(),
            "checks": [c.to_json() for c in self.checks],
            "plan": self.plan.to_json() if self.plan is not None else None,
            "move": self.move.to_json() if self.move is not None else None,
            "rollback": self.rollback.to_json() if self.rollback is not None else None,
            "restored": self.restored, "errors": list(self.errors)}

    def providers(self) -> list[dict[str, Any]]:
        """Per DNS provider: seconds to write, and to write the rollback."""
        out = []
        for pp in self.plan.providers if self.plan is not None else []:
            w = [p for p in self.phase("write") if p.provider == pp.provider]
            rw = [p for p in self.phase("rollback-write") if p.provider == pp.provider]
            out.append({"provider": pp.provider, "vendor": pp.vendor,
                        "write": round(w[0].seconds, 4) if w else None,
                        "write_ok": w[0].ok if w else None,
                        "rollback_write": round(rw[0].seconds, 4) if rw else None,
                        "changes": len(pp.changes)})
        return out

    def authorities(self) -> list[dict[str, Any]]:
        """Per authoritative server: seconds from its provider's write to the new answers."""
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        for p in self.phases:
            if p.name not in ("verify", "rollback-verify") or p.authority is None:
                continue
            row = rows.setdefault((p.provider or "", p.authority),
                                  {"provider": p.provider, "authority": p.authority,
                                   "verify": None, "rollback_verify": None, "ok": True})
            row["verify" if p.name == "verify" else "rollback_verify"] = round(p.seconds, 4)
            row["ok"] = row["ok"] and p.ok
        return list(rows.values())


def last_drill(events: list[dict[str, Any]], vendor: str) -> dict[str, Any] | None:
    """The newest finished drill of ``vendor`` in journal events (newest first), with
    ``at`` and ``sentence`` added to its data; None if there is none."""
    for e in events:
        if e.get("kind") != "drill":
            continue
        data = e.get("data")
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                continue
        if isinstance(data, dict) and data.get("stage") == "end" and data.get("vendor") == vendor:
            return {**data, "at": e.get("at"), "sentence": e.get("sentence", "")}
    return None


def seconds_text(seconds: float | None) -> str:
    """A duration for people: milliseconds under a second, else seconds."""
    if seconds is None:
        return "-"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _rounded(values: Mapping[str, float | None]) -> dict[str, float | None]:
    return {k: (round(v, 4) if v is not None else None) for k, v in values.items()}
