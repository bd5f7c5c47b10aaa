"""HTTP and HTTPS probes: a minimal, bounded HTTP/1.1 client on asyncio streams.

One ``GET`` per probe with ``Connection: close``, to the endpoint's address
(never a name found elsewhere), ``Host`` and SNI from the check or the
service's host name. Everything a server sends is read with a bound: the
status line (8 KiB), the headers (64 KiB, 100 lines) and at most the first
64 KiB of the body, and only when the check looks into the body. The whole
exchange, connect and TLS included, runs under the check's timeout, so a
server that never answers, drips one byte at a time or sends an endless body
cannot hold a probe past its timeout nor make it keep more than about
100 KiB (the stream's buffer, at most 80 KiB, and the piece being searched:
the body is searched as it streams by, not kept). HTTPS adds what the
standard library's TLS layer holds per connection (a 256 KiB read buffer).
Redirects are never followed: a 3xx is just a status.

Chunked transfer coding is decoded; ``Content-Length`` is honoured; no
compression is asked for (no ``Accept-Encoding``), so bodies come as they are.
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from failover.clock import Clock
from failover.probes.base import (
    ProbeFailure,
    ProbeResult,
    Target,
    bracket,
    describe_error,
    hard_close,
    hostport,
    shorten,
    ssl_context,
    timeout_reason,
)

MAX_STATUS_LINE = 8 * 1024
MAX_HEADER_BYTES = 64 * 1024
MAX_HEADERS = 100
MAX_BODY = 64 * 1024
# StreamReader's buffer stops reading from the socket past twice this.
READ_LIMIT = 32 * 1024
READ_CHUNK = 16 * 1024
MAX_CHUNK_LINE = 1024
MAX_INTERIM = 5   # 1xx responses skipped before the final one

_STATUS = re.compile(rb"^HTTP/1\.[01] ([1-9][0-9][0-9])(?:[ \t].*)?$", re.DOTALL)
_PATH_SAFE = "/:@!$&'()*+,;=-._~%?#[]"


@dataclass
class _Exchange:
    """What one exchange found out, kept as it goes so a timeout can say where it stopped."""

    phase: str = "connecting"
    status: int | None = None
    headers: dict[bytes, bytes] = field(default_factory=dict)
    body_bytes: int = 0
    found: bool | None = None
    writer: asyncio.StreamWriter | None = None   # held so it outlives an error in the exchange


def default_port(kind: str) -> int:
    return 443 if kind == "https" else 80


@functools.lru_cache(maxsize=4096)
def request_bytes(path: str, host: str) -> bytes:
    """The request, with the path's spaces and control characters percent-encoded."""
    if not path.startswith("/"):
        path = "/" + path
    path = quote(path, safe=_PATH_SAFE)
    return (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: failover-probe\r\n"
            "Accept: */*\r\nConnection: close\r\n\r\n").encode("ascii")


def _host_header(target: Target, port: int) -> str:
    check = target.check
    name = check.host or target.zone_host or bracket(target.address)
    try:
        name = name.encode("idna").decode("ascii") if not name.isascii() else name
    except UnicodeError:
        name = name.encode("ascii", "replace").decode("ascii")
    return name if port == default_port(check.kind) else f"{name}:{port}"


async def probe_http(target: Target, clock: Clock) -> ProbeResult:
    """One HTTP(S) check of one endpoint. Never raises."""
    check = target.check
    port = check.port or default_port(check.kind)
    at = clock.now()
    started = clock.monotonic()
    state = _Exchange()
    ok, reason = False, ""
    try:
        async with asyncio.timeout(check.timeout):
            await _exchange(target, port, state)
        ok, reason = _judge(check, state)
    except TimeoutError:
        reason = timeout_reason(check.timeout, state.phase)
    except Exception as exc:
        reason = describe_error(exc)
    finally:
        hard_close(state.writer.transport if state.writer else None)
    detail: dict[str, Any] = {}
    if state.status is not None:
        detail["status"] = state.status
    if state.found is not None:
        detail["body_bytes"] = state.body_bytes
    if not ok and reason.startswith("timeout"):
        detail["phase"] = state.phase
    return ProbeResult(hosting=target.hosting, probe=target.label,
                       target=hostport(target.address, port), ok=ok,
                       latency=clock.monotonic() - started, reason=reason, at=at, detail=detail)


def _judge(check: Any, state: _Exchange) -> tuple[bool, str]:
    status = state.status
    expected = check.expect_status
    if status not in expected:
        want = ("one of " + ", ".join(str(s) for s in expected) if len(expected) > 1
                else str(expected[0]) if expected else "none (expect_status is empty)")
        location = state.headers.get(b"location")
        if status is not None and 300 <= status < 400 and location is not None:
            where = shorten(location.decode("latin-1"), 120)
            return False, f"status {status} (redirect to {where}), expected {want}"
        return False, f"status {status}, expected {want}"
    if check.body_contains is not None and not state.found:
        return False, shorten(f"body lacks {check.body_contains!r}", 120)
    return True, ""


async def _exchange(target: Target, port: int, state: _Exchange) -> None:
    check = target.check
    tls = None
    server_hostname = None
    if check.kind == "https":
        tls = ssl_context(check.verify_tls, http=True, ca_file=check.ca_file)
        server_hostname = check.host or target.zone_host or target.address
        state.phase = "connecting or TLS handshake"
    reader, writer = await asyncio.open_connection(
        target.address, port, ssl=tls, server_hostname=server_hostname, limit=READ_LIMIT)
    state.writer = writer
    if isinstance(getattr(writer.transport, "max_size", None), int):
        # A plain socket transport reads up to 256 KiB per recv() (its class attribute
        # max_size); a smaller read keeps a hostile body from filling memory at once.
        writer.transport.max_size = READ_CHUNK  # type: ignore[attr-defined]
    state.phase = "sending request"
    writer.write(request_bytes(check.path, _host_header(target, port)))
    state.phase = "waiting for status line"
    for _ in range(MAX_INTERIM + 1):
        state.status = await _read_status(reader)
        state.phase = "reading headers"
        state.headers = await _read_headers(reader)
        if state.status >= 200 or state.status == 101:
            break
        state.phase = "waiting for status line"
    else:
        raise ProbeFailure(f"more than {MAX_INTERIM} interim (1xx) responses")
    if check.body_contains is None or state.status not in check.expect_status:
        return
    state.phase = "reading body"
    needle = check.body_contains.encode("utf-8")
    state.found = not needle
    keep = len(needle) - 1
    tail = b""   # the body is searched as it streams by; only a needle's length of it is kept
    async with aclosing(_body(reader, state.headers)) as pieces:
        async for piece in pieces:
            state.body_bytes += len(piece)
            window = tail + piece
            if needle in window:
                state.found = True
                return
            tail = window[-keep:] if keep else b""


async def _read_status(reader: asyncio.StreamReader) -> int:
    try:
        line = await reader.readuntil(b"\n")
    except asyncio.LimitOverrunError:
        raise ProbeFailure("status line too long") from None
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            raise ProbeFailure("connection closed without a response") from None
        line = exc.partial
    if len(line) > MAX_STATUS_LINE:
        raise ProbeFailure("status line too long")
    line = line.rstrip(b"\r\n")
    match = _STATUS.match(line)
    if not match:
        shown = shorten(line[:40].decode("latin-1"), 40)   # what the server sent: inert
        raise ProbeFailure(f"bad status line {shown!r}")
    return int(match.group(1))


async def _read_headers(reader: asyncio.StreamReader) -> dict[bytes, bytes]:
    """The headers we need, lower-cased; the rest are read (within bounds) and dropped."""
    headers: dict[bytes, bytes] = {}
    total = 0
    count = 0
    while True:
        try:
            line = await reader.readuntil(b"\n")
        except asyncio.LimitOverrunError:
            raise ProbeFailure("headers too large") from None
        except asyncio.IncompleteReadError:
            raise ProbeFailure("connection closed in the headers") from None
        total += len(line)
        if total > MAX_HEADER_BYTES:
            raise ProbeFailure("headers too large")
        if line in (b"\r\n", b"\n"):
            return headers
        count += 1
        if count > MAX_HEADERS:
            raise ProbeFailure(f"more than {MAX_HEADERS} headers")
        name, sep, value = line.partition(b":")
        if not sep:
            continue  # obsolete line folding or junk: ignore
        key = name.strip().lower()
        if key in (b"content-length", b"transfer-encoding", b"location"):
            headers[key] = value.strip()


async def _body(reader: asyncio.StreamReader,
                headers: dict[bytes, bytes]) -> AsyncGenerator[bytes, None]:
    """The body's bytes as they come, at most :data:`MAX_BODY` of them."""
    budget = MAX_BODY
    coding = headers.get(b"transfer-encoding", b"").lower()
    if b"chunked" in coding:
        while budget > 0:
            line = await _chunk_line(reader)
            if not line:
                return    # cut short: judge what came
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise ProbeFailure("bad chunked body") from None
            if size < 0:
                raise ProbeFailure("bad chunked body")
            if size == 0:
                return
            take = min(size, budget)
            while take > 0:
                piece = await reader.read(min(take, READ_CHUNK))
                if not piece:
                    return
                take -= len(piece)
                budget -= len(piece)
                size -= len(piece)
                yield piece
            if size:
                return  # over the bound: stop inside this chunk
            end = await _chunk_line(reader)
            if not end:
                return
            if end not in (b"\r\n", b"\n"):
                raise ProbeFailure("bad chunked body")
        return
    length: int | None = None
    if b"content-length" in headers:
        try:
            length = int(headers[b"content-length"])
        except ValueError:
            raise ProbeFailure("bad Content-Length") from None
    remaining = budget if length is None else min(length, budget)
    while remaining > 0:
        piece = await reader.read(min(remaining, READ_CHUNK))
        if not piece:
            return
        remaining -= len(piece)
        yield piece


async def _chunk_line(reader: asyncio.StreamReader) -> bytes:
    """A chunk-size line or a chunk's closing CRLF; empty at the end of the stream."""
    try:
        line = await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError:
        return b""
    except asyncio.LimitOverrunError:
        raise ProbeFailure("bad chunked body") from None
    if len(line) > MAX_CHUNK_LINE:
        raise ProbeFailure("bad chunked body")
    return line
