"""A bare-metal host's control plane: its SSH banner over TCP.

Alive when, within the timeout, the host sends a line starting with ``SSH-``
(RFC 4253 section 4.2: the identification string; a server may send other
lines first, and those never start with ``SSH-``). Everything else is
``unknown``, never ``refused``: a colo host has no API that could refuse our
account, so a closed port, a reset or silence says "unreachable" (an outage,
a firewall, a dead host), not "terminated". A rack you rent can still be taken
away, but the evidence for that is the provider's API: describe it with an
``http`` control plane.

Nothing is sent: the banner is read and the connection closed.
"""

from __future__ import annotations

import socket

from failover.config import Config, SshControl
from failover.control import web
from failover.control.base import ALIVE, UNKNOWN, Outcome, Trace, shorten

MAX_LINE = 255         # RFC 4253: the identification string, CR LF included
MAX_PREAMBLE = 8192    # other lines a server may send first
PROBE = "ssh:banner"


def probe(name: str, control: SshControl, config: Config, trace: Trace) -> Outcome:
    """Connect, read lines until one starts with ``SSH-``, close."""
    where = f"[{control.host}]:{control.port}" if ":" in control.host else \
        f"{control.host}:{control.port}"
    try:
        banner = _read_banner(control, trace)
    except (OSError, ValueError) as exc:
        reason = web.describe(exc)
        if reason == "timeout":
            reason = f"timeout after {trace.timeout}s"
        trace.add(PROBE, False, "NoBanner", f"{where}: {reason}")
        return Outcome(UNKNOWN, shorten(f"no SSH banner from {where}: {reason}"))
    if banner is None:
        trace.add(PROBE, False, "NoBanner", f"{where}: closed without a banner")
        return Outcome(UNKNOWN, f"no SSH banner from {where}: closed without one")
    if not banner.startswith("SSH-"):
        trace.add(PROBE, False, "NotSsh", f"{where}: {banner!r}")
        return Outcome(UNKNOWN, shorten(f"not an SSH banner from {where}: {banner!r}"))
    trace.add(PROBE, True, None, f"{where}: {banner}")
    return Outcome(ALIVE, shorten(f"{banner} at {where}"))


def _read_banner(control: SshControl, trace: Trace) -> str | None:
    """The first line starting with ``SSH-``; else the last thing read; None when nothing came."""
    with socket.create_connection((control.host, control.port),
                                  timeout=_left(trace)) as sock:
        buffer = b""
        seen = 0
        last = b""
        while seen <= MAX_PREAMBLE:
            sock.settimeout(_left(trace))
            try:
                chunk = sock.recv(1024)
            except TimeoutError:
                if buffer or last:   # something came, though no banner line (yet)
                    return _text(buffer or last)
                raise
            if not chunk:
                break
            buffer += chunk
            seen += len(chunk)
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                if line.startswith(b"SSH-"):
                    return _text(line)
                last = line
            if len(buffer) > MAX_LINE and not buffer.startswith(b"SSH-"):
                return _text(buffer)
        rest = buffer or last
        return _text(rest) if rest else None


def _left(trace: Trace) -> float:
    left = trace.remaining()
    if left <= 0:
        raise TimeoutError("timeout")
    return left


def _text(raw: bytes) -> str:
    """Printable ASCII of at most MAX_LINE characters (a banner is ASCII by the RFC)."""
    text = raw[:MAX_LINE].decode("ascii", "replace").rstrip("\r")
    return "".join(c if c.isprintable() else "?" for c in text)
