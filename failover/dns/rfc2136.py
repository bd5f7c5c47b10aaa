"""A DNS server that takes RFC 2136 UPDATE messages signed with TSIG (BIND, Knot, PowerDNS).

Reads ask the primary directly: one pipelined query per record over TCP, or
one signed zone transfer when more than AXFR_ABOVE records are asked for (a
transfer's cost is the zone's size, a query per record's is the number of
records), falling back to queries when transfers are refused.

Writes are UPDATE messages over TCP. Every change carries a prerequisite, so
the server applies it only to the state the plan was made against: "RRset
exists (value dependent)" with the before values for an update or a delete,
"RRset does not exist" for a create. Many changes share one message (one
message is applied atomically); a plan is split into messages that stay under
``max_update_bytes``. A failed prerequisite stops the apply and names the
records that changed, after the messages before it were applied.

A fenced write (:mod:`failover.dns.fence`) adds to EVERY message a prerequisite on
the fence record's exact current value ("RRset does not exist" when there is none)
and replaces it with the writer's epoch: a stale leader's UPDATE fails at the
server, whatever its process believes. A failed prerequisite is told apart by
reading the fence again: moved, it is FenceLost; held, the plan's conflict.

The TSIG secret is read from the environment or a file when the provider is
built, and is never put in a message, a log line or an exception.
"""

from __future__ import annotations

import base64
import binascii
import functools
import os
import random
import re
import socket
import struct
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TSIG
import dns.tsig

from failover.config import Config, Rfc2136Provider, Tsig
from failover.config.secretfile import SecretFileError, read_secret_file
from failover.dns.base import Authority, Provider, RecordKey
from failover.dns.conflict import first_few
from failover.dns.fence import Fence, check_deadline, fence_change, moved, refuse_newer
from failover.dns.query import (
    AXFR_ABOVE,
    DnsAuthority,
    collect,
    make_query,
    parse_server,
    pipeline,
    read_transfer,
    receive_tcp,
    send_tcp,
    tcp_connection,
    where,
)
from failover.errors import (
    ConfigError,
    FenceLost,
    ProviderAuthError,
    ProviderConflict,
    ProviderError,
    ProviderOutcomeUnknown,
    ProviderUnreachable,
)
from failover.records import Change, RRKey, RRSet
from failover.untrusted import clean

_ALGORITHMS: dict[str, dns.name.Name] = {
    "hmac-md5": dns.tsig.HMAC_MD5,
    "hmac-sha1": dns.tsig.HMAC_SHA1,
    "hmac-sha224": dns.tsig.HMAC_SHA224,
    "hmac-sha256": dns.tsig.HMAC_SHA256,
    "hmac-sha384": dns.tsig.HMAC_SHA384,
    "hmac-sha512": dns.tsig.HMAC_SHA512,
}

# A BIND key file (``key "x" { algorithm ...; secret "..."; };``), as tsig-keygen writes it.
_BIND_SECRET = re.compile(r'secret\s+"([^"]+)"')

# The UPDATE opcode in a message's flags, and TSIG's default time fudge (as dnspython's).
_UPDATE_FLAGS = dns.opcode.to_flags(dns.opcode.UPDATE)
_FUDGE = 300
# The message header: ID, flags and the four section counts.
_HEADER = struct.Struct("!HHHHHH")
# One RR after its owner name: type, class, TTL, rdata length.
_RR = struct.Struct("!HHIH")
# A compression pointer to the zone name, which is always at offset 12 (the zone section).
_TO_ZONE = b"\xc0\x0c"

# The owner name of the write check's prerequisite: not expected to exist (if it does,
# the check's UPDATE still changes nothing).
WRITE_CHECK_LABEL = "_failover-write-check"

_CONFLICT_RCODES = (dns.rcode.NXRRSET, dns.rcode.YXRRSET, dns.rcode.NXDOMAIN,
                    dns.rcode.YXDOMAIN)


class TsigKey:
    """A TSIG key and where its secret came from. Its repr never shows the secret."""

    def __init__(self, name: str, algorithm: str, secret: bytes, source: str) -> None:
        self.name = dns.name.from_text(name)
        self.algorithm = _ALGORITHMS[algorithm]
        self.source = source
        self._key = dns.tsig.Key(self.name, secret, self.algorithm)

    def __repr__(self) -> str:
        return f"TsigKey({self.name.to_text()!r}, secret from {self.source})"

    @property
    def keyring(self) -> dict[dns.name.Name, dns.tsig.Key]:
        return {self.name: self._key}

    @property
    def key(self) -> dns.tsig.Key:
        return self._key

    @property
    def label(self) -> str:
        return self.name.to_text()


def load_tsig(provider: str, tsig: Tsig, config: Config) -> TsigKey:
    """Read the secret named by ``tsig``; a missing or malformed one is a ConfigError."""
    key = f"dns.{provider}.tsig"
    if tsig.secret_env:
        source = f"${tsig.secret_env}"
        text = os.environ.get(tsig.secret_env)
        if not text:
            raise ConfigError(f"environment variable {tsig.secret_env} is not set; export it "
                              f"with the base64 secret of TSIG key '{tsig.name}'",
                              file=config.source, key=f"{key}.secret_env")
        where_key = f"{key}.secret_env"
    else:
        assert tsig.secret_file
        path = config.resolve_path(tsig.secret_file)
        source = str(path)
        try:   # bounded; a BIND key file ("key ... { secret ...; };") spans lines
            text = read_secret_file(path, one_line=False)
        except SecretFileError as exc:
            raise ConfigError(f"TSIG secret of key '{tsig.name}': {exc}",
                              file=config.source, key=f"{key}.secret_file") from None
        where_key = f"{key}.secret_file"
    match = _BIND_SECRET.search(text)
    encoded = (match.group(1) if match else text).strip()
    try:
        secret = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        secret = b""
    if not secret:
        raise ConfigError(f"the TSIG secret in {source} is not base64; put the secret that "
                          f"tsig-keygen prints there", file=config.source, key=where_key)
    return TsigKey(tsig.name, tsig.algorithm, secret, source)


@dataclass
class ApplyReport:
    """What the last apply sent: for tests, the journal and measurements."""

    messages: int = 0
    changes: int = 0
    bytes: int = 0
    largest: int = 0


@dataclass
class _Prepared:
    """One change as the wire bytes it adds to an UPDATE's prerequisite and update
    sections (owner names compressed to the zone), and how many RRs each holds."""

    change: Change
    prerequisites: bytes
    prerequisite_count: int
    updates: bytes
    update_count: int

    @property
    def size(self) -> int:
        return len(self.prerequisites) + len(self.updates)


class Rfc2136(Provider):
    """A primary server written with signed RFC 2136 UPDATE messages."""

    kind = "rfc2136"
    supports_weights = False
    fence_check = "atomic"

    def __init__(self, name: str, settings: Rfc2136Provider, config: Config) -> None:
        super().__init__(name, settings.vendor, config.zone)
        self.settings = settings
        self.host = settings.server
        self.port = settings.port
        self.timeout = settings.timeout
        self.max_update_bytes = settings.max_update_bytes
        self.tsig = load_tsig(name, settings.tsig, config) if settings.tsig else None
        self.last_apply = ApplyReport()
        self._zone_name = dns.name.from_text(self.zone)
        zone_wire = self._zone_name.to_wire()
        assert zone_wire is not None
        self._zone_wire = zone_wire
        # The zone section: the zone's name, type SOA, class IN.
        self._zone_section = zone_wire + struct.pack("!HH", dns.rdatatype.SOA,
                                                     dns.rdataclass.IN)

    def __repr__(self) -> str:
        return f"Rfc2136({self.name!r}, {self.server}, tsig={self.tsig!r})"

    @property
    def server(self) -> str:
        return where(self.host, self.port)

    # -- reading ---------------------------------------------------------------

    def read(self, keys: Sequence[RecordKey]) -> dict[RRKey, RRSet]:
        keys = [(name.lower(), rtype.upper()) for name, rtype in keys]
        if not keys:
            return {}
        if self.tsig is not None and len(keys) > AXFR_ABOVE:
            found = self.read_axfr(keys)
            if found is not None:
                return found
        return self.read_queries(keys)

    def read_queries(self, keys: Sequence[RecordKey]) -> dict[RRKey, RRSet]:
        """One query per record, pipelined down one TCP connection to the primary."""
        queries = [make_query(name, rtype) for name, rtype in keys]
        with tcp_connection(self.name, self.host, self.port, self.timeout) as sock:
            answers = pipeline(sock, queries, self.timeout, self.name, self.server)
        return collect(keys, answers, self.name, self.server, self.zone)

    def read_axfr(self, keys: Sequence[RecordKey]) -> dict[RRKey, RRSet] | None:
        """The records among ``keys`` from one signed zone transfer; None if it is refused."""
        assert self.tsig is not None
        try:
            return read_transfer(self.name, self.host, self.port, self.zone, self.timeout,
                                 self.tsig, keys)
        except dns.tsig.PeerError as exc:
            raise self._tsig_refused(exc) from None

    # -- writing ---------------------------------------------------------------

    def apply(self, changes: Sequence[Change], fence: Fence | None = None) -> None:
        self.last_apply = ApplyReport()
        if not changes and fence is None:
            return
        held = None
        if fence is not None:
            held = self.held_fence()
            refuse_newer(self.name, held, fence)
        self.write(changes, fence, held)

    def write(self, changes: Sequence[Change], fence: Fence | None,
              held: RRSet | None) -> None:
        """Send ``changes`` in UPDATE messages, each (with ``fence``) on condition that the
        fence holds ``held`` (the first) or our epoch (the next): the server decides."""
        self.last_apply = report = ApplyReport()
        with tcp_connection(self.name, self.host, self.port, self.timeout) as sock:
            for n, (batch, mac, wire) in enumerate(self.update_messages(changes, fence, held)):
                check_deadline(self.name, fence, n, None, "UPDATE")
                response = self._exchange(sock, wire, mac, report, len(changes))
                if fence is not None and response.rcode() in _CONFLICT_RCODES:
                    self._check_fence(fence, held if n == 0 else fence.rrset(self.zone),
                                      self._progress(report, len(changes)))
                self._check(response, batch, report, len(changes))
                report.messages += 1
                report.changes += len(batch)
                report.bytes += len(wire)
                report.largest = max(report.largest, len(wire))

    def update_messages(self, changes: Sequence[Change], fence: Fence | None = None,
                        held: RRSet | None = None
                        ) -> Iterator[tuple[list[Change], bytes | None, bytes]]:
        """The UPDATE messages for ``changes``: each change list with the request MAC
        (None unsigned) and the signed wire, at most ``max_update_bytes`` long. With
        ``fence``, each message also holds the fence: the first on condition that it
        holds ``held``, the next that it holds our epoch (the first set it); with no
        changes, one message holds only the fence.

        The wire is written directly, not through dnspython's message objects: a
        change's records are the same bytes in whichever message they land (owner
        names point at the zone name, always at offset 12), so each is encoded once,
        its size is exact, and messages are packed to the byte. Every change is
        checked before the first message is made, so a bad value or an oversized
        RRset stops the apply before anything is sent. Messages are made lazily, so
        each is signed just before it is sent.
        """
        budget = (self.max_update_bytes - _HEADER.size - len(self._zone_section)
                  - self._tsig_bytes())
        fences: list[_Prepared] = []
        if fence is not None:
            ours = fence.rrset(self.zone)
            fences = [self._prepare(fence_change(self.zone, held, fence)),
                      self._prepare(fence_change(self.zone, ours, fence))]
            budget -= max(f.size for f in fences)
        prepared = [self._prepare(c) for c in changes]
        for p in prepared:
            if p.size > budget:
                size = p.size + self.max_update_bytes - budget
                raise ProviderError(self.name, f"the change to {p.change.key} needs "
                                               f"{size} bytes, more than max_update_bytes "
                                               f"({self.max_update_bytes}); raise "
                                               f"max_update_bytes")
        groups = list(_pack(prepared, budget)) or ([[]] if fences else [])
        for n, group in enumerate(groups):
            # The fence goes first: its prerequisite is the one that fails for a stale
            # leader, whatever the others do.
            sent = ([fences[min(n, 1)]] if fences else []) + group
            mac, wire = self._message(
                b"".join(p.prerequisites for p in sent),
                sum(p.prerequisite_count for p in sent),
                b"".join(p.updates for p in sent), sum(p.update_count for p in sent))
            yield [p.change for p in group], mac, wire

    def _message(self, prerequisites: bytes, prerequisite_count: int, updates: bytes,
                 update_count: int) -> tuple[bytes | None, bytes]:
        """An UPDATE of the zone with these sections, signed if there is a key: its
        request MAC (None unsigned) and wire."""
        message_id = random.randrange(0x10000)
        wire = (_HEADER.pack(message_id, _UPDATE_FLAGS, 1, prerequisite_count, update_count,
                             0) + self._zone_section + prerequisites + updates)
        if self.tsig is None:
            return None, wire
        return self._sign(wire, message_id)

    def _sign(self, wire: bytes, message_id: int) -> tuple[bytes, bytes]:
        """``wire`` with a TSIG record appended (RFC 8945), and its MAC."""
        assert self.tsig is not None
        unsigned = dns.rdtypes.ANY.TSIG.TSIG(dns.rdataclass.ANY, dns.rdatatype.TSIG,
                                             self.tsig.algorithm, 0, _FUDGE, b"", message_id,
                                             0, b"")
        signed, _ = dns.tsig.sign(wire, self.tsig.key, unsigned, int(time.time()))
        rdata = signed.to_wire()
        owner = self.tsig.name.to_wire()
        assert rdata is not None and owner is not None
        additional = struct.unpack_from("!H", wire, 10)[0] + 1
        return signed.mac, (wire[:10] + struct.pack("!H", additional) + wire[12:] + owner
                            + _RR.pack(dns.rdatatype.TSIG, dns.rdataclass.ANY, 0, len(rdata))
                            + rdata)

    def _prepare(self, change: Change) -> _Prepared:
        key = change.key
        if key.set_id is not None:
            raise ProviderError(self.name, f"{key}: weighted record sets are not supported by "
                                           f"RFC 2136 servers; use one RRset per name")
        rdtype = _rdtype(key.rtype)
        before = self._rdatas(change.before, rdtype)
        after = self._rdatas(change.after, rdtype)
        if change.action in ("update", "delete") and not before:
            raise ProviderError(self.name, f"{key}: an {change.action} needs its before values")
        if change.action in ("update", "create") and not after:
            raise ProviderError(self.name, f"{key}: a {change.action} needs values")
        owner = self._owner(key.name)
        if before:  # RFC 2136 2.4.2, "RRset exists (value dependent)": the before values
            prerequisites = b"".join(owner + _RR.pack(rdtype, dns.rdataclass.IN, 0, len(rd))
                                     + rd for rd in before)
        else:  # 2.4.3, "RRset does not exist"
            prerequisites = owner + _RR.pack(rdtype, dns.rdataclass.NONE, 0, 0)
        updates = b""
        if change.action in ("update", "delete"):  # 2.5.2, delete the RRset
            updates = owner + _RR.pack(rdtype, dns.rdataclass.ANY, 0, 0)
        ttl = change.after.ttl if change.after else 0
        updates += b"".join(owner + _RR.pack(rdtype, dns.rdataclass.IN, ttl, len(rd)) + rd
                            for rd in after)  # 2.5.1, add to the RRset
        return _Prepared(change, prerequisites, max(1, len(before)),
                         updates, len(after) + (change.action != "create"))

    def _owner(self, name: str) -> bytes:
        """``name`` on the wire, its zone part as a pointer to the zone section."""
        wire = dns.name.from_text(name).to_wire()
        assert wire is not None
        zone = self._zone_wire
        if wire.lower().endswith(zone.lower()) and (
                len(wire) == len(zone) or _ends_a_label(wire, len(wire) - len(zone))):
            return wire[:len(wire) - len(zone)] + _TO_ZONE
        return wire

    def _rdatas(self, rrset: RRSet | None, rdtype: dns.rdatatype.RdataType) -> list[bytes]:
        if rrset is None:
            return []
        return [_rdata_wire(rdtype, v, self._zone_name) for v in rrset.values]

    def _tsig_bytes(self) -> int:
        """What signing adds to a message: measured on an empty one (HMAC lengths are
        fixed, so every message gains the same)."""
        if self.tsig is None:
            return 0
        _, unsigned = self._message(b"", 0, b"", 0)
        return len(self._sign(unsigned, 0)[1]) - len(unsigned)

    def _exchange(self, sock: socket.socket, wire: bytes, mac: bytes | None,
                  report: ApplyReport, total: int) -> dns.message.Message:
        deadline = time.monotonic() + self.timeout
        try:
            send_tcp(sock, wire, deadline)
        except (TimeoutError, OSError) as exc:
            # A message cut short is not parsed, so not applied: this one is not written.
            raise ProviderUnreachable(self.name, f"could not send an UPDATE to {self.server} "
                                                 f"({exc or 'timed out'})"
                                                 f"{self._progress(report, total)}") from None
        try:
            while True:
                answer = receive_tcp(sock, deadline)
                if answer[:2] == wire[:2]:
                    break
            response = dns.message.from_wire(
                answer, keyring=self.tsig.keyring if self.tsig is not None else None,
                request_mac=mac or b"")
        except dns.tsig.PeerError as exc:
            raise self._tsig_refused(exc) from None
        except TimeoutError:
            # The UPDATE was sent: the server may apply it now or later (a paused server
            # applies it when it resumes). Only reading the records again can tell.
            raise ProviderOutcomeUnknown(
                self.name, f"unknown: timed out after {self.timeout:g} s waiting for "
                           f"{self.server} to answer an UPDATE it was sent; it may apply it "
                           f"yet{self._progress(report, total)}") from None
        except (EOFError, OSError) as exc:
            raise ProviderOutcomeUnknown(
                self.name, f"unknown: {self.server} dropped the connection before answering "
                           f"an UPDATE it was sent ({clean(exc)}); it may have applied it"
                           f"{self._progress(report, total)}") from None
        except dns.exception.DNSException as exc:
            raise ProviderError(self.name, f"{self.server} sent a bad answer to an UPDATE: "
                                           f"{clean(exc)}{self._progress(report, total)}") from None
        if not (response.flags & dns.flags.QR and response.id == int.from_bytes(wire[:2], "big")
                and dns.opcode.from_flags(response.flags) == dns.opcode.UPDATE):
            raise ProviderError(self.name, f"{self.server} sent an answer that does not match "
                                           f"the UPDATE{self._progress(report, total)}")
        return response

    def _check_fence(self, fence: Fence, expected: RRSet | None, progress: str) -> None:
        """After a failed prerequisite: FenceLost if the fence no longer holds
        ``expected`` (the server refused this UPDATE, and so is this node)."""
        try:
            now = self.held_fence()
        except ProviderError:
            return  # cannot tell: the before-image conflict is reported
        if now != expected:
            lost = moved(self.name, expected, now, fence)
            raise FenceLost(self.name, f"{lost.detail} (the server refused the UPDATE; "
                                       f"nothing in it was applied{progress})",
                            held=lost.held, ours=lost.ours)

    def _check(self, response: dns.message.Message, batch: list[Change], report: ApplyReport,
               total: int) -> None:
        rcode = response.rcode()
        if rcode == dns.rcode.NOERROR:
            return
        text = dns.rcode.to_text(rcode)
        if rcode in _CONFLICT_RCODES:
            raise ProviderConflict(self.name, f"the server's records changed since the plan: "
                                              f"{self._culprits(batch)} ({text}; nothing in this "
                                              f"UPDATE was applied{self._progress(report, total)}"
                                              f")")
        if rcode == dns.rcode.REFUSED:
            if self.tsig is None:
                raise ProviderAuthError(self.name, f"{self.server} refused an unsigned UPDATE "
                                                   f"(REFUSED); add a tsig key that the zone "
                                                   f"allows to update")
            raise ProviderAuthError(self.name, f"{self.server} refused the UPDATE signed with "
                                               f"TSIG key '{self.tsig.label}' (REFUSED); allow "
                                               f"this key to update {self.zone} (allow-update "
                                               f"or update-policy)")
        if rcode == dns.rcode.NOTAUTH:
            raise ProviderError(self.name, f"{self.server} is not authoritative for {self.zone} "
                                           f"(NOTAUTH): has it dropped the zone, or is it a "
                                           f"secondary? Point server at the primary")
        raise ProviderError(self.name, f"{self.server} answered {text} to an UPDATE"
                                       f"{self._progress(report, total)}")

    def _culprits(self, batch: list[Change]) -> str:
        """The records in ``batch`` that no longer hold their before state, read again now."""
        keys = [(c.key.name, c.key.rtype) for c in batch]
        try:
            now = self.read_queries(keys)
        except ProviderError:
            return ", ".join(str(c.key) for c in batch[:5]) + (" ..." if len(batch) > 5 else "")
        stale = []
        for c in batch:
            held = now.get(c.key)
            expected = c.before.values if c.before else None
            if (held.values if held else None) != expected:
                shown = ",".join(held.values) if held else "nothing"
                planned = ",".join(expected) if expected else "nothing"
                stale.append(f"{c.key} (plan expected {planned}, server has {shown})")
        if not stale:
            return "one of " + ", ".join(str(c.key) for c in batch[:5])
        return first_few(stale)

    @staticmethod
    def _progress(report: ApplyReport, total: int) -> str:
        if not report.messages:
            return ""
        return (f"; {report.changes} of {total} changes were applied before, in "
                f"{report.messages} UPDATE messages")

    def _tsig_refused(self, exc: dns.tsig.PeerError) -> ProviderAuthError:
        code = {dns.tsig.PeerBadKey: "BADKEY", dns.tsig.PeerBadSignature: "BADSIG",
                dns.tsig.PeerBadTime: "BADTIME",
                dns.tsig.PeerBadTruncation: "BADTRUNC"}.get(type(exc), "TSIG error")
        assert self.tsig is not None
        fix = ("check this machine's clock" if code == "BADTIME"
               else f"check the secret in {self.tsig.source} and the key name and algorithm")
        return ProviderAuthError(self.name, f"{self.server} refused TSIG key "
                                            f"'{self.tsig.label}' ({code}); {fix}")

    # -- proving the key ---------------------------------------------------------

    def check_write(self) -> str:
        """Send a signed UPDATE whose only content is a prerequisite that fails (an RRset
        that does not exist must exist), so it changes nothing. The server checks TSIG
        before prerequisites: BADSIG or BADKEY means a wrong key, REFUSED a key that may
        not update, NXRRSET a key it verified."""
        # RFC 2136 2.4.1, "RRset exists (value independent)".
        exists = (self._owner(f"{WRITE_CHECK_LABEL}.{self.zone}")
                  + _RR.pack(dns.rdatatype.TXT, dns.rdataclass.ANY, 0, 0))
        mac, wire = self._message(exists, 1, b"", 0)
        try:
            with tcp_connection(self.name, self.host, self.port, self.timeout) as sock:
                response = self._exchange(sock, wire, mac, ApplyReport(), 0)
        except ProviderOutcomeUnknown:
            raise ProviderUnreachable(self.name, f"no answer from {self.server} within "
                                                 f"{self.timeout:g}s to a signed UPDATE that "
                                                 "changes nothing (the write check)") from None
        rcode = response.rcode()
        what = (f"TSIG key '{self.tsig.label}' verified" if self.tsig is not None
                else "unsigned UPDATEs taken")
        if rcode in _CONFLICT_RCODES or rcode == dns.rcode.NOERROR:
            return (f"{what} by {self.server}: an UPDATE with a failing prerequisite got "
                    f"{dns.rcode.to_text(rcode)}, nothing changed")
        self._check(response, [], ApplyReport(), 0)
        raise ProviderError(self.name, f"{self.server} answered {dns.rcode.to_text(rcode)} to "
                                       "the write check")

    # -- verifying -------------------------------------------------------------

    def authorities(self) -> list[Authority]:
        servers = [(self.host, self.port)]
        for entry in self.settings.verify_servers:
            server = parse_server(entry)
            if server not in servers:
                servers.append(server)
        # Verified by zone transfer where the key may transfer (one transfer per poll
        # instead of a query per record), per record where a server refuses.
        return [DnsAuthority(f"{self.name} {where(h, p)}", h, p, self.zone, self.timeout,
                             transfer_key=self.tsig)
                for h, p in servers]


def _pack(prepared: list[_Prepared], budget: int) -> Iterator[list[_Prepared]]:
    """Greedy groups of changes whose sizes fit ``budget`` bytes."""
    group: list[_Prepared] = []
    used = 0
    for p in prepared:
        if group and used + p.size > budget:
            yield group
            group, used = [], 0
        group.append(p)
        used += p.size
    if group:
        yield group


def _ends_a_label(wire: bytes, at: int) -> bool:
    """Whether a label of the uncompressed name ``wire`` ends at offset ``at``."""
    i = 0
    while i < at:
        i += wire[i] + 1
    return i == at


@functools.lru_cache(maxsize=64)
def _rdtype(rtype: str) -> dns.rdatatype.RdataType:
    return dns.rdatatype.from_text(rtype)


# A plan moves many records to the same few addresses, and parsing a value is most
# of the cost of preparing a change: encode each value once.
@functools.lru_cache(maxsize=4096)
def _rdata_wire(rdtype: dns.rdatatype.RdataType, value: str, origin: dns.name.Name) -> bytes:
    wire = dns.rdata.from_text(dns.rdataclass.IN, rdtype, value).to_wire(origin=origin)
    assert wire is not None
    return wire
