"""Data-plane probes against real servers on loopback: HTTP(S), TCP, TLS, DNS.

Every server here is a real socket on 127.0.0.1 (or ::1), started on the
same event loop as the probes; certificates are made with the ``openssl``
command. Nothing of the network is mocked.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import ssl
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dns.message
import dns.rcode
import dns.rrset
import pytest

from failover.clock import FakeClock
from failover.config import DnsCheck, HttpCheck, TcpCheck, TlsCheck, parse_config
from failover.probes import probe_all, run_probes, targets_for, zone_host
from failover.probes.base import ProbeResult, Target, ssl_context
from failover.probes.tls import DerError, not_after

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
HOST = "www.example.org"
MAX_BODY = 64 * 1024    # the most of a body a probe reads (the spec's number, not the module's)
DAY = 86400.0


# -- helpers -------------------------------------------------------------------

@contextlib.asynccontextmanager
async def serve(handler: Handler, host: str = "127.0.0.1",
                tls: ssl.SSLContext | None = None) -> AsyncIterator[int]:
    """A TCP server on loopback running ``handler``; yields its port. Cleans up after itself."""
    running: set[asyncio.Task[Any]] = set()

    async def wrapped(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        running.add(task)
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.close()
            running.discard(task)

    server = await asyncio.start_server(wrapped, host, 0, ssl=tls)
    port = server.sockets[0].getsockname()[1]
    try:
        yield port
    finally:
        server.close()
        for task in list(running):
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)


@dataclass
class Seen:
    """What a test server saw."""

    requests: list[bytes] = field(default_factory=list)


def responder(response: bytes, seen: Seen | None = None, *, close: bool = True) -> Handler:
    """A handler that reads the request head, sends ``response`` and closes (or keeps open)."""
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            if seen is not None:
                seen.requests.append(head)
            writer.write(response)
            await writer.drain()
            if not close:
                await asyncio.sleep(30)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
    return handle


def http(port: int, **kw: Any) -> Target:
    kw.setdefault("timeout", 2.0)
    kind = kw.pop("kind", "http")
    return Target("h1", kw.pop("address", "127.0.0.1"), HttpCheck(kind=kind, port=port, **kw),
                  zone_host=kw.pop("zone_host", HOST))


async def one(target: Target, clock: Any = None) -> ProbeResult:
    return (await run_probes([target], concurrency=1, clock=clock))[0]


def run_with(handler: Handler, make: Callable[[int], Target],
             clock: Any = None) -> tuple[ProbeResult, float]:
    """Start ``handler``, probe the target ``make(port)``; the result and the wall time."""
    async def main() -> tuple[ProbeResult, float]:
        async with serve(handler) as port:
            started = time.monotonic()
            result = await one(make(port), clock)
            return result, time.monotonic() - started
    return asyncio.run(main())


def free_port() -> int:
    """A port with nothing listening on it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nstatus ok"


# -- HTTP ----------------------------------------------------------------------

def test_http_healthy_sends_a_bounded_request_and_reports_status() -> None:
    seen = Seen()
    clock = FakeClock(start=1_800_000_000.0)
    result, _ = run_with(responder(OK, seen),
                         lambda p: http(p, path="/healthz", body_contains="ok"), clock)
    assert result.ok, result.reason
    assert result.reason == ""
    assert result.detail["status"] == 200
    assert result.probe == "http /healthz"
    assert result.hosting == "h1"
    assert re.fullmatch(r"127\.0\.0\.1:\d+", result.target)
    assert result.at == 1_800_000_000.0
    head = seen.requests[0].decode()
    lines = head.split("\r\n")
    assert lines[0] == "GET /healthz HTTP/1.1"
    port = result.target.rsplit(":", 1)[1]
    assert f"Host: {HOST}:{port}" in lines      # a non-default port goes into Host
    assert "User-Agent: failover-probe" in lines
    assert "Connection: close" in lines


def test_http_latency_comes_from_the_clock() -> None:
    result, _ = run_with(responder(OK), lambda p: http(p))
    assert result.ok
    assert 0 < result.latency < 2.0


def test_http_check_host_wins_over_zone_host() -> None:
    seen = Seen()
    result, _ = run_with(responder(OK, seen), lambda p: http(p, host="api.example.net"))
    assert result.ok
    assert b"Host: api.example.net:" in seen.requests[0]


def test_http_wrong_status() -> None:
    resp = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"
    result, _ = run_with(responder(resp), lambda p: http(p))
    assert not result.ok
    assert result.reason == "status 503, expected 200"
    assert result.detail["status"] == 503


def test_http_expected_status_list() -> None:
    resp = b"HTTP/1.1 204 No Content\r\n\r\n"
    result, _ = run_with(responder(resp), lambda p: http(p, expect_status=[200, 204]))
    assert result.ok, result.reason
    result, _ = run_with(responder(b"HTTP/1.1 500 x\r\n\r\n"),
                         lambda p: http(p, expect_status=[200, 204]))
    assert result.reason == "status 500, expected one of 200, 204"


def test_http_body_lacks_string() -> None:
    resp = b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nall is well"
    result, _ = run_with(responder(resp), lambda p: http(p, body_contains="ok"))
    assert not result.ok
    assert result.reason == "body lacks 'ok'"


def test_http_redirect_is_not_followed() -> None:
    seen = Seen()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        seen.requests.append(head)
        if head.startswith(b"GET /healthz "):
            writer.write(b"HTTP/1.1 301 Moved\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n")
        else:
            writer.write(OK)
        await writer.drain()
        writer.close()

    result, _ = run_with(handle, lambda p: http(p, path="/healthz"))
    assert not result.ok
    assert result.reason == "status 301 (redirect to /elsewhere), expected 200"
    assert len(seen.requests) == 1
    # ... and a 3xx that is expected is ok, still without following it.
    result, _ = run_with(handle, lambda p: http(p, path="/healthz", expect_status=[301]))
    assert result.ok
    assert len(seen.requests) == 2


def test_http_connection_refused() -> None:
    port = free_port()
    result = asyncio.run(one(http(port)))
    assert not result.ok
    assert result.reason == "connection refused"
    assert result.target == f"127.0.0.1:{port}"


async def _silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(30)


def test_http_server_that_never_answers_times_out() -> None:
    result, wall = run_with(_silent, lambda p: http(p, timeout=0.3))
    assert not result.ok
    assert result.reason == "timeout after 0.3s (waiting for status line)"
    assert result.detail["phase"] == "waiting for status line"
    assert wall < 3  # the endpoint would hold it for 30 s


def _endless(prefix: bytes, counter: list[int]) -> Handler:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" + prefix)
        chunk = b"x" * 16384
        try:
            while True:
                writer.write(chunk)
                counter[0] += len(chunk)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()
    return handle


def test_http_endless_body_is_read_only_up_to_the_bound() -> None:
    sent = [0]
    result, wall = run_with(_endless(b"", sent), lambda p: http(p, body_contains="ok",
                                                                   timeout=20.0))
    assert not result.ok
    assert result.reason == "body lacks 'ok'"       # gave up at the bound, not at the timeout
    assert result.detail["body_bytes"] == MAX_BODY
    assert wall < 10  # decided on content, not at the timeout
    assert sent[0] > MAX_BODY   # the server had more to give


def test_http_body_string_past_the_bound_is_not_seen() -> None:
    body = b"a" * MAX_BODY + b"ok"
    resp = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    result, _ = run_with(responder(resp), lambda p: http(p, body_contains="ok"))
    assert result.reason == "body lacks 'ok'"
    assert result.detail["body_bytes"] == MAX_BODY
    # Within the bound, across reads, it is found.
    body = b"a" * (MAX_BODY - 10) + b"needle" + b"a" * 100
    resp = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    result, _ = run_with(responder(resp), lambda p: http(p, body_contains="needle"))
    assert result.ok, result.reason


def test_http_string_split_across_writes_is_found() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\n\r\nstatus: he")
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(b"althy and fine")
        await writer.drain()
        writer.close()

    result, _ = run_with(handle, lambda p: http(p, body_contains="healthy"))
    assert result.ok, result.reason
    assert result.detail["body_bytes"] < 30


def test_http_content_length_is_honoured_without_waiting_for_close() -> None:
    resp = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
    result, wall = run_with(responder(resp, close=False),
                            lambda p: http(p, body_contains="world", timeout=20.0))
    assert result.reason == "body lacks 'world'"
    assert wall < 10  # decided on content, not at the timeout


def test_http_slow_drip_is_cut_at_the_timeout() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        try:
            for byte in OK:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(0.1)
        except ConnectionError:
            pass
        writer.close()

    result, wall = run_with(handle, lambda p: http(p, timeout=0.5))
    assert not result.ok
    assert result.reason.startswith("timeout after 0.5s")
    assert wall < 4  # the whole drip takes 7 s


def test_http_garbage_status_line() -> None:
    result, _ = run_with(responder(b"SSH-2.0-OpenSSH_9.2\r\n"), lambda p: http(p))
    assert not result.ok
    assert result.reason == "bad status line 'SSH-2.0-OpenSSH_9.2'"


def test_http_closed_without_response() -> None:
    result, _ = run_with(responder(b""), lambda p: http(p))
    assert result.reason == "connection closed without a response"


def test_http_status_line_too_long() -> None:
    result, wall = run_with(responder(b"HTTP/1.1 200 " + b"x" * 200_000, close=False),
                            lambda p: http(p, timeout=20.0))
    assert result.reason == "status line too long"
    assert wall < 10  # decided on content, not at the timeout


def test_http_too_many_headers() -> None:
    headers = b"".join(b"X-%d: y\r\n" % i for i in range(150))
    result, _ = run_with(responder(b"HTTP/1.1 200 OK\r\n" + headers + b"\r\n"), lambda p: http(p))
    assert result.reason == "more than 100 headers"


def test_http_huge_header_line() -> None:
    resp = b"HTTP/1.1 200 OK\r\nX-Big: " + b"y" * 300_000 + b"\r\n\r\n"
    result, wall = run_with(responder(resp, close=False), lambda p: http(p, timeout=20.0))
    assert result.reason == "headers too large"
    assert wall < 10  # decided on content, not at the timeout


def test_http_headers_too_large_in_total() -> None:
    headers = b"".join(b"X-%d: %s\r\n" % (i, b"y" * 1000) for i in range(90))
    result, _ = run_with(responder(b"HTTP/1.1 200 OK\r\n" + headers + b"\r\n"), lambda p: http(p))
    assert result.reason == "headers too large"


def _chunked(*chunks: bytes) -> bytes:
    body = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"
    return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body


def test_http_chunked_body_with_the_string() -> None:
    resp = _chunked(b"status: he", b"althy", b" and more")
    result, _ = run_with(responder(resp), lambda p: http(p, body_contains="healthy"))
    assert result.ok, result.reason


def test_http_chunked_body_is_decoded_not_searched_raw() -> None:
    # "5\r\nhe" + "llo": raw bytes never hold "hello" in one piece... but decoded do;
    # and a string that only exists across chunk framing must not be found.
    resp = _chunked(b"he", b"llo")
    result, _ = run_with(responder(resp), lambda p: http(p, body_contains="hello"))
    assert result.ok, result.reason
    result, _ = run_with(responder(resp), lambda p: http(p, body_contains="ext=1"))
    assert result.reason == "body lacks 'ext=1'"


def test_http_chunked_body_cut_short_or_malformed() -> None:
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    result, _ = run_with(responder(head + b"5\r\nhello\r\n"), lambda p: http(p, body_contains="x"))
    assert result.reason == "body lacks 'x'"
    result, _ = run_with(responder(head + b"zz\r\nhello\r\n"), lambda p: http(p, body_contains="x"))
    assert result.reason == "bad chunked body"
    result, _ = run_with(responder(head + b"5\r\nhelloXX0\r\n\r\n"),
                         lambda p: http(p, body_contains="x"))
    assert result.reason == "bad chunked body"


def test_http_one_endless_chunk_is_read_only_up_to_the_bound() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffff\r\n")
        while True:
            writer.write(b"z" * 16384)
            await writer.drain()

    result, wall = run_with(handle, lambda p: http(p, body_contains="ok", timeout=20.0))
    assert result.reason == "body lacks 'ok'"
    assert result.detail["body_bytes"] == MAX_BODY
    assert wall < 10  # decided on content, not at the timeout


def test_http_interim_response_is_skipped() -> None:
    resp = b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n" + OK
    result, _ = run_with(responder(resp), lambda p: http(p, body_contains="ok"))
    assert result.ok, result.reason


def test_http_ipv6_target_and_host_header() -> None:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback")
    seen = Seen()

    async def main() -> ProbeResult:
        async with serve(responder(OK, seen), host="::1") as port:
            return await one(Target("h6", "::1", HttpCheck(kind="http", port=port), zone_host=""))

    result = asyncio.run(main())
    assert result.ok, result.reason
    port = result.target.rsplit(":", 1)[1]
    assert result.target == f"[::1]:{port}"
    assert f"Host: [::1]:{port}\r\n".encode() in seen.requests[0]


def test_http_path_cannot_inject_headers() -> None:
    seen = Seen()
    result, _ = run_with(responder(OK, seen), lambda p: http(p, path="/a b\r\nX-Evil: 1"))
    assert result.ok
    first = seen.requests[0].split(b"\r\n")[0]
    assert first == b"GET /a%20b%0D%0AX-Evil:%201 HTTP/1.1"


# -- certificates ----------------------------------------------------------------

@dataclass(frozen=True)
class Certs:
    ca: Path               # a CA that signs `leaf` and `short`
    leaf: tuple[Path, Path]   # CA-signed, 30 days, svc.test and 127.0.0.1
    short: tuple[Path, Path]  # CA-signed, 3 days
    selfsigned: tuple[Path, Path]   # 30 days, not signed by anyone we trust
    century: Path          # self-signed, 100 years: notAfter is a GeneralizedTime


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    d = tmp_path_factory.mktemp("certs")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    san = "subjectAltName=DNS:svc.test,IP:127.0.0.1"
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "30",
             "-subj", "/CN=failover test CA", cwd=d)
    (d / "ext.cnf").write_text(san + "\n")
    for name, days in (("leaf", "30"), ("short", "3")):
        _openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr",
                 "-subj", "/CN=svc.test", cwd=d)
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-CAcreateserial", "-out", f"{name}.pem", "-days", days, "-extfile", "ext.cnf",
                 cwd=d)
    _openssl("req", "-x509", *ec, "-keyout", "self.key", "-out", "self.pem", "-days", "30",
             "-subj", "/CN=svc.test", "-addext", san, cwd=d)
    _openssl("req", "-x509", *ec, "-keyout", "century.key", "-out", "century.pem",
             "-days", "36500", "-subj", "/CN=old", cwd=d)
    return Certs(ca=d / "ca.pem", leaf=(d / "leaf.pem", d / "leaf.key"),
                 short=(d / "short.pem", d / "short.key"),
                 selfsigned=(d / "self.pem", d / "self.key"), century=d / "century.pem")


@pytest.fixture
def trust_test_ca(certs: Certs, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make the probes' verifying context trust the test CA (and only it)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certs.ca))
    monkeypatch.setenv("SSL_CERT_DIR", str(certs.ca.parent / "no-such-dir"))
    ssl_context.cache_clear()
    yield
    ssl_context.cache_clear()


def server_tls(pair: tuple[Path, Path], sni: list[str | None] | None = None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(pair[0]), str(pair[1]))
    if sni is not None:
        def remember(sock: Any, name: str | None, _ctx: Any) -> None:
            sni.append(name)
        ctx.sni_callback = remember
    return ctx


def run_tls(pair: tuple[Path, Path], make: Callable[[int], Target], clock: Any = None,
            handler: Handler | None = None,
            sni: list[str | None] | None = None) -> ProbeResult:
    async def main() -> ProbeResult:
        async with serve(handler or responder(OK), tls=server_tls(pair, sni)) as port:
            return await one(make(port), clock)
    return asyncio.run(main())


def openssl_not_after(pem: Path) -> float:
    out = subprocess.run(["openssl", "x509", "-in", str(pem), "-noout", "-enddate"],
                         check=True, capture_output=True, text=True).stdout
    return float(ssl.cert_time_to_seconds(out.strip().split("=", 1)[1]))


# -- HTTPS ---------------------------------------------------------------------

def test_https_self_signed_fails_verification(certs: Certs) -> None:
    result = run_tls(certs.selfsigned, lambda p: http(p, kind="https", host="svc.test"))
    assert not result.ok
    assert result.reason.startswith("TLS: certificate verify failed: self-signed certificate")


def test_https_self_signed_passes_without_verification(certs: Certs) -> None:
    result = run_tls(certs.selfsigned, lambda p: http(p, kind="https", verify_tls=False,
                                                      body_contains="ok"))
    assert result.ok, result.reason
    assert result.detail["status"] == 200


def test_https_verified_with_sni_and_host(certs: Certs, trust_test_ca: None) -> None:
    sni: list[str | None] = []
    seen = Seen()
    result = run_tls(certs.leaf, lambda p: http(p, kind="https", host="svc.test"),
                     handler=responder(OK, seen), sni=sni)
    assert result.ok, result.reason
    assert sni == ["svc.test"]
    assert b"Host: svc.test:" in seen.requests[0]


def test_https_name_mismatch_fails(certs: Certs, trust_test_ca: None) -> None:
    result = run_tls(certs.leaf, lambda p: http(p, kind="https"))   # SNI www.example.org
    assert result.reason.startswith("TLS: certificate verify failed: Hostname mismatch")


def test_https_to_a_plain_server_fails_with_a_tls_reason() -> None:
    async def plain(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1024)    # a ClientHello, not a request: answer as HTTP servers do
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    result, _ = run_with(plain, lambda p: http(p, kind="https", verify_tls=False))
    assert not result.ok
    assert result.reason.startswith("TLS: ")


# -- TLS -----------------------------------------------------------------------

def test_der_not_after_matches_openssl(certs: Certs) -> None:
    for pem in (certs.leaf[0], certs.selfsigned[0], certs.century):
        der = ssl.PEM_cert_to_DER_cert(pem.read_text())
        assert not_after(der) == openssl_not_after(pem)
    assert openssl_not_after(certs.century) > 2_524_608_000   # after 2050: GeneralizedTime
    with pytest.raises(DerError):
        not_after(b"\x30\x03\x02\x01")


def tls(port: int, **kw: Any) -> Target:
    return Target("h1", "127.0.0.1", TlsCheck(kind="tls", port=port, **kw), zone_host=HOST)


def test_tls_days_left_with_a_fake_clock(certs: Certs) -> None:
    expires = openssl_not_after(certs.selfsigned[0])
    clock = FakeClock(start=expires - 30 * DAY)
    result = run_tls(certs.selfsigned, lambda p: tls(p, verify_tls=False), clock)
    assert result.ok, result.reason
    assert result.detail["days_left"] == 30.0
    assert result.detail["verified"] is False
    assert result.detail["not_after"] == time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                       time.gmtime(expires))

    clock = FakeClock(start=expires - 9.5 * DAY)
    result = run_tls(certs.selfsigned, lambda p: tls(p, verify_tls=False), clock)
    assert not result.ok
    assert result.reason == "certificate expires in 9 days (< 14)"
    assert result.detail["days_left"] == 9.5

    clock = FakeClock(start=expires + 2.5 * DAY)
    result = run_tls(certs.selfsigned, lambda p: tls(p, verify_tls=False), clock)
    assert result.reason == "certificate expired 2 days ago"


def test_tls_short_lived_certificate_fails_with_the_real_clock(certs: Certs,
                                                                trust_test_ca: None) -> None:
    sni: list[str | None] = []
    result = run_tls(certs.short, lambda p: tls(p, server_name="svc.test"), sni=sni)
    assert not result.ok
    assert result.reason == "certificate expires in 2 days (< 14)"
    assert result.detail["verified"] is True
    assert sni == ["svc.test"]
    result = run_tls(certs.short, lambda p: tls(p, server_name="svc.test", min_days_left=2))
    assert result.ok, result.reason


def test_tls_verification_failure(certs: Certs) -> None:
    result = run_tls(certs.selfsigned, lambda p: tls(p, server_name="svc.test"))
    assert result.reason.startswith("TLS: certificate verify failed: self-signed certificate")


def test_tls_handshake_timeout() -> None:
    result, wall = run_with(_silent, lambda p: tls(p, timeout=0.3))
    assert result.reason == "timeout after 0.3s (TLS handshake)"
    assert wall < 3  # the endpoint would hold it for 30 s


# -- TCP -----------------------------------------------------------------------

def tcp(port: int, **kw: Any) -> Target:
    return Target("h1", "127.0.0.1", TcpCheck(kind="tcp", port=port, **kw), zone_host=HOST)


def test_tcp_ok_and_refused() -> None:
    result, _ = run_with(_silent, lambda p: tcp(p))
    assert result.ok, result.reason
    assert result.probe == "tcp"
    assert 0 < result.latency < 1
    port = free_port()
    result = asyncio.run(one(tcp(port)))
    assert not result.ok
    assert result.reason == "connection refused"


def test_tcp_connect_timeout_on_a_full_backlog() -> None:
    # A listener that never accepts, with its accept queue full: Linux drops new SYNs.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            fillers.append(s)
        time.sleep(0.05)
        started = time.monotonic()
        result = asyncio.run(one(tcp(port, timeout=0.3)))
        wall = time.monotonic() - started
    finally:
        for s in fillers:
            s.close()
        listener.close()
    assert result.reason == "timeout after 0.3s (connecting)"
    assert wall < 3  # the backlog never drains


# -- DNS -----------------------------------------------------------------------

class Responder(asyncio.DatagramProtocol):
    """A tiny authoritative server: answers by the first label of the question."""

    def __init__(self) -> None:
        self.transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        query = dns.message.from_wire(data)
        name = query.question[0].name
        label = name.labels[0].decode()
        response = dns.message.make_response(query)
        if label == "www":
            response.answer.append(dns.rrset.from_text(name, 60, "IN", "A",
                                                       "192.0.2.1", "192.0.2.2"))
        elif label == "alias":
            response.answer.append(dns.rrset.from_text(name, 60, "IN", "CNAME", "www.test."))
            response.answer.append(dns.rrset.from_text("www.test.", 60, "IN", "A", "192.0.2.9"))
        elif label == "silent":
            return
        elif label == "empty":
            pass
        else:
            response.set_rcode(dns.rcode.from_text(label.upper()))
        assert self.transport is not None
        self.transport.sendto(response.to_wire(), addr)


def run_dns(*checks: DnsCheck) -> list[ProbeResult]:
    async def main() -> list[ProbeResult]:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(Responder,
                                                           local_addr=("127.0.0.1", 0))
        port = transport.get_extra_info("sockname")[1]
        try:
            targets = [Target("h1", "127.0.0.1", c.model_copy(update={"port": port}))
                       for c in checks]
            return await run_probes(targets, concurrency=4)
        finally:
            transport.close()
    return asyncio.run(main())


def dns_check(qname: str, **kw: Any) -> DnsCheck:
    return DnsCheck(kind="dns", qname=qname, **kw)


def test_dns_answers_and_expectations() -> None:
    ok, match, mismatch, alias = run_dns(
        dns_check("www.test"),
        dns_check("www.test", expect=["192.0.2.2", "192.0.2.1"]),
        dns_check("www.test", expect=["192.0.2.1"]),
        dns_check("alias.test", expect=["192.0.2.9"]))
    assert ok.ok, ok.reason
    assert ok.probe == "dns www.test A"
    assert ok.detail["answers"] == ["192.0.2.1", "192.0.2.2"]
    assert ok.detail["rcode"] == "NOERROR"
    assert match.ok, match.reason
    assert not mismatch.ok
    assert mismatch.reason == "answer 192.0.2.1, 192.0.2.2; expected 192.0.2.1"
    assert alias.ok, alias.reason


def test_dns_failures_name_the_rcode() -> None:
    servfail, nx, refused, empty = run_dns(
        dns_check("servfail.test"), dns_check("nxdomain.test"), dns_check("refused.test"),
        dns_check("empty.test"))
    assert servfail.reason == "rcode SERVFAIL"
    assert nx.reason == "rcode NXDOMAIN"
    assert refused.reason == "rcode REFUSED"
    assert empty.reason == "no A records in the answer (NOERROR)"
    assert not any(r.ok for r in (servfail, nx, refused, empty))


def test_dns_timeout() -> None:
    started = time.monotonic()
    (result,) = run_dns(dns_check("silent.test", timeout=0.3))
    assert result.reason == "timeout after 0.3s"
    assert time.monotonic() - started < 0.9


# -- running many ----------------------------------------------------------------

def test_concurrency_bound_is_respected_and_results_keep_order() -> None:
    now = [0]
    peak = [0]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        now[0] += 1
        peak[0] = max(peak[0], now[0])
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            # Later targets answer sooner: results must still come back in target order.
            index = int(head.split(b" ")[1].strip(b"/"))
            await asyncio.sleep(0.05 - index * 0.002)
            writer.write(b"HTTP/1.1 %d OK\r\nContent-Length: 0\r\n\r\n" % (200 + index))
            await writer.drain()
        finally:
            now[0] -= 1
            writer.close()

    async def main() -> list[ProbeResult]:
        async with serve(handle) as port:
            targets = [http(port, path=f"/{i}", expect_status=[200 + i]) for i in range(20)]
            return await run_probes(targets, concurrency=5)

    results = asyncio.run(main())
    assert peak[0] == 5
    assert [r.detail["status"] for r in results] == [200 + i for i in range(20)]
    assert all(r.ok for r in results)


def test_probe_all_sync_and_inside_a_loop() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        results = probe_all([tcp(port), tcp(free_port())], concurrency=2)
        assert [r.ok for r in results] == [True, False]

        async def inside() -> list[ProbeResult]:
            return probe_all([tcp(port)], concurrency=1)

        assert [r.ok for r in asyncio.run(inside())] == [True]


def test_unknown_check_kind_is_a_result_not_an_exception() -> None:
    @dataclass(frozen=True)
    class Odd:
        kind: str = "smtp"

    (result,) = probe_all([Target("h1", "127.0.0.1", Odd())], concurrency=1)
    assert not result.ok
    assert result.reason == "unknown check kind 'smtp'"


def test_empty_target_list() -> None:
    assert probe_all([], concurrency=10) == []


# -- targets -------------------------------------------------------------------

CONFIG = """
service: social
zone: Example.org.
records: [{{name: "{first}", type: A}}, {{name: api, type: A}}]
vendors: {{aws: {{}}, gcp: {{}}}}
hosting:
  aws-use1: {{vendor: aws, endpoints: {{A: [203.0.113.10]}}}}
  gcp-euw1: {{vendor: gcp, endpoints: {{A: [198.51.100.7]}}}}
dns:
  knot: {{vendor: aws, kind: rfc2136, server: 192.0.2.53}}
checks:
  - {{kind: http, path: /healthz}}
  - {{kind: tcp, port: 22}}
"""


def test_targets_for_every_hosting_check_and_endpoint() -> None:
    config = parse_config(CONFIG.format(first="@"))
    assert zone_host(config) == "example.org"
    endpoints = {
        "aws-use1": {"A": ["203.0.113.10", "203.0.113.11"], "AAAA": ["2001:db8::1"]},
        "gcp-euw1": {"CNAME": ["lb.gcp.example.net."]},
    }
    targets = targets_for(config, endpoints)
    assert [(t.hosting, t.check.kind, t.address) for t in targets] == [
        ("aws-use1", "http", "203.0.113.10"),
        ("aws-use1", "http", "203.0.113.11"),
        ("aws-use1", "http", "2001:db8::1"),
        ("aws-use1", "tcp", "203.0.113.10"),
        ("aws-use1", "tcp", "203.0.113.11"),
        ("aws-use1", "tcp", "2001:db8::1"),
        ("gcp-euw1", "http", "lb.gcp.example.net"),
        ("gcp-euw1", "tcp", "lb.gcp.example.net"),
    ]
    assert {t.zone_host for t in targets} == {"example.org"}
    assert targets[0].label == "http /healthz"

    config = parse_config(CONFIG.format(first="www"))
    assert {t.zone_host for t in targets_for(config, endpoints)} == {"www.example.org"}
    # A CNAME given as one string (as StaticEndpoints holds it) is taken too.
    targets = targets_for(config, {"gcp-euw1": {"CNAME": "lb.gcp.example.net."}})
    assert [t.address for t in targets] == ["lb.gcp.example.net"] * 2


def test_targets_for_with_no_checks_or_endpoints() -> None:
    config = parse_config(CONFIG.format(first="@").split("checks:")[0])
    assert targets_for(config, {"aws-use1": {"A": ["203.0.113.10"]}}) == []
    config = parse_config(CONFIG.format(first="@"))
    assert targets_for(config, {"aws-use1": {}}) == []
