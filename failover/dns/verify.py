"""Where a move is verified for the API providers: their name servers, or their API.

A provider whose answers can be asked for over DNS (``verify_servers``: PowerDNS,
Cloud DNS, octoDNS targets) is verified at each of those servers directly; one with
none given, or no server that is ours alone to ask (Cloudflare, Route 53 with
``verify: api``), is verified by reading its records back through its own API.
"""

from __future__ import annotations

from collections.abc import Sequence

from failover.dns.base import Authority, Provider, RecordKey
from failover.dns.query import DnsAuthority, parse_server, where
from failover.records import RRKey, RRSet


class ApiReadBack:
    """An authority that reads the provider back through its own API."""

    def __init__(self, label: str, provider: Provider) -> None:
        self.label = label
        self.provider = provider

    def read(self, keys: Sequence[RecordKey]) -> dict[RRKey, RRSet]:
        return self.provider.read(keys)


def api_authorities(provider: Provider, verify_servers: Sequence[str], timeout: float, *,
                    read_back: str = "API") -> list[Authority]:
    """Where an API provider is verified: each of ``verify_servers`` over DNS, or, with
    none given, read back through the API (labelled "<provider> <read_back>")."""
    if not verify_servers:
        return [ApiReadBack(f"{provider.name} {read_back}", provider)]
    out: list[Authority] = []
    for entry in verify_servers:
        host, port = parse_server(entry)
        out.append(DnsAuthority(f"{provider.name} {where(host, port)}", host, port,
                                provider.zone, timeout))
    return out
