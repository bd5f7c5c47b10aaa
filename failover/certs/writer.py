"""What issuing needs of the engine, as a protocol: the config, the clock, the DNS
providers, the move store and journal, the zone's lock and the coordinator's fence.

:class:`failover.engine.Engine` is one; naming the protocol instead of the class keeps
``failover.certs`` below the engine, so that ``check`` (the engine) can report on
certificates and the drill and CLI (above it) can issue them.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Protocol

from failover.clock import Clock
from failover.config import Config
from failover.coord.base import Coordinator, MoveStore
from failover.dns.base import Provider
from failover.journal import Journal


class DnsWriter(Protocol):
    """The engine's verbs and parts that writing challenge records takes."""

    config: Config
    clock: Clock

    @property
    def journal(self) -> Journal: ...

    @property
    def coord(self) -> Coordinator: ...

    @property
    def store(self) -> MoveStore: ...

    def provider(self, name: str) -> Provider: ...

    def lock(self, command: str | None = None, *, auto: bool = False,
             break_glass: bool = False) -> AbstractContextManager[Any]: ...
