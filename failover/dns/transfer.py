"""Reading a signed zone transfer (AXFR) without building a dnspython object per record.

A transfer of 10,000 records parsed by dnspython (``dns.query.xfr``) builds a
Name, an Rdata and an RRset entry for each, and that was most of the CPU a
bulk move spent reading and verifying. Only the managed records matter, so
:class:`TransferReader` walks each message's bytes, turns owner names into
text (lower case, as the record model spells them) with a cache per message,
and builds values only for the records asked for: A and AAAA straight from
their bytes, any other type through dnspython. The TSIG chain over the
messages (RFC 8945 section 5.3.1) is still checked by dnspython's
``dns.tsig.validate``, on the bytes each message came in.

Every length and pointer is checked against the message, so a hostile or
broken server gets a ``dns.exception.FormError``, never an IndexError or a
loop.
"""

from __future__ import annotations

import ipaddress
import struct
import time
from collections.abc import Iterable
from typing import Any, Protocol

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.tsig

from failover.dns.base import RecordKey
from failover.records import RRKey, RRSet

_HEADER = struct.Struct("!HHHHHH")
_RR = struct.Struct("!HHIH")
_IN = int(dns.rdataclass.IN)
_A = int(dns.rdatatype.A)
_AAAA = int(dns.rdatatype.AAAA)
_SOA = int(dns.rdatatype.SOA)
_TSIG = int(dns.rdatatype.TSIG)
# Label bytes that are spelt as themselves in a name's text; any other byte is
# escaped by dnspython (``\.``, ``\032``), so such names are read through it.
_PLAIN = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_*/")


def rdata_value(rdata: dns.rdata.Rdata) -> str:
    """The value of one record as the record model spells it."""
    if rdata.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
        return str(rdata.address)  # type: ignore[attr-defined]
    if rdata.rdtype == dns.rdatatype.CNAME:
        return str(rdata.target.to_text())  # type: ignore[attr-defined]
    return str(rdata.to_text())


class TransferKey(Protocol):
    """A TSIG key a zone transfer is signed with (the RFC 2136 provider's ``TsigKey``)."""

    name: dns.name.Name
    algorithm: dns.name.Name

    @property
    def label(self) -> str: ...

    @property
    def key(self) -> dns.tsig.Key: ...

    @property
    def keyring(self) -> dict[dns.name.Name, dns.tsig.Key]: ...


class TransferRefused(Exception):
    """The server answered the transfer with an error code (REFUSED, NOTAUTH...)."""

    def __init__(self, rcode: int) -> None:
        super().__init__(dns.rcode.to_text(dns.rcode.Rcode(rcode)))
        self.rcode = rcode


def transfer_query(zone: str, key: TransferKey) -> tuple[bytes, bytes, int]:
    """The signed AXFR question for ``zone``: its wire, its MAC and its ID."""
    query = dns.message.make_query(zone, dns.rdatatype.AXFR)
    query.use_tsig(key.keyring, key.name, algorithm=key.algorithm)
    wire = query.to_wire()
    assert query.mac is not None
    return wire, query.mac, query.id


class TransferReader:
    """Takes the messages of one signed AXFR in order; keeps the RRsets among ``keys``.

    ``feed`` returns True once the transfer is complete (the zone's SOA came
    again); ``rrsets`` is then what the server holds for ``keys``.
    """

    def __init__(self, zone: str, keys: Iterable[RecordKey], key: TransferKey, query_id: int,
                 request_mac: bytes) -> None:
        self.zone = zone.lower()
        self.wanted = set(keys)
        self.key = key
        self.query_id = query_id
        self.request_mac = request_mac
        self.found: dict[tuple[str, str], tuple[int, list[str]]] = {}
        self.messages = 0
        self.records = 0
        self._ctx: Any = None
        self._soa_seen = 0
        self._signed_last = False

    @property
    def rrsets(self) -> dict[RRKey, RRSet]:
        out = {}
        for (name, rtype), (ttl, values) in self.found.items():
            rr = RRSet.of(name, rtype, ttl, values)
            out[rr.key] = rr
        return out

    def feed(self, wire: bytes) -> bool:
        """One message of the transfer; True when it was the last."""
        if len(wire) < _HEADER.size:
            raise dns.exception.FormError("a zone transfer message shorter than its header")
        msg_id, flags, qdcount, ancount, nscount, arcount = _HEADER.unpack_from(wire)
        if msg_id != self.query_id or not flags & dns.flags.QR \
                or dns.opcode.from_flags(flags) != dns.opcode.QUERY:
            raise dns.exception.FormError("a zone transfer message that answers another query")
        rcode = flags & 0xF
        first = self.messages == 0
        self.messages += 1
        names: dict[int, str] = {}
        at = _HEADER.size
        for _ in range(qdcount):
            at = _skip_name(wire, at) + 4
            _need(wire, at)
        done = False
        tsig_at = -1
        for index in range(ancount + nscount + arcount):
            start = at
            owner, at = _name(wire, at, names)
            _need(wire, at + _RR.size)
            rtype, rclass, ttl, rdlen = _RR.unpack_from(wire, at)
            at += _RR.size
            _need(wire, at + rdlen)
            if rtype == _TSIG:
                if index != ancount + nscount + arcount - 1:
                    raise dns.exception.FormError("a TSIG record that is not the last")
                tsig_at = start
                self._check_tsig(wire, owner, start, at, rdlen, first)
            elif index < ancount and rclass == _IN:
                self.records += 1
                if rtype == _SOA and owner == self.zone:
                    self._soa_seen += 1
                    done = self._soa_seen >= 2
                elif self.records == 1:
                    raise dns.exception.FormError("a zone transfer that does not start with "
                                                  "the zone's SOA")
                self._keep(wire, owner, rtype, ttl, at, rdlen)
            at += rdlen
        if at != len(wire):
            raise dns.exception.FormError("bytes after the last record of a transfer message")
        if rcode != dns.rcode.NOERROR:
            raise TransferRefused(rcode)
        if tsig_at < 0:
            if first:
                raise dns.exception.FormError("the first message of the transfer is not signed")
            # RFC 8945 5.3.1: messages between signed ones are covered by the next MAC.
            self._ctx.update(wire)
        self._signed_last = tsig_at >= 0
        if done and not self._signed_last:
            raise dns.exception.FormError("the last message of the transfer is not signed")
        return done

    def _check_tsig(self, wire: bytes, owner: str, start: int, rdata_at: int, rdlen: int,
                    first: bool) -> None:
        rd = dns.rdata.from_wire(dns.rdataclass.ANY, dns.rdatatype.TSIG, wire, rdata_at,
                                 rdlen)
        if dns.name.from_text(owner) != self.key.name:
            raise dns.tsig.BadKey
        # Raises PeerError for an error the server put in the TSIG (BADKEY, BADSIG...),
        # BadSignature or BadTime when the MAC or the time does not check here.
        self._ctx = dns.tsig.validate(wire, self.key.key, self.key.name, rd, int(time.time()),
                                      self.request_mac, start, None if first else self._ctx,
                                      True)

    def _keep(self, wire: bytes, owner: str, rtype: int, ttl: int, at: int,
              rdlen: int) -> None:
        type_text = dns.rdatatype.to_text(dns.rdatatype.RdataType(rtype))
        if (owner, type_text) not in self.wanted:
            return
        if rtype == _A and rdlen == 4:
            value = str(ipaddress.IPv4Address(wire[at:at + 4]))
        elif rtype == _AAAA and rdlen == 16:
            value = str(ipaddress.IPv6Address(wire[at:at + 16]))
        else:
            value = rdata_value(dns.rdata.from_wire(dns.rdataclass.IN,
                                                    dns.rdatatype.RdataType(rtype), wire, at,
                                                    rdlen))
        held = self.found.get((owner, type_text))
        if held is None:
            self.found[(owner, type_text)] = (ttl, [value])
        else:
            held[1].append(value)
            if ttl < held[0]:  # an RRset's TTL is its smallest, as dnspython has it
                self.found[(owner, type_text)] = (ttl, held[1])


def _need(wire: bytes, end: int) -> None:
    if end > len(wire):
        raise dns.exception.FormError("a record runs past the end of its message")


def _skip_name(wire: bytes, at: int) -> int:
    """The offset after the name at ``at`` (its pointer, if it ends in one)."""
    while True:
        _need(wire, at + 1)
        length = wire[at]
        if length == 0:
            return at + 1
        if length & 0xC0 == 0xC0:
            _need(wire, at + 2)
            return at + 2
        if length > 63:
            raise dns.exception.FormError("a label with a reserved length")
        at += length + 1


def _name(wire: bytes, at: int, names: dict[int, str]) -> tuple[str, int]:
    """The name at ``at`` as lower-case text ending in a dot, and the offset after it.

    ``names`` caches the text of every name suffix met in this message by its
    offset, so a pointer costs a lookup. Pointers must point backwards (as
    compression does), which rules out loops.
    """
    labels: list[tuple[int, str]] = []
    end = -1
    here = at
    total = 1
    while True:
        cached = names.get(here)
        if cached is not None:
            tail = cached
            break
        _need(wire, here + 1)
        length = wire[here]
        if length == 0:
            tail = "."
            if end < 0:
                end = here + 1
            break
        if length & 0xC0 == 0xC0:
            _need(wire, here + 2)
            target = (length & 0x3F) << 8 | wire[here + 1]
            if end < 0:
                end = here + 2
            if target >= here:
                raise dns.exception.FormError("a name pointer that does not point back")
            here = target
            continue
        if length > 63:
            raise dns.exception.FormError("a label with a reserved length")
        _need(wire, here + 1 + length)
        raw = wire[here + 1:here + 1 + length]
        total += length + 1
        if total > 255:
            raise dns.exception.FormError("a name longer than 255 bytes")
        if _PLAIN.issuperset(raw):
            text = raw.decode("ascii").lower()
        else:
            text = dns.name.Name([raw]).to_text(omit_final_dot=True).lower()
        labels.append((here, text))
        here += length + 1
    if end < 0:  # the name was whole in the cache: it ends where its first piece does
        end = _skip_name(wire, at)
    for offset, text in reversed(labels):
        tail = f"{text}.{tail}" if tail != "." else f"{text}."
        names[offset] = tail
    return tail, end
