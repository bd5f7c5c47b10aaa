"""Hostings: where the service runs, and its endpoints (in the file or from Pulumi stacks)."""

import ipaddress
import re
from typing import Annotated, Literal, Self

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from failover.config.base import Duration, Strict


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
    # Where its TLS certificate lives: "own" (a key we hold and can copy anywhere), or a
    # vendor's managed service whose certificates cannot be exported (audit names the
    # hosting as bound to that vendor; see failover certs for a standby).
    certificate: Literal["own", "acm", "google-managed", "cloudflare"] = "own"
