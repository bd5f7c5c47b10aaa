"""The base of the HTTP-API DNS providers (PowerDNS, Cloud DNS, Cloudflare).

What they share: a secret read from the config's environment variable or file, one
:class:`~failover.dns.rest.RestApi` (connection, backoff, error mapping) at the
settings' ``url`` within their ``timeout``; reads that ask for each managed record
with a filtered listing when few are asked for, and list the whole zone otherwise;
the refusal of weighted record sets; verification at ``verify_servers`` or through
the API; closing. Each provider keeps what is its vendor's own: the paths, how a
listing is filtered and paged, what its records look like, its error bodies, and
how it writes.
"""

from __future__ import annotations

import random
from abc import abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from failover.clock import Clock
from failover.config import Config
from failover.dns.base import Authority, Provider, RecordKey
from failover.dns.http import Response
from failover.dns.rest import RestApi, Secret
from failover.dns.retry import Backoff
from failover.dns.verify import api_authorities
from failover.errors import ProviderError
from failover.records import Change, RRKey, RRSet

# Up to this many records, read each with a filtered listing; above, list the zone.
FEW_KEYS = 5

# A record as the vendor's API returns it (a JSON object).
Entry = dict[str, Any]


class ApiSettings(Protocol):
    """What every HTTP-API provider's config section holds."""

    @property
    def vendor(self) -> str: ...

    @property
    def url(self) -> str: ...

    @property
    def timeout(self) -> float: ...


S = TypeVar("S", bound=ApiSettings)


class RestProvider(Provider, Generic[S]):
    """A DNS provider behind one vendor's JSON API; ``label`` names the service in
    messages ("PowerDNS", "Cloud DNS", "Cloudflare")."""

    label: ClassVar[str]

    def __init__(self, name: str, settings: S, config: Config, secret: Secret,
                 auth: Mapping[str, str], *, describe: Callable[[Response], str],
                 clock: Clock | None = None, rng: random.Random | None = None,
                 backoff: Backoff | None = None) -> None:
        """``auth``: the headers that carry ``secret``; ``describe``: the vendor's error
        body as one phrase."""
        super().__init__(name, settings.vendor, config.zone)
        self.settings = settings
        self.secret = secret
        self.api = RestApi(name, self.label, settings.url,
                           {**auth, "Accept": "application/json"}, secret, settings.timeout,
                           describe=describe, clock=clock, rng=rng, backoff=backoff)

    # -- reading -------------------------------------------------------------------

    @abstractmethod
    def list_entries(self, params: dict[str, str]) -> list[Entry]:
        """The zone's records the vendor lists for the query ``params`` (every page)."""

    @abstractmethod
    def record_query(self, name: str, rtype: str) -> dict[str, str]:
        """The listing's query for one name and type."""

    def zone_query(self) -> dict[str, str]:
        """The listing's query for the whole zone."""
        return {}

    def entries(self, wanted: set[RecordKey]) -> list[Entry]:
        """The vendor's records that may be among ``wanted``: one filtered listing per
        record when few are wanted, the whole zone otherwise."""
        if len(wanted) > FEW_KEYS:
            return self.list_entries(self.zone_query())
        found: list[Entry] = []
        for n, t in sorted(wanted):
            found += self.list_entries(self.record_query(n, t))
        return found

    # -- writing -------------------------------------------------------------------

    def refuse_weighted(self, changes: Sequence[Change], refusal: str) -> None:
        """ProviderError for the first weighted change: "<key>: weighted record sets are
        not <refusal>" (these APIs hold one RRset per name and type)."""
        for c in changes:
            if c.key.set_id is not None:
                raise ProviderError(self.name, f"{c.key}: weighted record sets are not "
                                               f"{refusal}")

    # -- verifying -----------------------------------------------------------------

    def verify_servers(self) -> Sequence[str]:
        """DNS servers to verify at; none: read back through the API."""
        return ()

    def authorities(self) -> list[Authority]:
        return api_authorities(self, self.verify_servers(), self.settings.timeout)

    def close(self) -> None:
        self.api.close()


def wanted_keys(keys: Iterable[RecordKey]) -> set[RecordKey]:
    """``keys`` as the APIs spell them: lower-case names, upper-case types."""
    return {(n.lower(), t.upper()) for n, t in keys}


def rrsets_of(entries: Iterable[Entry], wanted: set[RecordKey],
              rrset_of: Callable[[Entry], RRSet | None]) -> dict[RRKey, RRSet]:
    """The RRsets among ``entries`` (one RRset each, by ``rrset_of``) that are ``wanted``."""
    out: dict[RRKey, RRSet] = {}
    for raw in entries:
        rr = rrset_of(raw)
        if rr is not None and (rr.name, rr.rtype) in wanted:
            out[rr.key] = rr
    return out
