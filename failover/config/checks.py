"""Checks: the data-plane probes (http, https, tcp, tls, dns) run at every hosting."""

from typing import Annotated, Literal, Self

from pydantic import Field, field_validator, model_validator

from failover.config.base import Duration, HeaderText, HttpStatus, Strict, dns_name

# A check's port at particular hostings, where it differs from ``port``: {hosting: port}.
HostingPorts = dict[str, Annotated[int, Field(ge=1, le=65535)]]


class HttpCheck(Strict):
    kind: Literal["http", "https"]
    # The probe percent-encodes the path, so any text is safe there; the Host
    # header is sent as written.
    path: str = "/"
    port: int | None = Field(default=None, ge=1, le=65535)
    host: HeaderText | None = None
    expect_status: list[HttpStatus] = Field(default_factory=lambda: [200], min_length=1)
    body_contains: str | None = None
    verify_tls: bool = True
    # A private CA (PEM) to trust instead of the system's, for https.
    ca_file: str | None = None
    ports: HostingPorts = Field(default_factory=dict)
    timeout: Duration = 2.0

    @model_validator(mode="after")
    def _ca_for_https(self) -> Self:
        if self.ca_file and self.kind != "https":
            raise ValueError("ca_file goes with kind: https")
        return self


class TcpCheck(Strict):
    kind: Literal["tcp"]
    port: int = Field(ge=1, le=65535)
    ports: HostingPorts = Field(default_factory=dict)
    timeout: Duration = 2.0


class TlsCheck(Strict):
    kind: Literal["tls"]
    port: int = Field(default=443, ge=1, le=65535)
    server_name: HeaderText | None = None
    min_days_left: int = Field(default=14, ge=0, le=3650)
    verify_tls: bool = True
    ca_file: str | None = None
    ports: HostingPorts = Field(default_factory=dict)
    timeout: Duration = 2.0


class DnsCheck(Strict):
    """Ask a DNS server at the hosting's endpoint for a name; expect an answer."""

    kind: Literal["dns"]
    qname: str
    rdtype: str = "A"
    port: int = Field(default=53, ge=1, le=65535)
    ports: HostingPorts = Field(default_factory=dict)
    expect: list[str] = Field(default_factory=list)
    timeout: Duration = 2.0

    _qname = field_validator("qname")(classmethod(lambda cls, v: dns_name(v)))

    @field_validator("rdtype")
    @classmethod
    def _rdtype(cls, rdtype: str) -> str:
        import dns.rdatatype

        try:
            return dns.rdatatype.to_text(dns.rdatatype.from_text(rdtype.strip().upper()))
        except (dns.rdatatype.UnknownRdatatype, ValueError):
            raise ValueError(f"'{rdtype}' is not a DNS record type; use A, AAAA, CNAME, "
                             "TXT, SOA...") from None


Check = Annotated[HttpCheck | TcpCheck | TlsCheck | DnsCheck, Field(discriminator="kind")]
