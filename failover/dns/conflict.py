"""What a DNS provider's write says when the zone is not as planned, or stops half-way.

Each provider holds a change to its plan's before-image (by a precondition at the
server, or by reading the records again just before writing) and names the
records that changed since; a plan split into several atomic writes that fails
after the first says how many were applied before it. These are the sentences
the providers share, so that an operator reads the same words whichever refused.
"""

from __future__ import annotations

from collections.abc import Sequence

from failover.errors import ProviderError
from failover.records import Change, RRSet

# How many changed records one message names; the rest are counted.
NAMED = 5


def held_instead(change: Change, held: RRSet | None, holder: str) -> str:
    """``"www.example.org. A (plan expected 192.0.2.1, PowerDNS has 192.0.2.7)"``: what
    the plan expected of a record and what ``holder`` has; the TTLs when only they differ."""
    planned = ",".join(change.before.values) if change.before else "nothing"
    has = ",".join(held.values) if held else "nothing"
    if held and change.before and held.values == change.before.values:
        planned, has = f"TTL {change.before.ttl}", f"TTL {held.ttl}"
    return f"{change.key} (plan expected {planned}, {holder} has {has})"


def first_few(items: Sequence[str]) -> str:
    """The first :data:`NAMED` of ``items`` joined with "; ", then how many more."""
    more = f" and {len(items) - NAMED} more" if len(items) > NAMED else ""
    return "; ".join(items[:NAMED]) + more


def partial(exc: ProviderError, done: int, total: int, writes: str) -> ProviderError:
    """``exc``, saying how many of ``total`` ``writes`` ("batches", "PATCHes") were
    applied before the one that failed, when any were."""
    if not done:
        return exc
    out = type(exc)(exc.provider, f"{exc.detail} ({done} of {total} {writes} were applied "
                                  f"before this one)")
    # What a subclass carries besides its message (FenceLost's epochs) stays.
    extra = {k: v for k, v in vars(exc).items() if k not in ("provider", "detail")}
    vars(out).update(extra)
    return out
