"""After each watch or reconcile cycle: the heartbeat, a notice when a move is needed but
was not made, and the status page. In the background (see :mod:`.outbox`).

A blocked cycle repeats every interval until someone acts; its notice is sent once per
situation (the action and the plan's checksum), remembered in the journal (events of
kind ``blocked``) so that cron-driven ``reconcile`` runs do not repeat it either.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from failover.drill import DrillReport
    from failover.engine import Engine
    from failover.watch import CycleResult

# Cycle actions that mean "a move is needed and was not made".
BLOCKED = ("would-move", "refused", "keep")


def after_cycle(engine: Engine, result: CycleResult) -> None:
    """Ping heartbeats, notify a new blocked situation and lost coordination (a clustered
    watcher's fail-static cycle), publish the page."""
    config = engine.config
    if config.notify is not None and config.notify.heartbeat:
        from failover.notify.heartbeat import ping_all

        journal, at = engine.journal, result.at
        engine.outbox.run("heartbeat", lambda: ping_all(config, journal=journal, at=at))
    if config.notify is not None:
        key = f"{result.action}:{result.checksum or ''}" if result.action in BLOCKED else ""
        sentence = result.sentence if key else "no longer blocked"
        if _remember(engine, "blocked", key, sentence, result.at) and key:
            from failover.notify.notices import blocked_notice

            engine.outbox.notify(blocked_notice(config.service, result.sentence))
    if result.action == "fail-static":           # a clustered watcher without etcd
        coordination_lost(engine, result.sentence, at=result.at)
    elif engine.coord.clustered:
        coordination_back(engine, at=result.at)
    if result.action != "moved":     # a move publishes the page itself
        engine.outbox.publish()

def coordination_lost(engine: Engine, detail: str, *, at: float | None = None) -> None:
    """For the watcher: its coordination (etcd quorum) is lost. Notified once, until
    :func:`coordination_back` says it is back."""
    if _remember(engine, "coordination", "lost", detail, at) and engine.config.notify:
        from failover.notify.notices import coordination_notice

        engine.outbox.notify(coordination_notice(engine.config.service, detail))


def coordination_back(engine: Engine, *, at: float | None = None) -> None:
    """Coordination is back: the next loss is notified again."""
    _remember(engine, "coordination", "", "coordination back", at)


def after_drill(engine: Engine, report: DrillReport) -> None:
    """A drill ended: a notice if it failed, and the page (it shows the last drill)."""
    if report.outcome == "failed" and engine.config.notify is not None:
        from failover.notify.notices import drill_notice

        engine.outbox.notify(drill_notice(engine.config.service, report))
    engine.outbox.publish()


def _remember(engine: Engine, kind: str, key: str, sentence: str, at: float | None) -> bool:
    """Journal ``key`` as the current state of ``kind`` if it changed; whether it did."""
    last = engine.journal.events(limit=1, kind=kind)
    last_key = str(json.loads(last[0]["data"]).get("key", "")) if last else ""
    if last_key == key:
        return False
    engine.journal.event(at if at is not None else engine.clock.now(), kind, sentence,
                         {"key": key})
    return True
