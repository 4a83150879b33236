"""IAM policy documents rendered as JSON, shared by the components that create roles."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi


def assume_role_policy(service: str) -> str:
    """Trust policy letting one AWS service (e.g. ``eks.amazonaws.com``) assume a role."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                    "Action": "sts:AssumeRole",
                }
            ],
        },
        sort_keys=True,
    )


def policy_document(statements: Sequence[Mapping[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)


def managed_policy_arn(partition: str, name: str) -> str:
    return f"arn:{partition}:iam::aws:policy/{name}"


def managed_policy_for(partition: pulumi.Output[str], name: str) -> pulumi.Output[str]:
    """ARN of the AWS managed policy ``name`` in the deploying partition."""
    return partition.apply(lambda p: managed_policy_arn(p, name))
