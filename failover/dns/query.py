"""Asking one name server directly, the way verification and the RFC 2136 reads need.

``DnsAuthority`` is the Authority a move verifies against: it asks one server
over UDP (falling back to TCP when an answer is truncated) with recursion off,
and returns the RRsets that server holds for the managed records. Given a
TSIG key that may transfer the zone, it reads many records with one zone
transfer instead (``read_transfer``), and per record where the server
refuses. The functions below it are shared with the RFC 2136 provider:
turning an answer into an :class:`RRSet`, a signed zone transfer, and sending
many queries down one TCP connection without waiting for each answer
(pipelining, which BIND, Knot and PowerDNS all accept).
"""

from __future__ import annotations

import contextlib
import ipaddress
import random
import socket
import time
from collections.abc import Iterable, Iterator, Sequence

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.tsig

from failover.dns.base import RecordKey
from failover.dns.transfer import (
    TransferKey,
    TransferReader,
    TransferRefused,
    rdata_value,
    transfer_query,
)
from failover.errors import ProviderError, ProviderUnreachable
from failover.records import RRKey, RRSet
from failover.untrusted import clean

# Queries in flight at once on one TCP connection; servers cap pipelined queries
# per connection (BIND: tcp-clients and its per-connection quota), so stay modest.
PIPELINE_WINDOW = 100

# Above this many records a read is one zone transfer instead of a query per
# record (when a key may transfer the zone). A transfer costs the whole zone, a
# query per record costs round trips: on the lab's BIND 9.18 (one worker thread,
# busy 2-CPU machine), 1,000 pipelined queries took ~1 s and the transfer of a
# 10,000-record zone ~2 s; 10,000 queries took ~8 s: about 0.8 ms a query
# against 0.2 ms a transferred record. So a transfer wins once the managed
# records are more than about a quarter of the zone; with a few hundred managed
# records in zones of a few thousand, 250 is where the two cost about the same.
# Failover usually manages a handful of records, so per-record queries are the
# rule and transfers are for bulk moves.
AXFR_ABOVE = 250

# Answers that mean "this name or type is not there": left out of a read.
_EMPTY_RCODES = (dns.rcode.NOERROR, dns.rcode.NXDOMAIN)


def where(host: str, port: int) -> str:
    """``host:port``, with IPv6 addresses in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def parse_server(text: str, default_port: int = 53) -> tuple[str, int]:
    """``"host"``, ``"host:port"``, ``"[::1]:53"`` or a bare IPv6 address -> (host, port)."""
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
        return host, int(port) if port else default_port
    if text.count(":") == 1:
        host, port = text.split(":")
        return host, int(port)
    return text, default_port


def rrset_of(rrset: dns.rrset.RRset) -> RRSet:
    """A dnspython RRset -> the engine's RRSet."""
    return RRSet.of(rrset.name.to_text().lower(), dns.rdatatype.to_text(rrset.rdtype),
                    rrset.ttl, [rdata_value(rd) for rd in rrset])


def answer_rrset(response: dns.message.Message, name: dns.name.Name,
                 rdtype: dns.rdatatype.RdataType) -> RRSet | None:
    """The RRset for exactly ``name``/``rdtype`` in an answer, if there is one.

    A CNAME chain in the answer is not followed: a name holding a CNAME holds
    no A record, and that is what the provider has.
    """
    for rrset in response.answer:
        if (rrset.name == name and rrset.rdtype == rdtype
                and rrset.rdclass == dns.rdataclass.IN):
            return rrset_of(rrset)
    return None


def make_query(name: str, rtype: str) -> dns.message.QueryMessage:
    """A non-recursive query for ``name``/``rtype`` with a random ID."""
    q = dns.message.make_query(name, rtype)
    q.flags &= ~dns.flags.RD
    return q


def resolve_host(label: str, host: str, port: int) -> str:
    """The address of ``host`` (itself if it is one), from the system resolver."""
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    except socket.gaierror as exc:
        raise ProviderUnreachable(label, f"cannot resolve {host}: {exc.strerror}") from None
    return str(infos[0][4][0])


@contextlib.contextmanager
def tcp_connection(label: str, host: str, port: int, timeout: float) -> Iterator[socket.socket]:
    """A connected TCP socket; refusal and timeout become ProviderUnreachable."""
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except TimeoutError:
        raise ProviderUnreachable(label, f"no answer from {where(host, port)} within "
                                         f"{timeout:g}s (TCP connect)") from None
    except OSError as exc:
        raise ProviderUnreachable(label, f"cannot connect to {where(host, port)}: "
                                         f"{exc.strerror or exc}") from None
    try:
        yield sock
    finally:
        sock.close()


def send_tcp(sock: socket.socket, wire: bytes, deadline: float) -> None:
    """Send one DNS message, length-prefixed, before ``deadline`` (monotonic)."""
    sock.settimeout(_remaining(deadline))
    sock.sendall(len(wire).to_bytes(2, "big") + wire)


def receive_tcp(sock: socket.socket, deadline: float) -> bytes:
    """Read one length-prefixed DNS message before ``deadline`` (monotonic)."""
    length = int.from_bytes(_read_exactly(sock, 2, deadline), "big")
    return _read_exactly(sock, length, deadline)


def _read_exactly(sock: socket.socket, count: int, deadline: float) -> bytes:
    data = bytearray()
    while len(data) < count:
        sock.settimeout(_remaining(deadline))
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise EOFError("the server closed the connection")
        data += chunk
    return bytes(data)


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return left


def pipeline(sock: socket.socket, queries: Sequence[dns.message.Message], timeout: float,
             label: str, server: str) -> list[dns.message.Message]:
    """Send ``queries`` down one TCP connection, up to PIPELINE_WINDOW at a time.

    Answers may come back in any order; they are matched by ID and returned in
    the order of ``queries``. IDs are renumbered so they are unique in a window.
    ``timeout`` bounds each window.
    """
    answers: list[dns.message.Message] = []
    first_id = random.randrange(0x10000)
    for offset in range(0, len(queries), PIPELINE_WINDOW):
        window = queries[offset:offset + PIPELINE_WINDOW]
        for i, q in enumerate(window):
            q.id = (first_id + offset + i) & 0xFFFF
        pending = {q.id: q for q in window}
        got: dict[int, dns.message.Message] = {}
        deadline = time.monotonic() + timeout
        try:
            sock.settimeout(_remaining(deadline))
            sock.sendall(b"".join(_framed(q.to_wire()) for q in window))
            while pending:
                wire = receive_tcp(sock, deadline)
                asked = pending.pop(int.from_bytes(wire[:2], "big"), None)
                if asked is None:
                    continue  # an answer we no longer wait for
                r = parse_answer(wire, asked)
                if not asked.is_response(r):
                    raise ProviderError(label, f"{server} sent an answer that does not match "
                                               f"the question for {asked.question[0].name}")
                got[asked.id] = r
        except TimeoutError:
            raise ProviderUnreachable(label, f"no answer from {server} within {timeout:g}s "
                                             f"(TCP)") from None
        except (EOFError, OSError) as exc:
            raise ProviderUnreachable(label, f"{server} dropped the TCP connection: "
                                             f"{clean(exc)}") from None
        except dns.exception.FormError as exc:
            raise ProviderError(label, f"{server} sent a malformed answer: {clean(exc)}") from None
        answers.extend(got[q.id] for q in window)
    return answers


def parse_answer(wire: bytes, query: dns.message.Message,
                 raise_on_truncation: bool = False) -> dns.message.Message:
    """Parse an answer to ``query``; for unsigned queries, the answer section only.

    Parsing is most of the cost of a read (servers add NS and glue records we
    never look at), so for unsigned queries the authority and additional counts
    are zeroed and the rest of the message is ignored. A signed answer is parsed
    whole, because its TSIG record sits at the end and must be checked.
    """
    if query.keyring or len(wire) < 12:
        return dns.message.from_wire(wire, keyring=query.keyring, request_mac=query.mac,
                                     raise_on_truncation=raise_on_truncation)
    head = wire[:8] + b"\0\0\0\0"
    return dns.message.from_wire(head + wire[12:], ignore_trailing=True,
                                 raise_on_truncation=raise_on_truncation)


def _framed(wire: bytes) -> bytes:
    return len(wire).to_bytes(2, "big") + wire


def read_transfer(label: str, host: str, port: int, zone: str, timeout: float,
                  key: TransferKey, keys: Iterable[RecordKey]) -> dict[RRKey, RRSet] | None:
    """The RRsets among ``keys`` from one signed zone transfer; None if it is refused.

    Refused means the server will not transfer the zone to this key (REFUSED or
    NOTAUTH, as BIND answers without a matching ACL): ask per record then. A TSIG
    error in the answer (Knot answers BADKEY to a key its ACL does not name) is
    raised as ``dns.tsig.PeerError``: the caller knows whether the key must work.
    ``timeout`` bounds each message of the transfer.
    """
    server = where(host, port)
    wire, mac, query_id = transfer_query(zone, key)
    reader = TransferReader(zone, keys, key, query_id, mac)
    with tcp_connection(label, host, port, timeout) as sock:
        try:
            send_tcp(sock, wire, time.monotonic() + timeout)
            while not reader.feed(receive_tcp(sock, time.monotonic() + timeout)):
                pass
        except TransferRefused as exc:
            if exc.rcode in (dns.rcode.REFUSED, dns.rcode.NOTAUTH):
                return None
            raise ProviderError(label, f"zone transfer of {zone} from {server} failed: "
                                       f"{clean(exc)}") from None
        except TimeoutError:
            raise ProviderUnreachable(label, f"no answer from {server} within {timeout:g}s "
                                             f"(zone transfer)") from None
        except (EOFError, OSError) as exc:
            raise ProviderUnreachable(label, f"{server} dropped the connection during a zone "
                                             f"transfer: {clean(exc)}") from None
        except dns.tsig.PeerError:
            raise
        except dns.exception.FormError as exc:
            raise ProviderError(label, f"{server} sent a malformed zone transfer: "
                                       f"{clean(exc)}") from None
        except dns.exception.DNSException as exc:  # BadSignature, BadTime, BadKey
            raise ProviderError(label, f"{server}'s zone transfer failed its TSIG check with "
                                       f"key '{key.label}': {clean(exc)}") from None
    return reader.rrsets


def collect(keys: Iterable[RecordKey], answers: Iterable[dns.message.Message], label: str,
            server: str, zone: str) -> dict[RRKey, RRSet]:
    """RRsets from the answers to one query per key; absent names are left out.

    Only authoritative answers count: a server that dropped the zone answers
    REFUSED, or a referral or cached data without the AA flag.
    """
    out: dict[RRKey, RRSet] = {}
    for (name, rtype), r in zip(keys, answers, strict=True):
        rcode = r.rcode()
        if rcode not in _EMPTY_RCODES:
            raise ProviderError(label, f"{server} answered {dns.rcode.to_text(rcode)} for "
                                       f"{name} {rtype}; does it still serve {zone}?")
        if not r.flags & dns.flags.AA:
            raise ProviderError(label, f"{server} is not authoritative for {name} {rtype}; "
                                       f"does it still serve {zone}?")
        rr = answer_rrset(r, dns.name.from_text(name), dns.rdatatype.from_text(rtype))
        if rr is not None:
            out[rr.key] = rr
    return out


# Up to this many names an authority is asked over UDP, one round trip each
# (the usual handful of managed records); more go pipelined over one TCP connection.
UDP_AT_MOST = 16


class DnsAuthority:
    """One authoritative name server, asked directly (no recursion, no cache)."""

    def __init__(self, label: str, host: str, port: int, zone: str, timeout: float,
                 transfer_key: TransferKey | None = None) -> None:
        self.label = label
        self.host = host
        self.port = port
        self.zone = zone
        self.timeout = timeout
        self.transfer_key = transfer_key
        # How the last read was made: "transfer", "queries" (transfer refused or not
        # worth it), for tests and the drill's timeline.
        self.last_read = ""
        self._transfer_refused = False

    def __repr__(self) -> str:
        return f"DnsAuthority({self.label!r}, {where(self.host, self.port)})"

    @property
    def server(self) -> str:
        return where(self.host, self.port)

    def read(self, keys: Sequence[RecordKey]) -> dict[RRKey, RRSet]:
        """What this server answers now for ``keys``: one zone transfer for many keys
        when a key may transfer the zone, else one query per key."""
        if not keys:
            return {}
        if (self.transfer_key is not None and len(keys) > AXFR_ABOVE
                and not self._transfer_refused):
            try:
                found = read_transfer(self.label, self.host, self.port, self.zone,
                                      self.timeout, self.transfer_key, keys)
            except dns.tsig.PeerError:
                # A secondary that does not know the key, or not for transfers: its
                # answers to plain queries are what it serves all the same.
                found = None
            if found is not None:
                self.last_read = "transfer"
                return found
            # Refused for this key: it will be refused on the next poll too.
            self._transfer_refused = True
        self.last_read = "queries"
        return self.read_queries(keys)

    def read_queries(self, keys: Sequence[RecordKey]) -> dict[RRKey, RRSet]:
        """What this server answers now for ``keys``, one query each."""
        if not keys:
            return {}
        queries = [make_query(name, rtype) for name, rtype in keys]
        if len(queries) > UDP_AT_MOST:
            # Many names: every query in flight at once on one TCP connection,
            # instead of one UDP round trip each.
            with tcp_connection(self.label, self.host, self.port, self.timeout) as tcp:
                answers = pipeline(tcp, queries, self.timeout, self.label, self.server)
            return collect(keys, answers, self.label, self.server, self.zone)
        answers = []
        truncated: list[int] = []
        with self._udp_socket() as sock:
            for i, q in enumerate(queries):
                r = self._ask_udp(sock, q)
                if r is None:
                    truncated.append(i)
                answers.append(r if r is not None else q)
        if truncated:
            with tcp_connection(self.label, self.host, self.port, self.timeout) as tcp:
                again = pipeline(tcp, [queries[i] for i in truncated], self.timeout,
                                 self.label, self.server)
            for i, r in zip(truncated, again, strict=True):
                answers[i] = r
        return collect(keys, answers, self.label, self.server, self.zone)

    @contextlib.contextmanager
    def _udp_socket(self) -> Iterator[socket.socket]:
        # A connected socket, so that an ICMP "port unreachable" comes back as
        # ECONNREFUSED at once instead of a timeout.
        address = resolve_host(self.label, self.host, self.port)
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.connect((address, self.port))
        except OSError as exc:
            sock.close()
            raise ProviderUnreachable(self.label, f"cannot reach {self.server}: "
                                                  f"{exc.strerror or exc}") from None
        with sock:
            yield sock

    def _ask_udp(self, sock: socket.socket, q: dns.message.Message) -> dns.message.Message | None:
        """One query over UDP; None when the answer is truncated (ask again over TCP)."""
        deadline = time.monotonic() + self.timeout
        try:
            sock.send(q.to_wire())
            while True:
                sock.settimeout(_remaining(deadline))
                wire = sock.recv(65535)
                try:
                    r = parse_answer(wire, q, raise_on_truncation=True)
                except dns.message.Truncated:
                    return None
                except dns.exception.FormError:
                    continue  # garbage on our port: keep listening until the deadline
                if q.is_response(r):
                    return r
        except TimeoutError:
            raise ProviderUnreachable(self.label, f"no answer from {self.server} within "
                                                  f"{self.timeout:g}s") from None
        except ConnectionRefusedError:
            raise ProviderUnreachable(self.label, f"{self.server} refused the query "
                                                  f"(nothing listening)") from None
        except OSError as exc:
            raise ProviderUnreachable(self.label, f"cannot reach {self.server}: "
                                                  f"{exc.strerror or exc}") from None
