"""hrmsctl sandbox: the staging plan applied to moto's server, with real ids in the outputs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from scripts.ops.apply import CREATORS, UNSUPPORTED, References
from scripts.ops.sandbox import SandboxState, sandbox_down, sandbox_up, state_path
from stacks import outputs as out
from stacks.offline.invokes import InvokeContext
from stacks.offline.plan import Plan, PlanResource
from stacks.offline.resources import mock_state

pytestmark = [pytest.mark.ops, pytest.mark.slow]


def test_state_file_has_the_documented_shape(
    staging_sandbox: SandboxState, sandbox_dir: Path
) -> None:
    data = json.loads(state_path("staging", sandbox_dir).read_text())
    assert {"endpoint_url", "pid", "outputs", "unsupported"} <= set(data)
    assert data["endpoint_url"].startswith("http://127.0.0.1:")
    assert data["pid"] == staging_sandbox.pid
    os.kill(data["pid"], 0)  # alive


def test_outputs_carry_the_sandbox_ids_under_the_export_names(
    staging_sandbox: SandboxState, staging_plan: Plan
) -> None:
    account, outputs = staging_sandbox.account, staging_sandbox.outputs
    api = account.client("apigateway")
    assert api.get_rest_api(restApiId=outputs[out.API_ID])["name"] == "hrms-staging-edge-gateway"
    plan_ids = outputs[out.API_USAGE_PLAN_IDS]
    assert set(plan_ids) == set(staging_plan.outputs[out.API_USAGE_PLAN_IDS])
    for tier, plan_id in plan_ids.items():
        plan = api.get_usage_plan(usagePlanId=plan_id)
        assert plan["name"].endswith(tier)
        assert plan["apiStages"] == [{"apiId": outputs[out.API_ID], "stage": "staging"}]
    ec2 = account.client("ec2")
    subnets = ec2.describe_subnets(SubnetIds=outputs[out.PRIVATE_SUBNET_IDS])["Subnets"]
    assert {s["VpcId"] for s in subnets} == {outputs[out.VPC_ID]}
    db = account.client("rds").describe_db_instances(
        DBInstanceIdentifier=outputs[out.DB_INSTANCE_IDENTIFIER]
    )["DBInstances"][0]
    assert db["KmsKeyId"] == outputs[out.DB_KMS_KEY_ARN]
    assert db["DBSubnetGroup"]["DBSubnetGroupName"] == outputs[out.DB_SUBNET_GROUP_NAME]
    account.client("kms").describe_key(KeyId=outputs[out.DB_KMS_KEY_ARN])
    stage_arn = (
        f"arn:aws:apigateway:{staging_sandbox.region}::/restapis/{outputs[out.API_ID]}"
        f"/stages/{outputs[out.API_STAGE_NAME]}"
    )
    acl = account.client("wafv2").get_web_acl_for_resource(ResourceArn=stage_arn)["WebACL"]
    assert acl["Name"] == outputs[out.WEB_ACL_NAME]


def test_alarm_actions_and_dashboard_point_at_sandbox_resources(
    staging_sandbox: SandboxState,
) -> None:
    account, outputs = staging_sandbox.account, staging_sandbox.outputs
    cloudwatch = account.client("cloudwatch")
    alarms = cloudwatch.describe_alarms(AlarmNamePrefix="hrms-staging-")["MetricAlarms"]
    assert len(alarms) >= 20
    assert {a for alarm in alarms for a in alarm["AlarmActions"]} == {outputs[out.ALERT_TOPIC_ARN]}
    body = cloudwatch.get_dashboard(DashboardName=outputs[out.DASHBOARD_NAME])["DashboardBody"]
    arns = {alarm["AlarmArn"] for alarm in alarms}
    assert any(arn in body for arn in arns)


def test_types_moto_cannot_hold_are_listed_not_created(staging_sandbox: SandboxState) -> None:
    listed = {item["type"] for item in staging_sandbox.unsupported}
    assert "aws:backup/selection:Selection" in listed
    assert all(item["reason"] for item in staging_sandbox.unsupported)
    assert not listed & set(CREATORS)
    assert listed <= set(UNSUPPORTED)


def test_references_follow_property_dependencies_not_value_shapes() -> None:
    """A name that equals a mocked id stays a name where the property names a name."""
    ctx = InvokeContext(stack="s", project="p")
    api = PlanResource(
        urn="u:api", type="aws:apigateway/restApi:RestApi", name="gw", inputs={"name": "gw"}
    )
    refs = References(ctx)
    refs.record(api, {"id": "abc123", "name": "gw"})
    mocked_id, _ = mock_state(api.type, api.name, api.inputs, ctx)
    stage = PlanResource(
        urn="u:stage",
        type="aws:apigateway/stage:Stage",
        name="st",
        property_dependencies={"restApi": ("u:api",)},
        inputs={"restApi": mocked_id},
    )
    assert refs.resolve_inputs(stage) == {"restApi": "abc123"}
    assert refs.resolve({"ApiName": "gw"}, urns=["u:api"], key="dimensions") == {"ApiName": "gw"}


def test_a_failed_apply_stops_the_server(tmp_path: Path, staging_plan: Plan) -> None:
    broken = Plan(
        stack="staging",
        project=staging_plan.project,
        resources=(
            PlanResource(
                urn="u:db",
                type="aws:rds/instance:Instance",
                name="db",
                inputs={"identifier": "x", "engine": "not-an-engine"},
            ),
        ),
    )
    with pytest.raises(Exception, match="sandbox could not create aws:rds/instance:Instance db"):
        sandbox_up("staging", plan=broken, directory=tmp_path)
    assert not state_path("staging", tmp_path).exists()


def test_down_stops_the_server(tmp_path: Path) -> None:
    empty = Plan(stack="staging", project="hrms")
    state, _ = sandbox_up("staging", plan=empty, directory=tmp_path)
    sandbox_down("staging", tmp_path)
    with pytest.raises(ProcessLookupError):
        os.kill(state.pid, 0)
    assert not state_path("staging", tmp_path).exists()
