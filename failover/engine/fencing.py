"""The DNS fence at every provider: a new leader's advance, a reader's view, a reset.

The fence (``_failover-fence.<zone>`` TXT, :mod:`failover.dns.fence`) holds the
highest epoch (an etcd revision) that wrote DNS. A leader advances it before its
first move; every move's write is conditional on it. Two more verbs serve the
operator: reading it at every provider (``failover fence``), and clearing it
(``failover fence --reset``), the way out when etcd was rebuilt from nothing or
restored from an old snapshot: its revisions start again below the fence, and
every fenced write would be refused as a stale leader's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from failover.coord.base import WriteLease
from failover.dns.base import Provider
from failover.dns.fence import Fence, held_epoch, shown
from failover.engine.reading import within
from failover.errors import FailoverError
from failover.records import Change

T = TypeVar("T")


@dataclass(frozen=True)
class FenceReading:
    """One provider's fence: its epoch (None: absent or not ours), how it reads, or why
    it could not be read."""

    provider: str
    epoch: int | None
    text: str
    error: str | None = None

    def to_json(self) -> dict[str, object]:
        return {"provider": self.provider, "epoch": self.epoch, "fence": self.text,
                "error": self.error}


def each(providers: Mapping[str, Provider], act: Callable[[Provider], T]
         ) -> dict[str, T | FailoverError]:
    """``act`` at every provider at once; a provider's FailoverError is its result."""
    def one(name: str) -> tuple[str, T | FailoverError]:
        try:
            return name, act(providers[name])
        except FailoverError as exc:
            return name, exc

    with ThreadPoolExecutor(max_workers=max(1, len(providers))) as pool:
        return dict(pool.map(one, list(providers)))


def advance(providers: Mapping[str, Provider], lease: WriteLease, *,
            until: float | None = None) -> dict[str, FailoverError]:
    """Set the fence to ``lease.epoch`` at every provider; those that could not be, with
    why (a FenceLost there: a higher epoch holds the fence). ``until``: wait no longer
    (a provider still busy then is reported as not answering)."""
    fence = Fence(lease.epoch, lease.deadline)

    def one(name: str) -> FailoverError | None:
        try:
            providers[name].advance_fence(fence)
        except FailoverError as exc:
            return exc
        return None

    if until is None:
        done: Mapping[str, object] = each(providers, lambda p: p.advance_fence(fence))
    else:
        done = within(list(providers), one, until)
    return {n: r for n, r in done.items() if isinstance(r, FailoverError)}


def read(providers: Mapping[str, Provider]) -> list[FenceReading]:
    """The fence as every provider holds it now."""
    done = each(providers, lambda p: p.held_fence())
    out = []
    for name in providers:
        got = done[name]
        if isinstance(got, FailoverError):
            out.append(FenceReading(name, None, "", str(got)))
        else:
            out.append(FenceReading(name, held_epoch(got), shown(got)))
    return out


def clear(providers: Mapping[str, Provider], names: Iterable[str]
          ) -> dict[str, FailoverError | None]:
    """Delete the fence at each of ``names`` (on condition that it is still what was just
    read, as every change is); None where it was deleted or already absent."""
    def delete(p: Provider) -> None:
        held = p.held_fence()
        if held is not None:
            p.apply([Change("delete", held, None)])

    chosen = {n: providers[n] for n in names}
    done = each(chosen, delete)
    return {n: (r if isinstance(r, FailoverError) else None) for n, r in done.items()}
