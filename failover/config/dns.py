"""DNS providers: one settings model per kind, the TSIG key, and a provider's read deadline.

``kind: octodns`` names a Python class: it is vetted by
:func:`failover.config.octodnsclass.octodns_provider_class` before anything is imported.
"""

from typing import Annotated, Any, Literal, Self

from pydantic import ConfigDict, Field, field_validator, model_validator

from failover.config.base import Duration, ServerList, Strict
from failover.config.credentials import AwsCredentialSettings
from failover.config.octodnsclass import octodns_provider_class


class Tsig(Strict):
    """A TSIG key; the secret is read from the environment or a file, never the config."""

    name: str
    algorithm: Literal["hmac-sha256", "hmac-sha512", "hmac-sha384", "hmac-sha224",
                       "hmac-sha1", "hmac-md5"] = "hmac-sha256"
    secret_env: str | None = None
    secret_file: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if bool(self.secret_env) == bool(self.secret_file):
            raise ValueError("give exactly one of secret_env or secret_file for the TSIG secret")
        return self


class Rfc2136Provider(Strict):
    """A DNS server that takes RFC 2136 UPDATE messages (BIND, Knot, PowerDNS)."""

    kind: Literal["rfc2136"]
    vendor: str
    server: str
    port: int = Field(default=53, ge=1, le=65535)
    tsig: Tsig | None = None
    timeout: Duration = 5.0
    # The whole read of this provider in check, plan and status (every try and page):
    # past it the provider is reported as not answering and counts as serving nothing.
    # Unset, it is ``timeout``.
    deadline: Duration | None = None
    # Servers to verify against besides the primary (secondaries), as host or host:port.
    verify_servers: ServerList = Field(default_factory=list)
    # Largest UPDATE message we send, in bytes; bigger plans are split. UPDATEs go over
    # TCP, whose 2-byte length allows 65,535 (BIND takes that: tests/integration/
    # test_rfc2136.py); 32,000 made 21 messages of a 10,000-record move where 10 do.
    max_update_bytes: int = Field(default=65535, ge=512, le=65535)
    # This provider's names in the zone's NS set (ns1.example.org.), so that the delegation
    # check can tell which vendor each name server listed at the parent belongs to.
    ns_names: list[str] = Field(default_factory=list)

    @field_validator("ns_names")
    @classmethod
    def _absolute(cls, names: list[str]) -> list[str]:
        return [n.strip().lower().rstrip(".") + "." for n in names]


class Route53Provider(AwsCredentialSettings):
    """Amazon Route 53, through its API."""

    kind: Literal["route53"]
    vendor: str
    hosted_zone_id: str
    region: str = "us-east-1"
    endpoint_url: str | None = None
    # How to verify: ask the hosted zone's name servers over DNS, or read back through the API.
    verify: Literal["nameservers", "api"] = "nameservers"
    timeout: Duration = 10.0
    # The whole read of this provider in check, plan and status (every try and page):
    # past it the provider is reported as not answering and counts as serving nothing.
    # Unset, it is ``timeout``.
    deadline: Duration | None = None


def _one_secret(env: str | None, file: str | None, prefix: str, what: str) -> None:
    if bool(env) == bool(file):
        raise ValueError(f"give exactly one of {prefix}_env or {prefix}_file for the {what}")


def _ns_names(names: list[str]) -> list[str]:
    return [n.strip().lower().rstrip(".") + "." for n in names]


class PowerDnsProvider(Strict):
    """A PowerDNS Authoritative server, through its HTTP API (one PATCH per batch)."""

    kind: Literal["powerdns"]
    vendor: str
    # The API's base, e.g. http://192.0.2.53:8081 (the webserver's address and port).
    url: str
    server_id: str = "localhost"
    api_key_env: str | None = None
    api_key_file: str | None = None
    # DNS servers to verify at (host or host:port); none: read back through the API.
    verify_servers: ServerList = Field(default_factory=list)
    ns_names: list[str] = Field(default_factory=list)
    # RRsets per PATCH; PowerDNS documents no limit, so this bounds one request's size.
    max_rrsets: int = Field(default=1000, ge=1, le=100000)
    timeout: Duration = 10.0
    # The whole read of this provider in check, plan and status (every try and page):
    # past it the provider is reported as not answering and counts as serving nothing.
    # Unset, it is ``timeout``.
    deadline: Duration | None = None

    @model_validator(mode="after")
    def _secret(self) -> Self:
        _one_secret(self.api_key_env, self.api_key_file, "api_key", "PowerDNS API key")
        return self

    _absolute = field_validator("ns_names")(classmethod(lambda cls, v: _ns_names(v)))


class CloudflareProvider(Strict):
    """A Cloudflare zone, through the v4 API (one dns_records/batch per batch)."""

    kind: Literal["cloudflare"]
    vendor: str
    zone_id: str
    token_env: str | None = None
    token_file: str | None = None
    url: str = "https://api.cloudflare.com/client/v4"
    # Records per batch request: 200 on the Free plan, 3,500 on paid plans.
    batch_limit: int = Field(default=200, ge=1, le=3500)
    # Whether new records (a name failover creates) are proxied; records that exist keep theirs.
    proxied: bool = False
    ns_names: list[str] = Field(default_factory=list)
    timeout: Duration = 10.0
    # The whole read of this provider in check, plan and status (every try and page):
    # past it the provider is reported as not answering and counts as serving nothing.
    # Unset, it is ``timeout``.
    deadline: Duration | None = None

    @model_validator(mode="after")
    def _secret(self) -> Self:
        _one_secret(self.token_env, self.token_file, "token", "Cloudflare API token")
        return self

    _absolute = field_validator("ns_names")(classmethod(lambda cls, v: _ns_names(v)))


class CloudDnsProvider(Strict):
    """A Google Cloud DNS managed zone, through its REST API (one change per batch)."""

    kind: Literal["clouddns"]
    vendor: str
    project: str
    managed_zone: str
    token_env: str | None = None
    token_file: str | None = None
    url: str = "https://dns.googleapis.com"
    # Record sets added or deleted per change (Cloud DNS's documented quota is 1,000 each).
    max_rrsets: int = Field(default=1000, ge=1, le=1000)
    verify_servers: ServerList = Field(default_factory=list)
    ns_names: list[str] = Field(default_factory=list)
    # How long one change may stay pending before we stop waiting.
    change_timeout: Duration = 120.0
    timeout: Duration = 10.0
    # The whole read of this provider in check, plan and status (every try and page):
    # past it the provider is reported as not answering and counts as serving nothing.
    # Unset, it is ``timeout``.
    deadline: Duration | None = None

    @model_validator(mode="after")
    def _secret(self) -> Self:
        _one_secret(self.token_env, self.token_file, "token", "GCP access token")
        return self

    _absolute = field_validator("ns_names")(classmethod(lambda cls, v: _ns_names(v)))


class OctodnsProvider(Strict):
    """Any octoDNS provider, used only to read and apply (failover plans, verifies, rolls back).

    ``settings`` go to the provider's constructor; a string ``env/NAME`` is the value of
    the environment variable NAME (octoDNS's own convention), ``file/PATH`` the content
    of PATH (relative to the config file): secrets stay out of the config.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              defer_build=True)

    kind: Literal["octodns"]
    vendor: str
    class_: str = Field(alias="class", pattern=r"^\w+(\.\w+)+$")
    settings: dict[str, Any] = Field(default_factory=dict)
    verify_servers: list[str] = Field(default_factory=list)
    ns_names: list[str] = Field(default_factory=list)
    timeout: Duration = 10.0
    # The whole read of this provider in check, plan and status (every try and page):
    # past it the provider is reported as not answering and counts as serving nothing.
    # Unset, it is ``timeout``.
    deadline: Duration | None = None

    _absolute = field_validator("ns_names")(classmethod(lambda cls, v: _ns_names(v)))

    @field_validator("class_")
    @classmethod
    def _an_installed_provider(cls, path: str) -> str:
        octodns_provider_class(path)
        return path


DnsProvider = Annotated[Rfc2136Provider | Route53Provider | PowerDnsProvider
                        | CloudflareProvider | CloudDnsProvider | OctodnsProvider,
                        Field(discriminator="kind")]


def read_deadline(spec: Any) -> float:
    """How long one read of a DNS provider may take in all, in seconds."""
    deadline: float | None = spec.deadline
    return deadline if deadline is not None else float(spec.timeout)
