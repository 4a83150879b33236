"""CloudWatch log groups that are always KMS-encrypted and always expire."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws


def encrypted_log_group(
    resource_name: str,
    *,
    log_group_name: pulumi.Input[str],
    retention_days: int,
    kms_key_arn: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> aws.cloudwatch.LogGroup:
    """Declare a log group explicitly so retention and encryption are ours, not the
    service default (never-expire, AWS-owned key) it would get if created implicitly."""
    return aws.cloudwatch.LogGroup(
        resource_name,
        name=log_group_name,
        retention_in_days=retention_days,
        kms_key_id=kms_key_arn,
        opts=opts,
    )
