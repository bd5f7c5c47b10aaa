"""Backups: does a standby vendor have data to serve?"""

from typing import Annotated, Literal

from pydantic import Field

from failover.config.base import Duration, LongDuration, Strict
from failover.config.credentials import AwsCredentialSettings


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
