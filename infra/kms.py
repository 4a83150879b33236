"""Customer-managed KMS keys with rotation and a least-privilege key policy."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.aws_context import aws_context
from infra.ordering import explicit_dependencies

KEY_ADMIN_ACTIONS = ["kms:*"]
# What a service principal needs to encrypt its own data with the key.
SERVICE_USE_ACTIONS = [
    "kms:Encrypt*",
    "kms:Decrypt*",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:Describe*",
]


@dataclass(frozen=True, kw_only=True)
class EncryptionKeyArgs:
    description: str
    # Regional service principals that write with this key directly (e.g. "logs"); other
    # services (RDS, EKS, ECR...) use it through the caller's IAM grants instead.
    service_principals: Sequence[str] = ()
    # Service-linked roles (path under ``role/aws-service-role/``) that attach the key to
    # resources they launch, e.g. Auto Scaling creating encrypted node volumes.
    service_linked_roles: Sequence[str] = ()
    deletion_window_days: int = 30
    region: str | None = None


def key_policy(
    *,
    account_id: str,
    partition: str,
    region: str,
    dns_suffix: str,
    services: Sequence[str],
    service_linked_roles: Sequence[str] = (),
) -> str:
    """Key policy: the account administers the key through IAM; named services may use it."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountAdministersThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
            "Action": KEY_ADMIN_ACTIONS,
            "Resource": "*",
        }
    ]
    for service in services:
        statement: dict[str, Any] = {
            "Sid": f"Allow{service.capitalize()}Service",
            "Effect": "Allow",
            "Principal": {"Service": f"{service}.{region}.{dns_suffix}"},
            "Action": SERVICE_USE_ACTIONS,
            "Resource": "*",
        }
        if service == "logs":
            # Only log groups of this account and region may use the key.
            statement["Condition"] = {
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": (
                        f"arn:{partition}:logs:{region}:{account_id}:log-group:*"
                    )
                }
            }
        statements.append(statement)
    for role in service_linked_roles:
        principal = f"arn:{partition}:iam::{account_id}:role/aws-service-role/{role}"
        sid = "".join(c for c in role.split("/")[-1] if c.isalnum())
        statements.append(
            {
                "Sid": f"Allow{sid}Use",
                "Effect": "Allow",
                "Principal": {"AWS": principal},
                "Action": SERVICE_USE_ACTIONS,
                "Resource": "*",
            }
        )
        statements.append(
            {
                "Sid": f"Allow{sid}Grants",
                "Effect": "Allow",
                "Principal": {"AWS": principal},
                "Action": ["kms:CreateGrant"],
                "Resource": "*",
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


class EncryptionKey(pulumi.ComponentResource):
    key_arn: pulumi.Output[str]
    key_id: pulumi.Output[str]
    alias_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: EncryptionKeyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("hrms:security:EncryptionKey", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        ctx = aws_context(pulumi.InvokeOptions(parent=self))
        region: pulumi.Input[str] = args.region or ctx.region
        policy = pulumi.Output.all(ctx.account_id, ctx.partition, region, ctx.dns_suffix).apply(
            lambda v: key_policy(
                account_id=v[0],
                partition=v[1],
                region=v[2],
                dns_suffix=v[3],
                services=list(args.service_principals),
                service_linked_roles=list(args.service_linked_roles),
            )
        )
        key = aws.kms.Key(
            f"{name}-key",
            description=args.description,
            enable_key_rotation=True,
            deletion_window_in_days=args.deletion_window_days,
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            policy=policy,
            region=args.region,
            # KMS rejects a policy naming a principal that does not exist yet, so a key
            # for a service-linked role waits for whatever the caller creates it with.
            opts=pulumi.ResourceOptions(parent=self, depends_on=explicit_dependencies(opts)),
        )
        alias = aws.kms.Alias(
            f"{name}-alias",
            name=f"alias/{name}",
            target_key_id=key.key_id,
            region=args.region,
            opts=child,
        )
        self.key_arn = key.arn
        self.key_id = key.key_id
        self.alias_name = alias.name
        self.register_outputs({"key_arn": key.arn, "key_id": key.key_id})
