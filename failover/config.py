"""The config file: YAML -> typed, validated model.

Every error names the file, the line and the key, and says what would fix
it. Cross-references (a hosting naming a vendor, a DNS provider naming a
vendor) are checked after the types. Relative paths in the file (secret
files, credential files, the journal) are taken relative to the file.

``load_config`` is the one entry point; ``fragility_warnings`` lists setups
that validate but would not survive the loss of one vendor.
"""

# No ``from __future__ import annotations`` here: pydantic would have to evaluate
# every field's annotation from a string, 10% of building these models (issue 13).
import ipaddress
import math
import os
import re
import stat
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from failover.configpath import CONFIG_ENV
from failover.errors import ConfigError
from failover.records import absolute_name
from failover.yamlsrc import Located, load_yaml

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}
DAY = 86400.0
# DNS TTLs are 32-bit with the top bit clear (RFC 2181 section 8).
MAX_TTL = 2**31 - 1


def parse_duration(value: Any, most: float = DAY) -> float:
    """``"2s"``, ``"500ms"``, ``"1m"``, ``"1h"`` or a number of seconds -> seconds.

    Finite, more than zero and at most ``most``: an infinite timeout hangs on a
    silent server, and a NaN interval makes a loop spin.
    """
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 2s, 500ms or 1m")
    if isinstance(value, (int, float)):
        try:
            seconds = float(value)
        except OverflowError:
            seconds = math.inf
        if not math.isfinite(seconds):
            raise ValueError(f"a duration must be a finite number such as 2s, not {value}")
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError(f"'{value}' is not a duration; write 2s, 500ms, 1m or 1h")
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds <= 0:
        raise ValueError("a duration must be more than zero")
    if seconds > most:
        raise ValueError(f"a duration here must be at most {most / 3600:g}h")
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]
# Backup ages: weekly backups need more than a day.
LongDuration = Annotated[float, BeforeValidator(lambda v: parse_duration(v, most=366 * DAY))]


def dns_name(text: str) -> str:
    """A domain name as DNS carries it: lower case, IDN labels in their xn-- form.

    Raises ValueError naming the fault. ``@`` (the apex) and relative names pass
    through relative; a trailing dot is kept.
    """
    name = text.strip()
    if name == "@":
        return name
    absolute = name.endswith(".")
    labels = name[:-1].split(".") if absolute else name.split(".")
    out = []
    for label in labels:
        if not label:
            raise ValueError(f"'{text}' has an empty label (two dots in a row, or a "
                             "leading dot)")
        if not label.isascii():
            import idna  # IDNA 2008 with UTS 46 mapping, as browsers and registries use

            try:
                label = idna.encode(label, uts46=True).decode("ascii")
            except (idna.IDNAError, UnicodeError) as exc:
                raise ValueError(f"'{text}': label '{label}' is not a valid "
                                 f"internationalised name ({exc})") from None
        label = label.lower()
        if len(label) > 63:
            raise ValueError(f"'{text}': label '{label[:20]}...' is longer than 63 characters")
        if not _LABEL.match(label):
            raise ValueError(f"'{text}': label '{label}' may hold only letters, digits, "
                             "'-' and '_' (or be '*')")
        out.append(label)
    result = ".".join(out) + ("." if absolute else "")
    if len(result.rstrip(".")) > 253:
        raise ValueError(f"'{text[:40]}...' is longer than 253 characters")
    return result


_LABEL = re.compile(r"^(\*|[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)$")


def _no_control(value: str) -> str:
    """Text that goes into a request line or header: no CR, LF or other control characters."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise ValueError(f"{value!r} holds a control character (a line break would inject a "
                         "header); remove it")
    return value


HeaderText = Annotated[str, AfterValidator(_no_control)]


def _server(text: str) -> str:
    """``host``, ``host:port`` or ``[v6]:port``; a bare IPv6 address with a port is ambiguous."""
    entry = text.strip()
    if entry.startswith("["):
        host, close, rest = entry[1:].partition("]")
        if not close or (rest and not rest.startswith(":")):
            raise ValueError(f"'{text}' is not [address]:port")
        port = rest[1:]
    elif entry.count(":") > 1:
        raise ValueError(f"'{text}' is ambiguous: is the last part a port? write "
                         f"'[{entry}]' for the address alone, or '[address]:port' "
                         "such as '[::1]:53'")
    else:
        host, _, port = entry.partition(":")
    if not host:
        raise ValueError(f"'{text}' has no host")
    _no_control(host)
    if port and not (port.isdigit() and 1 <= int(port) <= 65535):
        raise ValueError(f"'{text}': the port must be a number from 1 to 65535")
    return entry


ServerList = list[Annotated[str, AfterValidator(_server)]]
HttpStatus = Annotated[int, Field(ge=100, le=599)]


class Strict(BaseModel):
    """Base of every config model: unknown keys are errors, values are not coerced loosely.

    ``defer_build``: a model's validator is made when first used, so loading a
    config builds one validator (Config's) instead of one per model at import;
    ``failover --help`` and commands that read no config never pay for them.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False,
                              defer_build=True)


# -- AWS credentials: shared by the control probe, Route 53 and S3 backups --------

class AwsCredentialSettings(Strict):
    """Where the AWS keys come from; :mod:`failover.awscreds` reads them, first match wins:
    the ``*_env`` variables, then ``credentials_file`` (section ``profile`` or ``default``),
    then ``profile`` alone or the AWS SDK's own chain."""

    profile: str | None = None
    credentials_file: str | None = None
    access_key_id_env: str | None = None
    secret_access_key_env: str | None = None
    # For temporary keys (STS sessions).
    session_token_env: str | None = None

    @model_validator(mode="after")
    def _key_pair(self) -> Self:
        if self.access_key_id_env and (self.credentials_file or self.profile):
            raise ValueError("give the keys one way: access_key_id_env and "
                             "secret_access_key_env, or credentials_file/profile, not both")
        if bool(self.access_key_id_env) != bool(self.secret_access_key_env):
            raise ValueError("give access_key_id_env and secret_access_key_env together")
        if self.session_token_env and not self.access_key_id_env:
            raise ValueError("session_token_env goes with access_key_id_env and "
                             "secret_access_key_env")
        return self


# -- vendors -----------------------------------------------------------------

# -- control planes: "is our account at this vendor still alive?" ---------------

class AwsControl(AwsCredentialSettings):
    """STS GetCallerIdentity and the service's EC2 instances.

    An expired session token (``session_token_env``) is never termination evidence.
    """

    kind: Literal["aws"]
    region: str = "us-east-1"
    endpoint_url: str | None = None
    instance_ids: list[str] = Field(default_factory=list)
    instance_tags: dict[str, str] = Field(default_factory=dict)
    timeout: Duration = 10.0


class GcpControl(Strict):
    """The project's lifecycle state and the service's instances, through Google's REST APIs."""

    kind: Literal["gcp"]
    project: str
    zone: str | None = None
    instances: list[str] = Field(default_factory=list)
    token_env: str | None = None
    token_file: str | None = None
    resource_manager_url: str = "https://cloudresourcemanager.googleapis.com"
    compute_url: str = "https://compute.googleapis.com"
    billing_url: str = "https://cloudbilling.googleapis.com"
    timeout: Duration = 10.0

    @model_validator(mode="after")
    def _token_and_zone(self) -> Self:
        # Without a token every API answers 401, which would read as a revoked credential.
        if bool(self.token_env) == bool(self.token_file):
            raise ValueError("give exactly one of token_env or token_file for the OAuth2 "
                             "access token (e.g. the output of 'gcloud auth print-access-token')")
        if self.instances and not self.zone:
            raise ValueError("instances are looked up in one zone; give zone as well")
        return self


class SshControl(Strict):
    """A bare-metal host's SSH banner over TCP."""

    kind: Literal["ssh"]
    host: str
    port: int = Field(default=22, ge=1, le=65535)
    timeout: Duration = 5.0


class HttpControl(Strict):
    """Any vendor API described here: what 'alive' and 'terminated' look like."""

    kind: Literal["http"]
    method: Literal["GET", "HEAD", "POST"] = "GET"
    token_env: str | None = None
    token_file: str | None = None
    url: HeaderText
    header: HeaderText = "Authorization"
    scheme: HeaderText = "Bearer"
    alive_status: list[HttpStatus] = Field(default_factory=lambda: [200], min_length=1)
    terminated_status: list[HttpStatus] = Field(default_factory=lambda: [401, 403])
    alive_body: str | None = None
    terminated_body: list[str] = Field(default_factory=list)
    verify_tls: bool = True
    timeout: Duration = 10.0

    @model_validator(mode="after")
    def _one_token(self) -> Self:
        if self.token_env and self.token_file:
            raise ValueError("give at most one of token_env or token_file")
        if not self.url.lower().startswith(("http://", "https://")):
            raise ValueError(f"'{self.url}' is not an http:// or https:// URL")
        return self


ControlPlane = Annotated[AwsControl | GcpControl | SshControl | HttpControl,
                         Field(discriminator="kind")]


class Vendor(Strict):
    """A company that can cut us off, and how to ask whether our account there is alive."""

    description: str = ""
    control: ControlPlane | None = None
    # Anything else that goes with this vendor (SaaS, chat, SMS): named in runbooks.
    services: list[str] = Field(default_factory=list)


# -- backups: does a standby vendor have data to serve? ------------------------------

class S3Backup(AwsCredentialSettings):
    """The newest object under a prefix in S3-compatible storage."""

    kind: Literal["s3"]
    vendor: str
    bucket: str
    prefix: str = ""
    region: str = "us-east-1"
    endpoint_url: str | None = None
    rpo: LongDuration
    timeout: Duration = 10.0


class PathBackup(Strict):
    """The newest file under a local (or mounted) path."""

    kind: Literal["path"]
    vendor: str
    path: str
    pattern: str = "*"
    rpo: LongDuration


Backup = Annotated[S3Backup | PathBackup, Field(discriminator="kind")]


# -- hostings ----------------------------------------------------------------

class StaticEndpoints(Strict):
    """Addresses written in the file."""

    A: list[str] = Field(default_factory=list)
    AAAA: list[str] = Field(default_factory=list)
    CNAME: str | None = None

    @field_validator("A")
    @classmethod
    def _v4(cls, values: list[str]) -> list[str]:
        for v in values:
            if not isinstance(ipaddress.ip_address(v), ipaddress.IPv4Address):
                raise ValueError(f"'{v}' is not an IPv4 address")
        return values

    @field_validator("AAAA")
    @classmethod
    def _v6(cls, values: list[str]) -> list[str]:
        for v in values:
            if not isinstance(ipaddress.ip_address(v), ipaddress.IPv6Address):
                raise ValueError(f"'{v}' is not an IPv6 address")
        return values

    @model_validator(mode="after")
    def _some(self) -> Self:
        if not (self.A or self.AAAA or self.CNAME):
            raise ValueError("a hosting needs at least one endpoint: A, AAAA or CNAME")
        if self.CNAME and (self.A or self.AAAA):
            raise ValueError("a hosting has either a CNAME target or addresses, not both")
        return self

    def values(self, rtype: str) -> list[str]:
        if rtype == "CNAME":
            return [self.CNAME] if self.CNAME else []
        return list(getattr(self, rtype))


class StackEndpoints(Strict):
    """Addresses taken from a Pulumi stack's outputs (resolved by ``failover.inventory``).

    ``output`` is a top-level output of the stack or a dotted path into one
    (``hostings.aws-use1.addresses``). Its value is a list of IP addresses (or
    one host name, a CNAME target), or a mapping with ``A``, ``AAAA``, ``CNAME``.
    """

    from_stack: str
    output: str = Field(default="addresses", min_length=1)

    @field_validator("from_stack")
    @classmethod
    def _stack_name(cls, name: str) -> str:
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9_.-]+){0,2}$", name):
            raise ValueError(f"'{name}' is not a Pulumi stack name; "
                             "write STACK or ORG/PROJECT/STACK")
        return name


class InventorySettings(Strict):
    """Where ``from_stack`` endpoints come from: the export file first, else the Pulumi CLI."""

    # JSON written by the deploy pipeline: {"<stack>": {<its outputs>}, ...}, or a
    # folder of <stack>.json files each holding `pulumi stack output --json`.
    export_file: str | None = None
    # The Pulumi project folder the CLI runs in (bare stack names are found there).
    pulumi_cwd: str | None = None
    # For each `pulumi stack output` call.
    timeout: Duration = 30.0


class Hosting(Strict):
    """One place where the service runs, owned by one vendor."""

    vendor: str
    priority: int = Field(default=100, ge=0, le=1_000_000)
    weight: int = Field(default=1, ge=0, le=255)
    endpoints: Annotated[
        Annotated[StaticEndpoints, Tag("static")] | Annotated[StackEndpoints, Tag("stack")],
        Discriminator(lambda v: "stack" if isinstance(v, dict) and "from_stack" in v else "static"),
    ]


# -- DNS providers -------------------------------------------------------------

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
    class_: str = Field(alias="class", pattern=r"^[\w.]+\.\w+$")
    settings: dict[str, Any] = Field(default_factory=dict)
    verify_servers: list[str] = Field(default_factory=list)
    ns_names: list[str] = Field(default_factory=list)
    timeout: Duration = 10.0
    # The whole read of this provider in check, plan and status (every try and page):
    # past it the provider is reported as not answering and counts as serving nothing.
    # Unset, it is ``timeout``.
    deadline: Duration | None = None

    _absolute = field_validator("ns_names")(classmethod(lambda cls, v: _ns_names(v)))


DnsProvider = Annotated[Rfc2136Provider | Route53Provider | PowerDnsProvider
                        | CloudflareProvider | CloudDnsProvider | OctodnsProvider,
                        Field(discriminator="kind")]


def read_deadline(spec: Any) -> float:
    """How long one read of a DNS provider may take in all, in seconds."""
    deadline: float | None = spec.deadline
    return deadline if deadline is not None else float(spec.timeout)


# -- checks ------------------------------------------------------------------

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


# -- the rest ------------------------------------------------------------------

class ManagedRecord(NamedTuple):
    """A managed record. A tuple, not a model: a config may list 10,000 of them, and
    a model cost 470 bytes each (issue 13). Pydantic validates it from a mapping all
    the same, unknown keys refused; a list in its place is refused by
    :func:`_record_mapping`, so no positional form creeps in."""

    # Relative to the zone (www, @) or absolute under it; IDN labels are kept in
    # their xn-- form, the form providers store and servers answer with.
    name: Annotated[str, AfterValidator(dns_name)]
    type: Literal["A", "AAAA", "CNAME"] = "A"
    ttl: Annotated[int | None, Field(ge=0, le=MAX_TTL)] = None


def _record_mapping(value: Any) -> Any:
    if not isinstance(value, dict):
        raise ValueError("a record is a mapping such as {name: www, type: A}")
    return value


class Policy(Strict):
    mode: Literal["active-passive", "active-active"] = "active-passive"
    min_healthy: int = Field(default=1, ge=1, le=10000)
    auto_move: bool = False
    max_change_fraction: float = Field(default=0.5, gt=0, le=1)


class Verify(Strict):
    timeout: Duration = 60.0
    interval: Duration = 0.5


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


# -- notices (see failover/notify) ---------------------------------------------------

class SecretUrl(Strict):
    """A URL that holds a secret (an apprise URL, a heartbeat or webhook URL): read from an
    environment variable or a file, never written in the config, never shown whole."""

    url_env: str | None = None
    url_file: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if bool(self.url_env) == bool(self.url_file):
            raise ValueError("give exactly one of url_env or url_file (the URL holds a "
                             "secret, so it is not written in the config)")
        return self


NoticeKind = Literal["move", "rollback", "terminated", "blocked", "coordination", "drill",
                     "test"]


class NotifyChannel(SecretUrl):
    """One apprise URL (mailto://, json://, slack://, ntfy://, ...)."""

    name: str = Field(min_length=1)
    # The vendor that runs this channel: a channel at a terminated vendor is silent.
    vendor: str | None = None
    # Which notices go here; default every kind.
    events: list[NoticeKind] = Field(default_factory=list)


class Heartbeat(SecretUrl):
    """A dead-man switch (healthchecks.io-style): pinged with GET after every watch cycle."""

    name: str = Field(min_length=1)
    vendor: str | None = None


class NotifySettings(Strict):
    channels: list[NotifyChannel] = Field(min_length=1)
    heartbeat: list[Heartbeat] = Field(default_factory=list)
    # All channels are tried at once; none may hold a notice longer than this.
    deadline: Duration = 5.0

    @model_validator(mode="after")
    def _unique(self) -> Self:
        names = [c.name for c in self.channels] + [h.name for h in self.heartbeat]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"channel and heartbeat names must differ; '{twice[0]}' is used "
                             "twice")
        return self


class ClusterTls(Strict):
    """Client TLS to etcd: the CA that signed the members' certificates, and ours."""

    ca_file: str
    cert_file: str | None = None
    key_file: str | None = None

    @model_validator(mode="after")
    def _pair(self) -> Self:
        if bool(self.cert_file) != bool(self.key_file):
            raise ValueError("give cert_file and key_file together")
        return self


class Cluster(Strict):
    """Watchers on several vendors coordinated through one etcd cluster (failover.coord.etcd).

    Timing follows Patroni: a leader renews its lease every ``loop_wait``; an etcd request
    gives up after ``retry_timeout``; the lease lives ``ttl``, so
    ``loop_wait + 2 * retry_timeout <= ttl`` lets a leader notice a failed renewal and stop
    before another node may take over.
    """

    endpoints: list[str] = Field(min_length=1)
    # This node's name (unique in the cluster) and the vendor it runs at.
    node: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    vendor: str = Field(min_length=1)
    prefix: str = "/failover"
    ttl: Duration = 30.0
    loop_wait: Duration = 10.0
    retry_timeout: Duration = 10.0
    # A hosting is DOWN for the cluster when this share of the live vantage points says so:
    # 'majority' (more than half), or a fraction such as 0.82 (Route 53: healthy while more
    # than 18% of checkers say healthy).
    quorum: Literal["majority"] | float = "majority"
    # Moves kept in etcd's shared history; older ones are deleted there (each node's own
    # journal keeps the moves it made), so a leader's read of the history stays bounded.
    history_keep: int = Field(default=1000, ge=1)
    tls: ClusterTls | None = None
    username: str | None = None
    password_env: str | None = None
    password_file: str | None = None

    @field_validator("endpoints")
    @classmethod
    def _urls(cls, endpoints: list[str]) -> list[str]:
        for e in endpoints:
            if not e.lower().startswith(("http://", "https://")):
                raise ValueError(f"'{e}' is not an etcd client URL; write "
                                 "https://HOST:2379 (or http:// in a lab)")
        return endpoints

    @field_validator("quorum")
    @classmethod
    def _fraction(cls, quorum: str | float) -> str | float:
        if not isinstance(quorum, str) and not 0 < quorum <= 1:
            raise ValueError("quorum is 'majority' or a fraction above 0 and at most 1")
        return quorum

    @model_validator(mode="after")
    def _timing(self) -> Self:
        if self.loop_wait + 2 * self.retry_timeout > self.ttl:
            raise ValueError(
                f"loop_wait + 2 * retry_timeout ({self.loop_wait:g}s + 2 * "
                f"{self.retry_timeout:g}s) must be at most ttl ({self.ttl:g}s), or a leader "
                "could act after its lease ran out; raise ttl or lower the others")
        if self.ttl < 1:
            raise ValueError("ttl must be at least 1s (etcd leases count whole seconds)")
        if self.password_env and self.password_file:
            raise ValueError("give at most one of password_env or password_file")
        if (self.password_env or self.password_file) and not self.username:
            raise ValueError("a password goes with a username")
        if self.tls is None and any(e.lower().startswith("https://") for e in self.endpoints):
            raise ValueError("https:// endpoints need tls: {ca_file: ...}")
        return self
Audience = Literal["public", "internal"]


class DirTarget(Strict):
    """A local (or mounted) folder: the page is written as DIR/index.html."""

    kind: Literal["dir"]
    path: str
    audience: Audience = "public"


class S3Target(AwsCredentialSettings):
    """An S3 or S3-compatible bucket (``endpoint_url``)."""

    kind: Literal["s3"]
    bucket: str
    key: str = "index.html"
    region: str = "us-east-1"
    endpoint_url: str | None = None
    audience: Audience = "public"


class WebhookTarget(SecretUrl):
    """An HTTP endpoint that takes the page's HTML in the body of a PUT or POST."""

    kind: Literal["webhook"]
    method: Literal["PUT", "POST"] = "PUT"
    expect_status: list[int] = Field(default_factory=lambda: [200, 201, 204])
    audience: Audience = "public"


PageTarget = Annotated[DirTarget | S3Target | WebhookTarget, Field(discriminator="kind")]


class PageSettings(Strict):
    """The static status page: ``failover page`` and every watch cycle publish it."""

    title: str | None = None
    # On the public page: say "DNS provider 1" and "hosting 2" instead of their names.
    hide_names: bool = False
    targets: list[PageTarget] = Field(default_factory=list)
    # Per target: a dead target is reported, never waited on longer than this.
    timeout: Duration = 5.0


# -- the SaaS register (see failover/saas) ---------------------------------------------

class SaasDataProbe(Strict):
    """Does the provider's service itself answer (its API's health or status endpoint)?"""

    url: str
    method: Literal["GET", "HEAD"] = "GET"
    expect_status: list[int] = Field(default_factory=lambda: [200])
    verify_tls: bool = True
    timeout: Duration = 5.0


class SaasProvider(Strict):
    """One provider of a SaaS dependency, at one vendor."""

    vendor: str
    # Is *our* account alive? The same kinds as a vendor's control plane.
    control: ControlPlane | None = None
    data: SaasDataProbe | None = None
    # What the switch says for this provider: a TXT record's text (default
    # "provider=NAME"), a CNAME's target (required), a webhook's "provider" value
    # (default NAME).
    value: str | None = None


class DnsSwitch(Strict):
    """The application reads its provider from a DNS record, written at every DNS provider."""

    kind: Literal["dns"]
    name: str
    type: Literal["TXT", "CNAME"] = "TXT"
    ttl: int | None = Field(default=None, ge=1, le=86400)


class WebhookSwitch(SecretUrl):
    """The application's own config endpoint: {"dependency", "provider", "value"} as JSON."""

    kind: Literal["webhook"]
    method: Literal["POST", "PUT"] = "POST"
    expect_status: list[int] = Field(default_factory=lambda: [200, 204])
    body_contains: str | None = None
    timeout: Duration = 5.0


class SaasDependency(Strict):
    """A service bought from a vendor (sms, auth, support, ...): providers in order of
    preference (the first is the primary), and how the application is switched."""

    providers: dict[str, SaasProvider] = Field(min_length=1)
    switch: Annotated[DnsSwitch | WebhookSwitch, Field(discriminator="kind")] | None = None

    @model_validator(mode="after")
    def _cname_targets(self) -> Self:
        if isinstance(self.switch, DnsSwitch) and self.switch.type == "CNAME":
            missing = [n for n, p in self.providers.items() if not p.value]
            if missing:
                raise ValueError(f"a CNAME switch needs each provider's target as 'value'; "
                                 f"'{missing[0]}' has none")
        return self

    def value_of(self, provider: str) -> str:
        """What the switch says when ``provider`` is selected."""
        spec = self.providers[provider]
        if spec.value:
            return spec.value
        if isinstance(self.switch, DnsSwitch):
            return f"provider={provider}"
        return provider


class Config(Strict):
    service: str
    zone: str
    ttl: int = Field(default=60, ge=0, le=MAX_TTL)
    records: list[Annotated[ManagedRecord, BeforeValidator(_record_mapping)]] = \
        Field(min_length=1)
    vendors: dict[str, Vendor] = Field(min_length=1)
    hosting: dict[str, Hosting] = Field(min_length=1)
    dns: dict[str, DnsProvider] = Field(min_length=1)
    checks: list[Check] = Field(default_factory=list)
    interval: Duration = 10.0
    # HAProxy's fastinter: once a hosting is on its way to another verdict (a failed
    # check toward fall, a good one toward rise), the watcher looks again this soon, so
    # fall 3 costs one interval and two confirmations, not three intervals. Default
    # interval / 5; never more than interval. See ``confirm_every``.
    confirm_interval: Duration | None = None
    fall: int = Field(default=3, ge=1, le=1000)
    rise: int = Field(default=2, ge=1, le=1000)
    concurrency: int = Field(default=200, ge=1, le=10000)
    policy: Policy = Field(default_factory=Policy)
    verify: Verify = Field(default_factory=Verify)
    journal: str | None = None
    backups: dict[str, Backup] = Field(default_factory=dict)
    # The highest TTL a managed record may have before 'check' warns.
    max_ttl: int = Field(default=300, ge=0, le=MAX_TTL)
    inventory: InventorySettings = Field(default_factory=InventorySettings)
    # Check that the parent zone delegates to name servers of at least two vendors.
    delegation: Delegation | None = None
    notify: NotifySettings | None = None
    # Watchers on several vendors sharing state through etcd (see Cluster); absent: one machine.
    cluster: Cluster | None = None
    page: PageSettings | None = None
    saas: dict[str, SaasDependency] = Field(default_factory=dict)

    # Where the file was read from; relative paths inside it are taken from its folder.
    source: str = Field(default="<memory>", exclude=True)

    @field_validator("zone")
    @classmethod
    def _zone(cls, zone: str) -> str:
        if not zone.strip().rstrip(".") or zone.strip() == "@":
            raise ValueError("zone must be a domain name such as example.org.")
        return dns_name(zone.strip().rstrip(".") + ".")

    def confirm_every(self, interval: float | None = None) -> float:
        """Seconds to the next look while a hosting is changing verdict, for a watcher
        that looks every ``interval`` seconds (default: the config's)."""
        every = self.interval if interval is None else interval
        confirm = every / 5 if self.confirm_interval is None else self.confirm_interval
        return min(confirm, every)

    @property
    def base_dir(self) -> Path:
        return Path(self.source).resolve().parent if self.source != "<memory>" else Path.cwd()

    def resolve_path(self, path: str) -> Path:
        """A path from the file, taken relative to the file's folder."""
        p = Path(os.path.expanduser(path))
        return p if p.is_absolute() else self.base_dir / p

    def journal_path(self) -> Path:
        if self.journal:
            return self.resolve_path(self.journal)
        return self.base_dir / ".failover" / "journal.sqlite"

    def record_ttl(self, record: ManagedRecord) -> int:
        return self.ttl if record.ttl is None else record.ttl

    def hostings_of(self, vendor: str) -> list[str]:
        return [name for name, h in self.hosting.items() if h.vendor == vendor]


# -- loading -------------------------------------------------------------------

# A config names vendors, hostings and records: 370,000 records are 10 MB.
MAX_CONFIG_BYTES = 32 * 1024 * 1024


def load_config(path: str | Path) -> Config:
    """Read and validate a config file; every problem is a :class:`ConfigError`."""
    return parse_config(read_config_text(Path(path)), str(path))


def read_config_text(path: Path) -> str:
    """The file's text: a regular file of at most ``MAX_CONFIG_BYTES``, in UTF-8.

    Opened without blocking and checked before reading, so a FIFO does not
    hang and /dev/zero does not fill the memory.
    """
    shown = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise ConfigError(f"no such file; pass -c FILE or set {CONFIG_ENV}", file=shown) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", file=shown) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_CONFIG_BYTES:
        os.close(fd)
        if info.st_size > MAX_CONFIG_BYTES and stat.S_ISREG(info.st_mode):
            raise ConfigError(f"larger than {MAX_CONFIG_BYTES // (1024 * 1024)} MB; "
                              "is this the config file?", file=shown)
        what = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise ConfigError(f"{what}; pass -c with the config file itself", file=shown)
    with os.fdopen(fd, "rb") as f:
        data = f.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"larger than {MAX_CONFIG_BYTES // (1024 * 1024)} MB; "
                          "is this the config file?", file=shown)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ConfigError("not UTF-8 text; save the file as UTF-8", file=shown,
                          line=line) from None


def parse_config(text: str, file: str = "<memory>") -> Config:
    located = load_yaml(text, file)
    if not isinstance(located.data, dict):
        raise ConfigError("the file must be a mapping with service, zone, records, vendors, "
                          "hosting and dns", file=file, line=1)
    try:
        config = Config.model_validate({**located.data, "source": file})
    except ValidationError as exc:
        raise _first_error(exc, located) from None
    located.data = None   # the models hold it all now; a large file need not be kept twice
    _check_references(config, located)
    return config


def _first_error(exc: ValidationError, located: Located) -> ConfigError:
    errors = exc.errors(include_url=False)
    # A union whose branches all fail reports once per branch; the discriminated
    # unions above avoid most of that, and the first error is the most precise.
    err = errors[0]
    loc = _data_path(err["loc"], located.data)
    key = ".".join(str(p) for p in loc) or None
    line = located.line_of(loc)
    kind = err["type"]
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1], located.data)
        allowed = ", ".join(sorted(set(_fields_of(parent)) - {'source'})) if parent else ""
        msg = f"unknown key '{loc[-1]}'"
        if allowed:
            msg += f"; allowed here: {allowed}"
    elif kind == "missing":
        msg = f"missing required key '{loc[-1]}'"
    elif kind == "union_tag_invalid":
        ctx = err.get("ctx", {})
        msg = f"unknown kind {ctx.get('tag')!r}; use one of {ctx.get('expected_tags')}"
    elif kind == "union_tag_not_found":
        msg = f"missing 'kind'; use one of {err.get('ctx', {}).get('expected_tags')}"
    else:
        text = err["msg"]
        if text.startswith("Value error, "):
            text = text[len("Value error, "):]
        got = err.get("input")
        if kind.endswith("_type") or kind.endswith("_parsing"):
            text = f"{text} (got {got!r})"
        msg = text
    return ConfigError(msg, file=located.file, line=line, key=key)


def _data_path(loc: tuple[Any, ...], data: Any) -> tuple[Any, ...]:
    """Drop the union tags pydantic puts in an error's location, keeping only real keys."""
    out: list[Any] = []
    for part in loc:
        in_dict = isinstance(data, dict) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and part < len(data)
        if in_dict or in_list:
            data = data[part]
            out.append(part)
        elif isinstance(data, dict) and (part == data.get("kind") or part in ("static", "stack")):
            continue  # a union tag that pydantic adds: 'rfc2136', 'static', ...
        else:
            out.append(part)
            data = None
    return tuple(out)


def _fields_of(model: type[BaseModel] | type[tuple[Any, ...]]) -> tuple[str, ...]:
    """A model's keys, or a NamedTuple's (ManagedRecord)."""
    if issubclass(model, BaseModel):
        return tuple(model.model_fields)
    return tuple(getattr(model, "_fields", ()))


def _model_at(loc: tuple[Any, ...],
              data: Any) -> type[BaseModel] | type[tuple[Any, ...]] | None:
    """The model class that validates the mapping at ``loc`` (for 'allowed keys' hints)."""
    from typing import get_args, get_origin

    annotation: Any = Config
    for part in loc:
        model = _pick(annotation, data)
        if model is not None:
            field = model.model_fields.get(str(part))
            if field is None:
                return None
            annotation = field.annotation
        else:
            origin = get_origin(_strip(annotation))
            if origin not in (list, dict):
                return None
            annotation = get_args(_strip(annotation))[-1]
        data = data[part] if isinstance(data, (dict, list)) else None
    tail = _strip(annotation)
    if isinstance(tail, type) and issubclass(tail, tuple):
        return tail   # a NamedTuple validated as a mapping: ManagedRecord
    return _pick(annotation, data)


def _strip(annotation: Any) -> Any:
    from typing import get_args, get_origin

    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _pick(annotation: Any, data: Any) -> type[BaseModel] | None:
    """The model among ``annotation`` (a model or a union of models) that fits ``data``."""
    import types
    from typing import Union, get_args, get_origin

    annotation = _strip(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) not in (Union, types.UnionType):
        return None
    models: list[type[BaseModel]] = []
    pending = [_strip(a) for a in get_args(annotation)]
    while pending:
        member = pending.pop(0)
        if get_origin(member) in (Union, types.UnionType):
            pending.extend(_strip(a) for a in get_args(member))
        elif isinstance(member, type) and issubclass(member, BaseModel):
            models.append(member)
    if not models or not isinstance(data, dict):
        return None
    for model in models:
        kind = model.model_fields.get("kind")
        if kind is not None and data.get("kind") in get_args(kind.annotation):
            return model
        if "from_stack" in model.model_fields and "from_stack" in data:
            return model
    return next((m for m in models if "kind" not in m.model_fields
                 and "from_stack" not in m.model_fields), None)


def _check_references(config: Config, located: Located) -> None:
    vendors = sorted(config.vendors)

    def fail(path: tuple[str | int, ...], msg: str) -> None:
        raise ConfigError(msg, file=located.file, line=located.line_of(path),
                          key=".".join(str(p) for p in path))

    for name, hosting in config.hosting.items():
        if hosting.vendor not in config.vendors:
            fail(("hosting", name, "vendor"),
                 f"unknown vendor '{hosting.vendor}'; declared vendors: {', '.join(vendors)}")
    for name, provider in config.dns.items():
        if provider.vendor not in config.vendors:
            fail(("dns", name, "vendor"),
                 f"unknown vendor '{provider.vendor}'; declared vendors: {', '.join(vendors)}")
    for name, backup in config.backups.items():
        if backup.vendor not in config.vendors:
            fail(("backups", name, "vendor"),
                 f"unknown vendor '{backup.vendor}'; declared vendors: {', '.join(vendors)}")
    _check_notify_references(config, fail)
    _check_check_references(config, fail)
    _check_saas_references(config, fail)
    if config.policy.min_healthy > len(config.hosting):
        fail(("policy", "min_healthy"),
             f"min_healthy is {config.policy.min_healthy} but there are only "
             f"{len(config.hosting)} hostings; it can never be met: lower it or add hostings")
    seen: set[tuple[str, str]] = set()
    for i, record in enumerate(config.records):
        name = absolute_name(record.name, config.zone)
        if name != config.zone and not name.endswith("." + config.zone):
            fail(("records", i, "name"),
                 f"'{record.name}' is outside zone {config.zone}; write it relative to the "
                 f"zone ('www', '@') or end it in .{config.zone}")
        key = (name, record.type)
        if key in seen:
            fail(("records", i), f"managed record '{record.name} {record.type}' is listed twice")
        seen.add(key)
    types = {r.type: i for i, r in reversed(list(enumerate(config.records)))}
    for rtype, i in types.items():
        record = config.records[i]
        for hname, hosting in config.hosting.items():
            eps = hosting.endpoints
            if isinstance(eps, StaticEndpoints) and not eps.values(rtype):
                fail(("hosting", hname, "endpoints"),
                     f"managed record '{record.name} {rtype}' needs {rtype} "
                     f"endpoints, and hosting '{hname}' has none; add them or stop "
                     "managing that type")
    names = Counter(absolute_name(r.name, config.zone) for r in config.records)
    for i, record in enumerate(config.records):
        name = absolute_name(record.name, config.zone)
        if record.type == "CNAME" and name == config.zone:
            fail(("records", i), "a CNAME cannot stand at the zone apex; manage A/AAAA there")
        if record.type == "CNAME" and names[name] > 1:
            fail(("records", i), f"'{record.name}' cannot have a CNAME beside other types")


def _check_check_references(config: Config,
                            fail: Callable[[tuple[str | int, ...], str], None]) -> None:
    hostings = ", ".join(sorted(config.hosting))
    for i, check in enumerate(config.checks):
        for name in check.ports:
            if name not in config.hosting:
                fail(("checks", i, "ports", name),
                     f"unknown hosting '{name}'; declared hostings: {hostings}")
        ca_file = getattr(check, "ca_file", None)
        if ca_file and not config.resolve_path(ca_file).is_file():
            fail(("checks", i, "ca_file"), f"no such file: {config.resolve_path(ca_file)}")


def _check_notify_references(config: Config,
                             fail: Callable[[tuple[str | int, ...], str], None]) -> None:
    vendors = ", ".join(sorted(config.vendors))
    if config.notify is None:
        return
    places = [("channels", i, c.vendor) for i, c in enumerate(config.notify.channels)]
    places += [("heartbeat", i, h.vendor) for i, h in enumerate(config.notify.heartbeat)]
    for section, i, vendor in places:
        if vendor is not None and vendor not in config.vendors:
            fail(("notify", section, i, "vendor"),
                 f"unknown vendor '{vendor}'; declared vendors: {vendors}")


def _check_saas_references(config: Config,
                           fail: Callable[[tuple[str | int, ...], str], None]) -> None:
    vendors = ", ".join(sorted(config.vendors))
    managed = {(r.name.lower().rstrip("."), r.type) for r in config.records}
    names: dict[str, str] = {}
    for dep, spec in config.saas.items():
        for prov, p in spec.providers.items():
            if p.vendor not in config.vendors:
                fail(("saas", dep, "providers", prov, "vendor"),
                     f"unknown vendor '{p.vendor}'; declared vendors: {vendors}")
        if isinstance(spec.switch, DnsSwitch):
            name = spec.switch.name.lower().rstrip(".")
            clash = [t for (n, t) in managed if n == name]
            if clash and (spec.switch.type == "CNAME" or "CNAME" in clash):
                fail(("saas", dep, "switch", "name"),
                     f"'{spec.switch.name}' is also a managed record; a CNAME cannot stand "
                     "beside other types: give the switch its own name")
            if (name, spec.switch.type) in managed or name in names:
                fail(("saas", dep, "switch", "name"),
                     f"'{spec.switch.name} {spec.switch.type}' is already managed"
                     + (f" by saas '{names[name]}'" if name in names else "")
                     + "; give each switch its own name")
            names[name] = dep


def saas_warnings(config: Config) -> list[str]:
    """Dependencies that one vendor's loss would stop."""
    out = []
    for dep, spec in config.saas.items():
        first, p = next(iter(spec.providers.items()))
        if len(spec.providers) == 1:
            out.append(f"{dep} has no fallback; losing {first} stops it "
                       f"(vendor {p.vendor}): add a second provider at another vendor")
        elif len({q.vendor for q in spec.providers.values()}) == 1:
            out.append(f"every provider of {dep} is at vendor '{p.vendor}'; losing it stops "
                       f"{dep}: add one at another vendor")
        if spec.switch is None and len(spec.providers) > 1:
            out.append(f"{dep} has no switch: failover can watch its providers but not move "
                       "the application to the fallback; add switch: {kind: dns} or "
                       "{kind: webhook}")
    return out


def notice_warnings(config: Config) -> list[str]:
    """Notices that one vendor could silence."""
    if config.notify is None:
        return ["no notify: channels: nobody is told when failover moves or a vendor "
                "terminates us; add channels at two vendors"]
    warnings = []
    where = {c.vendor for c in config.notify.channels}
    if len(config.notify.channels) < 2:
        warnings.append("only one notify channel: if it fails nobody is told; add a second "
                        "at another vendor")
    elif None not in where and len(where) == 1:
        warnings.append(f"every notify channel is at vendor '{next(iter(where))}': its "
                        "termination silences them all; add one at another vendor")
    return warnings


def fragility_warnings(config: Config) -> list[str]:
    """Setups that validate but would not survive the loss of one vendor or provider."""
    warnings: list[str] = []
    hosting_vendors = {h.vendor for h in config.hosting.values()}
    if len(hosting_vendors) < 2:
        warnings.append(f"all hostings are at one vendor ({', '.join(hosting_vendors)}): "
                        "its termination leaves nowhere to move; add a hosting at another vendor")
    if len(config.dns) < 2:
        warnings.append("only one DNS provider: if it drops the zone, nothing can be moved; "
                        "add a second DNS provider at another vendor")
    dns_vendors = {p.vendor for p in config.dns.values()}
    if len(config.dns) >= 2 and len(dns_vendors) < 2:
        warnings.append(f"every DNS provider is at vendor '{next(iter(dns_vendors))}': its "
                        "termination takes the whole zone; put one at another vendor")
    for record in config.records:
        ttl = config.record_ttl(record)
        if ttl > config.max_ttl:
            warnings.append(f"managed record '{record.name} {record.type}' has TTL {ttl}s: "
                            "resolvers keep the old answer that long after a move; "
                            f"use {config.max_ttl}s or less")
    for name, hosting in config.hosting.items():
        if isinstance(hosting.endpoints, StackEndpoints):
            continue
        if len(config.hosting) > 1 and hosting.vendor in dns_vendors and len(dns_vendors) == 1:
            warnings.append(f"hosting '{name}' and every DNS provider share vendor "
                            f"'{hosting.vendor}'")
    if not config.checks:
        warnings.append("no checks: every hosting will be UNKNOWN; "
                        "add at least an http or tcp check")
    if config.notify is not None:
        warnings += notice_warnings(config)
    return warnings + saas_warnings(config)
