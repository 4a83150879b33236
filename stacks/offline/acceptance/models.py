"""Recorded inputs checked against botocore's service models: required, enum, ranges, patterns.

Each Pulumi type is mapped to the API calls that create (and update) it, and its input names to
the calls' members (``API_TABLE``). Input names that equal a member name up to case map
themselves; the table lists the rest. Nested objects are matched member by member the same way.
Unknown (computed) and redacted values are skipped, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import botocore.session
from botocore.model import ListShape, Shape, StructureShape

from stacks.offline.acceptance.findings import Finding
from stacks.offline.plan import MARKERS, Plan, PlanResource

SKIPPED_VALUES = MARKERS


@dataclass(frozen=True, kw_only=True)
class ApiCall:
    """One API call (or one named shape) a type's inputs reach, and how names map onto it."""

    service: str
    operation: str
    # Pulumi input path (dots for nested Pulumi objects) -> API member path (dots for nesting).
    members: Mapping[str, str] = field(default_factory=dict)
    # Required members Pulumi fills itself (auto-naming, ids it resolves): never "missing".
    provided: frozenset[str] = frozenset()
    # Match the remaining top-level inputs to members by name (off for shapes reached
    # through an explicit table only).
    auto: bool = True


def _call(service: str, operation: str, provided: tuple[str, ...] = (), **members: str) -> ApiCall:
    return ApiCall(
        service=service,
        operation=operation,
        members={k.replace("__", "."): v for k, v in members.items()},
        provided=frozenset(provided),
    )


# Pulumi type token -> the calls whose input shapes constrain its inputs (create first).
API_TABLE: dict[str, tuple[ApiCall, ...]] = {
    "aws:rds/instance:Instance": (
        _call(
            "rds",
            "CreateDBInstance",
            ("DBInstanceIdentifier",),
            instanceClass="DBInstanceClass",
            identifier="DBInstanceIdentifier",
            backupWindow="PreferredBackupWindow",
            maintenanceWindow="PreferredMaintenanceWindow",
            username="MasterUsername",
            multiAz="MultiAZ",
            caCertIdentifier="CACertificateIdentifier",
            enabledCloudwatchLogsExports="EnableCloudwatchLogsExports",
            parameterGroupName="DBParameterGroupName",
            vpcSecurityGroupIds="VpcSecurityGroupIds",
            iamDatabaseAuthenticationEnabled="EnableIAMDatabaseAuthentication",
            performanceInsightsEnabled="EnablePerformanceInsights",
            dbSubnetGroupName="DBSubnetGroupName",
        ),
        _call(
            "rds",
            "ModifyDBInstance",
            ("DBInstanceIdentifier",),
            instanceClass="DBInstanceClass",
            backupWindow="PreferredBackupWindow",
            maintenanceWindow="PreferredMaintenanceWindow",
        ),
    ),
    "aws:rds/parameterGroup:ParameterGroup": (
        _call(
            "rds",
            "CreateDBParameterGroup",
            ("DBParameterGroupName",),
            family="DBParameterGroupFamily",
            name="DBParameterGroupName",
        ),
        _call("rds", "ModifyDBParameterGroup", ("DBParameterGroupName",)),
    ),
    "aws:rds/subnetGroup:SubnetGroup": (
        _call(
            "rds",
            "CreateDBSubnetGroup",
            ("DBSubnetGroupName",),
            name="DBSubnetGroupName",
            description="DBSubnetGroupDescription",
        ),
    ),
    "aws:eks/cluster:Cluster": (
        _call("eks", "CreateCluster", ("name",), vpcConfig="resourcesVpcConfig"),
    ),
    "aws:eks/nodeGroup:NodeGroup": (
        _call(
            "eks",
            "CreateNodegroup",
            ("nodegroupName",),
            subnetIds="subnets",
            nodeRoleArn="nodeRole",
            nodeGroupName="nodegroupName",
        ),
        _call("eks", "UpdateNodegroupConfig", ("nodegroupName",)),
    ),
    "aws:eks/addon:Addon": (
        _call("eks", "CreateAddon"),
        _call("eks", "UpdateAddon"),
    ),
    "aws:elasticache/replicationGroup:ReplicationGroup": (
        _call(
            "elasticache",
            "CreateReplicationGroup",
            ("ReplicationGroupId",),
            description="ReplicationGroupDescription",
            nodeType="CacheNodeType",
            multiAzEnabled="MultiAZEnabled",
            subnetGroupName="CacheSubnetGroupName",
            maintenanceWindow="PreferredMaintenanceWindow",
            parameterGroupName="CacheParameterGroupName",
        ),
        _call(
            "elasticache",
            "ModifyReplicationGroup",
            ("ReplicationGroupId",),
            nodeType="CacheNodeType",
            maintenanceWindow="PreferredMaintenanceWindow",
        ),
    ),
    "aws:elasticache/subnetGroup:SubnetGroup": (
        _call(
            "elasticache",
            "CreateCacheSubnetGroup",
            ("CacheSubnetGroupName",),
            name="CacheSubnetGroupName",
            description="CacheSubnetGroupDescription",
        ),
    ),
    "aws:cloudwatch/logGroup:LogGroup": (
        _call("logs", "CreateLogGroup", ("logGroupName",), name="logGroupName"),
        _call("logs", "PutRetentionPolicy", ("logGroupName",)),
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": (
        _call(
            "cloudwatch",
            "PutMetricAlarm",
            ("AlarmName",),
            name="AlarmName",
            okActions="OKActions",
            metricQueries="Metrics",
            extendedStatistic="ExtendedStatistic",
        ),
    ),
    "aws:backup/plan:Plan": (
        _call(
            "backup",
            "CreateBackupPlan",
            ("BackupPlan.BackupPlanName",),
            name="BackupPlan.BackupPlanName",
            rules="BackupPlan.Rules",
        ),
    ),
    "aws:backup/vault:Vault": (
        _call(
            "backup",
            "CreateBackupVault",
            ("BackupVaultName",),
            name="BackupVaultName",
            kmsKeyArn="EncryptionKeyArn",
        ),
    ),
    "aws:backup/selection:Selection": (
        _call(
            "backup",
            "CreateBackupSelection",
            ("BackupSelection.SelectionName",),
            name="BackupSelection.SelectionName",
            iamRoleArn="BackupSelection.IamRoleArn",
            resources="BackupSelection.Resources",
            planId="BackupPlanId",
        ),
    ),
    "aws:backup/restoreTestingPlan:RestoreTestingPlan": (
        _call(
            "backup",
            "CreateRestoreTestingPlan",
            ("RestoreTestingPlan.RestoreTestingPlanName",),
            name="RestoreTestingPlan.RestoreTestingPlanName",
            scheduleExpression="RestoreTestingPlan.ScheduleExpression",
            startWindowHours="RestoreTestingPlan.StartWindowHours",
            recoveryPointSelection="RestoreTestingPlan.RecoveryPointSelection",
        ),
    ),
    "aws:apigateway/stage:Stage": (
        _call(
            "apigateway",
            "CreateStage",
            ("restApiId", "deploymentId"),
            restApi="restApiId",
            deployment="deploymentId",
            xrayTracingEnabled="tracingEnabled",
        ),
    ),
    "aws:apigateway/usagePlan:UsagePlan": (
        _call("apigateway", "CreateUsagePlan", throttleSettings="throttle", quotaSettings="quota"),
    ),
    "aws:apigateway/methodSettings:MethodSettings": (
        # UpdateStage takes patch operations; the settings' own shape carries the types.
        ApiCall(
            service="apigateway", operation="@MethodSetting", members={"settings": ""}, auto=False
        ),
    ),
    "aws:wafv2/webAcl:WebAcl": (
        _call("wafv2", "CreateWebACL", ("Name",)),
        _call("wafv2", "UpdateWebACL", ("Name", "Id", "LockToken")),
    ),
    "aws:ec2/launchTemplate:LaunchTemplate": (
        ApiCall(service="ec2", operation="@RequestLaunchTemplateData", auto=True),
    ),
    "aws:ec2/vpc:Vpc": (_call("ec2", "CreateVpc"),),
    "aws:ec2/subnet:Subnet": (_call("ec2", "CreateSubnet"),),
    "aws:ec2/securityGroup:SecurityGroup": (
        _call("ec2", "CreateSecurityGroup", ("GroupName",), name="GroupName"),
    ),
    "aws:ecr/repository:Repository": (
        _call("ecr", "CreateRepository", ("repositoryName",), name="repositoryName"),
    ),
    "aws:kms/key:Key": (
        _call("kms", "CreateKey", customerMasterKeySpec="KeySpec"),
        _call("kms", "ScheduleKeyDeletion", ("KeyId",), deletionWindowInDays="PendingWindowInDays"),
    ),
    "aws:sns/topic:Topic": (_call("sns", "CreateTopic", ("Name",)),),
    "aws:secretsmanager/secret:Secret": (
        _call("secretsmanager", "CreateSecret", ("Name",)),
        _call(
            "secretsmanager",
            "DeleteSecret",
            ("SecretId",),
            recoveryWindowInDays="RecoveryWindowInDays",
        ),
    ),
    "aws:lb/loadBalancer:LoadBalancer": (
        _call("elbv2", "CreateLoadBalancer", ("Name",), loadBalancerType="Type", subnets="Subnets"),
    ),
    "aws:lb/targetGroup:TargetGroup": (
        _call(
            "elbv2",
            "CreateTargetGroup",
            ("Name",),
            healthCheck__enabled="HealthCheckEnabled",
            healthCheck__interval="HealthCheckIntervalSeconds",
            healthCheck__path="HealthCheckPath",
            healthCheck__port="HealthCheckPort",
            healthCheck__protocol="HealthCheckProtocol",
            healthCheck__timeout="HealthCheckTimeoutSeconds",
            healthCheck__healthyThreshold="HealthyThresholdCount",
            healthCheck__unhealthyThreshold="UnhealthyThresholdCount",
            healthCheck__matcher="Matcher.HttpCode",
        ),
    ),
}


@cache
def _model(service: str) -> Any:
    return botocore.session.get_session().get_service_model(service)


def input_shape(call: ApiCall) -> StructureShape:
    model = _model(call.service)
    if call.operation.startswith("@"):
        shape = model.shape_for(call.operation[1:])
    else:
        shape = model.operation_model(call.operation).input_shape
    if not isinstance(shape, StructureShape):
        raise TypeError(f"{call.service} {call.operation} has no input structure")
    return shape


def _source(call: ApiCall, path: str) -> str:
    where = call.operation.lstrip("@")
    return f"botocore {call.service} {where}.{path}"


def _member(shape: StructureShape, name: str) -> str | None:
    lowered = name.lower()
    for member in shape.members:
        if member.lower() == lowered:
            return member
    return None


def _get(data: Mapping[str, Any], dotted: str) -> Any:
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


@cache
def _pattern(text: str) -> re.Pattern[str] | None:
    try:
        return re.compile(text)
    except re.error:  # a Java-only construct: the constraint cannot be checked here
        return None


@dataclass(frozen=True)
class _Violation:
    path: str
    value: Any
    rule: str
    message: str


def _check(shape: Shape, value: Any, path: str) -> Iterator[_Violation]:
    if value is None or (isinstance(value, str) and value in SKIPPED_VALUES):
        return
    meta = shape.metadata
    kind = shape.type_name
    if kind == "string" and isinstance(value, str):
        enum: list[str] = getattr(shape, "enum", None) or []
        if enum and value not in enum:
            yield _Violation(path, value, "api-enum", f"not one of {', '.join(enum)}")
        if "min" in meta and len(value) < meta["min"]:
            yield _Violation(path, value, "api-length", f"shorter than {meta['min']} characters")
        if "max" in meta and len(value) > meta["max"]:
            yield _Violation(path, value, "api-length", f"longer than {meta['max']} characters")
        pattern = _pattern(meta["pattern"]) if "pattern" in meta else None
        if pattern is not None and not pattern.search(value):
            yield _Violation(path, value, "api-pattern", f"does not match {meta['pattern']}")
    elif kind in ("integer", "long", "double", "float") and isinstance(value, int | float):
        if not isinstance(value, bool):
            if "min" in meta and value < meta["min"]:
                yield _Violation(path, value, "api-range", f"below the minimum {meta['min']}")
            if "max" in meta and value > meta["max"]:
                yield _Violation(path, value, "api-range", f"above the maximum {meta['max']}")
    elif isinstance(shape, ListShape) and isinstance(value, list):
        if "min" in meta and len(value) < meta["min"]:
            yield _Violation(path, value, "api-length", f"fewer than {meta['min']} items")
        if "max" in meta and len(value) > meta["max"]:
            yield _Violation(path, value, "api-length", f"more than {meta['max']} items")
        for index, item in enumerate(value):
            yield from _check(shape.member, item, f"{path}[{index}]")
    elif isinstance(shape, StructureShape) and isinstance(value, Mapping):
        for key, item in value.items():
            member = _member(shape, key)
            if member is not None:
                yield from _check(shape.members[member], item, f"{path}.{key}")


def _resolve(shape: StructureShape, api_path: str) -> Shape | None:
    node: Shape = shape
    for part in api_path.split("."):
        if not isinstance(node, StructureShape) or part not in node.members:
            return None
        node = node.members[part]
    return node


def _required_missing(call: ApiCall, shape: StructureShape, inputs: Mapping[str, Any]) -> list[str]:
    reverse = {api: pulumi for pulumi, api in call.members.items()}
    missing = []
    for member in shape.required_members:
        if member in call.provided:
            continue
        pulumi_name = reverse.get(member) or (member[:1].lower() + member[1:])
        if _get(inputs, pulumi_name) is None and not any(
            api.startswith(member + ".") for api in call.members.values()
        ):
            missing.append(pulumi_name)
    return missing


def check_resource(stack: str, resource: PlanResource) -> list[Finding]:
    calls = API_TABLE.get(resource.type, ())
    seen: set[tuple[str, str]] = set()
    findings: list[Finding] = []
    for call in calls:
        shape = input_shape(call)

        def add(
            prop: str, value: Any, rule: str, message: str, api_path: str, call: ApiCall = call
        ) -> None:
            if (prop, rule) in seen:
                return
            seen.add((prop, rule))
            findings.append(
                Finding(
                    stack=stack,
                    urn=resource.urn,
                    resource=resource.name,
                    property=prop,
                    value=value,
                    rule=rule,
                    message=message,
                    source=_source(call, api_path),
                )
            )

        mapped: set[str] = set()
        for pulumi_path, api_path in call.members.items():
            mapped.add(pulumi_path.split(".")[0])
            value = _get(resource.inputs, pulumi_path)
            target = shape if api_path == "" else _resolve(shape, api_path)
            if target is None or value is None:
                continue
            for v in _check(target, value, pulumi_path):
                add(v.path, v.value, v.rule, v.message, api_path or pulumi_path)
        if call.auto:
            for key, value in resource.inputs.items():
                if key in mapped:
                    continue
                member = _member(shape, key)
                if member is None:
                    continue
                for v in _check(shape.members[member], value, key):
                    add(v.path, v.value, v.rule, v.message, member + v.path[len(key) :])
        if not call.operation.startswith("@") and call is calls[0]:
            for prop in _required_missing(call, shape, resource.inputs):
                add(prop, None, "api-required", "required by the create call but not set", prop)
    return findings


def check_plan(plan: Plan) -> list[Finding]:
    findings: list[Finding] = []
    for resource in plan.resources:
        if resource.custom:
            findings.extend(check_resource(plan.stack, resource))
    return findings
