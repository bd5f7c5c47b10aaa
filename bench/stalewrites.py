"""Did a stale leader's DNS write land after the new leader's first? Judged from outside.

Two records, both independent of what either leader believes:

- **BIND's own journal** (``named-journalprint``): every update BIND applied, in the order
  it applied them, with the zone's serial. Exact, for the one provider that keeps one.
- **Samples**: what each authority served (the managed answer, and the epoch in
  ``_failover-fence.<zone>`` TXT), read every few tens of milliseconds while the trial runs.

At one provider, the new leader's first write is the first state whose fence holds an epoch
above the old leader's. After it, a stale write shows as either the fence going back to a
lower epoch (a write fenced with the old epoch landed: a write carries its writer's epoch
into the fence) or the answer changing to the old leader's while the new leader never
wrote that answer itself (an answer that was already there when the new fence arrived
landed before it: allowed). Each is a violation, with the evidence that shows it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from failover.dns.fence import FENCE_LABEL, epoch_of

# One line of named-journalprint: del|add NAME TTL CLASS TYPE RDATA.
_LINE = re.compile(r"^(del|add)\s+(\S+)\s+\d+\s+IN\s+(\S+)\s+(.*)$")


@dataclass
class Update:
    """One update BIND applied: the serial it made, and the rdata it added per (name, type)."""

    serial: int
    added: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def epoch(self) -> int | None:
        """The fence epoch this update wrote, if it wrote the fence."""
        for (name, rdtype), values in self.added.items():
            if rdtype == "TXT" and name.split(".", 1)[0] == FENCE_LABEL:
                found = [e for e in (epoch_of(v) for v in values) if e is not None]
                return max(found) if found else None
        return None

    def answer(self, name: str) -> tuple[str, ...] | None:
        """The A set this update gave ``name`` (absolute, lower case), if it changed it."""
        values = self.added.get((name, "A"))
        return tuple(sorted(values)) if values is not None else None


def journal_updates(text: str) -> list[Update]:
    """The updates in ``named-journalprint`` output, in order. Each update starts where the
    SOA is deleted; lines that are not records (or hostile text) are skipped."""
    updates: list[Update] = []
    for line in text.splitlines():
        m = _LINE.match(line.strip())
        if m is None:
            continue
        op, name, rdtype, rdata = m.group(1), m.group(2).lower(), m.group(3).upper(), \
            m.group(4).strip()
        if rdtype == "SOA":
            fields = rdata.split()
            serial = int(fields[2]) if len(fields) > 2 and fields[2].isdigit() else -1
            if op == "del":
                updates.append(Update(serial))
            elif updates:
                updates[-1].serial = serial
            continue
        if op == "add" and updates:
            updates[-1].added.setdefault((name, rdtype), []).append(rdata)
    return updates


@dataclass(frozen=True)
class Sample:
    """What one authority served at one moment (epoch seconds)."""

    at: float
    answer: tuple[str, ...] | None   # None: no answer this time (a timeout, an error)
    epoch: int | None


def sample_violations(label: str, samples: Sequence[Sample], old_epoch: int | None,
                      stale: tuple[str, ...], new_wrote_stale: bool) -> list[str]:
    """Stale writes seen in one authority's samples (in time order): after the first
    sample whose fence is above ``old_epoch``, the fence going back down, or the answer
    changing to the stale one ``stale`` (unless the new leader wrote that answer too)."""
    out: list[str] = []
    top: int | None = None
    fenced_at: float | None = None
    before: tuple[str, ...] | None = None  # the last answer seen since the new fence
    for s in samples:
        if s.epoch is not None:
            if top is not None and s.epoch < top:
                out.append(f"{label}: fence went back from epoch {top} to {s.epoch} at "
                           f"{s.at:.3f}")
                break
            top = s.epoch if top is None else max(top, s.epoch)
            if fenced_at is None and (old_epoch is None or s.epoch > old_epoch):
                fenced_at = s.at
        if fenced_at is None or s.answer is None:
            continue
        if before is not None and before != stale and s.answer == stale and stale and \
                not new_wrote_stale:
            out.append(f"{label}: changed to the stale leader's answer {', '.join(stale)} at "
                       f"{s.at:.3f}, after the new fence held (since {fenced_at:.3f})")
            break
        before = s.answer
    return out


def journal_violations(updates: Iterable[Update], since_serial: int, old_epoch: int | None,
                       name: str, stale: tuple[str, ...], new_wrote_stale: bool) -> list[str]:
    """The same judgement on BIND's journal, exact: the updates after ``since_serial``."""
    out: list[str] = []
    top: int | None = None
    fenced: int | None = None  # the serial of the new leader's first write
    for u in updates:
        if u.serial <= since_serial:
            continue
        epoch = u.epoch()
        if epoch is not None:
            if top is not None and epoch < top:
                out.append(f"bind journal: serial {u.serial} set the fence back from epoch "
                           f"{top} to {epoch}")
            top = epoch if top is None else max(top, epoch)
            if fenced is None and (old_epoch is None or epoch > old_epoch):
                fenced = u.serial
                continue  # the fencing update itself
        answer = u.answer(name)
        if fenced is not None and answer is not None and answer == stale and stale and \
                not new_wrote_stale:
            out.append(f"bind journal: serial {u.serial} wrote the stale leader's answer "
                       f"{', '.join(stale)} after serial {fenced} set the new fence")
    return out
