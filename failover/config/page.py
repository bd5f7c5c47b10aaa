"""The status page: its title, what it hides, and where it is published."""

from typing import Annotated, Literal

from pydantic import Field

from failover.config.base import Duration, Strict
from failover.config.credentials import AwsCredentialSettings, SecretUrl

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

