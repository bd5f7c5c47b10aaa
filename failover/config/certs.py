"""Standby certificates (see failover/certs): the ACME CAs, where certificates go, when to renew.

```yaml
certs:
  min_days: 21
  cas:
    letsencrypt: {directory: "https://acme-v02.api.letsencrypt.org/directory",
                  contact: "mailto:ops@example.org"}
    zerossl: {directory: "https://acme.zerossl.com/v2/DV90", contact: "mailto:ops@example.org",
              eab: {kid_env: ZEROSSL_KID, hmac_file: secrets/zerossl.hmac}}
  targets:
    - {kind: dir, path: /etc/failover/certs}
    - {kind: s3, bucket: certs-standby, endpoint_url: "https://...", credentials_file: ...}
```

External Account Binding credentials are referenced (an environment variable or a file),
never written in the config.
"""

from typing import Annotated, Literal, Self

from pydantic import Field, field_validator, model_validator

from failover.config.base import Duration, Strict, dns_name
from failover.config.credentials import AwsCredentialSettings, SecretUrl


class ExternalAccountBinding(Strict):
    """A CA's EAB key id and HMAC key (base64url), each from an env variable or a file."""

    kid_env: str | None = None
    kid_file: str | None = None
    hmac_env: str | None = None
    hmac_file: str | None = None

    @model_validator(mode="after")
    def _one_each(self) -> Self:
        if bool(self.kid_env) == bool(self.kid_file):
            raise ValueError("give exactly one of kid_env or kid_file")
        if bool(self.hmac_env) == bool(self.hmac_file):
            raise ValueError("give exactly one of hmac_env or hmac_file (the HMAC key is a "
                             "secret, so it is not written in the config)")
        return self


class CertAuthority(Strict):
    """One ACME CA: its directory URL and the account's contact."""

    directory: str
    contact: str | None = None
    # PEM file of roots to trust for the directory's own HTTPS (a private or lab CA);
    # absent: the system's roots.
    ca_bundle: str | None = None
    eab: ExternalAccountBinding | None = None
    # Per request to the CA.
    timeout: Duration = 30.0
    # How long the CA may take to validate and issue, in all.
    deadline: Duration = 300.0
    # The CA's issuer domain names as CAA records name it (RFC 8659), e.g. letsencrypt.org:
    # check says whether the zone's CAA set lets this CA issue.
    caa: list[str] = Field(default_factory=list)

    @field_validator("directory")
    @classmethod
    def _https(cls, url: str) -> str:
        if not url.startswith("https://"):
            raise ValueError(f"'{url}' is not an https:// URL; an ACME directory is served "
                             "over HTTPS")
        return url

    @field_validator("caa")
    @classmethod
    def _issuer_domains(cls, domains: list[str]) -> list[str]:
        return [dns_name(d).rstrip(".") for d in domains]

    @field_validator("contact")
    @classmethod
    def _mailto(cls, contact: str | None) -> str | None:
        if contact is not None and not contact.startswith("mailto:"):
            raise ValueError(f"'{contact}': write the contact as mailto:ADDRESS")
        return contact


class DirCertTarget(Strict):
    """A folder: DIR/CA/NAME/fullchain.pem and privkey.pem (the key mode 0600)."""

    kind: Literal["dir"]
    path: str


class S3CertTarget(AwsCredentialSettings):
    """An S3 or S3-compatible bucket: PREFIX/CA/NAME/fullchain.pem and privkey.pem."""

    kind: Literal["s3"]
    bucket: str
    prefix: str = ""
    region: str = "us-east-1"
    endpoint_url: str | None = None


class WebhookCertTarget(SecretUrl):
    """An HTTP(S) store: each file PUT to URL/CA/NAME/fullchain.pem and privkey.pem, and
    read back by GET. The URL holds a secret (url_env or url_file)."""

    kind: Literal["webhook"]
    timeout: Duration = 10.0


CertTarget = Annotated[DirCertTarget | S3CertTarget | WebhookCertTarget,
                       Field(discriminator="kind")]


class CertSettings(Strict):
    """Where standby certificates come from and go to."""

    # Renew (and warn in check) when fewer days than this are left.
    min_days: int = Field(default=21, ge=1, le=3650)
    cas: dict[str, CertAuthority] = Field(min_length=1)
    targets: list[CertTarget] = Field(min_length=1)
    # The names certified; default: every managed record's name.
    names: list[str] = Field(default_factory=list)
    # The CA a standby certificate comes from when none is named (default: the first).
    standby_ca: str | None = None
    # Where check reads each hosting's served certificate (SNI: each name); absent: only
    # the certificates on hand are judged.
    tls_port: int | None = Field(default=None, ge=1, le=65535)
    # Per TLS handshake of check.
    timeout: Duration = 5.0
    # PEM file of the roots a served chain must lead to (a private or lab CA's); absent:
    # the system's roots.
    trust: str | None = None

    @property
    def standby(self) -> str:
        """The standby CA: ``standby_ca``, else the first configured."""
        return self.standby_ca or next(iter(self.cas))

    @field_validator("names")
    @classmethod
    def _names(cls, names: list[str]) -> list[str]:
        return [dns_name(n) for n in names]

    @model_validator(mode="after")
    def _standby_known(self) -> Self:
        if self.standby_ca is not None and self.standby_ca not in self.cas:
            raise ValueError(f"standby_ca '{self.standby_ca}' is not one of cas: "
                             f"{', '.join(self.cas)}")
        return self
