"""Where certificates are kept, and what is on hand.

A certificate lives at each target as ``CA/NAME/fullchain.pem`` and ``CA/NAME/privkey.pem``
(NAME: its first name, e.g. ``example.org``): in a folder (the key mode 0600, both
replaced atomically), in an S3 bucket under a prefix, or PUT to a webhook (read back by
GET). :func:`on_hand` reads every
target and says, per certificate, where it is, which CA issued it, its names, issuer and
days left; a target that cannot be read is reported, never taken as empty.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from failover.config import Config
from failover.config.certs import CertTarget, DirCertTarget, S3CertTarget, WebhookCertTarget
from failover.untrusted import clean

CHAIN = "fullchain.pem"
KEY = "privkey.pem"
# A chain is a few KB; more is not a certificate we wrote.
MAX_CHAIN_BYTES = 256 * 1024


@dataclass(frozen=True)
class CertInfo:
    """One certificate on hand at one target."""

    ca: str                   # the configured CA it came from (its folder)
    lineage: str              # its first name: the folder under the CA
    target: str               # where: dir:PATH or s3://BUCKET/PREFIX
    names: tuple[str, ...]
    issuer: str
    not_after: float          # POSIX seconds
    error: str | None = None  # unreadable: why

    def days_left(self, now: float) -> float:
        return (self.not_after - now) / 86400.0

    def to_json(self, now: float) -> dict[str, Any]:
        return {"ca": self.ca, "lineage": self.lineage, "target": self.target,
                "names": list(self.names), "issuer": self.issuer,
                "not_after": datetime.datetime.fromtimestamp(
                    self.not_after, datetime.UTC).isoformat() if self.not_after else None,
                "days_left": round(self.days_left(now), 1) if self.not_after else None,
                "error": self.error}


@dataclass
class OnHand:
    """Every certificate found, and the targets that could not be read."""

    certs: list[CertInfo] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)


def lineage_of(names: list[str]) -> str:
    """The folder a certificate for ``names`` is kept under: its first name, no dot."""
    return names[0].rstrip(".")


def describe(chain_pem: bytes) -> tuple[tuple[str, ...], str, float]:
    """(names, issuer, not-after) of the first certificate in a PEM chain; ValueError if
    it is not one."""
    from cryptography import x509

    return describe_cert(x509.load_pem_x509_certificate(chain_pem))


def describe_cert(cert: Any) -> tuple[tuple[str, ...], str, float]:
    """(names, issuer, not-after) of a ``cryptography`` certificate. The issuer is its
    organization (a CA's intermediates change, its organization stays), else its CN."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        names = tuple(str(n) for n in san.value.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        names = ()
    cns = cert.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)
    orgs = cert.issuer.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    issuer = str((orgs or cns)[0].value) if (orgs or cns) else cert.issuer.rfc4514_string()
    return names, clean(issuer, 200), cert.not_valid_after_utc.timestamp()


def where(target: CertTarget) -> str:
    """The target for people: a webhook by where its URL is kept, never the URL (it holds
    a secret)."""
    if isinstance(target, DirCertTarget):
        return f"dir:{target.path}"
    if isinstance(target, WebhookCertTarget):
        return f"webhook:{target.url_env or target.url_file}"
    return f"s3://{target.bucket}/{target.prefix}".rstrip("/")


def _webhook(config: Config, target: WebhookCertTarget, method: str, ca: str, lineage: str,
             name: str, body: bytes | None = None) -> bytes:
    """One PUT or GET of URL/CA/LINEAGE/NAME; the answer's body (bounded). Errors never
    carry the URL (it holds a secret)."""
    import urllib.error
    import urllib.parse
    import urllib.request

    from failover.secreturls import read_url, shown

    base = read_url(config, target, "certs.targets (webhook)").rstrip("/")
    parts = [urllib.parse.quote(p, safe="") for p in (ca, lineage, name)]
    request = urllib.request.Request(f"{base}/{'/'.join(parts)}", data=body, method=method,
                                     headers={"Content-Type": "application/x-pem-file"})
    try:
        with urllib.request.urlopen(request, timeout=target.timeout) as reply:
            return bytes(reply.read(MAX_CHAIN_BYTES))
    except urllib.error.HTTPError as exc:
        raise OSError(f"{shown(base)} answered {exc.code} to {method} {ca}/{lineage}/{name}"
                      ) from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise OSError(f"{shown(base)}: {method} {ca}/{lineage}/{name}: "
                      f"{type(reason).__name__}") from None


def _write_private(path: Path, data: bytes, mode: int) -> None:
    """Replace ``path`` atomically with ``data`` at ``mode`` (a key is never readable by
    others, not even for a moment)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), mode)
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _s3(config: Config, target: S3CertTarget, timeout: float = 10.0) -> Any:
    from failover.awscreds import s3_client

    return s3_client(target, config, key="certs.targets", timeout=timeout, attempts=2)


def _s3_key(target: S3CertTarget, *parts: str) -> str:
    prefix = target.prefix.strip("/")
    return "/".join([prefix, *parts] if prefix else parts)


def save(config: Config, target: CertTarget, ca: str, lineage: str, chain_pem: bytes,
         key_pem: bytes) -> None:
    """Keep a certificate and its key at ``target``; raises on failure (the caller says
    which target failed and goes on with the others)."""
    if isinstance(target, DirCertTarget):
        folder = config.resolve_path(target.path) / ca / lineage
        _write_private(folder / KEY, key_pem, 0o600)
        _write_private(folder / CHAIN, chain_pem, 0o644)
        return
    if isinstance(target, WebhookCertTarget):
        _webhook(config, target, "PUT", ca, lineage, KEY, key_pem)
        _webhook(config, target, "PUT", ca, lineage, CHAIN, chain_pem)
        return
    s3 = _s3(config, target)
    s3.put_object(Bucket=target.bucket, Key=_s3_key(target, ca, lineage, KEY), Body=key_pem,
                  ServerSideEncryption="AES256")
    s3.put_object(Bucket=target.bucket, Key=_s3_key(target, ca, lineage, CHAIN),
                  Body=chain_pem)


def _chains(config: Config, target: CertTarget) -> list[tuple[str, str, bytes]]:
    """(CA, lineage, chain PEM) for every certificate at ``target``."""
    out = []
    if isinstance(target, DirCertTarget):
        root = config.resolve_path(target.path)
        if not root.is_dir():
            return []
        for chain in sorted(root.glob(f"*/*/{CHAIN}")):
            with open(chain, "rb") as f:
                out.append((chain.parent.parent.name, chain.parent.name,
                            f.read(MAX_CHAIN_BYTES)))
        return out
    if isinstance(target, WebhookCertTarget):
        # A webhook cannot be listed: ask for each CA's certificate of the names certified.
        from failover.certs.names import certified_names

        lineage = lineage_of(certified_names(config))
        assert config.certs is not None
        for ca in config.certs.cas:
            try:
                out.append((ca, lineage, _webhook(config, target, "GET", ca, lineage, CHAIN)))
            except OSError as exc:
                if " answered 404 " not in str(exc):
                    raise
        return out
    s3 = _s3(config, target)
    prefix = _s3_key(target, "")
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=target.bucket, Prefix=prefix)
    for page in pages:
        for obj in page.get("Contents", []):
            parts = str(obj["Key"])[len(prefix):].split("/")
            if len(parts) == 3 and parts[2] == CHAIN and obj.get("Size", 0) <= MAX_CHAIN_BYTES:
                body = s3.get_object(Bucket=target.bucket, Key=obj["Key"])["Body"].read()
                out.append((parts[0], parts[1], body))
    return out


def on_hand(config: Config) -> OnHand:
    """Every certificate at every configured target."""
    found = OnHand()
    if config.certs is None:
        return found
    for target in config.certs.targets:
        place = where(target)
        try:
            chains = _chains(config, target)
        except Exception as exc:  # OSError, botocore's errors: the target is named
            found.unreadable[place] = f"{place}: {type(exc).__name__}: {clean(exc)}"
            continue
        for ca, lineage, pem in chains:
            try:
                names, issuer, not_after = describe(pem)
            except ValueError as exc:
                found.certs.append(CertInfo(ca, lineage, place, (), "", 0.0,
                                            f"not a certificate: {clean(exc, 120)}"))
                continue
            found.certs.append(CertInfo(ca, lineage, place, names, issuer, not_after))
    return found
