"""Notices that no single vendor can silence: apprise channels, sent at once, bounded.

A subscriber: it hears events (:mod:`failover.events`) and never calls the engine.

- :mod:`failover.notify.sink`: which event sends which notice (the subscriber);
- :mod:`failover.notify.outbox`: the background the notices and the page are sent from;
- where a channel's URL comes from, and how it is shown: :mod:`failover.secreturls`
  (scheme and host at most) and scrubbed from any text apprise gives back;
- :mod:`failover.notify.notices`: the notices (a move or rollback, a TERMINATED verdict,
  a cycle that needs a move it may not make, lost coordination, a failed drill);
- :mod:`failover.notify.send`: every channel at once under one deadline, each delivery
  journaled, a failing channel reported on the others;
- :mod:`failover.notify.heartbeat`: the dead-man pings of each watch cycle.

apprise is imported only when a notice is really sent (it costs ~130 ms).
"""

from __future__ import annotations

from failover.notify.notices import Notice
from failover.notify.send import Delivery, Notifier

__all__ = ["Delivery", "Notice", "Notifier"]
