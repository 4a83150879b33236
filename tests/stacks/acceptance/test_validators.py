"""Each acceptance rule: the committed plan is accepted, one changed property is rejected."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest

from stacks.offline.acceptance.check import accept
from stacks.offline.acceptance.registry import RULES
from stacks.offline.plan import Plan, PlanResource

pytestmark = pytest.mark.infra

DROP: Any = object()

# rule -> (type, logical-name suffix, input path, bad value); paths use dots and list indices.
REJECTED: dict[str, tuple[str, str, str, Any]] = {
    "api-required": ("aws:eks/nodeGroup:NodeGroup", "-group", "clusterName", DROP),
    "api-enum": ("aws:ecr/repository:Repository", "-repo", "imageTagMutability", "SOMETIMES"),
    "api-range": ("aws:eks/nodeGroup:NodeGroup", "-group", "scalingConfig.maxSize", 0),
    "api-length": ("aws:cloudwatch/logGroup:LogGroup", "-flow-logs", "name", "/x" * 300),
    # Smithy patterns are not anchored unless they say so; this one is (^...).
    "api-pattern": ("aws:eks/cluster:Cluster", "-cluster-cluster", "name", "-hrms-eks"),
    "rds-backup-window": (
        "aws:rds/instance:Instance",
        "-db-instance",
        "backupWindow",
        "02:00-02:10",
    ),
    "rds-maintenance-window": (
        "aws:rds/instance:Instance",
        "-db-instance",
        "maintenanceWindow",
        "sun:04:00-sun:04:20",
    ),
    "rds-windows-disjoint": (
        "aws:rds/instance:Instance",
        "-db-instance",
        "backupWindow",
        "04:15-04:45",
    ),
    "rds-instance-class-offered": (
        "aws:rds/instance:Instance",
        "-db-instance",
        "instanceClass",
        "db.t9z.huge",
    ),
    "rds-engine-version": ("aws:rds/instance:Instance", "-db-instance", "engineVersion", "16.99"),
    "rds-parameter-group-family": (
        "aws:rds/parameterGroup:ParameterGroup",
        "-db-params",
        "family",
        "postgres15",
    ),
    "rds-storage": ("aws:rds/instance:Instance", "-db-instance", "allocatedStorage", 10),
    "rds-backup-retention": (
        "aws:rds/instance:Instance",
        "-db-instance",
        "backupRetentionPeriod",
        36,
    ),
    "rds-performance-insights-retention": (
        "aws:rds/instance:Instance",
        "-db-instance",
        "performanceInsightsRetentionPeriod",
        94,
    ),
    "rds-monitoring-interval": (
        "aws:rds/instance:Instance",
        "-db-instance",
        "monitoringInterval",
        45,
    ),
    "logs-retention-value": (
        "aws:cloudwatch/logGroup:LogGroup",
        "-flow-logs",
        "retentionInDays",
        31,
    ),
    "ec2-instance-type-offered": (
        "aws:eks/nodeGroup:NodeGroup",
        "-group",
        "instanceTypes",
        ["t3.bogus"],
    ),
    "eks-scaling-bounds": (
        "aws:eks/nodeGroup:NodeGroup",
        "-group",
        "scalingConfig.desiredSize",
        99,
    ),
    "eks-addon-version": (
        "aws:eks/addon:Addon",
        "-vpc-cni",
        "addonVersion",
        "v9.9.9-eksbuild.1",
    ),
    "eks-node-version-skew": ("aws:eks/nodeGroup:NodeGroup", "-group", "version", "1.36"),
    "ec2-availability-zone": (
        "aws:ec2/subnet:Subnet",
        "-private-0",
        "availabilityZone",
        "eu-west-1z",
    ),
    "elasticache-node-type-offered": (
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "-cache-group",
        "nodeType",
        "cache.x9.huge",
    ),
    "elasticache-engine-version": (
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "-cache-group",
        "engineVersion",
        "5.0",
    ),
    "elasticache-engine-features": (
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "-cache-group",
        "automaticFailoverEnabled",
        False,
    ),
    "elasticache-windows": (
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "-cache-group",
        "maintenanceWindow",
        "sun:03:30-sun:04:30",
    ),
    "backup-schedule": (
        "aws:backup/plan:Plan",
        "-backups-plan",
        "rules.0.schedule",
        "cron(0 3 * *)",
    ),
    "backup-rule-windows": ("aws:backup/plan:Plan", "-backups-plan", "rules.0.startWindow", 30),
    "apigateway-stage-name": (
        "aws:apigateway/stage:Stage",
        "-gateway-stage",
        "stageName",
        "prod stage",
    ),
    "k8s-requests-within-limits": (
        "kubernetes:apps/v1:Deployment",
        "-app-deployment",
        "spec.template.spec.containers.0.resources.requests.cpu",
        "2",
    ),
    "k8s-selector-matches-template": (
        "kubernetes:apps/v1:Deployment",
        "-app-deployment",
        "spec.selector.matchLabels",
        {"app": "other"},
    ),
    "k8s-probe-port": (
        "kubernetes:apps/v1:Deployment",
        "-app-deployment",
        "spec.template.spec.containers.0.readinessProbe.httpGet.port",
        "metrics",
    ),
    "k8s-service-target-port": (
        "kubernetes:core/v1:Service",
        "-app-service",
        "spec.ports.0.targetPort",
        "web",
    ),
    "k8s-hpa-target": (
        "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
        "-app-hpa",
        "spec.scaleTargetRef.name",
        "missing",
    ),
    "k8s-pdb-selector": (
        "kubernetes:policy/v1:PodDisruptionBudget",
        "-app-pdb",
        "spec.selector.matchLabels",
        {"app": "nobody"},
    ),
    "capacity-pod-fits-node": (
        "aws:eks/nodeGroup:NodeGroup",
        "-group",
        "instanceTypes",
        ["t3.nano"],
    ),
    "capacity-hpa-max-fits": (
        "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
        "-app-hpa",
        "spec.maxReplicas",
        500,
    ),
}


def _set(inputs: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node: Any = inputs
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    last = parts[-1]
    if value is DROP:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def mutated(plan: Plan, token: str, suffix: str, path: str, value: Any) -> Plan:
    target = plan.find(token, suffix)
    inputs = copy.deepcopy(target.inputs)
    _set(inputs, path, value)
    changed: PlanResource = dataclasses.replace(target, inputs=inputs)
    return dataclasses.replace(
        plan, resources=tuple(changed if r is target else r for r in plan.resources)
    )


def test_every_rule_has_a_rejected_case() -> None:
    assert sorted(REJECTED) == sorted(RULES)


@pytest.mark.parametrize("rule", sorted(REJECTED))
def test_rule_accepts_committed_and_rejects_one_change(
    rule: str, committed_plans: dict[str, Plan], committed_configs: dict[str, dict[str, str]]
) -> None:
    plan, config = committed_plans["prod"], committed_configs["prod"]
    assert [f for f in accept(plan, config).findings if f.rule == rule] == []
    token, suffix, path, value = REJECTED[rule]
    findings = accept(mutated(plan, token, suffix, path, value), config).findings
    hits = [f for f in findings if f.rule == rule]
    assert hits, f"{rule} did not reject {suffix}.{path}={value!r}: {[str(f) for f in findings]}"
    assert all(f.source and f.stack == "prod" and f.urn for f in hits)
