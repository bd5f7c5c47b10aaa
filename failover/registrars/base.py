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
A registrar that can say how ready the registration is (transfer lock, expiry,
auto-renew, auth code, privacy) overrides :meth:`Registrar.readiness`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


def ns_name(name: str) -> str:
    """``NS1.Example.org`` -> ``ns1.example.org.``"""
    return name.strip().lower().rstrip(".") + "."


# A registry's EPP statuses kept at most (RFC 5731 defines 17): more is not an answer we
# believe, and each is shown.
MAX_STATUS = 20


@dataclass(frozen=True)
class Readiness:
    """Whether the registration can be moved or kept in a hurry: what a registrar says.

    ``None`` in a field: this registrar cannot tell. The auth code itself is never kept:
    only whether it could be had.
    """

    domain: str
    transfer_lock: bool | None = None
    expires: float | None = None          # POSIX seconds
    auto_renew: bool | None = None
    auth_code: bool | None = None         # obtainable now
    auth_code_error: str | None = None
    privacy: bool | None = None           # contact privacy on every contact
    status: tuple[str, ...] = ()          # the registry's EPP statuses

    def days_left(self, now: float) -> float | None:
        return None if self.expires is None else (self.expires - now) / 86400.0

    def to_json(self, now: float) -> dict[str, Any]:
        days = self.days_left(now)
        return {"domain": self.domain, "transfer_lock": self.transfer_lock,
                "expires": self.expires, "days_left": None if days is None else round(days, 1),
                "auto_renew": self.auto_renew, "auth_code": self.auth_code,
                "auth_code_error": self.auth_code_error, "privacy": self.privacy,
                "status": list(self.status)}


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

    def readiness(self) -> Readiness | None:
        """Transfer lock, expiry, auto-renew, auth code and contact privacy of the
        domain; None when this registrar cannot say (the default, e.g. RFC 2136)."""
        return None

    @property
    def label(self) -> str:
        """Where it is, for plans and errors."""
        return self.name

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""
