"""The SaaS register (see failover/saas): dependencies, their providers, and the switch."""

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from failover.config.base import Duration, Strict
from failover.config.credentials import SecretUrl
from failover.config.vendors import ControlPlane


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
