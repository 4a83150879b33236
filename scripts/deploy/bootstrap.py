"""Account bootstrap: create the account singletons every stack looks up (infra/account.py).

Idempotent and additive: what exists is kept, nothing is ever deleted, so running it again,
or for a second stack in the same account, changes nothing. It never fails because
something already exists.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from infra.account import APIGATEWAY_CLOUDWATCH_ROLE, AUTOSCALING_SERVICE_LINKED_ROLE

AUTOSCALING_SERVICE = "autoscaling.amazonaws.com"
APIGATEWAY_LOGS_POLICY = "service-role/AmazonAPIGatewayPushToCloudWatchLogs"
# A new role takes a few seconds to be usable by API Gateway (IAM is eventually consistent).
ROLE_PROPAGATION_ATTEMPTS = 10
ROLE_PROPAGATION_DELAY_SECONDS = 3.0


@dataclass(frozen=True, kw_only=True)
class Step:
    what: str
    action: str  # "created", "kept", "set", or "would create"/"would set" in a dry run

    def __str__(self) -> str:
        return f"{self.action}: {self.what}"


def _role_arn(iam: Any, name: str) -> str | None:
    try:
        return str(iam.get_role(RoleName=name)["Role"]["Arn"])
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "NoSuchEntity":
            return None
        raise


def _partition(sts: Any) -> str:
    return str(sts.get_caller_identity()["Arn"]).split(":")[1]


def ensure_autoscaling_service_linked_role(iam: Any, *, dry_run: bool = False) -> Step:
    what = f"IAM service-linked role {AUTOSCALING_SERVICE_LINKED_ROLE}"
    if _role_arn(iam, AUTOSCALING_SERVICE_LINKED_ROLE) is not None:
        return Step(what=what, action="kept")
    if dry_run:
        return Step(what=what, action="would create")
    try:
        iam.create_service_linked_role(AWSServiceName=AUTOSCALING_SERVICE)
    except ClientError as exc:
        # Created meanwhile (Auto Scaling itself, or another bootstrap): that is the goal.
        if "has been taken" not in exc.response["Error"].get("Message", ""):
            raise
    return Step(what=what, action="created")


def ensure_apigateway_logging_role(
    iam: Any,
    apigateway: Any,
    sts: Any,
    *,
    dry_run: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Step]:
    """The CloudWatch role API Gateway logs through, and the region's account setting."""
    steps: list[Step] = []
    role_what = f"IAM role {APIGATEWAY_CLOUDWATCH_ROLE}"
    arn = _role_arn(iam, APIGATEWAY_CLOUDWATCH_ROLE)
    if arn is not None:
        steps.append(Step(what=role_what, action="kept"))
    elif dry_run:
        steps.append(Step(what=role_what, action="would create"))
    else:
        arn = str(
            iam.create_role(
                RoleName=APIGATEWAY_CLOUDWATCH_ROLE,
                Description="Lets API Gateway write access and execution logs to CloudWatch",
                AssumeRolePolicyDocument=json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "apigateway.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    }
                ),
            )["Role"]["Arn"]
        )
        steps.append(Step(what=role_what, action="created"))
    if arn is not None and not dry_run:
        # Attaching is idempotent: a role created by hand without the policy gets it too.
        iam.attach_role_policy(
            RoleName=APIGATEWAY_CLOUDWATCH_ROLE,
            PolicyArn=f"arn:{_partition(sts)}:iam::aws:policy/{APIGATEWAY_LOGS_POLICY}",
        )

    region = apigateway.meta.region_name
    setting_what = f"API Gateway CloudWatch role setting in {region}"
    current = apigateway.get_account().get("cloudwatchRoleArn")
    if current and _role_arn(iam, current.rsplit("/", 1)[-1]) is not None:
        # Another working role already logs for this region's APIs: keep it, ours is spare.
        steps.append(Step(what=f"{setting_what} ({current})", action="kept"))
        return steps
    if dry_run or arn is None:
        steps.append(Step(what=setting_what, action="would set"))
        return steps
    patch = [{"op": "replace", "path": "/cloudwatchRoleArn", "value": arn}]
    for attempt in range(ROLE_PROPAGATION_ATTEMPTS):
        try:
            apigateway.update_account(patchOperations=patch)
            break
        except ClientError as exc:
            retryable = exc.response["Error"]["Code"] == "BadRequestException"
            if not retryable or attempt == ROLE_PROPAGATION_ATTEMPTS - 1:
                raise
            sleep(ROLE_PROPAGATION_DELAY_SECONDS)
    steps.append(Step(what=f"{setting_what} ({arn})", action="set"))
    return steps


def bootstrap_account(client: Callable[[str], Any], *, dry_run: bool = False) -> list[Step]:
    """Every account singleton, in the account and region ``client(service)`` talks to."""
    iam = client("iam")
    steps = [ensure_autoscaling_service_linked_role(iam, dry_run=dry_run)]
    steps += ensure_apigateway_logging_role(
        iam, client("apigateway"), client("sts"), dry_run=dry_run
    )
    return steps
