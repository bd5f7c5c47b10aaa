"""What the runbook knows: the config, where it lives, and what the journal says.

:class:`Facts` holds the config and its path, the journal's last verdict of each
hosting, its drills and the vendors it marks TERMINATED, and works out what an
evacuation of a vendor would serve (by the same policy a move uses). The Markdown
(:mod:`failover.runbook.markdown`) and the shell commands
(:mod:`failover.runbook.commands`) are made from it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from failover.config import Config, StackEndpoints, StaticEndpoints
from failover.health import UP, Verdict
from failover.journal import HostingState, Journal


class Facts:
    """The config and the journal's record, as the runbook quotes them."""

    def __init__(self, config: Config, path: Path, journal: Journal | None, now: float) -> None:
        self.config = config
        self.path = path
        self.journal = journal
        self.now = now
        self.states: dict[str, HostingState] = journal.hosting_states() if journal else {}
        self.drills: list[dict[str, Any]] = (journal.events(limit=2000, kind="drill")
                                             if journal else [])
        self.terminated = journal.terminated_vendors() if journal else {}

    def verdict(self, hosting: str) -> str:
        s = self.states.get(hosting)
        if s is None:
            return "no check in the journal yet"
        return f"{s.verdict} (checked {stamp(s.updated)}, since {stamp(s.since)})"

    def endpoints(self, hosting: str) -> str:
        eps = self.config.hosting[hosting].endpoints
        if isinstance(eps, StackEndpoints):
            return f"from Pulumi stack `{eps.from_stack}` (output `{eps.output}`)"
        assert isinstance(eps, StaticEndpoints)
        parts = [*eps.A, *eps.AAAA] + ([eps.CNAME] if eps.CNAME else [])
        return ", ".join(parts)

    def addresses(self, v: str) -> str:
        return "; ".join(self.endpoints(h) for h in self.config.hostings_of(v))

    def vendors(self, only: str | None) -> list[str]:
        if only is not None:
            return [only]
        used = {h.vendor for h in self.config.hosting.values()} | \
               {p.vendor for p in self.config.dns.values()}
        return [v for v in self.config.vendors if v in used]

    def expected(self, v: str) -> tuple[list[str], dict[str, list[str]], str]:
        """Hostings an evacuation of ``v`` would serve, the answers by type, and a note."""
        from failover.policy import decide

        cfg = self.config
        verdicts: dict[str, Verdict] = {}
        assumed = []
        for h, spec in cfg.hosting.items():
            state = self.states.get(h)
            verdict = state.verdict if state is not None else UP
            if state is None and spec.vendor != v:
                assumed.append(h)
            verdicts[h] = Verdict(h, spec.vendor, verdict, "ok", "", 0, 0)
        decision = decide(cfg, verdicts, off=[v])
        answers: dict[str, list[str]] = {}
        for h in decision.serve:
            eps = cfg.hosting[h].endpoints
            if isinstance(eps, StaticEndpoints):
                for rtype in ("A", "AAAA", "CNAME"):
                    answers.setdefault(rtype, []).extend(eps.values(rtype))
        note = ""
        if assumed:
            note = f" (no verdict yet for {', '.join(assumed)}: assumed UP)"
        return list(decision.serve), {t: sorted(a) for t, a in answers.items() if a}, note


def stamp(at: float) -> str:
    """A journal time as the runbook shows it, in local time with its zone."""
    return time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(at))

