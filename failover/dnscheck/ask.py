"""Asking one authoritative server directly, as the DNS check and the delegation commands do.

:func:`ask` sends one non-recursive query over UDP (TCP when truncated);
:func:`soa_serial` wants an authoritative SOA answer for the zone. Route 53's
serial and delegation set are read through its API instead. Every failure is a
:class:`DnsCheckError` with one line.
"""

from __future__ import annotations

import re
import socket
import time

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype

from failover.dns.base import Provider
from failover.dns.query import where

# MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM, wherever it stands in the value.
_SOA_TEXT = re.compile(r"\S+\.\s+\S+\.\s+(\d+)\s+\d+\s+\d+\s+\d+\s+\d+")


class DnsCheckError(Exception):
    """A server did not answer for the zone; the message is one line saying why."""


def ask(host: str, port: int, qname: str, rdtype: str, timeout: float) -> dns.message.Message:
    """One non-recursive query straight to ``host:port`` over UDP (TCP if truncated).

    The UDP socket is connected, so a server that is down answers "refused" at once rather
    than after ``timeout``. Every failure is a :class:`DnsCheckError` with one line.
    """
    server = where(host, port)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    except socket.gaierror as exc:
        raise DnsCheckError(f"cannot resolve {host}: {exc.strerror}") from None
    family, _, _, _, address = infos[0]
    query = dns.message.make_query(qname, rdtype)
    query.flags &= ~dns.flags.RD
    deadline = time.monotonic() + timeout
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.send(query.to_wire())
            while True:
                sock.settimeout(max(0.001, deadline - time.monotonic()))
                wire = sock.recv(65535)
                try:
                    answer = dns.message.from_wire(wire, raise_on_truncation=True)
                except dns.message.Truncated:
                    left = max(0.001, deadline - time.monotonic())
                    return dns.query.tcp(query, str(address[0]), port=port, timeout=left)
                except dns.exception.FormError:
                    continue  # not a DNS answer: keep listening until the deadline
                if query.is_response(answer):
                    return answer
    except (TimeoutError, dns.exception.Timeout):
        raise DnsCheckError(f"no answer from {server} within {timeout:g}s") from None
    except ConnectionRefusedError:
        raise DnsCheckError(f"{server} refused the query (nothing listening)") from None
    except OSError as exc:
        raise DnsCheckError(f"cannot reach {server}: {exc.strerror or exc}") from None
    except dns.exception.DNSException as exc:
        raise DnsCheckError(f"{server} sent a bad answer: {exc}") from None


def soa_serial(host: str, port: int, zone: str, timeout: float) -> int:
    """The SOA serial ``host:port`` serves for ``zone``; DnsCheckError if it does not
    answer for the zone authoritatively."""
    answer = ask(host, port, zone, "SOA", timeout)
    _authoritative(answer, where(host, port), zone)
    owner = dns.name.from_text(zone)
    for rrset in answer.answer:
        if rrset.rdtype == dns.rdatatype.SOA and rrset.name == owner:
            return int(rrset[0].serial)
    raise DnsCheckError(f"{where(host, port)} has no SOA for {zone}")


def _authoritative(answer: dns.message.Message, server: str, zone: str) -> None:
    rcode = answer.rcode()
    if rcode != dns.rcode.NOERROR:
        raise DnsCheckError(f"{server} answered {dns.rcode.to_text(rcode)}; does it still "
                            f"serve {zone}?")
    if not answer.flags & dns.flags.AA:
        raise DnsCheckError(f"{server} is not authoritative for {zone}; does it still "
                            f"serve it?")


def route53_serial(provider: Provider, zone: str) -> int | None:
    """The SOA serial in a Route 53 hosted zone, read through its API (None if unreadable)."""
    from failover.dns.route53 import Route53

    if not isinstance(provider, Route53):
        return None
    page = provider.call("ListResourceRecordSets", provider.client.list_resource_record_sets,
                         HostedZoneId=provider.zone_id, StartRecordName=zone,
                         StartRecordType="SOA", MaxItems="1")
    for raw in page.get("ResourceRecordSets", []):
        if raw.get("Type") == "SOA" and raw.get("ResourceRecords"):
            # Searched, not parsed: moto wraps the value as "{'Value': '...'}".
            match = _SOA_TEXT.search(str(raw["ResourceRecords"][0].get("Value", "")))
            return int(match.group(1)) if match else None
    return None


def route53_names(provider: Provider) -> list[str]:
    """The hosted zone's name servers (its delegation set), as absolute lower-case names."""
    from failover.dns.route53 import Route53

    if not isinstance(provider, Route53):
        return []
    zone = provider.call("GetHostedZone", provider.client.get_hosted_zone,
                         Id=provider.zone_id)
    names = (zone.get("DelegationSet") or {}).get("NameServers") or []
    return [str(n).lower().rstrip(".") + "." for n in names]

