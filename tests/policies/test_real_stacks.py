"""The pack on the real staging and prod plans: clean, and every flipped guarantee caught."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pytest

from policies.registry import all_policies
from stacks.offline.policy import PolicyReport, evaluate_plan
from tests.infra.plans import stack_plan
from tests.policies.conftest import STACKS, policy_config, run
from tests.policies.plans import DELETE, set_path

pytestmark = [pytest.mark.policy, pytest.mark.slow]

REMOVE = "<remove every resource of the type>"


@pytest.fixture(scope="module")
def real_plans() -> dict[str, dict[str, Any]]:
    return {stack: stack_plan(stack).to_dict() for stack in STACKS}


@dataclass(frozen=True)
class RealMutation:
    rule: str
    type: str
    path: str
    value: Any = None
    flagged_type: str | None = None  # the type the violation lands on, if not ``type``
    stacks: tuple[str, ...] = STACKS
    where: tuple[str, Any] | None = None  # only resources of ``type`` with this (path, value)
    flagged_where: tuple[str, Any] | None = None  # only flagged resources with this value

    @property
    def id(self) -> str:
        if self.path == REMOVE:
            flagged = (self.flagged_type or "").rsplit(":", 1)[-1]
            what = f"removed (flags {flagged})"
        else:
            what = f"{self.path}={'deleted' if self.value is DELETE else repr(self.value)}"
        where = f" where {self.where[0]}={self.where[1]!r}" if self.where else ""
        return f"{self.rule}: {self.type.rsplit(':', 1)[-1]}{where} {what}"


RDS = "aws:rds/instance:Instance"
EKS = "aws:eks/cluster:Cluster"
CACHE = "aws:elasticache/replicationGroup:ReplicationGroup"
STAGE = "aws:apigateway/stage:Stage"
REST_RESOURCE = "aws:apigateway/resource:Resource"
VPC = "aws:ec2/vpc:Vpc"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
CONTAINER = "spec.template.spec.containers.0"
APP_NAMESPACE = ("metadata.namespace", "hrms")
KUBE_SYSTEM = ("metadata.namespace", "kube-system")
OPEN_DB = [{"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrBlocks": ["0.0.0.0/0"]}]
PROD = ("prod",)
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
USAGE_PLAN = "aws:apigateway/usagePlan:UsagePlan"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
RESTORE_SELECTION = "aws:backup/restoreTestingSelection:RestoreTestingSelection"
OPEN_SSH_V6 = [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "ipv6CidrBlocks": ["::/0"]}]

REAL_MUTATIONS = [
    RealMutation("rds-storage-encrypted-cmk", RDS, "storageEncrypted", False),
    RealMutation("rds-storage-encrypted-cmk", RDS, "kmsKeyId", DELETE),
    RealMutation("rds-not-public", RDS, "publiclyAccessible", True),
    RealMutation("rds-backup-retention", RDS, "backupRetentionPeriod", 1),
    RealMutation("rds-deletion-protection", RDS, "deletionProtection", False, stacks=("prod",)),
    RealMutation("rds-deletion-protection", RDS, "skipFinalSnapshot", True, stacks=("prod",)),
    RealMutation("rds-multi-az", RDS, "multiAz", False, stacks=("prod",)),
    RealMutation("rds-auto-minor-version-upgrade", RDS, "autoMinorVersionUpgrade", False),
    RealMutation("rds-copy-tags-to-snapshot", RDS, "copyTagsToSnapshot", False),
    RealMutation("rds-log-exports", RDS, "enabledCloudwatchLogsExports", []),
    RealMutation("rds-performance-insights-encrypted", RDS, "performanceInsightsKmsKeyId", DELETE),
    RealMutation("rds-managed-master-secret", RDS, "manageMasterUserPassword", False),
    RealMutation("rds-force-ssl", "aws:rds/parameterGroup:ParameterGroup", "parameters", []),
    RealMutation("rds-force-ssl", "aws:rds/parameterGroup:ParameterGroup", REMOVE, None, RDS),
    RealMutation(
        "backup-plan-covers-databases", "aws:backup/selection:Selection", REMOVE, None, RDS
    ),
    RealMutation(
        "backup-restore-testing-covers-databases",
        "aws:backup/restoreTestingSelection:RestoreTestingSelection",
        REMOVE,
        None,
        RDS,
    ),
    RealMutation("backup-plan-rules", "aws:backup/plan:Plan", "rules.0.lifecycle.deleteAfter", 1),
    RealMutation(
        "s3-bucket-public-access-blocked",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "blockPublicPolicy",
        False,
        "aws:s3/bucket:Bucket",
    ),
    RealMutation(
        "s3-bucket-versioned",
        "aws:s3/bucketVersioning:BucketVersioning",
        REMOVE,
        None,
        "aws:s3/bucket:Bucket",
    ),
    RealMutation(
        "s3-bucket-lifecycle",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "rules.0.expiration",
        DELETE,
        "aws:s3/bucket:Bucket",
    ),
    RealMutation("eks-private-endpoint", EKS, "vpcConfig.endpointPrivateAccess", False),
    RealMutation(
        "eks-public-endpoint-restricted",
        EKS,
        "vpcConfig",
        {
            "endpointPrivateAccess": True,
            "endpointPublicAccess": True,
            "publicAccessCidrs": ["0.0.0.0/0"],
        },
    ),
    RealMutation("eks-secrets-encryption", EKS, "encryptionConfig", DELETE),
    RealMutation("eks-control-plane-logging", EKS, "enabledClusterLogTypes", ["api"]),
    RealMutation("eks-supported-version", EKS, "version", "1.23"),
    RealMutation(
        "node-launch-template-imdsv2",
        "aws:ec2/launchTemplate:LaunchTemplate",
        "metadataOptions.httpTokens",
        "optional",
    ),
    RealMutation(
        "eks-node-group-launch-template", "aws:eks/nodeGroup:NodeGroup", "launchTemplate", DELETE
    ),
    RealMutation("vpc-flow-logs", "aws:ec2/flowLog:FlowLog", REMOVE, None, VPC),
    RealMutation(
        "vpc-default-security-group-closed",
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
        "ingress",
        OPEN_DB,
    ),
    RealMutation(
        "vpc-default-security-group-closed",
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
        REMOVE,
        None,
        VPC,
    ),
    RealMutation(
        "security-group-no-internet-admin-ports",
        "aws:ec2/securityGroup:SecurityGroup",
        "ingress",
        OPEN_DB,
    ),
    RealMutation(
        "security-group-no-internet-admin-ports",
        "aws:ec2/securityGroup:SecurityGroup",
        "ingress",
        OPEN_SSH_V6,
    ),
    RealMutation(
        "security-group-no-internet-admin-ports",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "cidrIpv4",
        "0.0.0.0/0",
    ),
    RealMutation(
        "apigw-method-requires-auth", "aws:apigateway/method:Method", "apiKeyRequired", False
    ),
    RealMutation(
        # Without the /api prefix resource the greedy path hangs off the root.
        "apigw-no-root-proxy",
        REST_RESOURCE,
        REMOVE,
        None,
        REST_RESOURCE,
        where=("pathPart", "api"),
        flagged_where=("pathPart", "{proxy+}"),
    ),
    RealMutation(
        "apigw-usage-plan-limits", "aws:apigateway/usagePlan:UsagePlan", "quotaSettings", DELETE
    ),
    RealMutation("apigw-stage-access-logging", STAGE, "accessLogSettings", DELETE),
    RealMutation("apigw-stage-xray", STAGE, "xrayTracingEnabled", False),
    RealMutation(
        "apigw-data-trace-off",
        "aws:apigateway/methodSettings:MethodSettings",
        "settings.dataTraceEnabled",
        True,
    ),
    RealMutation(
        "apigw-waf-associated", "aws:wafv2/webAclAssociation:WebAclAssociation", REMOVE, None, STAGE
    ),
    RealMutation(
        "alarms-cover-critical-resources",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        REMOVE,
        None,
        RDS,
    ),
    RealMutation(
        "alarms-cover-critical-resources",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        REMOVE,
        None,
        EKS,
    ),
    RealMutation(
        "alarms-cover-critical-resources",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        REMOVE,
        None,
        CACHE,
    ),
    RealMutation(
        "container-insights-installed",
        "aws:eks/addon:Addon",
        REMOVE,
        None,
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        where=("addonName", "amazon-cloudwatch-observability"),
        flagged_where=("namespace", "ContainerInsights"),
    ),
    RealMutation("alarm-has-actions", "aws:cloudwatch/metricAlarm:MetricAlarm", "alarmActions", []),
    RealMutation(
        "log-group-encrypted-retention", "aws:cloudwatch/logGroup:LogGroup", "kmsKeyId", DELETE
    ),
    RealMutation(
        "log-group-encrypted-retention",
        "aws:cloudwatch/logGroup:LogGroup",
        "retentionInDays",
        DELETE,
    ),
    RealMutation("sns-topic-encrypted", "aws:sns/topic:Topic", "kmsMasterKeyId", DELETE),
    RealMutation("sns-topic-encrypted", "aws:sns/topic:Topic", "kmsMasterKeyId", "alias/aws/sns"),
    RealMutation(
        "backup-copy-other-region",
        "aws:backup/plan:Plan",
        "rules.0.copyActions.0.destinationVaultArn",
        "arn:aws:backup:eu-west-1:123456789012:backup-vault:hrms-prod-backups-copy-vault",
        stacks=PROD,
    ),
    RealMutation("elasticache-encrypted-at-rest-cmk", CACHE, "kmsKeyId", DELETE),
    RealMutation("elasticache-encrypted-at-rest-cmk", CACHE, "atRestEncryptionEnabled", False),
    RealMutation("elasticache-encrypted-in-transit", CACHE, "transitEncryptionMode", "preferred"),
    RealMutation("elasticache-encrypted-in-transit", CACHE, "authToken", DELETE),
    RealMutation(
        "ecr-repository-encrypted-cmk",
        "aws:ecr/repository:Repository",
        "encryptionConfigurations",
        DELETE,
    ),
    RealMutation(
        "secretsmanager-secret-cmk", "aws:secretsmanager/secret:Secret", "kmsKeyId", DELETE
    ),
    RealMutation(
        "backup-vault-encrypted-cmk", "aws:backup/vault:Vault", "kmsKeyArn", "alias/aws/backup"
    ),
    RealMutation(
        "s3-bucket-encrypted-cmk",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        REMOVE,
        None,
        "aws:s3/bucket:Bucket",
    ),
    RealMutation(
        "s3-bucket-tls-only",
        "aws:s3/bucketPolicy:BucketPolicy",
        REMOVE,
        None,
        "aws:s3/bucket:Bucket",
    ),
    RealMutation("kms-key-rotation", "aws:kms/key:Key", "enableKeyRotation", False),
    RealMutation(
        "k8s-run-as-non-root", DEPLOYMENT, f"{CONTAINER}.securityContext.runAsNonRoot", False
    ),
    RealMutation(
        "k8s-read-only-root-filesystem",
        DEPLOYMENT,
        f"{CONTAINER}.securityContext.readOnlyRootFilesystem",
        False,
    ),
    RealMutation(
        "k8s-no-privilege-escalation",
        DEPLOYMENT,
        f"{CONTAINER}.securityContext.allowPrivilegeEscalation",
        True,
    ),
    RealMutation("k8s-resources-set", DEPLOYMENT, f"{CONTAINER}.resources", DELETE),
    RealMutation("k8s-probes-set", DEPLOYMENT, f"{CONTAINER}.readinessProbe", DELETE),
    RealMutation("k8s-image-pinned-by-digest", DEPLOYMENT, f"{CONTAINER}.image", "hrms:latest"),
    RealMutation(
        "k8s-image-pinned-by-digest", "kubernetes:batch/v1:Job", f"{CONTAINER}.image", "hrms:latest"
    ),
    RealMutation(
        "k8s-pdb-per-deployment",
        "kubernetes:policy/v1:PodDisruptionBudget",
        REMOVE,
        None,
        DEPLOYMENT,
    ),
    RealMutation(
        "k8s-namespace-network-policy",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        REMOVE,
        None,
        "kubernetes:core/v1:Namespace",
    ),
    RealMutation(
        "k8s-namespace-pod-security", "kubernetes:core/v1:Namespace", "metadata.labels", {}
    ),
    RealMutation("aws-required-tags", RDS, "tags", DELETE),
    RealMutation("aws-required-tags", VPC, "tags.Owner", DELETE),
    # Further guarded properties, one flip each, so the real stacks exercise every check.
    RealMutation("rds-storage-encrypted-cmk", RDS, "kmsKeyId", "alias/aws/rds"),
    RealMutation("rds-backup-retention", RDS, "backupRetentionPeriod", 7, stacks=PROD),
    RealMutation("rds-backup-retention", RDS, "backupWindow", DELETE),
    RealMutation("rds-deletion-protection", RDS, "finalSnapshotIdentifier", DELETE, stacks=PROD),
    RealMutation("rds-performance-insights-encrypted", RDS, "performanceInsightsEnabled", False),
    RealMutation("rds-managed-master-secret", RDS, "password", "[secret]"),
    RealMutation(
        "backup-restore-testing-covers-databases",
        RESTORE_SELECTION,
        "protectedResourceType",
        "EBS",
        flagged_type=RDS,
    ),
    RealMutation("backup-plan-rules", "aws:backup/plan:Plan", "rules.0.schedule", DELETE),
    RealMutation(
        "backup-plan-rules", "aws:backup/plan:Plan", "rules.0.copyActions", [], stacks=PROD
    ),
    RealMutation("eks-public-endpoint-restricted", EKS, "vpcConfig.publicAccessCidrs", DELETE),
    RealMutation("eks-secrets-encryption", EKS, "encryptionConfig.provider.keyArn", DELETE),
    RealMutation("eks-supported-version", EKS, "version", DELETE),
    RealMutation(
        "node-launch-template-imdsv2", LAUNCH_TEMPLATE, "metadataOptions.httpPutResponseHopLimit", 5
    ),
    RealMutation(
        "launch-template-volumes-encrypted",
        LAUNCH_TEMPLATE,
        "blockDeviceMappings.0.ebs.encrypted",
        "false",
    ),
    RealMutation(
        "vpc-flow-logs", "aws:ec2/flowLog:FlowLog", "trafficType", "REJECT", flagged_type=VPC
    ),
    RealMutation(
        "vpc-default-security-group-closed",
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
        "egress",
        OPEN_DB,
    ),
    RealMutation(
        "security-group-no-internet-admin-ports",
        SG_INGRESS,
        "cidrIpv6",
        "::/0",
        where=("fromPort", 5432),
    ),
    RealMutation(
        "security-group-no-internet-admin-ports",
        SG_INGRESS,
        "cidrIpv4",
        "0.0.0.0/0",
        where=("fromPort", 6379),
    ),
    RealMutation(
        "apigw-method-requires-auth",
        "aws:apigateway/method:Method",
        "httpMethod",
        "POST",
        where=("httpMethod", "GET"),
    ),
    RealMutation("apigw-usage-plan-limits", USAGE_PLAN, "throttleSettings", DELETE),
    RealMutation("apigw-usage-plan-limits", USAGE_PLAN, "apiStages", []),
    RealMutation("apigw-usage-plan-tiers", USAGE_PLAN, "name", "hrms-basic"),
    RealMutation("apigw-usage-plan-tiers", USAGE_PLAN, REMOVE, None, STAGE),
    RealMutation("apigw-stage-access-logging", STAGE, "accessLogSettings.format", DELETE),
    RealMutation("alarms-cover-critical-resources", ALARM, REMOVE, None, STAGE),
    RealMutation("alarm-has-actions", ALARM, "okActions", DELETE),
    RealMutation("alarm-has-actions", ALARM, "actionsEnabled", False),
    RealMutation(
        "log-group-encrypted-retention",
        "aws:cloudwatch/logGroup:LogGroup",
        "retentionInDays",
        7,
    ),
    RealMutation(
        "k8s-no-privilege-escalation", DEPLOYMENT, f"{CONTAINER}.securityContext.privileged", True
    ),
    RealMutation("k8s-probes-set", DEPLOYMENT, f"{CONTAINER}.livenessProbe", DELETE),
    *(
        RealMutation(
            "k8s-pdb-per-deployment",
            "kubernetes:policy/v1:PodDisruptionBudget",
            "spec.selector.matchLabels",
            {"app": "other"},
            flagged_type=DEPLOYMENT,
            where=namespace,
            flagged_where=namespace,
        )
        for namespace in (APP_NAMESPACE, KUBE_SYSTEM)
    ),
    # The Cluster Autoscaler's Deployment in kube-system is held to the same rules.
    RealMutation(
        "k8s-image-pinned-by-digest",
        DEPLOYMENT,
        f"{CONTAINER}.image",
        "registry.k8s.io/autoscaling/cluster-autoscaler:v1.35.2",
        where=KUBE_SYSTEM,
    ),
    RealMutation(
        "k8s-read-only-root-filesystem",
        DEPLOYMENT,
        f"{CONTAINER}.securityContext.readOnlyRootFilesystem",
        False,
        where=KUBE_SYSTEM,
    ),
    RealMutation(
        "k8s-resources-set", DEPLOYMENT, f"{CONTAINER}.resources", DELETE, where=KUBE_SYSTEM
    ),
    RealMutation(
        "k8s-namespace-pod-security",
        "kubernetes:core/v1:Namespace",
        "metadata.labels",
        {"pod-security.kubernetes.io/enforce": "baseline"},
    ),
    RealMutation("aws-required-tags", EKS, "tags.Environment", "qa"),
]


def _get(node: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(node, list):
            node = node[int(part)] if int(part) < len(node) else None
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    return node


def _matches(resource: dict[str, Any], where: tuple[str, Any] | None) -> bool:
    return where is None or _get(resource["inputs"], where[0]) == where[1]


def _apply(plan: dict[str, Any], m: RealMutation) -> tuple[dict[str, Any], list[str]]:
    """The mutated plan and the urns the rule must now name."""
    out = copy.deepcopy(plan)
    targets = [r for r in out["resources"] if r["type"] == m.type and _matches(r, m.where)]
    if m.path == REMOVE:
        gone = {r["urn"] for r in targets}
        out["resources"] = [r for r in out["resources"] if r["urn"] not in gone]
        for r in out["resources"]:
            r["dependencies"] = [d for d in r["dependencies"] if d not in gone]
        flagged = [
            r["urn"]
            for r in out["resources"]
            if r["type"] == m.flagged_type and _matches(r, m.flagged_where)
        ]
        return out, flagged
    if not targets:
        return out, []
    # Flip a resource where the mutation changes something (e.g. not the open health route).
    target = next((r for r in targets if _get(r["inputs"], m.path) != m.value), targets[0])
    set_path(target["inputs"], m.path, m.value)
    if m.flagged_type is None:
        return out, [target["urn"]]
    # A link broken on one side is reported on the resource that lost its guarantee.
    flagged = [
        r["urn"]
        for r in out["resources"]
        if r["type"] == m.flagged_type and _matches(r, m.flagged_where)
    ]
    return out, flagged


def _outcome(plan: dict[str, Any], m: RealMutation) -> str:
    """'caught', 'absent' (type not in this stack's plan) or a description of the miss."""
    if not any(r["type"] == m.type for r in plan["resources"]):
        return "absent"
    mutated, urns = _apply(plan, m)
    if not urns:
        return "absent"
    # Only the mutated rule is asked (a tenth of the time of the whole pack); that the
    # unmutated plans pass every rule is test_real_stacks_have_no_mandatory_violations.
    (policy,) = [p for p in all_policies() if p.name == m.rule]
    report: PolicyReport = evaluate_plan(
        mutated, config=policy_config(plan["stack"]), policies=[policy]
    )
    hit = {v.urn for v in report.for_rule(m.rule) if v.enforcement == "mandatory"}
    missing = [u for u in urns if u not in hit]
    return "caught" if not missing else f"missed on {missing}"


def test_every_rule_is_mutated_on_the_real_plans() -> None:
    # Outcomes are keyed by id: two mutations sharing one would hide the second.
    ids = [m.id for m in REAL_MUTATIONS]
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
    mutated = {m.rule for m in REAL_MUTATIONS}
    assert sorted(p.name for p in all_policies() if p.name not in mutated) == []


def test_real_stacks_have_no_mandatory_violations(real_plans: dict[str, dict[str, Any]]) -> None:
    for stack, plan in real_plans.items():
        report = run(plan)
        assert [v.to_dict() for v in report.mandatory] == [], stack


def test_every_mutation_of_the_real_plans_is_caught(
    real_plans: dict[str, dict[str, Any]],
) -> None:
    outcomes = {
        (stack, m.id): _outcome(real_plans[stack], m) for m in REAL_MUTATIONS for stack in m.stacks
    }
    absent = sorted(k for k, v in outcomes.items() if v == "absent")
    missed = {k: v for k, v in outcomes.items() if v not in ("caught", "absent")}
    caught = sum(v == "caught" for v in outcomes.values())
    print(f"\nmutations caught: {caught}; not applicable (type absent): {len(absent)}")
    for key in absent:
        print("  absent:", *key)
    for key, why in missed.items():
        print("  MISSED:", *key, why)
    assert missed == {}
    # Most guarantees must be exercised on the real stacks, not only on hand-written plans.
    assert caught >= len(REAL_MUTATIONS) // 2
