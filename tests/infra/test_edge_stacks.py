"""Both stacks' edge and alarms, from the real program and stack files (offline preview)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.ratelimit.metrics import NAMESPACE, RATE_LIMITED
from app.tenants.tiers import TIERS
from infra.edge.usage_plans import stack_usage_plan_name
from stacks import outputs
from stacks.offline.plan import Plan, PlanResource
from tests.docs.test_runbooks import LINK, anchors
from tests.infra.plans import stack_plan

STACKS = ("staging", "prod")
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=STACKS)
def plan(request: pytest.FixtureRequest) -> Plan:
    return stack_plan(request.param)


def reads(alarm: PlanResource) -> set[tuple[str, str]]:
    inputs = alarm.inputs
    if "metricName" in inputs:
        return {(inputs["namespace"], inputs["metricName"])}
    return {
        (q["metric"]["namespace"], q["metric"]["metricName"])
        for q in inputs["metricQueries"]
        if "metric" in q
    }


def test_every_tier_has_a_usage_plan_with_the_catalog_numbers(plan: Plan) -> None:
    plans = plan.by_type("aws:apigateway/usagePlan:UsagePlan")
    by_tier = {p.name.rsplit("-", 1)[-1]: p.inputs for p in plans}
    assert set(by_tier) == {t.value for t in TIERS}
    (stage,) = plan.by_type("aws:apigateway/stage:Stage")
    for name, tier in TIERS.items():
        inputs = by_tier[name.value]
        assert inputs["throttleSettings"]["rateLimit"] == tier.rate_per_second
        assert inputs["throttleSettings"]["burstLimit"] == tier.burst
        assert inputs.get("quotaSettings", {}).get("limit") == tier.daily_quota
        assert inputs["apiStages"][0]["stage"] == stage.inputs["stageName"] == plan.stack
    assert set(plan.outputs[outputs.API_USAGE_PLAN_IDS]) == {t.value for t in TIERS}


def test_tenant_tooling_finds_each_tier_plan_by_the_name_the_stack_gives_it(plan: Plan) -> None:
    names = {p.inputs["name"] for p in plan.by_type("aws:apigateway/usagePlan:UsagePlan")}
    assert names == {stack_usage_plan_name(stack=plan.stack, tier=t.value) for t in TIERS}


def test_every_method_but_health_requires_a_key(plan: Plan) -> None:
    methods = plan.by_type("aws:apigateway/method:Method")
    assert methods
    for method in methods:
        is_health = method.name.endswith("-health-method")
        assert method.inputs["apiKeyRequired"] is (not is_health), method.name


def test_waf_is_associated_with_the_stage(plan: Plan) -> None:
    (assoc,) = plan.by_type("aws:wafv2/webAclAssociation:WebAclAssociation")
    (stage,) = plan.by_type("aws:apigateway/stage:Stage")
    (acl,) = plan.by_type("aws:wafv2/webAcl:WebAcl")
    assert {stage.urn, acl.urn} <= set(assoc.dependencies)


def test_every_log_group_is_encrypted_with_retention(plan: Plan) -> None:
    for group in plan.by_type("aws:cloudwatch/logGroup:LogGroup"):
        assert group.inputs.get("kmsKeyId"), group.name
        assert group.inputs.get("retentionInDays"), group.name


def test_edge_outputs_are_exported(plan: Plan) -> None:
    for key in (
        outputs.API_INVOKE_URL,
        outputs.API_ID,
        outputs.API_STAGE_NAME,
        outputs.ALERT_TOPIC_ARN,
        outputs.DASHBOARD_NAME,
    ):
        assert plan.outputs.get(key), key


def test_every_alarm_has_alarm_and_ok_actions(plan: Plan) -> None:
    topic = plan.outputs[outputs.ALERT_TOPIC_ARN]
    alarms = plan.by_type(ALARM)
    assert alarms
    for alarm in alarms:
        assert alarm.inputs["alarmActions"] == [topic], alarm.name
        assert alarm.inputs["okActions"] == [topic], alarm.name
        assert alarm.inputs["treatMissingData"], alarm.name
        assert alarm.inputs["evaluationPeriods"] >= 1


def test_alarms_cover_the_six_signals(plan: Plan) -> None:
    read = set().union(*(reads(a) for a in plan.by_type(ALARM)))
    namespaces = {ns for ns, _ in read}
    # 1 error rate, 2 health, 3 database, 4 backlog, 5 disk, 6 rate limit
    assert {("AWS/ApiGateway", "5XXError"), ("AWS/ApiGateway", "Count")} <= read
    assert {
        ("AWS/NetworkELB", "UnHealthyHostCount"),
        ("AWS/NetworkELB", "HealthyHostCount"),
    } <= read
    assert {
        ("AWS/RDS", "CPUUtilization"),
        ("AWS/RDS", "FreeStorageSpace"),
        ("AWS/RDS", "DatabaseConnections"),
        ("AWS/RDS", "TransactionLogsDiskUsage"),
    } <= read
    assert {("AWS/ApiGateway", "Latency"), ("AWS/ApiGateway", "IntegrationLatency")} <= read
    assert ("ContainerInsights", "node_filesystem_utilization") in read
    assert {(NAMESPACE, RATE_LIMITED), ("AWS/ApiGateway", "4XXError")} <= read
    assert {"AWS/ElastiCache", "ContainerInsights", "AWS/Backup"} <= namespaces
    per_tier = {
        a.inputs["dimensions"]["tier"]
        for a in plan.by_type(ALARM)
        if a.inputs.get("metricName") == RATE_LIMITED
    }
    assert per_tier == {t.value for t in TIERS}


def test_every_cache_node_has_engine_cpu_host_cpu_and_memory_alarms(plan: Plan) -> None:
    # Engine CPU alone misses a saturated 2-vCPU node (staging) and snapshot forks.
    watched: dict[str, set[str]] = {}
    for alarm in plan.by_type(ALARM):
        if alarm.inputs.get("namespace") == "AWS/ElastiCache":
            node = alarm.inputs["dimensions"]["CacheClusterId"]
            watched.setdefault(node, set()).add(alarm.inputs["metricName"])
    assert watched
    for node, metrics in watched.items():
        assert metrics == {
            "EngineCPUUtilization",
            "CPUUtilization",
            "DatabaseMemoryUsagePercentage",
        }, node


def test_every_alarm_links_to_an_existing_runbook_section(plan: Plan) -> None:
    for alarm in plan.by_type(ALARM):
        link = LINK.search(alarm.inputs["alarmDescription"])
        assert link is not None, alarm.name
        page = ROOT / re.sub(r"^https?://[^#]*/blob/[^/]+/", "", link["path"])
        assert page.is_file(), alarm.name
        assert link["anchor"] in anchors(page.read_text(encoding="utf-8")), alarm.name


def test_prod_alarms_are_at_least_as_strict_as_staging() -> None:
    def thresholds(stack: str) -> dict[str, float]:
        prefix = f"hrms-{stack}-"
        return {
            a.inputs["name"].removeprefix(prefix): a.inputs["threshold"]
            for a in stack_plan(stack).by_type(ALARM)
            if "threshold" in a.inputs
        }

    staging, prod = thresholds("staging"), thresholds("prod")
    for key in (
        "api-5xx-ratio",
        "api-latency-p99",
        "rds-cpu",
        "node-filesystem",
        "cache-host-cpu-1",
    ):
        assert prod[key] < staging[key], key
    for key in ("nlb-healthy-hosts-low", "eks-ready-nodes-low", "rds-free-storage"):
        assert prod[key] > staging[key], key
