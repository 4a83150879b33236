"""Observability rules: alarms on every critical resource, encrypted logs, topics and keys."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)

from policies.common import (
    CIS,
    SOC2,
    HrmsPolicy,
    HrmsResourcePolicy,
    HrmsStackPolicy,
    as_bool,
    as_list,
    as_number,
    config_value,
    get_path,
    is_customer_key,
    is_true,
    related,
    resource_identity,
    resources_of,
    violation,
)

METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SNS_TOPIC = "aws:sns/topic:Topic"
KMS_KEY = "aws:kms/key:Key"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
EKS_ADDON = "aws:eks/addon:Addon"
CONTAINER_INSIGHTS = "ContainerInsights"
OBSERVABILITY_ADDON = "amazon-cloudwatch-observability"

# Each watched type with the inputs that name it in CloudWatch dimensions.
WATCHED: dict[str, tuple[str, ...]] = {
    "aws:rds/instance:Instance": ("identifier",),
    "aws:rds/cluster:Cluster": ("clusterIdentifier",),
    "aws:eks/cluster:Cluster": ("name",),
    "aws:elasticache/replicationGroup:ReplicationGroup": ("replicationGroupId",),
    "aws:elasticache/cluster:Cluster": ("clusterId",),
    "aws:elasticache/serverlessCache:ServerlessCache": ("name",),
    "aws:apigateway/stage:Stage": ("stageName",),
}


def _dimension_values(alarm: PolicyResource) -> list[Any]:
    values: list[Any] = []
    dims = get_path(alarm.props, "dimensions")
    if isinstance(dims, Mapping):
        values.extend(dims.values())
    for query in as_list(get_path(alarm.props, "metricQueries")):
        qdims = get_path(query, "metric.dimensions")
        if isinstance(qdims, Mapping):
            values.extend(qdims.values())
    return values


def _has_actions(alarm: PolicyResource) -> bool:
    return as_bool(get_path(alarm.props, "actionsEnabled"), True) and bool(
        as_list(get_path(alarm.props, "alarmActions"))
    )


def _watches(alarm: PolicyResource, target: PolicyResource) -> bool:
    ids = resource_identity(target, *WATCHED[target.resource_type])
    values = _dimension_values(alarm)
    if related(alarm, target, literal_ids=ids, values=values):
        return True
    # ElastiCache publishes per member cluster: <replication group id>-001, -002, ...
    return target.resource_type.startswith("aws:elasticache/") and any(
        isinstance(v, str) and any(v.startswith(f"{i}-") for i in ids) for v in values
    )


def _alarm_coverage(args: StackValidationArgs, report: ReportViolation) -> None:
    alarms = [a for a in resources_of(args.resources, METRIC_ALARM) if _has_actions(a)]
    for target in resources_of(args.resources, *WATCHED):
        if not any(_watches(a, target) for a in alarms):
            violation(report, "no alarm with actions watches this resource.", target.urn)


def _insights_cluster_names(alarm: PolicyResource) -> list[Any] | None:
    """ClusterName values of the ContainerInsights metrics an alarm reads (plain metric or
    metric-math query); None when it reads none."""
    metrics: list[Any] = [alarm.props]
    metrics += [get_path(q, "metric") for q in as_list(get_path(alarm.props, "metricQueries"))]
    names: list[Any] = []
    reads = False
    for metric in metrics:
        if not isinstance(metric, Mapping) or get_path(metric, "namespace") != CONTAINER_INSIGHTS:
            continue
        reads = True
        dims = get_path(metric, "dimensions")
        if isinstance(dims, Mapping) and dims.get("ClusterName") is not None:
            names.append(dims["ClusterName"])
    return names if reads else None


def _installs_insights(addon: PolicyResource, cluster: PolicyResource | None, name: Any) -> bool:
    if cluster is not None:
        ids = resource_identity(cluster, "name")
        return related(
            addon, cluster, literal_ids=ids, values=[get_path(addon.props, "clusterName")]
        )
    # No cluster to match by: any add-on of the stack publishes the metrics it reads.
    return name is None or get_path(addon.props, "clusterName") == name


def _container_insights_installed(args: StackValidationArgs, report: ReportViolation) -> None:
    addons = [
        a
        for a in resources_of(args.resources, EKS_ADDON)
        if get_path(a.props, "addonName") == OBSERVABILITY_ADDON
    ]
    clusters = resources_of(args.resources, EKS_CLUSTER)
    for alarm in resources_of(args.resources, METRIC_ALARM):
        names = _insights_cluster_names(alarm)
        if names is None:
            continue
        # The clusters of this stack the alarm is about, else the literal names it reads.
        watched: list[tuple[PolicyResource | None, Any]] = (
            [
                (c, None)
                for c in clusters
                if related(alarm, c, literal_ids=resource_identity(c, "name"), values=names)
            ]
            or [(None, n) for n in names]
            or [(None, None)]
        )
        for cluster, name in watched:
            if any(_installs_insights(a, cluster, name) for a in addons):
                continue
            label = get_path(cluster.props, "name", cluster.name) if cluster else name
            violation(
                report,
                f"reads {CONTAINER_INSIGHTS} metrics of cluster {label or '(unknown)'}, but no "
                f"{OBSERVABILITY_ADDON} add-on publishes them there: the alarm would sit in "
                "INSUFFICIENT_DATA or, if missing data breaches, page from day one.",
                alarm.urn,
            )


def _alarm_actions(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if get_path(args.props, "actionsEnabled") is False:
        violation(report, "actionsEnabled must not be false.")
    if not as_list(get_path(args.props, "alarmActions")):
        violation(report, "alarmActions must notify the stack's SNS topic.")
    if not as_list(get_path(args.props, "okActions")):
        violation(report, "okActions must notify recovery to the stack's SNS topic.")


def _log_group(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not get_path(args.props, "kmsKeyId"):
        violation(report, "kmsKeyId must name a customer-managed KMS key.")
    minimum = float(config_value(args, "minimumDays", 30))
    days = as_number(get_path(args.props, "retentionInDays"))
    if days is None or days == 0:
        violation(report, "retentionInDays must be set; logs must not be kept forever by default.")
    elif days < minimum:
        violation(report, f"retentionInDays {days:g} < {minimum:g} days required on this stack.")


def _sns_encrypted(args: ResourceValidationArgs, report: ReportViolation) -> None:
    # alias/aws/sns cannot be granted to CloudWatch alarms: their notifications would fail.
    if not is_customer_key(get_path(args.props, "kmsMasterKeyId")):
        violation(report, "kmsMasterKeyId must name a customer-managed KMS key.")


def _kms_rotation(args: ResourceValidationArgs, report: ReportViolation) -> None:
    spec = get_path(args.props, "customerMasterKeySpec", "SYMMETRIC_DEFAULT")
    usage = get_path(args.props, "keyUsage", "ENCRYPT_DECRYPT")
    if spec != "SYMMETRIC_DEFAULT" or usage != "ENCRYPT_DECRYPT":
        args.not_applicable("AWS rotates only symmetric encryption keys")
    if not is_true(get_path(args.props, "enableKeyRotation")):
        violation(report, "enableKeyRotation must be true.")


POLICIES: list[HrmsPolicy] = [
    HrmsStackPolicy(
        name="alarms-cover-critical-resources",
        description="Every RDS instance and cluster, EKS cluster, ElastiCache cache and API "
        "stage has at least one alarm with actions.",
        resource_types=list(WATCHED),
        check=_alarm_coverage,
        severity=Severity.HIGH,
        frameworks=[SOC2("CC7.2"), SOC2("A1.1")],
        remediation="Add an aws.cloudwatch.MetricAlarm on the resource's metrics with "
        "alarm_actions and ok_actions to the stack's SNS topic and a runbook link.",
    ),
    HrmsStackPolicy(
        name="container-insights-installed",
        description="Alarms on ContainerInsights metrics have the "
        "amazon-cloudwatch-observability add-on publishing them on their cluster.",
        resource_types=[METRIC_ALARM],
        check=_container_insights_installed,
        severity=Severity.HIGH,
        frameworks=[SOC2("CC7.2")],
        remediation="Install the amazon-cloudwatch-observability EKS add-on (pinned, with a "
        "Pod Identity role carrying CloudWatchAgentServerPolicy) on the cluster the alarm "
        "watches, or point the alarm at a namespace something publishes.",
        inspects=[EKS_ADDON, EKS_CLUSTER],
    ),
    HrmsResourcePolicy(
        name="alarm-has-actions",
        description="Every alarm notifies on ALARM and OK.",
        resource_types=[METRIC_ALARM],
        check=_alarm_actions,
        severity=Severity.MEDIUM,
        frameworks=[SOC2("CC7.3")],
        remediation="Set alarm_actions and ok_actions to the stack's SNS topic ARN.",
    ),
    HrmsResourcePolicy(
        name="log-group-encrypted-retention",
        description="Log groups are KMS-encrypted and keep logs for a bounded, sufficient time.",
        resource_types=[LOG_GROUP],
        check=_log_group,
        severity=Severity.MEDIUM,
        frameworks=[SOC2("CC6.1"), SOC2("CC7.2")],
        remediation="Set kms_key_id to the logs KMS key and retention_in_days >= minimumDays.",
        config_schema=PolicyConfigSchema(
            properties={"minimumDays": {"type": "integer", "minimum": 1, "default": 30}}
        ),
    ),
    HrmsResourcePolicy(
        name="sns-topic-encrypted",
        description="SNS topics are encrypted with KMS.",
        resource_types=[SNS_TOPIC],
        check=_sns_encrypted,
        severity=Severity.MEDIUM,
        frameworks=[SOC2("CC6.1")],
        remediation="Set kms_master_key_id to a customer-managed key CloudWatch may use.",
    ),
    HrmsResourcePolicy(
        name="kms-key-rotation",
        description="Customer-managed symmetric KMS keys rotate automatically.",
        resource_types=[KMS_KEY],
        check=_kms_rotation,
        severity=Severity.MEDIUM,
        frameworks=[CIS("3.6"), SOC2("CC6.1")],
        remediation="Set enable_key_rotation=True.",
    ),
]
