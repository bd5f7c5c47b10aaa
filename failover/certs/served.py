"""The certificate a hosting serves for a name: one TLS handshake with SNI, the peer's
certificate read whatever it is (an expired or foreign one is what check must see, so
the handshake does not verify), then judged here: does it name the host, how many days
are left, who issued it.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass, replace
from typing import Any

from failover.certs.store import describe_cert
from failover.untrusted import clean


@dataclass(frozen=True)
class Served:
    """What one address served for one name (``error`` when nothing usable)."""

    hosting: str
    address: str
    name: str
    names: tuple[str, ...] = ()
    issuer: str = ""
    not_after: float = 0.0
    error: str | None = None
    # Whether the chain leads to a trusted root and names the host (None: not asked).
    trusted: bool | None = None
    trust_error: str | None = None

    def covers(self) -> bool:
        return covers(self.names, self.name)

    def to_json(self) -> dict[str, Any]:
        return {"hosting": self.hosting, "address": self.address, "name": self.name,
                "names": list(self.names), "issuer": self.issuer,
                "not_after": self.not_after, "error": self.error, "trusted": self.trusted,
                "trust_error": self.trust_error}


def covers(names: tuple[str, ...], name: str) -> bool:
    """Whether a certificate for ``names`` is valid for ``name`` (RFC 6125: a wildcard
    stands for exactly one whole left-most label)."""
    want = name.lower().rstrip(".")
    for n in names:
        n = n.lower().rstrip(".")
        if n == want:
            return True
        if n.startswith("*.") and "." in want and want.split(".", 1)[1] == n[2:]:
            return True
    return False


def fetch(hosting: str, address: str, port: int, name: str, timeout: float,
          trust: str | None = None) -> Served:
    """Handshake with ``address:port`` asking for ``name``, then once more verifying the
    chain against ``trust`` (a PEM file; None: the system's roots); never raises."""
    served = _read(hosting, address, port, name, timeout)
    if served.error:
        return served
    trusted, why = verify(address, port, name, timeout, trust)
    return replace(served, trusted=trusted, trust_error=why)


def verify(address: str, port: int, name: str, timeout: float, trust: str | None
           ) -> tuple[bool, str | None]:
    """Whether a verifying handshake (chain to a trusted root, name, dates) succeeds."""
    try:
        context = ssl.create_default_context(cafile=trust)
    except (OSError, ssl.SSLError) as exc:
        return False, f"cannot load the roots in {trust}: {clean(exc, 120)}"
    try:
        with socket.create_connection((address.strip("[]"), port), timeout=timeout) as raw, \
                context.wrap_socket(raw, server_hostname=name.rstrip(".")):
            return True, None
    except ssl.SSLCertVerificationError as exc:
        return False, clean(exc.verify_message or exc, 200)
    except (OSError, ssl.SSLError, ValueError) as exc:
        return False, clean(exc, 200)


def _read(hosting: str, address: str, port: int, name: str, timeout: float) -> Served:
    """The served certificate, read without verifying it."""
    from cryptography import x509

    context = ssl.create_default_context()
    # Read whatever is served: an expired, self-signed or misnamed certificate is the
    # finding, not a reason to see nothing.
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    host = address.strip("[]")
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw, \
                context.wrap_socket(raw, server_hostname=name.rstrip(".")) as tls:
            der = tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError, ValueError) as exc:
        return Served(hosting, address, name, error=f"TLS to {host}:{port}: "
                      f"{clean(exc, 200)}")
    if not der:
        return Served(hosting, address, name, error=f"TLS to {host}:{port}: no certificate")
    try:
        names, issuer, not_after = describe_cert(x509.load_der_x509_certificate(der))
    except ValueError as exc:
        return Served(hosting, address, name, error=f"unreadable certificate from "
                      f"{host}:{port}: {clean(exc, 120)}")
    return Served(hosting, address, name, names, issuer, not_after)
