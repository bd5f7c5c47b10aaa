"""A backup bucket per cloud vendor (S3, GCS), for the data-freshness check.

Both are private (public access blocked), versioned, encrypted at rest, and
drop old versions after ``keep_days``. Each exports the same shape: vendor,
kind, bucket, url (``s3://...``, ``gs://...``). Copy backups to the bucket at
another vendor than the data: losing a vendor must not take the backups.

Each bucket lives in a stack of its own (``backup-aws``, ``backup-gcp``),
protected: destroying a hosting stack neither fails on a full bucket nor
takes the backups with it.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp

BACKUP_OUTPUTS = ("vendor", "kind", "bucket", "url")
# S3 bucket names are at most 63 characters; the provider appends 26 to the prefix.
S3_PREFIX_MAX = 37


def s3_bucket_prefix(service: str) -> str:
    """``<service>-backup-``, refused when S3 could not name a bucket from it."""
    prefix = f"{service}-backup-"
    if len(prefix) > S3_PREFIX_MAX:
        raise ValueError(f"S3 bucket prefix '{prefix}' is {len(prefix)} characters; S3 allows "
                         f"{S3_PREFIX_MAX} before its 26-character suffix: shorten the service "
                         f"name to {S3_PREFIX_MAX - len('-backup-')} characters or less")
    return prefix


class _Backup(pulumi.ComponentResource):
    vendor: pulumi.Output[str]
    kind: pulumi.Output[str]
    bucket: pulumi.Output[str]
    url: pulumi.Output[str]

    def _finish(self, vendor: str, kind: str, scheme: str, bucket: pulumi.Output[str]) -> None:
        self.vendor = pulumi.Output.from_input(vendor)
        self.kind = pulumi.Output.from_input(kind)
        self.bucket = bucket
        self.url = bucket.apply(lambda b: f"{scheme}://{b}")
        self.register_outputs(self.outputs())

    def outputs(self) -> dict[str, pulumi.Output[Any]]:
        return {key: getattr(self, key) for key in BACKUP_OUTPUTS}


class S3Backup(_Backup):
    """A private, versioned, encrypted S3 bucket."""

    def __init__(self, name: str, service: str, region: str, keep_days: int = 30,
                 vendor: str = "aws", opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("failover:backup:S3", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = {"service": service, "managed-by": "failover"}
        self.s3_bucket = aws.s3.Bucket(f"{name}-bucket", region=region,
                                       bucket_prefix=s3_bucket_prefix(service), tags=tags,
                                       opts=pulumi.ResourceOptions(parent=self, protect=True))
        bucket = self.s3_bucket.id
        aws.s3.BucketPublicAccessBlock(
            f"{name}-private", region=region, bucket=bucket, block_public_acls=True,
            block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True,
            opts=child)
        aws.s3.BucketVersioning(
            f"{name}-versioning", region=region, bucket=bucket,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                status="Enabled"),
            opts=child)
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption", region=region, bucket=bucket,
            rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.
                BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="AES256"))],
            opts=child)
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle", region=region, bucket=bucket,
            rules=[aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-old-versions", status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                noncurrent_version_expiration=aws.s3.
                BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                    noncurrent_days=keep_days))],
            opts=child)
        self._finish(vendor, "s3", "s3", bucket)


class GcsBackup(_Backup):
    """A private, versioned GCS bucket (Google encrypts at rest by default)."""

    def __init__(self, name: str, service: str, location: str, keep_days: int = 30,
                 vendor: str = "gcp", project: str | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("failover:backup:Gcs", name, None, opts)
        self.gcs_bucket = gcp.storage.Bucket(
            f"{name}-bucket", project=project, location=location,
            uniform_bucket_level_access=True, public_access_prevention="enforced",
            versioning=gcp.storage.BucketVersioningArgs(enabled=True),
            lifecycle_rules=[gcp.storage.BucketLifecycleRuleArgs(
                action=gcp.storage.BucketLifecycleRuleActionArgs(type="Delete"),
                condition=gcp.storage.BucketLifecycleRuleConditionArgs(
                    days_since_noncurrent_time=keep_days, with_state="ARCHIVED"))],
            labels={"service": service, "managed-by": "failover"},
            opts=pulumi.ResourceOptions(parent=self, protect=True))
        self._finish(vendor, "gcs", "gs", self.gcs_bucket.name)
