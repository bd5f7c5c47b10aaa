"""The engine, a library: what the CLI (and the watcher, drills, tests) call.

An :class:`Engine` holds one config, its journal and its DNS providers, and offers
the verbs of the flow in DESIGN.md: ``check`` (probe and judge), ``plan`` (decide and
diff every provider), ``move`` (apply a reviewed plan), ``rollback_plan`` (the plan
that restores a move's before-images), ``status`` (what every provider serves now, and
what an interrupted move did and did not write). Rendering is the caller's business,
and so is telling: the engine emits events (:mod:`failover.events`) to the sinks it is
given, and sends nothing itself.

One idea per module:

- :mod:`~failover.engine.core`: the :class:`Engine`, which orchestrates the rest;
- :mod:`~failover.engine.check`: the check's report, the probe and pool seams;
- :mod:`~failover.engine.reading`: reading the DNS providers, proving write credentials;
- :mod:`~failover.engine.findings`: a full check's findings;
- :mod:`~failover.engine.rollback`: which move to undo, and the plan that undoes it;
- :mod:`~failover.engine.status`: what is served now, and what a move left unfinished;
- :mod:`~failover.engine.fencing`: the DNS fence at every provider (advance, read, clear).

The names importable from ``failover.engine`` are re-exported here.
"""

from failover.engine.check import CheckReport, PoolFactory, Probe
from failover.engine.core import HOSTINGS_KEPT, Engine, ProviderFactory
from failover.engine.findings import FullCheck
from failover.engine.reading import Reads
from failover.engine.status import ProviderStatus, StatusReport, StepStatus

__all__ = ["HOSTINGS_KEPT", "CheckReport", "Engine", "FullCheck", "PoolFactory", "Probe",
           "ProviderFactory", "ProviderStatus", "Reads", "StatusReport", "StepStatus"]
