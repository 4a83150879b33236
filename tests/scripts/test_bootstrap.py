"""Account bootstrap against moto's server over HTTP: creates the singletons the stacks look
up, never fails because they exist, and a second stack in the same account changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.request import Request, urlopen

import boto3
import pytest
from moto.server import ThreadedMotoServer

from infra.account import APIGATEWAY_CLOUDWATCH_ROLE, AUTOSCALING_SERVICE_LINKED_ROLE
from scripts.deploy.bootstrap import bootstrap_account
from scripts.local_services.postgres import free_port

REPO = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"
AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    # AWS managed policies (AmazonAPIGatewayPushToCloudWatchLogs) exist only when loaded.
    previous = os.environ.get("MOTO_IAM_LOAD_MANAGED_POLICIES")
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
        if previous is None:
            os.environ.pop("MOTO_IAM_LOAD_MANAGED_POLICIES", None)
        else:
            os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = previous


@pytest.fixture
def client(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Any]:
    urlopen(Request(f"{moto_endpoint}/moto-api/reset", method="POST"), timeout=120).close()  # noqa: S310
    for key, value in AWS_ENV.items():
        monkeypatch.setenv(key, value)

    def make(service: str) -> Any:
        return boto3.client(service, endpoint_url=moto_endpoint, region_name=REGION)

    return make


def _actions(steps: list[Any]) -> list[str]:
    return [step.action for step in steps]


def test_an_empty_account_gets_every_singleton(client: Callable[[str], Any]) -> None:
    steps = bootstrap_account(client)
    assert _actions(steps) == ["created", "created", "set"]
    iam = client("iam")
    slr = iam.get_role(RoleName=AUTOSCALING_SERVICE_LINKED_ROLE)["Role"]
    assert slr["Path"] == "/aws-service-role/autoscaling.amazonaws.com/"
    role = iam.get_role(RoleName=APIGATEWAY_CLOUDWATCH_ROLE)["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert trust["Statement"][0]["Principal"] == {"Service": "apigateway.amazonaws.com"}
    attached = iam.list_attached_role_policies(RoleName=APIGATEWAY_CLOUDWATCH_ROLE)
    assert [p["PolicyArn"] for p in attached["AttachedPolicies"]] == [
        "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
    ]
    assert client("apigateway").get_account()["cloudwatchRoleArn"] == role["Arn"]


def test_a_second_stack_in_the_same_account_changes_nothing(client: Callable[[str], Any]) -> None:
    bootstrap_account(client)
    assert _actions(bootstrap_account(client)) == ["kept", "kept", "kept"]


def test_an_account_that_already_used_auto_scaling_keeps_its_role(
    client: Callable[[str], Any],
) -> None:
    client("iam").create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com")
    steps = bootstrap_account(client)
    assert steps[0].action == "kept"


def test_an_existing_working_logging_role_setting_is_kept(client: Callable[[str], Any]) -> None:
    iam = client("iam")
    other = iam.create_role(RoleName="team-apigw-logs", AssumeRolePolicyDocument="{}")["Role"]
    client("apigateway").update_account(
        patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": other["Arn"]}]
    )
    steps = bootstrap_account(client)
    assert steps[-1].action == "kept"
    assert client("apigateway").get_account()["cloudwatchRoleArn"] == other["Arn"]


def test_dry_run_creates_nothing(client: Callable[[str], Any]) -> None:
    steps = bootstrap_account(client, dry_run=True)
    assert _actions(steps) == ["would create", "would create", "would set"]
    roles = [r["RoleName"] for r in client("iam").list_roles()["Roles"]]
    assert AUTOSCALING_SERVICE_LINKED_ROLE not in roles
    assert APIGATEWAY_CLOUDWATCH_ROLE not in roles


@pytest.mark.slow
def test_make_bootstrap_uses_the_stack_region(moto_endpoint: str, tmp_path: Path) -> None:
    urlopen(Request(f"{moto_endpoint}/moto-api/reset", method="POST"), timeout=120).close()  # noqa: S310
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ENV)
    env.update({"HOME": str(tmp_path), "PYTHONPATH": str(REPO)})
    env["HRMS_AWS_ENDPOINT_URL"] = moto_endpoint
    result = subprocess.run(
        [sys.executable, "-m", "scripts.hrmsctl", "bootstrap", "--stack", "staging"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert f"set: API Gateway CloudWatch role setting in {REGION}" in result.stdout
    assert f"created: IAM service-linked role {AUTOSCALING_SERVICE_LINKED_ROLE}" in result.stdout
