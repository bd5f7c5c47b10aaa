"""The one small interface every DNS provider implements.

A provider reads the current RRsets of the managed records, applies a list of
changes (each carrying the state it expects, so that a change applies only to
the state that was planned), and names the authoritative sources to verify
against. Providers are synchronous; the move runs them in threads, one per
provider, so that one slow or dead provider holds up no other.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar, Protocol

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

    def __init__(self, name: str, vendor: str, zone: str) -> None:
        self.name = name
        self.vendor = vendor
        self.zone = zone

    @abstractmethod
    def read(self, keys: Sequence[RecordKey]) -> dict[RRKey, RRSet]:
        """The provider's current RRsets for ``keys``; raises ProviderError subclasses."""

    @abstractmethod
    def apply(self, changes: Sequence[Change]) -> None:
        """Apply ``changes`` so that each applies only where the provider still holds its
        ``before`` state (ProviderConflict otherwise); batch within the provider's limits."""

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
