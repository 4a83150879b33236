"""Data protection rules: every data store encrypted at rest with a customer-managed key, and in
transit where the service lets it be turned off.

The database (``rds-*``), log group, topic, cluster secret and EBS rules live with their
domains; this module holds the stores that have no other home: caches, registries, secrets,
backup vaults and buckets. Where a service only offers TLS endpoints (ECR, Secrets Manager,
AWS Backup, CloudWatch Logs, SNS), transit encryption is not a setting and has no rule.
"""

from __future__ import annotations

import json
from typing import Any

from pulumi_policy import (
    ReportViolation,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)

from policies.common import (
    CIS,
    SOC2,
    HrmsPolicy,
    HrmsResourcePolicy,
    HrmsStackPolicy,
    as_list,
    bucket_configs,
    get_path,
    is_customer_key,
    is_true,
    resources_of,
    violation,
)

REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
SERVERLESS_CACHE = "aws:elasticache/serverlessCache:ServerlessCache"
ECR_REPOSITORY = "aws:ecr/repository:Repository"
SECRETS_MANAGER_SECRET = "aws:secretsmanager/secret:Secret"  # noqa: S105 - a type token
BACKUP_VAULT = "aws:backup/vault:Vault"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_V2 = "aws:s3/bucketV2:BucketV2"
BUCKET_SSE = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKETS = (BUCKET, BUCKET_V2)


def _cache_at_rest(args: ResourceValidationArgs, report: ReportViolation) -> None:
    # Serverless caches are always encrypted at rest; only the key is a choice.
    if args.resource_type == REPLICATION_GROUP and not is_true(
        get_path(args.props, "atRestEncryptionEnabled")
    ):
        violation(report, "atRestEncryptionEnabled must be true.")
    if not is_customer_key(get_path(args.props, "kmsKeyId")):
        violation(report, "kmsKeyId must name a customer-managed KMS key.")


def _cache_in_transit(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not is_true(get_path(args.props, "transitEncryptionEnabled")):
        violation(report, "transitEncryptionEnabled must be true.")
    # "preferred" accepts plaintext clients too; only "required" refuses them.
    mode = get_path(args.props, "transitEncryptionMode")
    if mode is not None and mode != "required":
        violation(report, f"transitEncryptionMode is {mode!r}; it must be 'required'.")
    if not get_path(args.props, "authToken") and not as_list(get_path(args.props, "userGroupIds")):
        violation(report, "clients must authenticate: set authToken or userGroupIds.")


def _ecr_cmk(args: ResourceValidationArgs, report: ReportViolation) -> None:
    configs = as_list(get_path(args.props, "encryptionConfigurations"))
    config = configs[0] if configs else {}
    if get_path(config, "encryptionType") not in ("KMS", "KMS_DSSE"):
        violation(
            report, "encryptionConfigurations[0].encryptionType must be KMS (default AES256)."
        )
    if not is_customer_key(get_path(config, "kmsKey")):
        violation(report, "encryptionConfigurations[0].kmsKey must name a customer-managed key.")


def _secret_cmk(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not is_customer_key(get_path(args.props, "kmsKeyId")):
        violation(
            report, "kmsKeyId must name a customer-managed KMS key (default aws/secretsmanager)."
        )


def _vault_cmk(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not is_customer_key(get_path(args.props, "kmsKeyArn")):
        violation(report, "kmsKeyArn must name a customer-managed KMS key (default aws/backup).")


def _bucket_cmk(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = list(args.resources)
    for bucket in resources_of(resources, *BUCKETS):
        defaults = [
            get_path(rule, "applyServerSideEncryptionByDefault") or {}
            for config in bucket_configs(bucket, resources, BUCKET_SSE)
            for rule in as_list(get_path(config.props, "rules"))
        ]
        if not any(
            get_path(d, "sseAlgorithm") in ("aws:kms", "aws:kms:dsse")
            and is_customer_key(get_path(d, "kmsMasterKeyId"))
            for d in defaults
        ):
            violation(
                report,
                "bucket has no server-side encryption configuration with aws:kms and a "
                "customer-managed kmsMasterKeyId (S3's default is SSE-S3).",
                bucket.urn,
            )


def _denies_plain_http(document: Any) -> bool:
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return False
    for statement in as_list(get_path(document, "Statement")):
        condition = get_path(statement, "Condition") or {}
        secure = get_path(condition, "Bool") or {}
        if (
            get_path(statement, "Effect") == "Deny"
            and str(secure.get("aws:SecureTransport", "")).lower() == "false"
        ):
            return True
    return False


def _bucket_tls(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = list(args.resources)
    for bucket in resources_of(resources, *BUCKETS):
        policies = bucket_configs(bucket, resources, BUCKET_POLICY)
        if not any(_denies_plain_http(get_path(p.props, "policy")) for p in policies):
            violation(
                report,
                "no bucket policy denies requests without TLS (Deny with "
                'Condition Bool "aws:SecureTransport": "false").',
                bucket.urn,
            )


POLICIES: list[HrmsPolicy] = [
    HrmsResourcePolicy(
        name="elasticache-encrypted-at-rest-cmk",
        description="ElastiCache data and snapshots are encrypted at rest with a "
        "customer-managed KMS key.",
        resource_types=[REPLICATION_GROUP, SERVERLESS_CACHE],
        check=_cache_at_rest,
        severity=Severity.HIGH,
        frameworks=[SOC2("CC6.1")],
        remediation="Set at_rest_encryption_enabled=True and kms_key_id to the stack's cache "
        "KMS key (both are fixed at creation: replace the replication group).",
    ),
    HrmsResourcePolicy(
        name="elasticache-encrypted-in-transit",
        description="ElastiCache requires TLS and authenticated clients.",
        resource_types=[REPLICATION_GROUP],
        check=_cache_in_transit,
        severity=Severity.HIGH,
        frameworks=[SOC2("CC6.7")],
        remediation="Set transit_encryption_enabled=True, transit_encryption_mode='required' "
        "and an auth_token (from Secrets Manager) or user_group_ids.",
    ),
    HrmsResourcePolicy(
        name="ecr-repository-encrypted-cmk",
        description="Container images are encrypted at rest with a customer-managed KMS key.",
        resource_types=[ECR_REPOSITORY],
        check=_ecr_cmk,
        severity=Severity.MEDIUM,
        frameworks=[SOC2("CC6.1")],
        remediation="Set encryption_configurations=[{encryption_type: 'KMS', kms_key: <key ARN>}] "
        "(fixed at creation: a new repository and an image push).",
    ),
    HrmsResourcePolicy(
        name="secretsmanager-secret-cmk",
        description="Secrets are encrypted with a customer-managed KMS key.",
        resource_types=[SECRETS_MANAGER_SECRET],
        check=_secret_cmk,
        severity=Severity.HIGH,
        frameworks=[SOC2("CC6.1")],
        remediation="Set kms_key_id to the stack's KMS key for the secret's consumers and "
        "grant them kms:Decrypt on it.",
    ),
    HrmsResourcePolicy(
        name="backup-vault-encrypted-cmk",
        description="AWS Backup vaults encrypt recovery points with a customer-managed KMS key.",
        resource_types=[BACKUP_VAULT],
        check=_vault_cmk,
        severity=Severity.HIGH,
        frameworks=[SOC2("CC6.1"), SOC2("A1.2")],
        remediation="Set kms_key_arn to a customer-managed key in the vault's own region "
        "(fixed at creation: a new vault).",
    ),
    HrmsStackPolicy(
        name="s3-bucket-encrypted-cmk",
        description="Every S3 bucket encrypts objects with SSE-KMS under a customer-managed key.",
        resource_types=list(BUCKETS),
        check=_bucket_cmk,
        severity=Severity.HIGH,
        frameworks=[CIS("2.1.1"), SOC2("CC6.1")],
        remediation="Add an aws.s3.BucketServerSideEncryptionConfiguration with "
        "sse_algorithm='aws:kms' and kms_master_key_id for the bucket.",
        inspects=[BUCKET_SSE],
    ),
    HrmsStackPolicy(
        name="s3-bucket-tls-only",
        description="Every S3 bucket refuses requests that do not use TLS.",
        resource_types=list(BUCKETS),
        check=_bucket_tls,
        severity=Severity.HIGH,
        frameworks=[CIS("2.1.1"), SOC2("CC6.7")],
        remediation="Add an aws.s3.BucketPolicy statement: Effect Deny, Principal *, Action s3:*, "
        'on the bucket and its objects, Condition Bool "aws:SecureTransport": "false".',
        inspects=[BUCKET_POLICY],
    ),
]
