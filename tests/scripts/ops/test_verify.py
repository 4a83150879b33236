"""hrmsctl verify on the staging sandbox: passes as applied; a broken property fails its check."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from scripts.ops.sandbox import SandboxState, seed_image
from scripts.ops.verify import CHECK_NAMES, Target, run_checks
from stacks import outputs as out
from stacks.offline.plan import Plan
from tests.scripts.ops.conftest import AppServer

pytestmark = [pytest.mark.ops, pytest.mark.slow]

# Checks the sandbox cannot answer; they must show up as skips, never as passes.
SANDBOX_SKIPS = {"backup-recovery-points-recent", "image-digest-running"}


def target(state: SandboxState, plan: Plan, **kwargs: Any) -> Target:
    return Target(
        stack="staging", account=state.account, outputs=state.outputs, plan=plan, **kwargs
    )


def test_there_are_at_least_twenty_named_checks() -> None:
    assert len(set(CHECK_NAMES)) == len(CHECK_NAMES) >= 20


def test_verify_passes_on_the_applied_plan_and_the_app(
    staging_sandbox: SandboxState, staging_plan: Plan, app_server: AppServer
) -> None:
    key, token = app_server.keys["free"]
    report = run_checks(
        target(
            staging_sandbox,
            staging_plan,
            base_url=app_server.base_url,
            free_key=key,
            free_token=token,
        ),
        allow_skip=SANDBOX_SKIPS,
    )
    by_name = {r.name: r for r in report.results}
    assert report.passed, [r.to_dict() for r in report.blocking]
    assert {n for n, r in by_name.items() if r.status == "skip"} == SANDBOX_SKIPS
    assert all(r.detail.startswith("skipped: ") for r in report.results if r.status == "skip")
    assert "Retry-After" in by_name["api-rate-limited"].detail


def test_a_skip_that_was_not_allowed_fails_the_run(
    staging_sandbox: SandboxState, staging_plan: Plan
) -> None:
    report = run_checks(
        target(staging_sandbox, staging_plan), only=["image-digest-running", "eks-version"]
    )
    assert not report.passed
    assert [r.name for r in report.blocking] == ["image-digest-running"]
    assert report.to_dict()["passed"] is False


@dataclass(frozen=True)
class Break:
    check: str
    breaks: Callable[[SandboxState], Any]
    restores: Callable[[SandboxState, Any], None]


def _c(state: SandboxState, service: str) -> Any:
    return state.account.client(service)


def _db_modify(**kwargs: Any) -> Callable[[SandboxState], None]:
    def run(state: SandboxState) -> None:
        _c(state, "rds").modify_db_instance(
            DBInstanceIdentifier=state.outputs[out.DB_INSTANCE_IDENTIFIER],
            ApplyImmediately=True,
            **kwargs,
        )

    return run


def _param(value: str) -> Callable[[SandboxState], None]:
    def run(state: SandboxState) -> None:
        rds = _c(state, "rds")
        db = rds.describe_db_instances(
            DBInstanceIdentifier=state.outputs[out.DB_INSTANCE_IDENTIFIER]
        )
        group = db["DBInstances"][0]["DBParameterGroups"][0]["DBParameterGroupName"]
        rds.modify_db_parameter_group(
            DBParameterGroupName=group,
            Parameters=[
                {
                    "ParameterName": "rds.force_ssl",
                    "ParameterValue": value,
                    "ApplyMethod": "immediate",
                }
            ],
        )

    return run


ALARM = "hrms-staging-rds-cpu"


def _delete_alarm(state: SandboxState) -> dict[str, Any]:
    cloudwatch = _c(state, "cloudwatch")
    alarm = cloudwatch.describe_alarms(AlarmNames=[ALARM])["MetricAlarms"][0]
    cloudwatch.delete_alarms(AlarmNames=[ALARM])
    return alarm


def _put_alarm(state: SandboxState, alarm: dict[str, Any]) -> None:
    keys = ["AlarmName", "AlarmDescription", "ActionsEnabled", "OKActions", "AlarmActions"]
    keys += ["MetricName", "Namespace", "Statistic", "Dimensions", "Period", "Threshold"]
    keys += ["EvaluationPeriods", "DatapointsToAlarm", "ComparisonOperator", "TreatMissingData"]
    _c(state, "cloudwatch").put_metric_alarm(**{k: alarm[k] for k in keys if k in alarm})


def _set_state(value: str) -> Callable[..., None]:
    def run(state: SandboxState, *_: Any) -> None:
        _c(state, "cloudwatch").set_alarm_state(
            AlarmName=ALARM, StateValue=value, StateReason="test"
        )

    return run


def _unsubscribe(state: SandboxState) -> dict[str, Any]:
    sns = _c(state, "sns")
    sub = sns.list_subscriptions_by_topic(TopicArn=state.outputs[out.ALERT_TOPIC_ARN])[
        "Subscriptions"
    ][0]
    sns.unsubscribe(SubscriptionArn=sub["SubscriptionArn"])
    return dict(sub)


def _resubscribe(state: SandboxState, sub: dict[str, Any]) -> None:
    _c(state, "sns").subscribe(
        TopicArn=sub["TopicArn"], Protocol=sub["Protocol"], Endpoint=sub["Endpoint"]
    )


def _free_rate(value: str) -> Callable[..., None]:
    def run(state: SandboxState, *_: Any) -> None:
        _c(state, "apigateway").update_usage_plan(
            usagePlanId=state.outputs[out.API_USAGE_PLAN_IDS]["free"],
            patchOperations=[{"op": "replace", "path": "/throttle/rateLimit", "value": value}],
        )

    return run


def _misplaced_key(state: SandboxState) -> str:
    api = _c(state, "apigateway")
    key = api.create_api_key(
        name="tenant-acme-1", enabled=True, tags={"tenant": "acme", "tier": "free"}
    )
    api.create_usage_plan_key(
        usagePlanId=state.outputs[out.API_USAGE_PLAN_IDS]["starter"],
        keyId=key["id"],
        keyType="API_KEY",
    )
    return str(key["id"])


def _stage_arn(state: SandboxState) -> str:
    return (
        f"arn:aws:apigateway:{state.region}::/restapis/{state.outputs[out.API_ID]}"
        f"/stages/{state.outputs[out.API_STAGE_NAME]}"
    )


def _disassociate(state: SandboxState) -> str:
    waf = _c(state, "wafv2")
    acl = waf.get_web_acl_for_resource(ResourceArn=_stage_arn(state))["WebACL"]
    waf.disassociate_web_acl(ResourceArn=_stage_arn(state))
    return str(acl["ARN"])


def _open_route(state: SandboxState) -> str:
    """A new tenant route that takes no API key."""
    api = _c(state, "apigateway")
    rest = state.outputs[out.API_ID]
    parent = next(r for r in api.get_resources(restApiId=rest)["items"] if r["path"] == "/api")
    route = api.create_resource(restApiId=rest, parentId=parent["id"], pathPart="open")
    api.put_method(
        restApiId=rest,
        resourceId=route["id"],
        httpMethod="GET",
        authorizationType="NONE",
        apiKeyRequired=False,
    )
    return str(route["id"])


ACCESS_KEYS = ("endpointPublicAccess", "endpointPrivateAccess", "publicAccessCidrs")


def _close_public_endpoint(state: SandboxState) -> dict[str, Any]:
    eks = _c(state, "eks")
    name = state.outputs[out.CLUSTER_NAME]
    before = eks.describe_cluster(name=name)["cluster"]["resourcesVpcConfig"]
    eks.update_cluster_config(
        name=name, resourcesVpcConfig={"endpointPublicAccess": False, "endpointPrivateAccess": True}
    )
    return {k: before[k] for k in ACCESS_KEYS if k in before}


def _restore_endpoint(state: SandboxState, before: dict[str, Any]) -> None:
    _c(state, "eks").update_cluster_config(
        name=state.outputs[out.CLUSTER_NAME], resourcesVpcConfig=before
    )


def _eks_logs(types: list[str]) -> Callable[..., None]:
    def run(state: SandboxState, *_: Any) -> None:
        _c(state, "eks").update_cluster_config(
            name=state.outputs[out.CLUSTER_NAME],
            logging={"clusterLogging": [{"types": types, "enabled": True}]},
        )

    return run


ALL_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"]


def _nodes(size: int) -> Callable[..., None]:
    def run(state: SandboxState, *_: Any) -> None:
        eks = _c(state, "eks")
        cluster = state.outputs[out.CLUSTER_NAME]
        group = eks.list_nodegroups(clusterName=cluster)["nodegroups"][0]
        eks.update_nodegroup_config(
            clusterName=cluster,
            nodegroupName=group,
            scalingConfig={"minSize": size, "desiredSize": size, "maxSize": 4},
        )

    return run


def _delete_image(state: SandboxState) -> None:
    repo = state.outputs[out.ECR_REPOSITORY_URL].split("/", 1)[1]
    _c(state, "ecr").batch_delete_image(
        repositoryName=repo, imageIds=[{"imageDigest": state.outputs[out.IMAGE_DIGEST]}]
    )


def _delete_dashboard(state: SandboxState) -> str:
    cloudwatch = _c(state, "cloudwatch")
    body = cloudwatch.get_dashboard(DashboardName=state.outputs[out.DASHBOARD_NAME])[
        "DashboardBody"
    ]
    cloudwatch.delete_dashboards(DashboardNames=[state.outputs[out.DASHBOARD_NAME]])
    return str(body)


def _delete_vault(state: SandboxState) -> dict[str, Any]:
    backup = _c(state, "backup")
    vault = backup.describe_backup_vault(BackupVaultName=state.outputs[out.BACKUP_VAULT_NAME])
    backup.delete_backup_vault(BackupVaultName=state.outputs[out.BACKUP_VAULT_NAME])
    return dict(vault)


BREAKS = [
    Break(
        "rds-pitr-enabled",
        _db_modify(BackupRetentionPeriod=0),
        lambda s, _: _db_modify(BackupRetentionPeriod=7)(s),
    ),
    Break(
        "rds-deletion-protection",
        _db_modify(DeletionProtection=True),
        lambda s, _: _db_modify(DeletionProtection=False)(s),
    ),
    Break("rds-subnet-and-parameter-groups", _param("0"), lambda s, _: _param("1")(s)),
    Break(
        "backup-vault",
        _delete_vault,
        lambda s, v: _c(s, "backup").create_backup_vault(
            BackupVaultName=v["BackupVaultName"], EncryptionKeyArn=v["EncryptionKeyArn"]
        ),
    ),
    Break("alarms-exist", _delete_alarm, _put_alarm),
    Break(
        "alarms-have-actions",
        lambda s: _c(s, "cloudwatch").disable_alarm_actions(AlarmNames=[ALARM]),
        lambda s, _: _c(s, "cloudwatch").enable_alarm_actions(AlarmNames=[ALARM]),
    ),
    Break("alarms-not-in-alarm", _set_state("ALARM"), _set_state("OK")),
    Break("sns-subscriptions-confirmed", _unsubscribe, _resubscribe),
    Break(
        "dashboard-exists",
        _delete_dashboard,
        lambda s, body: _c(s, "cloudwatch").put_dashboard(
            DashboardName=s.outputs[out.DASHBOARD_NAME], DashboardBody=body
        ),
    ),
    Break("usage-plans-match-tiers", _free_rate("3"), _free_rate("2")),
    Break(
        "tenant-keys-on-tier-plan",
        _misplaced_key,
        lambda s, key: _c(s, "apigateway").delete_api_key(apiKey=key),
    ),
    Break(
        "waf-associated",
        _disassociate,
        lambda s, acl: _c(s, "wafv2").associate_web_acl(WebACLArn=acl, ResourceArn=_stage_arn(s)),
    ),
    Break(
        "api-key-required",
        _open_route,
        lambda s, rid: _c(s, "apigateway").delete_resource(
            restApiId=s.outputs[out.API_ID], resourceId=rid
        ),
    ),
    Break("eks-endpoint-access", _close_public_endpoint, _restore_endpoint),
    Break("eks-logging", _eks_logs(["api"]), _eks_logs(ALL_LOGS)),
    Break("nodegroup-healthy", _nodes(0), _nodes(2)),
    Break("image-in-registry", _delete_image, lambda s, _: seed_image(s.account, s.outputs)),
]


@pytest.mark.parametrize("case", BREAKS, ids=[b.check for b in BREAKS])
def test_breaking_a_property_fails_exactly_its_check(
    case: Break, staging_sandbox: SandboxState, staging_plan: Plan
) -> None:
    names = [n for n in CHECK_NAMES if not n.startswith("api-") or n == "api-key-required"]
    before = run_checks(target(staging_sandbox, staging_plan), only=names)
    assert case.check not in {r.name for r in before.blocking}
    undo = case.breaks(staging_sandbox)
    try:
        after = run_checks(target(staging_sandbox, staging_plan), only=names)
    finally:
        case.restores(staging_sandbox, undo)
    failed = {r.name for r in after.results if r.status == "fail"}
    assert case.check in failed, json.dumps(after.to_dict(), indent=1)
    restored = run_checks(target(staging_sandbox, staging_plan), only=[case.check])
    assert restored.passed, restored.to_dict()


def test_api_checks_fail_when_the_app_misbehaves(
    staging_sandbox: SandboxState, staging_plan: Plan, app_server: AppServer
) -> None:
    from scripts.local_services.postgres import free_port

    dead = run_checks(
        target(staging_sandbox, staging_plan, base_url=f"http://127.0.0.1:{free_port()}"),
        only=["api-health", "api-auth-required"],
    )
    assert {r.name for r in dead.results if r.status == "fail"} == {
        "api-health",
        "api-auth-required",
    }
    # An enterprise key never hits its limit within the flood's bound: no 429 is a failure.
    key, token = app_server.keys["enterprise"]
    unlimited = run_checks(
        target(
            staging_sandbox,
            staging_plan,
            base_url=app_server.base_url,
            free_key=key,
            free_token=token,
        ),
        only=["api-rate-limited"],
    )
    assert unlimited.results[0].status == "fail"
    assert "no 429" in unlimited.results[0].detail
