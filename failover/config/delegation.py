"""The zone's delegation: the parent's servers to ask, and the registrars that write it.

A registrar failover does not ship is a plugin: an installed package's entry point in
the ``failover.registrars`` group, named in the config (``entry_point: NAME``). The config
never names a module: validating one would mean importing it, and so running it.
"""

from importlib.metadata import EntryPoint, entry_points
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, field_validator

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


REGISTRAR_GROUP = "failover.registrars"
ENTRY_POINT_FIX = ("register the class as an entry point of the package that ships it, in its "
                   f'pyproject.toml: [project.entry-points."{REGISTRAR_GROUP}"] '
                   'NAME = "package.module:Class"; install it, then say entry_point: NAME')


def registrar_plugins() -> dict[str, EntryPoint]:
    """The installed registrar plugins by name, read from metadata; none is loaded."""
    return {ep.name: ep for ep in entry_points(group=REGISTRAR_GROUP)}


class PluginRegistrar(Strict):
    """Any registrar: an entry point ``entry_point: NAME`` in the ``failover.registrars`` group,
    a subclass of failover.registrars.base.Registrar taking ``settings``."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              defer_build=True)

    kind: Literal["plugin"]
    # The old ``class: module:Class`` form, kept only to refuse it with the way forward
    # (before ``entry_point``, so that its line is the one reported).
    class_: None = Field(default=None, alias="class")
    entry_point: str
    settings: dict[str, Any] = Field(default_factory=dict)

    @field_validator("entry_point")
    @classmethod
    def _installed(cls, name: str) -> str:
        installed = registrar_plugins()
        if name not in installed:
            shown = ", ".join(sorted(installed)) or "none"
            raise ValueError(f"no registrar plugin {name!r} is installed (entry points in "
                             f"{REGISTRAR_GROUP}: {shown}); install the package that "
                             f"provides it, or {ENTRY_POINT_FIX.replace('NAME', name)}")
        return name

    @field_validator("class_", mode="before")
    @classmethod
    def _refused(cls, value: Any) -> None:
        raise ValueError(f"class {value!r} is refused: a registrar is never imported from a "
                         f"module path in the config; {ENTRY_POINT_FIX}")


Registrar = Annotated[Rfc2136Registrar | Route53DomainsRegistrar | PluginRegistrar,
                      Field(discriminator="kind")]


class Delegation(Strict):
    """Where the zone is delegated from: servers of the parent zone, asked for its NS set."""

    # host or host:port (a TLD's servers, or the registrar's); asked without recursion.
    parent_servers: ServerList = Field(min_length=1)
    timeout: Duration = 5.0
    # Where 'failover delegation move' writes the NS set; the parent's servers verify it.
    registrars: dict[str, Registrar] = Field(default_factory=dict)

