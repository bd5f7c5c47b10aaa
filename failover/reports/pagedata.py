"""What the status page shows, gathered from the journal and from what every DNS provider
serves now. The only part of the page that reads anything; :mod:`.page` renders it.

"Which hosting a DNS provider serves" is worked out from its answers for the managed
records: a hosting whose endpoints appear among them is served there.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from failover.reports.page import DrillLine, HostingRow, MoveLine, PageData, ProviderRow, SaasRow

if TYPE_CHECKING:
    from failover.engine import Engine

MOVES_SHOWN = 5

# Other parts add rows to the page through these hooks (the SaaS register, for one):
# each takes the engine and returns its rows. Kept here, not imported from them, so
# that the page never depends on what is configured.
SaasRows = Callable[["Engine"], list[SaasRow]]


def gather(engine: Engine, *, saas_rows: SaasRows | None = None) -> PageData:
    """Everything the page shows, now."""
    config = engine.config
    journal = engine.journal
    states = journal.hosting_states()
    terminated = journal.terminated_vendors()
    hostings = []
    for name, spec in config.hosting.items():
        st = states.get(name)
        verdict = st.verdict if st is not None else "UNKNOWN"
        reason = ""
        if spec.vendor in terminated:
            verdict = "TERMINATED" if verdict in ("DOWN", "UNKNOWN", "TERMINATED") else verdict
            reason = terminated[spec.vendor][1]
        hostings.append(HostingRow(name, spec.vendor, verdict, st.since if st else None, reason))
    providers = _providers(engine)
    moves = []
    for m in journal.moves(limit=MOVES_SHOWN):
        seconds = (m.finished - m.started) if m.finished else None
        moves.append(MoveLine(m.id, m.kind if not m.rollback_of else
                              f"rollback of {m.rollback_of}", m.started, seconds,
                              m.shown_state, m.reason, m.summary or ""))
    return PageData(
        service=config.service, zone=config.zone, generated=engine.clock.now(),
        hostings=hostings, providers=providers,
        terminated={v: time.strftime("%Y-%m-%d %H:%M", time.localtime(since))
                    for v, (since, _why) in terminated.items()},
        saas=saas_rows(engine) if saas_rows is not None else [],
        moves=moves, drill=_last_drill(engine),
        title=config.page.title if config.page else None)


def _providers(engine: Engine) -> list[ProviderRow]:
    endpoints = engine.endpoints()
    values: dict[str, set[str]] = {
        h: {v.lower().rstrip(".") for vals in eps.values() for v in vals}
        for h, eps in endpoints.items()}
    managed = set(engine.managed)
    rows = []
    for name, (current, error) in engine.read_all().items():
        vendor = engine.config.dns[name].vendor
        if current is None:
            rows.append(ProviderRow(name, vendor, (), error or "unreachable"))
            continue
        served = {v.lower().rstrip(".") for key, rr in current.items()
                  if (key.name, key.rtype) in managed for v in rr.values}
        rows.append(ProviderRow(name, vendor,
                                tuple(sorted(h for h, vals in values.items() if vals & served))))
    return rows


def _last_drill(engine: Engine) -> DrillLine | None:
    from failover.drill import DrillReport, Phase, timeline_svg

    for e in engine.journal.events(limit=500, kind="drill"):
        try:
            data: dict[str, Any] = json.loads(e["data"]) if isinstance(e["data"], str) \
                else e["data"]
        except ValueError:
            continue
        if data.get("stage") != "end":
            continue
        cfg = engine.config
        report = DrillReport(
            service=cfg.service, zone=cfg.zone, vendor=data.get("vendor", "?"),
            mode=data.get("mode", "?"), applied=bool(data.get("applied")),
            config_path=cfg.source, interval=cfg.interval, fall=cfg.fall, rise=cfg.rise,
            verify_timeout=cfg.verify.timeout, hostings=cfg.hostings_of(data.get("vendor", "")),
            started=float(data.get("started") or e["at"]),
            finished=float(data.get("finished") or e["at"]),
            outcome=data.get("outcome", "?"), sentence=e.get("sentence", ""))
        for p in data.get("phases", []):
            report.phases.append(Phase(p["name"], float(p["start"]), float(p["seconds"]),
                                       bool(p["ok"]), p.get("detail", ""), p.get("provider"),
                                       p.get("authority")))
        try:
            svg: str | None = timeline_svg(report) if report.phases else None
        except Exception:  # an old or odd record draws no picture; the line still shows
            svg = None
        evacuate = (data.get("totals") or {}).get("evacuate")
        return DrillLine(report.vendor, report.outcome, e["at"], report.sentence,
                         float(evacuate) if evacuate is not None else None, svg)
    return None
