"""What each part of the bench hands to the report: ratios, targets, tables, profiles."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Goal:
    """One target from the issue, and whether this run met it."""

    name: str
    goal: str
    measured: str
    met: bool
    limit: str = ""   # on a miss: what limits it, from the profile


@dataclass
class Section:
    """One measurement's part of RESULTS.md."""

    key: str
    title: str
    ratios: list[str] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    profiles: list[str] = field(default_factory=list)
