"""IAM policy documents rendered as JSON, shared by the components that create roles."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi


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
