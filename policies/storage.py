"""S3 storage rules: buckets are private, versioned and expire what they keep.

Encryption (SSE-KMS with a customer key) and TLS-only bucket policies are the encryption
domain's rules (``s3-bucket-encrypted-cmk``, ``s3-bucket-tls-only``); these cover the rest
of what a bucket of backups needs.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, Severity, StackValidationArgs

from policies.common import (
    CIS,
    SOC2,
    HrmsPolicy,
    HrmsStackPolicy,
    as_list,
    bucket_configs,
    get_path,
    is_true,
    resources_of,
    violation,
)

BUCKET = "aws:s3/bucket:Bucket"
BUCKET_V2 = "aws:s3/bucketV2:BucketV2"
BUCKETS = (BUCKET, BUCKET_V2)
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
BLOCK_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def _public_access_blocked(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = list(args.resources)
    for bucket in resources_of(resources, *BUCKETS):
        blocks = bucket_configs(bucket, resources, PUBLIC_ACCESS_BLOCK)
        if not any(all(is_true(get_path(b.props, f)) for f in BLOCK_FLAGS) for b in blocks):
            violation(
                report,
                f"no public access block with all of {', '.join(BLOCK_FLAGS)} true.",
                bucket.urn,
            )


def _versioned(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = list(args.resources)
    for bucket in resources_of(resources, *BUCKETS):
        states = [
            get_path(v.props, "versioningConfiguration.status")
            for v in bucket_configs(bucket, resources, VERSIONING)
        ]
        if "Enabled" not in states:
            violation(report, "versioning is not Enabled.", bucket.urn)


def _expires(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = list(args.resources)
    for bucket in resources_of(resources, *BUCKETS):
        rules = [
            rule
            for config in bucket_configs(bucket, resources, LIFECYCLE)
            for rule in as_list(get_path(config.props, "rules"))
            if get_path(rule, "status") == "Enabled"
        ]
        if not any(get_path(r, "expiration.days") for r in rules):
            violation(report, "no enabled lifecycle rule expires current objects.", bucket.urn)
        if not any(get_path(r, "noncurrentVersionExpiration.noncurrentDays") for r in rules):
            violation(report, "no enabled lifecycle rule expires noncurrent versions.", bucket.urn)


POLICIES: list[HrmsPolicy] = [
    HrmsStackPolicy(
        name="s3-bucket-public-access-blocked",
        description="Every S3 bucket blocks public ACLs and policies, at the bucket level.",
        resource_types=list(BUCKETS),
        inspects=[PUBLIC_ACCESS_BLOCK],
        check=_public_access_blocked,
        severity=Severity.HIGH,
        frameworks=[CIS("2.1.4"), SOC2("CC6.1")],
        remediation="Add an aws.s3.BucketPublicAccessBlock for the bucket with block_public_acls, "
        "block_public_policy, ignore_public_acls and restrict_public_buckets all True.",
    ),
    HrmsStackPolicy(
        name="s3-bucket-versioned",
        description="Every S3 bucket keeps versions, so an overwrite or delete is recoverable.",
        resource_types=list(BUCKETS),
        inspects=[VERSIONING],
        check=_versioned,
        severity=Severity.MEDIUM,
        frameworks=[SOC2("A1.2")],
        remediation="Add an aws.s3.BucketVersioning for the bucket with status 'Enabled'.",
    ),
    HrmsStackPolicy(
        name="s3-bucket-lifecycle",
        description="Every S3 bucket expires current objects and noncurrent versions: "
        "retention is decided, not unbounded.",
        resource_types=list(BUCKETS),
        inspects=[LIFECYCLE],
        check=_expires,
        severity=Severity.MEDIUM,
        frameworks=[SOC2("C1.2")],
        remediation="Add an aws.s3.BucketLifecycleConfiguration rule with expiration.days and "
        "noncurrent_version_expiration.noncurrent_days.",
    ),
]
