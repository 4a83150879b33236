"""Account singletons: created once per account by the bootstrap, only looked up by stacks.

Some AWS settings exist once per account (the Auto Scaling service-linked role) or once per
account and region (API Gateway's CloudWatch logging role). As stack resources they fail to
create where they already exist, and destroying one stack would remove what every other
stack in the account uses. ``hrmsctl bootstrap`` (``make bootstrap``) owns them; a stack
only checks that they exist, so any number of stacks share an account without edits.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

# Created by `hrmsctl bootstrap`; the names are fixed so every stack finds them.
AUTOSCALING_SERVICE_LINKED_ROLE = "AWSServiceRoleForAutoScaling"
APIGATEWAY_CLOUDWATCH_ROLE = "hrms-apigateway-cloudwatch"
BOOTSTRAP_HINT = "run `make bootstrap STACK=<stack>` once per account and region (docs/stacks.md)"


class AccountNotBootstrappedError(LookupError):
    """An account singleton the stack relies on does not exist yet."""


def account_role_arn(name: str, *, purpose: str, opts: pulumi.InvokeOptions | None = None) -> str:
    """ARN of the account role ``name``, or a clear error when the bootstrap never ran.

    Looked up while the program runs, so a missing role stops the preview at once instead
    of failing a KMS key policy or an API Gateway stage halfway through an update.
    """
    try:
        return aws.iam.get_role(name=name, opts=opts).arn
    except Exception as exc:  # the provider reports NoSuchEntity
        raise AccountNotBootstrappedError(
            f"IAM role {name} ({purpose}) does not exist in this account: {BOOTSTRAP_HINT}"
        ) from exc
