"""Status: what every DNS provider serves now, whether they agree on each managed
record, and what the last move's unfinished or unanswered writes did, read again."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from failover.clock import Clock
from failover.config import Config
from failover.coord.base import MoveStore
from failover.engine.reading import Reads
from failover.journal import MoveRow, StepRow
from failover.records import RRKey, RRSet, Snapshot, by_record


@dataclass
class ProviderStatus:
    provider: str
    vendor: str
    rrsets: dict[RRKey, RRSet] | None
    error: str | None = None


@dataclass
class StepStatus:
    """What an unfinished move's step wrote, judged against what the provider serves now."""

    step: StepRow
    now: str        # written | not written | partly written | changed since | unknown


@dataclass
class StatusReport:
    journal: str
    managed: list[tuple[str, str]]
    providers: list[ProviderStatus]
    agree: dict[tuple[str, str], bool | None]     # None: unknown (a provider is unreadable)
    last_move: MoveRow | None
    unfinished: list[StepStatus] = field(default_factory=list)
    # The last move's writes that had no answer ("unknown"), read again now.
    unknown: list[StepStatus] = field(default_factory=list)

    @property
    def all_agree(self) -> bool:
        return all(a is True for a in self.agree.values())

    @property
    def readable(self) -> int:
        return sum(p.rrsets is not None for p in self.providers)


def status(config: Config, store: MoveStore, where: str, current: Reads,
           managed: list[tuple[str, str]], clock: Clock) -> StatusReport:
    """Status from ``current`` (what every provider serves, just read); ``where`` names
    the store for people."""
    providers = [ProviderStatus(n, config.dns[n].vendor, cur, err)
                 for n, (cur, err) in current.items()]
    agree: dict[tuple[str, str], bool | None] = {}
    grouped = [by_record(p.rrsets) for p in providers if p.rrsets is not None]
    unread = len(grouped) < len(providers)
    for record in managed:
        seen = {tuple(sorted(v for rr in g.get(record, {}).values() for v in rr.values))
                for g in grouped}
        # An unreadable provider may serve anything: agreement is unknown, not yes.
        agree[record] = False if len(seen) > 1 else None if unread else True
    last = _last_move(store)
    unfinished: list[StepStatus] = []
    if last is not None and last.shown_state in ("interrupted", "applying", "verifying"):
        for step in store.steps(last.id):
            cur = current.get(step.provider, (None, None))[0]
            unfinished.append(StepStatus(step, written(step, cur, managed)))
    elif last is not None:
        unknown = settle(store, last, current, managed, clock)
        return StatusReport(where, managed, providers, agree, last, unfinished, unknown)
    return StatusReport(where, managed, providers, agree, last, unfinished)


def settle(store: MoveStore, move: MoveRow, current: Mapping[str, tuple[dict[RRKey, RRSet]
           | None, str | None]], managed: list[tuple[str, str]], clock: Clock
           ) -> list[StepStatus]:
    """The move's writes whose answer never came, judged by what is served now. One
    found written is settled in the journal as applied; any other reading is only
    shown, since the server may still apply it."""
    out = []
    for step in store.steps(move.id):
        if step.state != "unknown":
            continue
        now = written(step, current.get(step.provider, (None, None))[0], managed)
        if now == "written":
            stamp = time.strftime("%H:%M:%S", time.localtime(clock.now()))
            store.step_state(move.id, step.provider, "applied", at=clock.now(),
                             error=f"{step.error}; 'failover status' found it "
                                   f"written at {stamp}")
            now = "written (settled: the journal now says applied)"
        out.append(StepStatus(step, now))
    return out


def written(step: StepRow, live: dict[RRKey, RRSet] | None,
            managed: list[tuple[str, str]]) -> str:
    """Whether the step's desired RRsets are what the provider serves now (``live``)."""
    if live is None:
        return "unknown (provider unreachable now)"
    before = Snapshot.from_json(step.provider, step.before).rrsets
    desired = Snapshot.from_json(step.provider, step.desired).rrsets
    if not step.changes:
        return "nothing to write"
    if live == desired:
        return "written"
    if live == before:
        return "not written"
    partly = [k for k in live if live.get(k) == desired.get(k) and live.get(k) != before.get(k)]
    return "partly written" if partly else "changed since"


# Moves that change no served answer: a status shows them only while left unfinished.
_NOT_SERVING = ("acme-challenge",)


def _last_move(store: MoveStore) -> MoveRow | None:
    """The move a status reports: the newest, passing over finished ACME challenges
    (their TXT records come and go while certificates are issued)."""
    for row in store.moves(limit=20):
        if row.kind not in _NOT_SERVING or row.shown_state in ("interrupted", "applying",
                                                                "verifying"):
            return row
    return None

