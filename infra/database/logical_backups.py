"""The bucket logical backups (dump + manifest) land in: versioned, SSE-KMS, private, TLS-only."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.database.backups import BackupSettings
from infra.kms import EncryptionKey, EncryptionKeyArgs

# Dumps and manifests live under this prefix, dated: logical/YYYY/MM/DD/<stack>-<time>.dump
LOGICAL_PREFIX = "logical/"


def tls_only_policy(bucket_arn: str) -> str:
    """Refuse every request that does not arrive over TLS, whoever makes it."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyPlainHttp",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket_arn, f"{bucket_arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        },
        sort_keys=True,
    )


@dataclass(frozen=True, kw_only=True)
class LogicalBackupBucketArgs:
    # Days a dump stays current (settings.logical_retention_days); older versions
    # (overwritten or deleted) go after a week.
    settings: BackupSettings
    noncurrent_retention_days: int = 7
    # Prod keeps its backups when the stack is destroyed by mistake.
    force_destroy: bool = False

    def __post_init__(self) -> None:
        if self.noncurrent_retention_days < 1:
            raise ValueError("noncurrent_retention_days must be >= 1")


class LogicalBackupBucket(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: LogicalBackupBucketArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("hrms:database:LogicalBackupBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        key = EncryptionKey(
            f"{name}-kms", EncryptionKeyArgs(description=f"Logical backups in {name}"), opts=child
        )
        bucket = aws.s3.Bucket(f"{name}-bucket", force_destroy=args.force_destroy, opts=child)
        # ACLs off: the bucket owner owns every object, and access is by policy alone.
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        )
        aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        # Versioning: a dump overwritten or deleted (by mistake or on purpose) stays
        # recoverable for the noncurrent window.
        aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                status="Enabled"
            ),
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-sse",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="aws:kms", kms_master_key_id=key.key_arn
                    ),
                    # One data key per bucket, not per object: far fewer KMS calls.
                    bucket_key_enabled=True,
                )
            ],
            opts=child,
        )
        aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket.id,
            policy=bucket.arn.apply(tls_only_policy),
            opts=child,
        )
        self._lifecycle(name, args, bucket)

        # An S3 bucket's id is its name (and is known to previews even when autonamed).
        self.bucket_name = bucket.id
        self.bucket_arn = bucket.arn
        self.kms_key_arn = key.key_arn
        self.register_outputs(
            {"bucket_name": bucket.id, "bucket_arn": bucket.arn, "kms_key_arn": key.key_arn}
        )

    def _lifecycle(self, name: str, args: LogicalBackupBucketArgs, bucket: aws.s3.Bucket) -> None:
        """Dumps expire after their retention, overwritten versions after theirs."""
        child = pulumi.ResourceOptions(parent=self)
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-logical-backups",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=LOGICAL_PREFIX),
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                        days=args.settings.logical_retention_days
                    ),
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=args.noncurrent_retention_days
                    ),
                    # A killed upload leaves parts that cost money and are never a backup.
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=1
                    ),
                )
            ],
            opts=child,
        )
