"""Notices (see failover/notify): apprise channels, heartbeats, and their deadline."""

from typing import Literal, Self

from pydantic import Field, model_validator

from failover.config.base import Duration, Strict
from failover.config.credentials import SecretUrl

NoticeKind = Literal["move", "rollback", "terminated", "blocked", "coordination", "drill",
                     "test"]


class NotifyChannel(SecretUrl):
    """One apprise URL (mailto://, json://, slack://, ntfy://, ...)."""

    name: str = Field(min_length=1)
    # The vendor that runs this channel: a channel at a terminated vendor is silent.
    vendor: str | None = None
    # Which notices go here; default every kind.
    events: list[NoticeKind] = Field(default_factory=list)


class Heartbeat(SecretUrl):
    """A dead-man switch (healthchecks.io-style): pinged with GET after every watch cycle."""

    name: str = Field(min_length=1)
    vendor: str | None = None


class NotifySettings(Strict):
    channels: list[NotifyChannel] = Field(min_length=1)
    heartbeat: list[Heartbeat] = Field(default_factory=list)
    # All channels are tried at once; none may hold a notice longer than this.
    deadline: Duration = 5.0

    @model_validator(mode="after")
    def _unique(self) -> Self:
        names = [c.name for c in self.channels] + [h.name for h in self.heartbeat]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"channel and heartbeat names must differ; '{twice[0]}' is used "
                             "twice")
        return self

