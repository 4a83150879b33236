"""KMS key for the alert topic: CloudWatch alarms must be able to publish through it."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from infra.aws_context import aws_context


def alert_key_policy(*, account_id: str, partition: str) -> str:
    """Account administration, plus CloudWatch alarms of this account only.

    The AWS-managed ``aws/sns`` key cannot be used here: its policy does not let
    CloudWatch generate data keys, so alarms would fail to publish silently.
    """
    statements = [
        {
            "Sid": "AccountAdministersThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "CloudWatchAlarmsOfThisAccountPublish",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        },
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


def alert_key(name: str, *, parent: pulumi.Resource) -> aws.kms.Key:
    """Declare the rotating customer-managed key that encrypts the alert topic."""
    ctx = aws_context(pulumi.InvokeOptions(parent=parent))
    policy = pulumi.Output.all(ctx.account_id, ctx.partition).apply(
        lambda v: alert_key_policy(account_id=str(v[0]), partition=str(v[1]))
    )
    return aws.kms.Key(
        name,
        description="Encrypts the HRMS alert topic; usable by this account's CloudWatch alarms",
        enable_key_rotation=True,
        deletion_window_in_days=30,
        policy=policy,
        opts=pulumi.ResourceOptions(parent=parent),
    )
