"""DNS providers: one settings model per kind, the TSIG key, and a provider's read deadline.

``kind: octodns`` names a Python class, so this is also where that class is vetted:
only a provider shipped by an installed octoDNS distribution is ever imported
(:func:`octodns_provider_class`), never a module a config file merely names.
"""

import importlib
import re
from importlib.metadata import distributions
from typing import Annotated, Any, Literal, Self

from pydantic import ConfigDict, Field, field_validator, model_validator

from failover.config.base import Duration, ServerList, Strict
from failover.config.credentials import AwsCredentialSettings


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


def octodns_packages() -> dict[str, str]:
    """The top-level modules of the installed octoDNS distributions, to the distribution.

    Read from the distributions' metadata (``top_level.txt``, else their file lists);
    nothing is imported. A distribution counts when it is ``octodns`` or ``octodns-*``,
    and of what it ships only ``octodns`` and ``octodns_*`` modules count, so an
    installed package cannot lend a provider's name to ``os`` or ``subprocess``.
    """
    found: dict[str, str] = {}
    for dist in distributions():
        name = re.sub(r"[-_.]+", "-", (dist.metadata["Name"] or "").lower())
        if name != "octodns" and not name.startswith("octodns-"):
            continue
        listed = (dist.read_text("top_level.txt") or "").split()
        if not listed:  # wheels built without setuptools: the first part of each path
            listed = [f.parts[0].removesuffix(".py") for f in dist.files or () if f.parts]
        for top in listed:
            if top.isidentifier() and (top == "octodns" or top.startswith("octodns_")):
                found.setdefault(top, name)
    return found


def octodns_provider_class(path: str) -> type[Any]:
    """The octoDNS provider class ``package.module.Class``, vetted before and after import.

    Its module is imported only when its top-level package belongs to an installed
    octoDNS distribution (:func:`octodns_packages`); the class must then be a subclass
    of octoDNS's ``BaseProvider``. Anything else is a ``ValueError`` whose text names
    the installed providers and the fix; config validation and the provider's
    construction both call this, so a config that skipped one still meets the other.
    """
    module_name, _, class_name = path.rpartition(".")
    top = module_name.partition(".")[0]
    packages = octodns_packages()
    if top not in packages:
        package = top.replace("_", "-") if top.startswith("octodns_") else "octodns-NAME"
        raise ValueError(f"{path} is not an octoDNS provider from an installed octodns-* "
                         f"distribution, and is not imported; installed: "
                         f"{_installed_providers(packages)}; install the provider's package "
                         f"(pip install {package}) and name its class")
    from octodns.provider.base import BaseProvider

    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"cannot import {module_name} ({exc}); reinstall its package, "
                         f"{packages[top]}") from None
    cls = getattr(module, class_name, None)
    if not isinstance(cls, type) or not issubclass(cls, BaseProvider) or cls is BaseProvider:
        raise ValueError(f"{path} is not an octoDNS provider (a subclass of octodns.provider."
                         f"base.BaseProvider); installed: {_installed_providers(packages)}")
    return cls


def _installed_providers(packages: dict[str, str]) -> str:
    """``octodns_bind.Rfc2136Provider, ...``: the provider classes the octodns-* packages
    export at their top level (only those packages are imported), for an error's fix."""
    try:
        from octodns.provider.base import BaseProvider
    except ImportError:
        return "none (pip install 'failover[octodns]')"
    names: list[str] = []
    for top in sorted(p for p in packages if p != "octodns"):
        try:
            module = importlib.import_module(top)
        except Exception:  # any failure: a broken provider package is left out of a hint
            continue
        names += [f"{top}.{n}" for n, v in sorted(vars(module).items())
                  if isinstance(v, type) and issubclass(v, BaseProvider)
                  and v.__module__.partition(".")[0] == top]
    return ", ".join(names) or "none"


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
