"""Vendors, and their control planes: is our account at this vendor still alive?"""

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from failover.config.base import Duration, HeaderText, HttpStatus, Strict
from failover.config.credentials import AwsCredentialSettings


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
