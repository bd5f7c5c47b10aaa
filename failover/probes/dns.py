"""DNS probe: ask a DNS server at the endpoint for a name and judge the answer.

The query goes over UDP with dnspython's asyncio backend (``dns.asyncquery``),
and over TCP when the UDP answer comes back truncated. The probe is ok when
the answer section holds records of the asked type (and, when the check lists
``expect``, exactly that set of values); an rcode other than NOERROR, an
empty answer or no answer within the timeout is a failure that says which.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any

import dns.asyncquery
import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype

from failover.clock import Clock
from failover.probes.base import (
    ProbeFailure,
    ProbeResult,
    Target,
    describe_error,
    hostport,
    shorten,
    timeout_reason,
)

MAX_SHOWN = 20
_NAME_TYPES = {"CNAME", "NS", "PTR", "DNAME"}


def normalize(rdtype: str, value: str) -> str:
    """One spelling per value, so that ``expect`` compares as a resolver would."""
    value = value.strip()
    if rdtype in ("A", "AAAA"):
        try:
            return ipaddress.ip_address(value).compressed
        except ValueError:
            return value
    if rdtype in _NAME_TYPES:
        return value.lower().rstrip(".") + "."
    return value


async def _server_address(address: str) -> str:
    """The endpoint as an IP address (a CNAME endpoint is a host name: resolve it)."""
    try:
        ipaddress.ip_address(address)
        return address
    except ValueError:
        pass
    infos = await asyncio.get_running_loop().getaddrinfo(
        address, None, type=socket.SOCK_DGRAM)
    if not infos:
        raise ProbeFailure(f"cannot resolve {address}")
    return str(infos[0][4][0])


async def probe_dns(target: Target, clock: Clock) -> ProbeResult:
    """Ask the endpoint for ``qname``/``rdtype``. Never raises."""
    check = target.check
    at = clock.now()
    started = clock.monotonic()
    rdtype = check.rdtype.upper()
    ok, reason = False, ""
    detail: dict[str, Any] = {}
    try:
        async with asyncio.timeout(check.timeout):
            where = await _server_address(target.address)
            query = dns.message.make_query(check.qname, rdtype)
            response, used_tcp = await dns.asyncquery.udp_with_fallback(
                query, where, timeout=check.timeout, port=check.port)
        rcode = response.rcode()
        detail["rcode"] = dns.rcode.to_text(rcode)
        if used_tcp:
            detail["tcp"] = True
        wanted = dns.rdatatype.from_text(rdtype)
        values = sorted({normalize(rdtype, rd.to_text())
                         for rrset in response.answer if rrset.rdtype == wanted
                         for rd in rrset})
        detail["answers"] = values[:MAX_SHOWN]
        if rcode != dns.rcode.NOERROR:
            reason = f"rcode {dns.rcode.to_text(rcode)}"
        elif not values:
            reason = f"no {rdtype} records in the answer (NOERROR)"
        elif check.expect and set(values) != {normalize(rdtype, v) for v in check.expect}:
            reason = shorten(f"answer {', '.join(values)}; expected "
                             f"{', '.join(sorted(normalize(rdtype, v) for v in check.expect))}")
        else:
            ok = True
    except (TimeoutError, dns.exception.Timeout):
        reason = timeout_reason(check.timeout)
    except dns.rdatatype.UnknownRdatatype:
        reason = f"unknown record type {check.rdtype!r}"
    except dns.exception.DNSException as exc:
        reason = shorten(f"DNS: {exc}")
    except Exception as exc:
        reason = describe_error(exc)
    return ProbeResult(hosting=target.hosting, probe=target.label,
                       target=hostport(target.address, check.port), ok=ok,
                       latency=clock.monotonic() - started, reason=reason, at=at, detail=detail)
