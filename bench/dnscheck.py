"""Asking a DNS server directly what it serves, independently of failover's own code.

``answers`` asks for many names at once over one UDP socket with a window of
queries in flight (thousands of names in a fraction of a second, where one
query after another would take seconds). ``SerialWatch`` polls the zone's SOA
serial every few milliseconds in a thread: the serial moves with every UPDATE
the server applies, so the moment it reaches its final value is the moment
the last change was served.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Sequence

import dns.exception
import dns.message
import dns.query
import dns.rdatatype

WINDOW = 100


def answers(host: str, port: int, names: Sequence[str], rdtype: str = "A",
            timeout: float = 2.0, rounds: int = 5) -> dict[str, list[str]]:
    """Each name's sorted answers (``[]`` for none); names still unanswered are left out."""
    qtype = dns.rdatatype.from_text(rdtype)
    found: dict[str, list[str]] = {}
    pending = list(range(len(names)))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.connect((host, port))
        for _ in range(rounds):
            if not pending:
                break
            pending = _round(sock, names, pending, qtype, found, timeout)
    return found


def _round(sock: socket.socket, names: Sequence[str], pending: list[int],
           qtype: dns.rdatatype.RdataType, found: dict[str, list[str]],
           timeout: float) -> list[int]:
    """Ask for every name in ``pending`` once, WINDOW at a time; the ones left unanswered."""
    queue = iter(pending)
    flying: dict[int, int] = {}   # query id -> index of the name
    exhausted = False
    deadline = time.monotonic() + timeout + len(pending) / 1000
    while (flying or not exhausted) and time.monotonic() < deadline:
        while not exhausted and len(flying) < WINDOW:
            index = next(queue, None)
            if index is None:
                exhausted = True
                break
            query = dns.message.make_query(names[index], qtype)
            query.id = index % 65536
            flying[query.id] = index
            sock.send(query.to_wire())
        ready, _, _ = select.select([sock], [], [], 0.2)
        if not ready:
            continue
        try:
            wire = sock.recv(65535)
            response = dns.message.from_wire(wire)
        except (OSError, dns.exception.DNSException):
            continue
        index = flying.pop(response.id, -1)
        if index < 0:
            continue
        found[names[index]] = sorted(rd.to_text() for rrset in response.answer
                                     if rrset.rdtype == qtype for rd in rrset)
    return [i for i in pending if names[i] not in found]


def soa_serial(host: str, port: int, zone: str, timeout: float = 0.5) -> int | None:
    """The zone's SOA serial as the server answers it now, or None."""
    query = dns.message.make_query(zone, dns.rdatatype.SOA)
    try:
        response = dns.query.udp(query, host, port=port, timeout=timeout)
    except (dns.exception.DNSException, OSError):
        return None
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.SOA:
            return int(rrset[0].serial)
    return None


class SerialWatch:
    """Polls the SOA serial in a thread and notes when each new serial was first seen."""

    def __init__(self, host: str, port: int, zone: str, interval: float = 0.005) -> None:
        self.host = host
        self.port = port
        self.zone = zone
        self.interval = interval
        self.seen: list[tuple[float, int]] = []   # (time.perf_counter(), serial)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="soa-watch", daemon=True)

    def __enter__(self) -> SerialWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            serial = soa_serial(self.host, self.port, self.zone)
            if serial is not None and (not self.seen or self.seen[-1][1] != serial):
                self.seen.append((time.perf_counter(), serial))
            self._stop.wait(self.interval)

    def first_seen(self, serial: int) -> float | None:
        """When ``serial`` was first seen (perf_counter time), or None."""
        return next((t for t, s in self.seen if s == serial), None)
