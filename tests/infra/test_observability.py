"""Alert topic, alarm catalog and dashboard under mocks: actions, runbook links, coverage."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.ratelimit.metrics import NAMESPACE, RATE_LIMITED
from app.tenants.tiers import TIERS
from infra.observability.alerting import Subscriber
from infra.observability.monitoring import (
    AlarmSettings,
    PlatformMonitoring,
    PlatformMonitoringArgs,
)
from infra.observability.signals import AlarmTargets, AlarmThresholds, Signal, alarm_specs
from stacks.offline.plan import Plan, PlanResource
from tests.infra.conftest import Synth

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TARGETS = AlarmTargets(
    api_name="hrms-test-edge-gateway",
    api_stage="test",
    load_balancer="net/app/abc",
    target_group="targetgroup/app/def",
    db_instance_id="hrms-test-db",
    eks_cluster_name="hrms-test",
    cache_node_ids=["hrms-test-cache-001", "hrms-test-cache-002"],
    db_replica_ids=["hrms-test-db-replica"],
    backup_vault_name="hrms-test-vault",
    backup_copies=True,
)
SUBSCRIBERS = {
    "alert_emails": ("oncall@example.com",),
    "alert_https_endpoints": ("https://hooks.example.com/pager",),
}


@pytest.fixture
def plan(synth: Synth) -> Plan:
    return synth(
        lambda: PlatformMonitoring(
            "hrms-test",
            PlatformMonitoringArgs(targets=TARGETS, settings=AlarmSettings(**SUBSCRIBERS)),
        )
    )


def metrics_of(alarm: PlanResource) -> list[tuple[str, str]]:
    """(namespace, metric name) pairs an alarm reads, single metric or metric math."""
    inputs = alarm.inputs
    if "metricName" in inputs:
        return [(inputs["namespace"], inputs["metricName"])]
    return [
        (q["metric"]["namespace"], q["metric"]["metricName"])
        for q in inputs["metricQueries"]
        if "metric" in q
    ]


def test_every_alarm_pages_and_reports_recovery_to_the_topic(plan: Plan) -> None:
    (topic,) = plan.by_type("aws:sns/topic:Topic")
    alarms = plan.by_type(ALARM)
    assert alarms
    for alarm in alarms:
        inputs = alarm.inputs
        assert (
            inputs["alarmActions"]
            == inputs["okActions"]
            == [f"arn:aws:sns:eu-west-1:123456789012:{topic.inputs['name']}"]
        ), alarm.name
        assert inputs["actionsEnabled"] is True
        assert inputs["treatMissingData"] in {"breaching", "notBreaching", "ignore", "missing"}
        assert 1 <= inputs["datapointsToAlarm"] <= inputs["evaluationPeriods"]
        assert "Runbook: docs/runbooks/alarms.md#" in inputs["alarmDescription"]


def test_topic_is_encrypted_with_a_key_cloudwatch_may_use(plan: Plan) -> None:
    (topic,) = plan.by_type("aws:sns/topic:Topic")
    (key,) = plan.by_type("aws:kms/key:Key")
    assert topic.inputs["kmsMasterKeyId"].endswith(key.name) or key.urn in topic.dependencies
    assert key.inputs["enableKeyRotation"] is True
    policy = json.loads(key.inputs["policy"])
    principals = [s["Principal"] for s in policy["Statement"]]
    assert {"Service": "cloudwatch.amazonaws.com"} in principals
    (topic_policy,) = plan.by_type("aws:sns/topicPolicy:TopicPolicy")
    statements = json.loads(topic_policy.inputs["policy"])["Statement"]
    allow = next(s for s in statements if s["Effect"] == "Allow")
    assert allow["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_subscriptions_come_from_the_subscriber_list(plan: Plan) -> None:
    subs = plan.by_type("aws:sns/topicSubscription:TopicSubscription")
    assert sorted((s.inputs["protocol"], s.inputs["endpoint"]) for s in subs) == sorted(
        (s.protocol, s.endpoint) for s in AlarmSettings(**SUBSCRIBERS).subscribers
    )


def test_alarm_set_covers_every_signal(plan: Plan) -> None:
    read = {pair for alarm in plan.by_type(ALARM) for pair in metrics_of(alarm)}
    required = {
        ("AWS/ApiGateway", "5XXError"),
        ("AWS/ApiGateway", "Count"),
        ("AWS/NetworkELB", "UnHealthyHostCount"),
        ("AWS/NetworkELB", "HealthyHostCount"),
        ("AWS/RDS", "CPUUtilization"),
        ("AWS/RDS", "FreeStorageSpace"),
        ("AWS/RDS", "DatabaseConnections"),
        ("AWS/RDS", "ReplicaLag"),
        ("AWS/RDS", "TransactionLogsDiskUsage"),
        ("AWS/Backup", "NumberOfBackupJobsFailed"),
        ("AWS/Backup", "NumberOfCopyJobsFailed"),
        ("AWS/Backup", "NumberOfRestoreJobsFailed"),
        ("AWS/ApiGateway", "Latency"),
        ("AWS/ApiGateway", "IntegrationLatency"),
        ("ContainerInsights", "node_filesystem_utilization"),
        ("ContainerInsights", "cluster_failed_node_count"),
        ("ContainerInsights", "cluster_node_count"),
        (NAMESPACE, RATE_LIMITED),
        ("AWS/ApiGateway", "4XXError"),
        ("AWS/ElastiCache", "EngineCPUUtilization"),
        ("AWS/ElastiCache", "DatabaseMemoryUsagePercentage"),
    }
    assert required <= read, sorted(required - read)


def test_five_xx_alarm_is_a_ratio_by_metric_math(plan: Plan) -> None:
    alarm = plan.find(ALARM, "api-5xx-ratio")
    queries = {q["id"]: q for q in alarm.inputs["metricQueries"]}
    assert "100 * errors / requests" in queries["ratio"]["expression"]
    assert queries["ratio"]["returnData"] is True
    assert alarm.inputs["threshold"] == AlarmThresholds().api_5xx_percent


def test_rate_limit_alarm_per_tier_on_the_apps_emf_metric(plan: Plan) -> None:
    per_tier = {}
    for alarm in plan.by_type(ALARM):
        if alarm.inputs.get("metricName") == RATE_LIMITED:
            assert alarm.inputs["namespace"] == NAMESPACE
            per_tier[alarm.inputs["dimensions"]["tier"]] = alarm
    assert set(per_tier) == {t.value for t in TIERS}


def test_percentiles_use_extended_statistic(plan: Plan) -> None:
    alarm = plan.find(ALARM, "api-latency-p99")
    assert alarm.inputs["extendedStatistic"] == "p99"
    assert "statistic" not in alarm.inputs


def test_dashboard_graphs_every_alarm(plan: Plan) -> None:
    (dashboard,) = plan.by_type("aws:cloudwatch/dashboard:Dashboard")
    body = json.loads(dashboard.inputs["dashboardBody"])
    graphed = {w["properties"]["title"] for w in body["widgets"] if w["type"] == "metric"}
    alarm_keys = {a.inputs["name"].removeprefix("hrms-test-") for a in plan.by_type(ALARM)}
    assert graphed == alarm_keys
    for widget in body["widgets"]:
        if widget["type"] == "metric":
            assert widget["properties"]["region"] == "eu-west-1"


def test_stricter_thresholds_reach_the_alarms(synth: Synth) -> None:
    strict = AlarmThresholds(api_5xx_percent=1.0, db_cpu_percent=70.0)
    plan = synth(
        lambda: PlatformMonitoring(
            "hrms-test",
            PlatformMonitoringArgs(
                targets=TARGETS, settings=AlarmSettings(**SUBSCRIBERS, thresholds=strict)
            ),
        )
    )
    assert plan.find(ALARM, "api-5xx-ratio").inputs["threshold"] == 1.0
    assert plan.find(ALARM, "rds-cpu").inputs["threshold"] == 70.0


def test_every_signal_family_has_an_alarm() -> None:
    specs = alarm_specs(TARGETS, AlarmThresholds())
    assert {s.signal for s in specs} == set(Signal)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"protocol": "sms", "endpoint": "+15550100"}, "protocol 'sms'"),
        ({"protocol": "https", "endpoint": "http://hooks.example.com"}, "https://"),
        ({"protocol": "email", "endpoint": "oncall"}, "not an email"),
    ],
)
def test_bad_subscribers_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Subscriber(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"api_5xx_percent": 0}, "api_5xx_percent"),
        ({"db_cpu_percent": 120}, "db_cpu_percent"),
        ({"backend_concurrency": 0}, "backend_concurrency"),
    ],
)
def test_bad_thresholds_name_the_field(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AlarmThresholds(**kwargs)


@pytest.mark.parametrize(("stack", "copies"), [("staging", False), ("prod", True)])
def test_backup_alarms_cover_backup_copy_and_restore_test_jobs(stack: str, copies: bool) -> None:
    """A failed cross-region copy or restore test is as silent as a failed backup unless
    alarmed: the copy is the regional-disaster recovery point, the test the proof it restores."""
    from tests.infra.plans import stack_plan

    plan = stack_plan(stack)
    (vault,) = [
        r for r in plan.by_type("aws:backup/vault:Vault") if not r.name.endswith("copy-vault")
    ]
    backup = {
        alarm.inputs["metricName"]: alarm.inputs
        for alarm in plan.by_type(ALARM)
        if alarm.inputs.get("namespace") == "AWS/Backup"
    }
    expected = {"NumberOfBackupJobsFailed", "NumberOfRestoreJobsFailed"}
    if copies:
        expected.add("NumberOfCopyJobsFailed")
    assert set(backup) == expected
    for inputs in backup.values():
        assert set(inputs["dimensions"]) == {"BackupVaultName"}
        assert inputs["comparisonOperator"] == "GreaterThanThreshold"
        assert inputs["threshold"] == 0
        assert inputs["treatMissingData"] == "notBreaching"
    has_copy_vault = any(
        r.name.endswith("copy-vault") for r in plan.by_type("aws:backup/vault:Vault")
    )
    assert has_copy_vault is copies
    assert vault.name.endswith("-vault")
