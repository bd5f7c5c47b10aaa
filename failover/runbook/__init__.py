"""The incident runbook: Markdown generated from the config and the journal.

Written for someone woken at 3 a.m. who has never seen this service: for each
vendor, how its termination shows in ``failover check``, then numbered steps
with complete commands (the config path written in), the output and exit code
to expect from each, what else goes with the vendor, the standby that
remains (with the journal's last verdicts), the last drill's timings, and
the checks to run afterwards.

The shell commands sit in fenced ``sh`` blocks under fixed headings
("Evacuate", "Verify", "Roll back"), one command per line, so that they can be
copied whole, and tested as written (tests/integration/test_drill_lab.py runs
them against the lab).

The parts: :mod:`.facts` (the config and the journal's record, and what an evacuation
would serve), :mod:`.commands` (the shell commands, complete), :mod:`.markdown` (the
sections); :func:`render` puts them together.
"""

from __future__ import annotations

import time
from pathlib import Path

from failover.config import Config
from failover.errors import ConfigError
from failover.journal import Journal
from failover.runbook.commands import Commands
from failover.runbook.facts import Facts
from failover.runbook.markdown import Markdown
from failover.suggest import did_you_mean


def render(config: Config, config_path: Path | str, *, vendor: str | None = None,
           now: float | None = None, journal: Journal | None = None) -> str:
    """The runbook for every vendor with a hosting or a DNS provider, or only ``vendor``.

    The journal is read if it exists (it is never created here): last verdicts and
    the last drill of each vendor.
    """
    if vendor is not None and vendor not in config.vendors:
        raise ConfigError(f"--vendor {vendor}: no such vendor"
                          f"{did_you_mean(vendor, config.vendors, '--vendor {}')}; vendors: "
                          f"{', '.join(sorted(config.vendors))}")
    path = Path(config_path).resolve()
    own = journal is None and config.journal_path().exists()
    if own:
        journal = Journal(config.journal_path())
    try:
        facts = Facts(config, path, journal, now if now is not None else time.time())
        return Markdown(facts, Commands(config, path)).render(vendor)
    finally:
        if own and journal is not None:
            journal.close()

