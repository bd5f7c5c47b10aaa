"""The move policy and how long a move's verification waits."""

from typing import Literal

from pydantic import Field

from failover.config.base import Duration, Strict


class Policy(Strict):
    mode: Literal["active-passive", "active-active"] = "active-passive"
    min_healthy: int = Field(default=1, ge=1, le=10000)
    auto_move: bool = False
    max_change_fraction: float = Field(default=0.5, gt=0, le=1)


class Verify(Strict):
    timeout: Duration = 60.0
    interval: Duration = 0.5

