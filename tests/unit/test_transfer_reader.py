"""The zone transfer reader (issue 13) without a server: a signed stream made with
dnspython reads back as dnspython reads it, a changed byte fails the TSIG check,
and hostile messages (loops, forward pointers, overlong labels and names, records
past the end, junk after the last) are a FormError, never another exception."""

from __future__ import annotations

import contextlib
import struct

import dns.exception
import dns.message
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.tsig
import pytest
from hypothesis import given
from hypothesis import strategies as st

from failover.dns.transfer import TransferReader, TransferRefused, transfer_query
from failover.records import RRKey, RRSet
from tests.hypo import cases

ZONE = "example.test."
SECRET = "c2VjcmV0LWZvci10aGUtdW5pdC10ZXN0cy0zMi1ieXRlcw=="


class Key:
    """A TSIG key as the RFC 2136 provider holds it."""

    def __init__(self, secret: str = SECRET) -> None:
        self.name = dns.name.from_text("unit.")
        self.algorithm = dns.tsig.HMAC_SHA256
        self.key = dns.tsig.Key(self.name, secret, self.algorithm)

    @property
    def label(self) -> str:
        return "unit."

    @property
    def keyring(self) -> dict[dns.name.Name, dns.tsig.Key]:
        return {self.name: self.key}


def rrset(name: str, rtype: str, ttl: int, *values: str) -> dns.rrset.RRset:
    return dns.rrset.from_text(name, ttl, "IN", rtype, *values)


SOA = rrset(ZONE, "SOA", 300, f"ns1.{ZONE} host.{ZONE} 7 3600 600 86400 60")
BODY = [
    [rrset(f"r{i}.{ZONE}", "A", 60, f"10.0.{i // 256}.{i % 256}") for i in range(300)],
    [rrset(f"v6.{ZONE}", "AAAA", 30, "2001:db8::1", "::ffff:1.2.3.4"),
     rrset(f"c.{ZONE}", "CNAME", 30, f"www.{ZONE}"),
     rrset(f"t.{ZONE}", "TXT", 30, '"hello world"', '"x"'),
     rrset(f"a\\.b.{ZONE}", "TXT", 30, '"escaped"'),
     rrset(f"r1.{ZONE}", "A", 60, "10.9.9.9")],   # an RRset split across messages
]


def stream(sign: list[bool] | None = None, secret: str = SECRET
           ) -> tuple[list[bytes], bytes, int]:
    """A server's answer to our AXFR question: SOA, the BODY messages, SOA again,
    each signed unless ``sign`` says not (RFC 8945 lets a server skip up to 99)."""
    key = Key()
    qwire, mac, qid = transfer_query(ZONE, key)
    query = dns.message.from_wire(qwire, keyring=key.keyring)
    sections = [[SOA, *BODY[0]], BODY[1], [SOA]]
    sign = sign or [True] * len(sections)
    wires, ctx = [], None
    for answer, signed in zip(sections, sign, strict=True):
        response = dns.message.make_response(query)
        if secret != SECRET:
            response.use_tsig({key.name: dns.tsig.Key(key.name, secret, key.algorithm)},
                              key.name, algorithm=key.algorithm)
        response.answer = answer
        if not signed:
            response.keyring = None
            response.tsig = None
            wire = response.to_wire()
            ctx.update(wire)
        else:
            wire = response.to_wire(multi=True, tsig_ctx=ctx)
            ctx = response.tsig_ctx
        wires.append(wire)
    return wires, mac, qid


def read(wires: list[bytes], mac: bytes, qid: int, keys: list[tuple[str, str]]
         ) -> dict[RRKey, RRSet]:
    reader = TransferReader(ZONE, keys, Key(), qid, mac)
    done = [reader.feed(w) for w in wires]
    assert done == [False] * (len(wires) - 1) + [True]
    return reader.rrsets


def expected(keys: list[tuple[str, str]]) -> dict[RRKey, RRSet]:
    from failover.dns.query import rrset_of

    out: dict[RRKey, RRSet] = {}
    for rr in [SOA, *BODY[0], *BODY[1]]:
        got = rrset_of(rr)
        if (got.name, got.rtype) not in keys:
            continue
        if got.key in out:
            got = RRSet.of(got.name, got.rtype, got.ttl, out[got.key].values + got.values)
        out[got.key] = got
    return out


KEYS = [(f"r{i}.{ZONE}", "A") for i in range(0, 300, 7)] + [
    (f"v6.{ZONE}", "AAAA"), (f"c.{ZONE}", "CNAME"), (f"t.{ZONE}", "TXT"),
    (f"a\\.b.{ZONE}", "TXT"), (f"r1.{ZONE}", "A"), (f"absent.{ZONE}", "A"), (f"c.{ZONE}", "A")]


def test_a_signed_stream_reads_as_dnspython_reads_it() -> None:
    wires, mac, qid = stream()
    got = read(wires, mac, qid, KEYS)
    assert got == expected(KEYS)
    assert got[RRKey(f"r1.{ZONE}", "A")].values == ("10.0.0.1", "10.9.9.9")
    assert got[RRKey(f"v6.{ZONE}", "AAAA")] == RRSet.of(f"v6.{ZONE}", "AAAA", 30,
                                                        ["2001:db8::1", "::ffff:1.2.3.4"])


def test_an_unsigned_message_between_signed_ones_is_covered_by_the_next_mac() -> None:
    wires, mac, qid = stream(sign=[True, False, True])
    assert read(wires, mac, qid, KEYS) == expected(KEYS)


def test_a_changed_byte_fails_the_tsig_check() -> None:
    wires, mac, qid = stream()
    body = bytearray(wires[1])
    at = body.index(bytes([10, 9, 9, 9]))    # r1's second address
    body[at + 3] = 8
    reader = TransferReader(ZONE, KEYS, Key(), qid, mac)
    reader.feed(wires[0])
    with pytest.raises(dns.tsig.BadSignature):
        reader.feed(bytes(body))


def test_a_stream_signed_with_another_secret_fails_the_tsig_check() -> None:
    wires, mac, qid = stream(secret="b3RoZXItc2VjcmV0LW9mLTMyLWJ5dGVzLWZvci11bml0cw==")
    with pytest.raises(dns.tsig.BadSignature):
        TransferReader(ZONE, KEYS, Key(), qid, mac).feed(wires[0])


def test_an_unsigned_first_or_last_message_is_refused() -> None:
    wires, mac, qid = stream(sign=[True, True, False])
    reader = TransferReader(ZONE, KEYS, Key(), qid, mac)
    reader.feed(wires[0])
    reader.feed(wires[1])
    with pytest.raises(dns.exception.FormError, match=r"last message .* not signed"):
        reader.feed(wires[2])
    unsigned = bytearray(wires[0][:wires[0].rindex(b"\x04unit\x00")])
    unsigned[11] -= 1   # drop the TSIG record from the count too
    with pytest.raises(dns.exception.FormError, match=r"first message .* not signed"):
        TransferReader(ZONE, KEYS, Key(), qid, mac).feed(bytes(unsigned))


def test_an_error_code_is_a_refusal_with_the_code() -> None:
    _, mac, qid = stream()
    header = struct.pack("!HHHHHH", qid, 0x8000 | 5, 0, 0, 0, 0)   # REFUSED, unsigned
    with pytest.raises(TransferRefused) as caught:
        TransferReader(ZONE, KEYS, Key(), qid, mac).feed(header)
    assert caught.value.rcode == 5


def header(qid: int, answers: int = 1) -> bytes:
    return struct.pack("!HHHHHH", qid, 0x8400, 0, answers, 0, 0)


A_RR = struct.pack("!HHIH", 1, 1, 60, 4) + bytes([10, 0, 0, 1])


@pytest.mark.parametrize(("body", "why"), [
    (b"\xc0\x0c" + A_RR, "does not point back"),               # a pointer to itself
    (b"\xc0\x20" + A_RR, "does not point back"),               # a pointer forwards
    (b"\x40" + b"x" * 64 + b"\x00" + A_RR, "reserved length"),  # a 64-byte label
    ((b"\x3f" + b"x" * 63) * 4 + b"\x00" + A_RR, "longer than 255"),
    (b"\x03www", "past the end"),                               # a name cut short
    (b"\x00" + A_RR[:8], "past the end"),                       # a record cut short
    (b"\x00" + struct.pack("!HHIH", 1, 1, 60, 40) + bytes(4), "past the end"),
    (b"junk", "bytes after the last record"),
])
def test_hostile_messages_are_form_errors(body: bytes, why: str) -> None:
    mac, qid = b"\0" * 32, 7
    answers = 0 if body == b"junk" else 1
    with pytest.raises(dns.exception.FormError, match=why):
        TransferReader(ZONE, KEYS, Key(), qid, mac).feed(header(qid, answers) + body)


def test_a_message_for_another_query_is_refused() -> None:
    wires, mac, qid = stream()
    with pytest.raises(dns.exception.FormError, match="another query"):
        TransferReader(ZONE, KEYS, Key(), (qid + 1) & 0xFFFF, mac).feed(wires[0])
    with pytest.raises(dns.exception.FormError, match="shorter than its header"):
        TransferReader(ZONE, KEYS, Key(), qid, mac).feed(wires[0][:11])


@cases(300)
@given(body=st.binary(max_size=300), answers=st.integers(0, 4))
def test_any_bytes_are_read_or_refused_cleanly(body: bytes, answers: int) -> None:
    mac, qid = b"\0" * 32, 7
    reader = TransferReader(ZONE, KEYS, Key(), qid, mac)
    with contextlib.suppress(dns.exception.DNSException, TransferRefused):
        reader.feed(header(qid, answers) + body)
