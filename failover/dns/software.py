"""Which DNS server software answers at an address, in its own words: ``version.bind``
in class CHAOS, which BIND, Knot, NSD, PowerDNS and Unbound answer unless told not to.
Used to name servers on the drill's timeline ("Knot", not only an address)."""

from __future__ import annotations

import re

# Markers in the answer, first match wins; BIND answers its bare version ("9.18.49-...").
_KNOWN = (("knot dns", "Knot"), ("powerdns", "PowerDNS"), ("nsd", "NSD"),
          ("unbound", "Unbound"), ("bind", "BIND"))
_BIND_VERSION = re.compile(r"^9\.\d+\.\d+")


def software_name(text: str) -> str | None:
    """The product named by a ``version.bind`` answer; None for anything else (a hidden
    version, a joke): the timeline says nothing rather than guess."""
    low = text.strip().lower()
    for marker, name in _KNOWN:
        if marker in low:
            return name
    return "BIND" if _BIND_VERSION.match(low) else None


def server_software(host: str, port: int, timeout: float = 1.0) -> str | None:
    """Ask ``host:port`` for ``version.bind`` CH TXT; None when it does not say."""
    import dns.exception
    import dns.message
    import dns.query
    import dns.rdataclass
    import dns.rdatatype

    query = dns.message.make_query("version.bind.", dns.rdatatype.TXT, dns.rdataclass.CH)
    try:
        answer = dns.query.udp(query, host, port=port, timeout=timeout)
    except (dns.exception.DNSException, OSError, ValueError):
        return None
    for rrset in answer.answer:
        for rdata in rrset:
            strings = getattr(rdata, "strings", ())
            name = software_name(b"".join(strings).decode("ascii", "replace"))
            if name is not None:
                return name
    return None
