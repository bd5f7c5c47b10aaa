"""What a probe is asked to check and what it reports, and what every probe shares.

A :class:`Target` is one check against one endpoint of one hosting; a
:class:`ProbeResult` is its outcome. Probes never raise: every failure is a
result with ``ok=False`` and a short ``reason``. The helpers here turn
exceptions into such reasons, format ``address:port`` and hold the TLS
contexts (built once per process: loading the system's CA store costs
milliseconds, a probe should not).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import socket
import ssl
import struct
from dataclasses import dataclass, field
from typing import Any

from failover.untrusted import clean

MAX_REASON = 200


@dataclass(frozen=True)
class Target:
    """One check against one endpoint of one hosting."""

    hosting: str
    address: str          # an IP address, or a host name for a CNAME endpoint
    check: Any            # one of the check models in failover.config
    zone_host: str = ""   # the service's host name, for Host headers and SNI when none is set

    @property
    def label(self) -> str:
        kind = self.check.kind
        if kind in ("http", "https"):
            return f"{kind} {self.check.path}"
        if kind == "dns":
            return f"dns {self.check.qname} {self.check.rdtype}"
        return str(kind)


@dataclass(frozen=True)
class ProbeResult:
    """The outcome of one probe: ok or not, how long it took, and why not."""

    hosting: str
    probe: str            # Target.label
    target: str           # address:port as probed
    ok: bool
    latency: float        # seconds
    reason: str = ""      # short, on failure ("connection refused", "status 503", ...)
    at: float = 0.0       # wall-clock time the probe started
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"hosting": self.hosting, "probe": self.probe, "target": self.target,
                "ok": self.ok, "latency_ms": round(self.latency * 1000, 1),
                # Seconds, the unit of every other duration and of the Prometheus output.
                "latency_seconds": round(self.latency, 6),
                "reason": self.reason, "at": self.at, "detail": self.detail}


class ProbeFailure(Exception):
    """A probe's own verdict of failure; its message is the result's reason."""


def is_ipv6(address: str) -> bool:
    """An IPv6 address, as opposed to an IPv4 address or a host name (neither holds a colon)."""
    return ":" in address


def bracket(address: str) -> str:
    """An IPv6 address in brackets (for ``address:port`` and Host headers); others as they are."""
    return f"[{address}]" if is_ipv6(address) else address


def hostport(address: str, port: int) -> str:
    """``192.0.2.1:443``, ``[2001:db8::1]:443``, ``origin.example.net:80``."""
    return f"{bracket(address)}:{port}"


def shorten(text: object, limit: int = MAX_REASON) -> str:
    """One inert line of at most ``limit`` characters: a reason may quote what a server sent."""
    return clean(text, limit)


def timeout_reason(timeout: float, phase: str = "") -> str:
    """``timeout after 2.0s`` or ``timeout after 2.0s (connecting)``."""
    base = f"timeout after {float(timeout)}s"
    return f"{base} ({phase})" if phase else base


_ERRNO_REASONS = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ENETUNREACH: "network unreachable",
    errno.ECONNABORTED: "connection aborted",
    errno.EPIPE: "connection closed by peer",
    errno.EADDRNOTAVAIL: "address not available",
}


def describe_error(exc: BaseException) -> str:
    """A short, stable reason for an exception raised while probing."""
    if isinstance(exc, ProbeFailure):
        return shorten(str(exc))
    if isinstance(exc, asyncio.IncompleteReadError):
        return "connection closed early"
    if isinstance(exc, asyncio.LimitOverrunError):
        return "response line too long"
    if isinstance(exc, ssl.SSLCertVerificationError):
        message = exc.verify_message or exc.reason or str(exc)
        return shorten(f"TLS: certificate verify failed: {message}")
    if isinstance(exc, ssl.CertificateError):  # hostname mismatch on older paths
        return shorten(f"TLS: certificate verify failed: {exc}")
    if isinstance(exc, ssl.SSLError):
        return shorten(f"TLS: {(exc.reason or str(exc)).lower().replace('_', ' ')}")
    if isinstance(exc, socket.gaierror):
        return shorten(f"cannot resolve: {exc.strerror or exc}")
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    if isinstance(exc, OSError):
        if exc.errno in _ERRNO_REASONS:
            return _ERRNO_REASONS[exc.errno]
        if exc.strerror:
            return shorten(exc.strerror.lower())
    text = str(exc)
    name = type(exc).__name__
    return shorten(f"{name}: {text}" if text else name)


@functools.cache
def ssl_context(verify: bool, http: bool = False, ca_file: str | None = None) -> ssl.SSLContext:
    """A client TLS context, verifying (system CAs, host name) or not; one per process.

    ``ca_file`` (a check's private CA, PEM) replaces the system CAs, as curl's
    ``--cacert`` does.

    ``http`` offers ALPN ``http/1.1`` (for HTTPS probes; a plain TLS check offers none,
    so that servers of other protocols are not put off).

    ``SSL_CERT_FILE``/``SSL_CERT_DIR`` are honoured, as OpenSSL reads them when
    the context is made (tests call ``ssl_context.cache_clear()`` after setting them).
    """
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_file)
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if http:
        ctx.set_alpn_protocols(["http/1.1"])
    return ctx


_LINGER_RESET = struct.pack("ii", 1, 0)


def hard_close(transport: Any) -> None:
    """Close a connection at once with a reset, so that no TIME_WAIT is left on our side.

    A probe has read what it wanted; a graceful close would leave a socket in
    TIME_WAIT per probe and thousands of probes a second would run out of
    ephemeral ports. (HAProxy's health checks close the same way.)
    """
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
    transport.abort()
