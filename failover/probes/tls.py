"""TLS probe: handshake, then how many days the peer's certificate has left.

SNI and the name verified are the check's ``server_name`` or the service's
host name. With ``verify_tls`` the handshake checks the chain and the name
(an expired or untrusted certificate fails there, with OpenSSL's words);
without it any certificate is taken and only its dates are read.

The expiry date is read from the certificate's DER bytes by a small reader
of the few ASN.1 fields on the way to ``validity`` (:func:`not_after`), in
both modes: ``ssl.SSLSocket.getpeercert()`` returns no fields when the
certificate was not verified, ``cryptography`` is not a dependency of
failover, and ``ssl._ssl._test_decode_cert`` is private and wants a file.
Days left are counted from the clock passed in, so tests move time instead
of waiting for certificates to age.
"""

from __future__ import annotations

import asyncio
import calendar
import time
from typing import Any

from failover.clock import Clock
from failover.probes.base import (
    ProbeFailure,
    ProbeResult,
    Target,
    describe_error,
    hard_close,
    hostport,
    ssl_context,
    timeout_reason,
)

_SEQUENCE = 0x30
_UTC_TIME = 0x17
_GENERALIZED_TIME = 0x18


class DerError(ValueError):
    """The bytes are not a certificate this reader understands."""


def _element(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of contents, end of contents) of the DER element at ``pos``."""
    if pos + 2 > len(data):
        raise DerError("truncated")
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise DerError("bad length")
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise DerError("truncated")
    return tag, pos, pos + length


def _time(tag: int, raw: bytes) -> float:
    text = raw.decode("ascii")
    if not text.endswith("Z"):
        raise DerError(f"time not in UTC: {text}")
    if tag == _UTC_TIME:   # YYMMDDHHMMSSZ, 1950..2049 (RFC 5280 4.1.2.5.1)
        year = int(text[:2])
        text = f"{1900 + year if year >= 50 else 2000 + year}{text[2:]}"
    elif tag != _GENERALIZED_TIME:
        raise DerError("validity is not a time")
    return float(calendar.timegm(time.strptime(text[:14], "%Y%m%d%H%M%S")))


def not_after(der: bytes) -> float:
    """The certificate's notAfter, in seconds since the epoch (RFC 5280 4.1)."""
    tag, start, end = _element(der, 0)                 # Certificate
    if tag != _SEQUENCE:
        raise DerError("not a certificate")
    tag, pos, end = _element(der, start)               # tbsCertificate
    if tag != _SEQUENCE:
        raise DerError("not a certificate")
    tag, _, after = _element(der, pos)
    if tag == 0xA0:                                    # [0] version, optional
        pos = after
    for _ in range(3):                                 # serial, signature, issuer
        _, _, pos = _element(der, pos)
    tag, pos, _ = _element(der, pos)                   # validity
    if tag != _SEQUENCE:
        raise DerError("no validity")
    _, _, pos = _element(der, pos)                     # notBefore
    tag, start, end = _element(der, pos)               # notAfter
    return _time(tag, der[start:end])


async def probe_tls(target: Target, clock: Clock) -> ProbeResult:
    """Handshake with the endpoint and judge the certificate's days left. Never raises."""
    check = target.check
    at = clock.now()
    started = clock.monotonic()
    server_name = check.server_name or target.zone_host or target.address
    ok, reason = False, ""
    detail: dict[str, Any] = {}
    transport: Any = None
    try:
        async with asyncio.timeout(check.timeout):
            tls = ssl_context(check.verify_tls, ca_file=check.ca_file)
            _, writer = await asyncio.open_connection(
                target.address, check.port, ssl=tls, server_hostname=server_name)
        transport = writer.transport
        ssl_object = writer.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object else None
        if not der:
            raise ProbeFailure("TLS: no peer certificate")
        try:
            expires = not_after(der)
        except (DerError, ValueError) as exc:
            raise ProbeFailure(f"TLS: cannot read the certificate's expiry: {exc}") from None
        days_left = (expires - clock.now()) / 86400
        detail.update(days_left=round(days_left, 2),
                      not_after=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires)),
                      tls_version=ssl_object.version(), verified=check.verify_tls)
        if days_left < 0:
            reason = f"certificate expired {int(-days_left)} days ago"
        elif days_left < check.min_days_left:
            reason = f"certificate expires in {int(days_left)} days (< {check.min_days_left})"
        else:
            ok = True
    except TimeoutError:
        reason = timeout_reason(check.timeout, "TLS handshake")
    except Exception as exc:
        reason = describe_error(exc)
    finally:
        hard_close(transport)
    return ProbeResult(hosting=target.hosting, probe=target.label,
                       target=hostport(target.address, check.port), ok=ok,
                       latency=clock.monotonic() - started, reason=reason, at=at, detail=detail)
