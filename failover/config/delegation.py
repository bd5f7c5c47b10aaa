"""The zone's delegation: the parent's servers to ask, and the registrars that write it."""

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from failover.config.base import Duration, ServerList, Strict
from failover.config.credentials import AwsCredentialSettings
from failover.config.dns import Tsig


class Rfc2136Registrar(Strict):
    """The parent zone's primary, written with RFC 2136 (a parent you run, or a lab's)."""

    kind: Literal["rfc2136"]
    server: str
    port: int = Field(default=53, ge=1, le=65535)
    zone: str  # the parent zone, e.g. test.
    tsig: Tsig | None = None
    timeout: Duration = 5.0


class Route53DomainsRegistrar(AwsCredentialSettings):
    """Amazon Route 53 Domains (UpdateDomainNameservers) for a domain registered there."""

    kind: Literal["route53domains"]
    domain: str | None = None  # default: the zone without its trailing dot
    region: str = "us-east-1"  # Route 53 Domains answers in us-east-1 only
    endpoint_url: str | None = None
    timeout: Duration = 10.0


class PluginRegistrar(Strict):
    """Any registrar: a class ``module:Class`` taking ``settings`` (see failover/registrars)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              defer_build=True)

    kind: Literal["plugin"]
    class_: str = Field(alias="class", pattern=r"^[\w.]+:\w+$")
    settings: dict[str, Any] = Field(default_factory=dict)


Registrar = Annotated[Rfc2136Registrar | Route53DomainsRegistrar | PluginRegistrar,
                      Field(discriminator="kind")]


class Delegation(Strict):
    """Where the zone is delegated from: servers of the parent zone, asked for its NS set."""

    # host or host:port (a TLD's servers, or the registrar's); asked without recursion.
    parent_servers: ServerList = Field(min_length=1)
    timeout: Duration = 5.0
    # Where 'failover delegation move' writes the NS set; the parent's servers verify it.
    registrars: dict[str, Registrar] = Field(default_factory=dict)

