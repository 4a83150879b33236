"""Where ops commands find a stack's outputs and account: the sandbox, the cluster, or Pulumi.

In order: the ``HRMS_STACK_OUTPUTS`` environment variable (JSON; the backup CronJobs set
it, since pods have neither a Pulumi CLI nor the offline engine); the local sandbox file
when its endpoint is the one asked for; else ``pulumi stack output``.
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any

from scripts.ops.aws import Account

OUTPUTS_ENV = "HRMS_STACK_OUTPUTS"


def stack_account_outputs(stack: str, endpoint_url: str | None) -> tuple[Account, dict[str, Any]]:
    if os.environ.get(OUTPUTS_ENV):
        region = os.environ.get("AWS_REGION")
        if region:
            outputs = dict(json.loads(os.environ[OUTPUTS_ENV]))
            return Account(region=region, endpoint_url=endpoint_url), outputs
    from scripts.ops.sandbox import SandboxError, read_state, stack_region

    sandbox = None
    with contextlib.suppress(SandboxError):
        sandbox = read_state(stack)
    if sandbox is not None and endpoint_url in (None, sandbox.endpoint_url):
        return sandbox.account, dict(sandbox.outputs)
    region = os.environ.get("AWS_REGION") or stack_region(stack)
    account = Account(region=region, endpoint_url=endpoint_url)
    if os.environ.get(OUTPUTS_ENV):
        return account, dict(json.loads(os.environ[OUTPUTS_ENV]))
    from scripts.ops.pulumi_cli import PulumiCli

    return account, dict(PulumiCli().outputs(stack))
