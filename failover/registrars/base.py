"""The one small interface every registrar implements, for moving the delegation.

A registrar holds the NS set the parent zone publishes for our zone. ``read``
says what it holds now; ``write`` replaces it, but only if it still holds
``before`` (a precondition: nothing someone else changed is overwritten), and
raises :class:`~failover.errors.ProviderConflict` otherwise. Names are absolute
and lower-case (``ns1.example.org.``).

A third-party registrar is a class with this shape that its package registers as an
entry point in the ``failover.registrars`` group (``[project.entry-points.
"failover.registrars"] NAME = "package.module:Class"``), named in the config as
``{kind: plugin, entry_point: NAME, settings: {...}}``: it is built as
``Class(name, settings, config)`` (see :func:`failover.registrars.make_registrar`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence


def ns_name(name: str) -> str:
    """``NS1.Example.org`` -> ``ns1.example.org.``"""
    return name.strip().lower().rstrip(".") + "."


class Registrar(ABC):
    """Where the zone's delegation (the parent's NS set for it) is written."""

    kind: str = "plugin"

    def __init__(self, name: str, zone: str) -> None:
        self.name = name
        self.zone = zone

    @abstractmethod
    def read(self) -> list[str]:
        """The NS names the registrar holds for the zone now, sorted."""

    @abstractmethod
    def write(self, before: Sequence[str], after: Sequence[str]) -> None:
        """Replace ``before`` with ``after``; ProviderConflict if it no longer holds
        ``before``."""

    @property
    def label(self) -> str:
        """Where it is, for plans and errors."""
        return self.name

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""
