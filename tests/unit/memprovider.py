"""An in-memory DNS provider for unit tests of the move logic (journal, partial failure).

The providers themselves are tested against real BIND and moto servers in
tests/integration; this one exists so that the orchestration around them
(concurrency, journaling, outcomes) is tested without a network.
"""

from __future__ import annotations

from collections.abc import Sequence

from failover.dns.base import Authority, Provider, RecordKey
from failover.dns.fence import Fence, check_deadline, fence_change, fence_name, refuse_newer
from failover.errors import ProviderConflict, ProviderUnreachable
from failover.records import Change, RRKey, RRSet


class MemAuthority:
    def __init__(self, provider: MemProvider) -> None:
        self.label = f"{provider.name}-ns"
        self.provider = provider

    def read(self, keys: Sequence[RecordKey]) -> dict[RRKey, RRSet]:
        return self.provider.read(keys)


class MemProvider(Provider):
    kind = "memory"

    def __init__(self, name: str, vendor: str, zone: str,
                 records: dict[RRKey, RRSet] | None = None) -> None:
        super().__init__(name, vendor, zone)
        self.records: dict[RRKey, RRSet] = dict(records or {})
        self.down = False
        self.fail_apply_after: int | None = None   # apply this many changes, then die
        self.applied: list[Change] = []

    def read(self, keys: Sequence[RecordKey]) -> dict[RRKey, RRSet]:
        if self.down:
            raise ProviderUnreachable(self.name, "connection refused")
        wanted = set(keys)
        return {k: v for k, v in self.records.items() if (k.name, k.rtype) in wanted}

    def apply(self, changes: Sequence[Change], fence: Fence | None = None) -> None:
        if self.down:
            raise ProviderUnreachable(self.name, "connection refused")
        if fence is not None:   # atomic, as an RFC 2136 prerequisite is: all or nothing
            held = self.records.get(RRKey(fence_name(self.zone), "TXT"))
            refuse_newer(self.name, held, fence)
            check_deadline(self.name, fence, 0, 1, "batch")
            changes = [fence_change(self.zone, held, fence), *changes]
        for c in changes:
            if self.records.get(c.key) != c.before:
                raise ProviderConflict(self.name, f"{c.key} changed since the plan")
        for i, c in enumerate(changes):
            if self.fail_apply_after is not None and i >= self.fail_apply_after:
                raise ProviderUnreachable(self.name, "connection reset half way")
            if c.after is None:
                del self.records[c.key]
            else:
                self.records[c.key] = c.after
            self.applied.append(c)

    def authorities(self) -> list[Authority]:
        return [MemAuthority(self)]
