"""Drills: a game day for one vendor, measured phase by phase, journaled, reported.

A :class:`Drill` takes one vendor away through an :class:`Injector` and
measures what failover does about it, at the config's own pace:

- **detect**: checks every ``interval``, the first one interval after the
  fault (a watcher's worst case), until every hosting of the vendor is DOWN
  (or TERMINATED): about ``fall x interval``;
- **decide**: the policy's decision from those verdicts; **plan**: every DNS
  provider read and diffed;
- **write** each DNS provider and **verify** each authoritative server (from
  the move's own events: when each write ended, how long each authority took
  to serve the new answers);
- **failback**: the vendor restored, checks until ``rise`` good ones make it UP
  again (**recover**), and the drill's move rolled back (**rollback-write**,
  **rollback-verify**).

Whatever fails, the failback runs (``try/finally``): the vendor is restored
and the drill's move rolled back, so the drill leaves what it found. A vendor
the drill got marked TERMINATED is reinstated. The answers every provider
serves at the end are compared with those at the start.

With an injector that is not ``real`` (``SimulatedInjector``) nothing is
touched: the vendor is treated as terminated (``--off``), the drill stops at
the plan, or with ``apply`` moves, verifies and rolls back at once.

Every phase is a sentence in the journal (``events``, kind ``drill``); the
last one carries the timings the runbook quotes, and the drill's end is told as a
:class:`~failover.events.DrillEnded` event to the engine's sinks (a notice if it
failed, the status page).

- :mod:`~failover.drill.runner`: the :class:`Drill` and its injectors;
- :mod:`~failover.drill.report`: the report model (its JSON is report.json's shape).

The renderers (``report.md``, ``report.json``, ``timeline.svg``) live in
:mod:`failover.reports.drillreport`, a layer above: this package never imports them.

failover never imports the lab: the CLI passes the injector in.
"""

from __future__ import annotations

from failover.drill.report import REPORT_VERSION, CheckRow, DrillReport, Phase, last_drill
from failover.drill.runner import EXTRA_CHECKS, Drill, Injector, SimulatedInjector
from failover.errors import DrillRefused

__all__ = ["EXTRA_CHECKS", "REPORT_VERSION", "CheckRow", "Drill", "DrillRefused",
           "DrillReport", "Injector", "Phase", "SimulatedInjector", "last_drill"]
