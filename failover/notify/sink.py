"""The notices subscriber: which event sends which notice, sent in the background.

- :class:`~failover.events.VendorTerminated`: the vendor TERMINATED our account;
- :class:`~failover.events.Moved`: how the move or rollback ended;
- :class:`~failover.events.CycleEnded`: the heartbeat pings; a notice when a move is
  needed and was not made; one when a clustered watcher loses its coordination;
- :class:`~failover.events.DrillEnded`: a notice when the drill failed.

Nothing is sent without ``notify:`` in the config. A blocked cycle repeats every interval
until someone acts; its notice is sent once per situation (the action and the plan's
checksum), remembered in the journal (events of kind ``blocked``) so that cron-driven
``reconcile`` runs do not repeat it either. Lost coordination is remembered the same way
(kind ``coordination``), notified once until it is back.
"""

from __future__ import annotations

import json

from failover.events import CycleEnded, DrillEnded, Event, Moved, VendorTerminated
from failover.notify.heartbeat import ping_all
from failover.notify.notices import (
    Notice,
    blocked_notice,
    coordination_notice,
    drill_notice,
    move_notice,
    terminated_notice,
)
from failover.notify.outbox import Outbox, Recorder
from failover.notify.send import Notifier

# Cycle actions that mean "a move is needed and was not made" (stranded: a strict pin
# holds users on a DOWN or TERMINATED hosting).
BLOCKED = ("would-move", "refused", "keep", "stranded")


class NoticeSink:
    """Hears the engine's, the watcher's and the drill's events; sends their notices."""

    def __init__(self, source: Recorder, outbox: Outbox) -> None:
        self.source = source
        self.outbox = outbox

    def emit(self, event: Event) -> None:
        config = self.source.config
        match event:
            case VendorTerminated():
                self.send(terminated_notice(config.service, event.vendor,
                                            list(event.hostings), event.reason))
            case Moved():
                self.send(move_notice(config.service, event.plan, event.result))
            case CycleEnded():
                self.cycle_ended(event)
            case DrillEnded():
                if event.outcome == "failed":
                    self.send(drill_notice(config.service, event))

    def drain(self, timeout: float | None = None) -> None:
        self.outbox.drain(timeout)

    def send(self, notice: Notice) -> None:
        """Send ``notice`` to every channel in the background (nothing without ``notify:``)."""
        source = self.source
        if source.config.notify is None:
            return
        notifier = Notifier(source.config, journal=source.journal, clock=source.clock)
        self.outbox.run(f"notice-{notice.kind}", lambda: notifier.send(notice))

    def cycle_ended(self, cycle: CycleEnded) -> None:
        """Ping heartbeats, notify a new blocked situation and lost coordination (a
        clustered watcher's fail-static cycle)."""
        config = self.source.config
        if config.notify is not None and config.notify.heartbeat:
            journal, at = self.source.journal, cycle.at
            self.outbox.run("heartbeat", lambda: ping_all(config, journal=journal, at=at))
        if config.notify is not None:
            key = f"{cycle.action}:{cycle.checksum or ''}" if cycle.action in BLOCKED else ""
            sentence = cycle.sentence if key else "no longer blocked"
            if self._remember("blocked", key, sentence, cycle.at) and key:
                self.send(blocked_notice(config.service, cycle.sentence))
        if cycle.action == "fail-static":           # a clustered watcher without etcd
            self.coordination_lost(cycle.sentence, at=cycle.at)
        elif cycle.clustered:
            self.coordination_back(at=cycle.at)

    def coordination_lost(self, detail: str, *, at: float | None = None) -> None:
        """The watcher's coordination (etcd quorum) is lost. Notified once, until
        :meth:`coordination_back` says it is back."""
        if self._remember("coordination", "lost", detail, at) and self.source.config.notify:
            self.send(coordination_notice(self.source.config.service, detail))

    def coordination_back(self, *, at: float | None = None) -> None:
        """Coordination is back: the next loss is notified again."""
        self._remember("coordination", "", "coordination back", at)

    def _remember(self, kind: str, key: str, sentence: str, at: float | None) -> bool:
        """Journal ``key`` as the current state of ``kind`` if it changed; whether it did."""
        journal = self.source.journal
        last = journal.events(limit=1, kind=kind)
        last_key = str(json.loads(last[0]["data"]).get("key", "")) if last else ""
        if last_key == key:
            return False
        journal.event(at if at is not None else self.source.clock.now(), kind, sentence,
                      {"key": key})
        return True
