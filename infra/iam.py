"""IAM policy documents rendered as JSON, shared by the components that create roles."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws


def assume_role_policy(
    service: str, *, source_account: str | None = None, source_arn: str | None = None
) -> str:
    """Trust policy letting one AWS service (e.g. ``eks.amazonaws.com``) assume a role.

    ``source_account`` / ``source_arn`` guard against the confused deputy: the service may
    assume the role only on behalf of this account (and matching resources).
    """
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    condition: dict[str, dict[str, str]] = {}
    if source_account is not None:
        condition["StringEquals"] = {"aws:SourceAccount": source_account}
    if source_arn is not None:
        condition["ArnLike"] = {"aws:SourceArn": source_arn}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, sort_keys=True)


def policy_document(statements: Sequence[Mapping[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)


def managed_policy_arn(partition: str, name: str) -> str:
    return f"arn:{partition}:iam::aws:policy/{name}"


def managed_policy_for(partition: pulumi.Output[str], name: str) -> pulumi.Output[str]:
    """ARN of the AWS managed policy ``name`` in the deploying partition."""
    return partition.apply(lambda p: managed_policy_arn(p, name))


def service_role(
    role_name: str,
    attachment_name: str,
    *,
    service: str,
    managed_policy: str,
    partition: pulumi.Output[str],
    opts: pulumi.ResourceOptions,
) -> tuple[aws.iam.Role, aws.iam.RolePolicyAttachment]:
    """A role ``service`` assumes, with one AWS managed policy attached."""
    role = aws.iam.Role(role_name, assume_role_policy=assume_role_policy(service), opts=opts)
    attachment = aws.iam.RolePolicyAttachment(
        attachment_name,
        role=role.name,
        policy_arn=managed_policy_for(partition, managed_policy),
        opts=opts,
    )
    return role, attachment
