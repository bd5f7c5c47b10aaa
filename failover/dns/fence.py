"""The fencing token every DNS write carries: ``_failover-fence.<zone>`` TXT.

The leader's epoch (an etcd revision: it only grows) is kept in one TXT record at
every DNS provider, ``"failover-fence epoch=<n>"``. A new leader first advances the
fence to its epoch at every provider it reaches; every later write of a move is
conditional on the fence still holding what the writer read, and sets it to the
writer's epoch in the same request where the provider can hold both (RFC 2136
prerequisites, Route 53's and Cloud DNS's exact deletes: the server refuses a stale
leader). Elsewhere the fence is read again just before each batch. A fence that
holds a higher epoch than the writer's refuses the write with :class:`FenceLost`,
and a batch that would start after the lease's deadline is not sent
(:class:`LeaseWindowClosed`).

The fence is never a managed record: plans, drift, dnscheck and backups leave it
out (:func:`is_fence`). Its value comes from the zone, so from anyone who can
write there: :func:`parse_fence` reads only the exact form it writes, and anything
else is no epoch at all (None), never an error that escapes as a traceback.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass

from failover.errors import FenceLost, LeaseWindowClosed
from failover.records import Change, RRSet
from failover.untrusted import clean

FENCE_LABEL = "_failover-fence"
FENCE_TTL = 60
# etcd revisions are int64: a larger "epoch" is not one of ours, and would fence
# every leader out for ever.
MAX_EPOCH = 2**63 - 1
# Longer than any value we write by far: such text is not parsed at all.
_MAX_TEXT = 200
_VALUE = re.compile(r"failover-fence epoch=(0|[1-9][0-9]{0,18})")
# A TXT value as servers present it: <character-string>s "..." (with \" and \\),
# separated by blanks; and one of them.
_QUOTED = re.compile(r'\s*(?:"(?:[^"\\]|\\.)*"\s*)+')
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def fence_name(zone: str) -> str:
    """``_failover-fence.example.com.``: the fence's absolute owner name in ``zone``."""
    return f"{FENCE_LABEL}.{zone.lower().rstrip('.')}."


def is_fence(name: str) -> bool:
    """Whether ``name`` (absolute or relative) is a zone's fence record."""
    return name.lower().split(".", 1)[0] == FENCE_LABEL


@dataclass(frozen=True)
class Fence:
    """The token a leader writes with: its epoch, and the time its lease leaves.

    ``deadline`` is a :func:`time.monotonic` value after which no batch may start
    (None: no bound); a batch already sent is not stopped."""

    epoch: int
    deadline: float | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.epoch <= MAX_EPOCH:
            raise ValueError(f"a fence epoch is an etcd revision (0 to 2**63-1), "
                             f"not {self.epoch}")

    def txt(self) -> str:
        """The TXT value written, unquoted: ``failover-fence epoch=123``."""
        return f"failover-fence epoch={self.epoch}"

    def rrset(self, zone: str) -> RRSet:
        """The fence record this fence writes in ``zone``."""
        return RRSet.of(fence_name(zone), "TXT", FENCE_TTL, [self.txt()])


def _unquote(text: str) -> str:
    """A TXT value as servers present it (``"a" "b"``, escapes) -> its text; a value
    that is not quoted is taken as it is."""
    text = text.strip()
    if not text.startswith('"'):
        return text
    if _QUOTED.fullmatch(text) is None:
        return ""  # not a plain sequence of quoted strings: not ours
    return "".join(re.sub(r"\\(.)", r"\1", p) for p in _STRING.findall(text))


def epoch_of(text: object) -> int | None:
    """The epoch in one TXT value in the exact form :meth:`Fence.txt` writes (quoted
    or not); None for anything else."""
    if not isinstance(text, str) or len(text) > _MAX_TEXT:
        return None
    match = _VALUE.fullmatch(_unquote(text))
    if match is None:
        return None
    epoch = int(match.group(1))
    return epoch if epoch <= MAX_EPOCH else None


def parse_fence(texts: Iterable[str]) -> int | None:
    """The epoch a fence record's TXT values hold: the highest of those in our exact
    form (several records: someone else wrote one; the highest is the one that
    fences), None when none is (absent, or foreign text). Never raises."""
    found = [e for e in (epoch_of(t) for t in texts) if e is not None]
    return max(found) if found else None


def held_epoch(held: RRSet | None) -> int | None:
    """:func:`parse_fence` of a fence RRset as a provider read it (None: absent)."""
    return parse_fence(held.values) if held is not None else None


def shown(held: RRSet | None) -> str:
    """A fence record as a message shows it: its epoch, or its (cleaned) text."""
    if held is None:
        return "no fence"
    epoch = held_epoch(held)
    if epoch is not None:
        return f"epoch {epoch}"
    return f"unreadable fence {clean(','.join(held.values), 60)!r}"


def fence_change(zone: str, held: RRSet | None, fence: Fence) -> Change:
    """The change that sets the fence to ``fence`` where it holds ``held`` now."""
    after = fence.rrset(zone)
    return Change("update" if held is not None else "create", held, after)


def refuse_newer(provider: str, held: RRSet | None, fence: Fence) -> None:
    """FenceLost when ``held`` names a newer epoch than ours: nothing is written."""
    epoch = held_epoch(held)
    if epoch is not None and epoch > fence.epoch:
        raise FenceLost(provider, f"fenced by a newer leader (epoch {epoch} > our "
                                  f"{fence.epoch}): this node writes nothing more",
                        held=epoch, ours=fence.epoch)


def moved(provider: str, expected: RRSet | None, now: RRSet | None,
          fence: Fence) -> FenceLost:
    """The FenceLost for a fence found ``now`` where this write expected ``expected``."""
    epoch = held_epoch(now)
    if epoch is not None and epoch > fence.epoch:
        return FenceLost(provider, f"fenced by a newer leader (epoch {epoch} > our "
                                   f"{fence.epoch}): this node writes nothing more",
                         held=epoch, ours=fence.epoch)
    return FenceLost(provider, f"the fence changed under this write (expected "
                               f"{shown(expected)}, found {shown(now)}; our epoch "
                               f"{fence.epoch}): this node writes nothing more",
                     held=epoch, ours=fence.epoch)


def check_deadline(provider: str, fence: Fence | None, batch: int, total: int | None,
                   what: str) -> None:
    """LeaseWindowClosed when ``fence``'s deadline has passed before ``what`` number
    ``batch`` (0-based) of ``total`` (None: not known yet) starts."""
    if fence is None or fence.deadline is None:
        return
    late = time.monotonic() - fence.deadline
    if late >= 0:
        raise LeaseWindowClosed(provider, f"the lease's window to write closed {late:.1f} s "
                                          f"before {what} {batch + 1}"
                                          f"{f' of {total}' if total else ''} could start, "
                                          f"so it was not sent; this node writes nothing more "
                                          f"until it leads again")
