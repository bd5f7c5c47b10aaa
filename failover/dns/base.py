"""The one small interface every DNS provider implements.

A provider reads the current RRsets of the managed records, applies a list of
changes (each carrying the state it expects, so that a change applies only to
the state that was planned), and names the authoritative sources to verify
against. Providers are synchronous; the move runs them in threads, one per
provider, so that one slow or dead provider holds up no other.

Every write may carry a :class:`~failover.dns.fence.Fence` (the leader's epoch):
each provider then makes its write conditional on the zone's fence record and sets
it to that epoch. ``fence_check`` says how: "atomic" (the server checks the fence in
the same request as the changes) or "re-read" (the fence is read again just before
each batch; a newer leader that writes in between is not seen). See docs/fencing.md.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar, Protocol

from failover.dns.fence import Fence, fence_name, held_epoch, refuse_newer
from failover.records import Change, RRKey, RRSet

# (absolute name, type): a managed record as providers are asked about it.
RecordKey = tuple[str, str]


class Authority(Protocol):
    """One place that answers authoritatively: a name server, or a provider's API."""

    label: str

    def read(self, keys: Sequence[RecordKey]) -> dict[RRKey, RRSet]:
        """What this authority answers now for ``keys`` (absent names are left out)."""


class Provider(ABC):
    """A DNS provider: one service that answers for the zone, owned by one vendor."""

    kind: ClassVar[str]
    supports_weights: ClassVar[bool] = False
    # How a fenced write holds the fence: "atomic" (checked by the server in the same
    # request as the changes) or "re-read" (read again just before each batch).
    fence_check: ClassVar[str] = "re-read"

    def __init__(self, name: str, vendor: str, zone: str) -> None:
        self.name = name
        self.vendor = vendor
        self.zone = zone

    @abstractmethod
    def read(self, keys: Sequence[RecordKey]) -> dict[RRKey, RRSet]:
        """The provider's current RRsets for ``keys``; raises ProviderError subclasses."""

    @abstractmethod
    def apply(self, changes: Sequence[Change], fence: Fence | None = None) -> None:
        """Apply ``changes`` so that each applies only where the provider still holds its
        ``before`` state (ProviderConflict otherwise); batch within the provider's limits.

        With ``fence``: FenceLost, and nothing written, when the zone's fence holds a
        newer epoch; otherwise every batch also sets the fence to ``fence.epoch``, on
        condition that it still holds what was read (``fence_check``), and no batch
        starts after ``fence.deadline`` (LeaseWindowClosed). With no changes and a
        fence, only the fence is written."""

    def held_fence(self) -> RRSet | None:
        """The zone's fence record as this provider holds it now (None: absent)."""
        name = fence_name(self.zone)
        return self.read([(name, "TXT")]).get(RRKey(name, "TXT"))

    def read_fence(self) -> int | None:
        """The epoch the zone's fence holds (None: absent, or not in our form)."""
        return held_epoch(self.held_fence())

    def advance_fence(self, fence: Fence) -> int | None:
        """A new leader's first act: set the fence to ``fence.epoch``, conditionally as
        :meth:`apply` does, with no other change. Returns the epoch it held before; an
        equal epoch is not written again; a newer one raises FenceLost."""
        held = self.held_fence()
        refuse_newer(self.name, held, fence)
        before = held_epoch(held)
        if before == fence.epoch and held == fence.rrset(self.zone):
            return before
        self.apply([], fence)
        return before

    @abstractmethod
    def authorities(self) -> list[Authority]:
        """The authoritative sources a move verifies against."""

    def check_write(self) -> str | None:
        """Prove that the provider accepts our write credentials, without changing the
        zone: return how it was proved, raise ProviderAuthError when refused (other
        ProviderErrors when it could not tell). None: this provider cannot prove it
        without writing."""
        return None

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""
