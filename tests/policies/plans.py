"""A hand-written, fully compliant plan covering every guarded type, plus mutation helpers."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from app.tenants.tiers import TIERS


class _Delete:
    """Marks a property to delete; a stable repr keeps test ids equal across xdist workers."""

    def __repr__(self) -> str:
        return "DELETE"


DELETE: Any = _Delete()
REMOVE = "<remove resource>"

ARN = "arn:aws:kms:eu-west-1:111122223333:key/0000"
DIGEST = "sha256:" + "a" * 64
IMAGE = f"111122223333.dkr.ecr.eu-west-1.amazonaws.com/hrms@{DIGEST}"


def tags(stack: str) -> dict[str, str]:
    return {
        "Environment": stack,
        "Service": "hrms",
        "Owner": "platform",
        "CostCenter": "cc-42",
        "DataClassification": "confidential",
    }


def urn(stack: str, type_: str, name: str) -> str:
    return f"urn:pulumi:{stack}::hrms::{type_}::{name}"


def _container(*, probes: bool) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": "api",
        "image": IMAGE,
        "securityContext": {
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
        },
        "resources": {
            "requests": {"cpu": "250m", "memory": "256Mi"},
            "limits": {"memory": "512Mi"},
        },
    }
    if probes:
        container["readinessProbe"] = {"httpGet": {"path": "/readyz", "port": 8000}}
        container["livenessProbe"] = {"httpGet": {"path": "/healthz", "port": 8000}}
    return container


def _pod(*, probes: bool) -> dict[str, Any]:
    return {
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001},
        "containers": [_container(probes=probes)],
    }


def baseline(stack: str) -> dict[str, Any]:
    """A plan that passes every rule in ``stack`` (resources linked as the engine records)."""
    t = tags(stack)
    spec: list[tuple[str, str, dict[str, Any], list[str]]] = [
        ("kms", "aws:kms/key:Key", {"enableKeyRotation": True, "tags": t}, []),
        ("vpc", "aws:ec2/vpc:Vpc", {"cidrBlock": "10.20.0.0/16", "tags": t}, []),
        (
            "flow-logs",
            "aws:cloudwatch/logGroup:LogGroup",
            {"kmsKeyId": ARN, "retentionInDays": 365, "tags": t},
            ["kms"],
        ),
        (
            "vpc-flow-log",
            "aws:ec2/flowLog:FlowLog",
            {"vpcId": "vpc-0001", "trafficType": "ALL", "logDestination": "arn:lg", "tags": t},
            ["vpc", "flow-logs"],
        ),
        (
            "vpc-default-sg",
            "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
            {"vpcId": "vpc-0001", "tags": t},
            ["vpc"],
        ),
        (
            "db-sg",
            "aws:ec2/securityGroup:SecurityGroup",
            {
                "vpcId": "vpc-0001",
                "description": "database",
                "ingress": [
                    {
                        "protocol": "tcp",
                        "fromPort": 5432,
                        "toPort": 5432,
                        "securityGroups": ["sg-nodes"],
                    }
                ],
                "tags": t,
            },
            ["vpc"],
        ),
        (
            "nlb-https",
            "aws:ec2/securityGroupRule:SecurityGroupRule",
            {
                "type": "ingress",
                "protocol": "tcp",
                "fromPort": 443,
                "toPort": 443,
                "cidrBlocks": ["0.0.0.0/0"],
                "securityGroupId": "sg-nlb",
            },
            [],
        ),
        (
            "db-from-nodes",
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            {
                "ipProtocol": "tcp",
                "fromPort": 5432,
                "toPort": 5432,
                "referencedSecurityGroupId": "sg-nodes",
                "securityGroupId": "sg-db",
                "tags": t,
            },
            ["db-sg"],
        ),
        (
            "db-params",
            "aws:rds/parameterGroup:ParameterGroup",
            {
                "family": "postgres16",
                "name": "hrms-db-params",
                "parameters": [
                    {"name": "rds.force_ssl", "value": "1", "applyMethod": "pending-reboot"}
                ],
                "tags": t,
            },
            [],
        ),
        (
            "db",
            "aws:rds/instance:Instance",
            {
                "engine": "postgres",
                "identifier": "hrms-db",
                "storageEncrypted": True,
                "kmsKeyId": ARN,
                "publiclyAccessible": False,
                "backupRetentionPeriod": 35,
                "backupWindow": "02:00-03:00",
                "deletionProtection": True,
                "skipFinalSnapshot": False,
                "finalSnapshotIdentifier": "hrms-db-final",
                "multiAz": True,
                "autoMinorVersionUpgrade": True,
                "copyTagsToSnapshot": True,
                "enabledCloudwatchLogsExports": ["postgresql", "upgrade"],
                "performanceInsightsEnabled": True,
                "performanceInsightsKmsKeyId": ARN,
                "manageMasterUserPassword": True,
                "parameterGroupName": "hrms-db-params",
                "tags": t,
            },
            ["kms", "db-params", "db-sg"],
        ),
        (
            "backup-plan",
            "aws:backup/plan:Plan",
            {
                "name": "hrms-backup",
                "rules": [
                    {
                        "ruleName": "daily",
                        "targetVaultName": "hrms-vault",
                        "schedule": "cron(0 3 * * ? *)",
                        "lifecycle": {"deleteAfter": 35},
                        "copyActions": [
                            {
                                "destinationVaultArn": (
                                    "arn:aws:backup:eu-central-1:111122223333:backup-vault:hrms-dr"
                                )
                            }
                        ],
                    }
                ],
                "tags": t,
            },
            [],
        ),
        (
            "backup-selection",
            "aws:backup/selection:Selection",
            {
                "name": "hrms-db",
                "planId": "plan-0001",
                "iamRoleArn": "arn:role",
                "resources": ["arn:aws:rds:eu-west-1:111122223333:db:hrms-db"],
            },
            ["backup-plan", "db"],
        ),
        (
            "restore-testing",
            "aws:backup/restoreTestingPlan:RestoreTestingPlan",
            {
                "name": "hrms_restore_testing",
                "scheduleExpression": "cron(0 5 ? * SUN *)",
                "recoveryPointSelection": {
                    "algorithm": "LATEST_WITHIN_WINDOW",
                    "includeVaults": ["*"],
                    "recoveryPointTypes": ["SNAPSHOT"],
                },
                "tags": t,
            },
            [],
        ),
        (
            "restore-testing-db",
            "aws:backup/restoreTestingSelection:RestoreTestingSelection",
            {
                "name": "hrms_db",
                "restoreTestingPlanName": "hrms_restore_testing",
                "protectedResourceType": "RDS",
                "protectedResourceArns": ["arn:aws:rds:eu-west-1:111122223333:db:hrms-db"],
                "iamRoleArn": "arn:role",
            },
            ["restore-testing", "db"],
        ),
        (
            "cluster",
            "aws:eks/cluster:Cluster",
            {
                "name": "hrms",
                "version": "1.35",
                "roleArn": "arn:role",
                "vpcConfig": {
                    "endpointPrivateAccess": True,
                    "endpointPublicAccess": True,
                    "publicAccessCidrs": ["203.0.113.0/24"],
                    "subnetIds": ["subnet-1", "subnet-2"],
                },
                "encryptionConfig": {"provider": {"keyArn": ARN}, "resources": ["secrets"]},
                "enabledClusterLogTypes": [
                    "api",
                    "audit",
                    "authenticator",
                    "controllerManager",
                    "scheduler",
                ],
                "tags": t,
            },
            ["kms"],
        ),
        (
            "nodes-lt",
            "aws:ec2/launchTemplate:LaunchTemplate",
            {
                "metadataOptions": {
                    "httpTokens": "required",
                    "httpEndpoint": "enabled",
                    "httpPutResponseHopLimit": 2,
                },
                "blockDeviceMappings": [
                    {"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "volumeSize": 50}}
                ],
                "tags": t,
            },
            [],
        ),
        (
            "nodes",
            "aws:eks/nodeGroup:NodeGroup",
            {
                "clusterName": "hrms",
                "launchTemplate": {"id": "lt-0001", "version": "1"},
                "scalingConfig": {"minSize": 2, "maxSize": 4, "desiredSize": 2},
                "tags": t,
            },
            ["cluster", "nodes-lt"],
        ),
        (
            # Publishes the ContainerInsights metrics the "cluster-nodes" alarm reads.
            "cluster-insights",
            "aws:eks/addon:Addon",
            {
                "clusterName": "hrms",
                "addonName": "amazon-cloudwatch-observability",
                "addonVersion": "v4.10.1-eksbuild.1",
                "tags": t,
            },
            ["cluster", "nodes"],
        ),
        (
            "cache",
            "aws:elasticache/replicationGroup:ReplicationGroup",
            {
                "replicationGroupId": "hrms-cache",
                "description": "rate limits",
                "atRestEncryptionEnabled": True,
                "kmsKeyId": ARN,
                "transitEncryptionEnabled": True,
                "transitEncryptionMode": "required",
                "authToken": "[secret]",
                "tags": t,
            },
            ["kms"],
        ),
        (
            "registry",
            "aws:ecr/repository:Repository",
            {
                "name": "hrms",
                "imageTagMutability": "IMMUTABLE",
                "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": ARN}],
                "tags": t,
            },
            ["kms"],
        ),
        ("app-secret", "aws:secretsmanager/secret:Secret", {"kmsKeyId": ARN, "tags": t}, ["kms"]),
        ("vault", "aws:backup/vault:Vault", {"kmsKeyArn": ARN, "tags": t}, ["kms"]),
        ("exports", "aws:s3/bucket:Bucket", {"bucket": "hrms-exports", "tags": t}, []),
        (
            "exports-sse",
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            {
                "bucket": "hrms-exports",
                "rules": [
                    {
                        "applyServerSideEncryptionByDefault": {
                            "sseAlgorithm": "aws:kms",
                            "kmsMasterKeyId": ARN,
                        },
                        "bucketKeyEnabled": True,
                    }
                ],
            },
            ["exports", "kms"],
        ),
        (
            "exports-policy",
            "aws:s3/bucketPolicy:BucketPolicy",
            {
                "bucket": "hrms-exports",
                "policy": json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "TlsOnly",
                                "Effect": "Deny",
                                "Principal": "*",
                                "Action": "s3:*",
                                "Resource": [
                                    "arn:aws:s3:::hrms-exports",
                                    "arn:aws:s3:::hrms-exports/*",
                                ],
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        ],
                    }
                ),
            },
            ["exports"],
        ),
        ("alerts", "aws:sns/topic:Topic", {"kmsMasterKeyId": ARN, "tags": t}, ["kms"]),
        ("api", "aws:apigateway/restApi:RestApi", {"name": "hrms", "tags": t}, []),
        (
            "health",
            "aws:apigateway/resource:Resource",
            {"pathPart": "healthz", "restApi": "api-1", "parentId": "root"},
            ["api"],
        ),
        (
            "api-prefix",
            "aws:apigateway/resource:Resource",
            {"pathPart": "api", "restApi": "api-1", "parentId": "root"},
            ["api"],
        ),
        (
            "proxy",
            "aws:apigateway/resource:Resource",
            {"pathPart": "{proxy+}", "restApi": "api-1", "parentId": "res-api-prefix"},
            ["api", "api-prefix"],
        ),
        (
            "health-get",
            "aws:apigateway/method:Method",
            {
                "httpMethod": "GET",
                "authorization": "NONE",
                "apiKeyRequired": False,
                "resourceId": "res-health",
                "restApi": "api-1",
            },
            ["api", "health"],
        ),
        (
            "proxy-any",
            "aws:apigateway/method:Method",
            {
                "httpMethod": "ANY",
                "authorization": "NONE",
                "apiKeyRequired": True,
                "resourceId": "res-proxy",
                "restApi": "api-1",
            },
            ["api", "proxy"],
        ),
        (
            "access-logs",
            "aws:cloudwatch/logGroup:LogGroup",
            {"kmsKeyId": ARN, "retentionInDays": 365, "tags": t},
            ["kms"],
        ),
        (
            "stage",
            "aws:apigateway/stage:Stage",
            {
                "stageName": "v1",
                "restApi": "api-1",
                "deployment": "dep-1",
                "accessLogSettings": {"destinationArn": "arn:lg", "format": '{"id":"$context"}'},
                "xrayTracingEnabled": True,
                "tags": t,
            },
            ["api", "access-logs"],
        ),
        (
            "stage-settings",
            "aws:apigateway/methodSettings:MethodSettings",
            {
                "restApi": "api-1",
                "stageName": "v1",
                "methodPath": "*/*",
                "settings": {
                    "dataTraceEnabled": False,
                    "loggingLevel": "INFO",
                    "metricsEnabled": True,
                },
            },
            ["stage"],
        ),
        (
            "waf-assoc",
            "aws:wafv2/webAclAssociation:WebAclAssociation",
            {"resourceArn": "arn:stage", "webAclArn": "arn:waf"},
            ["stage"],
        ),
    ]
    for tier in TIERS.values():
        spec.append(
            (
                f"plan-{tier.name.value}",
                "aws:apigateway/usagePlan:UsagePlan",
                {
                    "name": f"hrms-{stack}-{tier.name.value}",
                    "apiStages": [{"apiId": "api-1", "stage": "v1"}],
                    "throttleSettings": {
                        "rateLimit": tier.rate_per_second,
                        "burstLimit": tier.burst,
                    },
                    "quotaSettings": {"limit": tier.daily_quota or 10**9, "period": "DAY"},
                    "tags": t,
                },
                ["stage"],
            )
        )
    alarm = {"alarmActions": ["arn:sns"], "okActions": ["arn:sns"], "tags": t}
    spec += [
        (
            "db-cpu",
            "aws:cloudwatch/metricAlarm:MetricAlarm",
            {**alarm, "namespace": "AWS/RDS", "dimensions": {"DBInstanceIdentifier": "x"}},
            ["db", "alerts"],
        ),
        (
            "cluster-nodes",
            "aws:cloudwatch/metricAlarm:MetricAlarm",
            {**alarm, "namespace": "ContainerInsights", "dimensions": {"ClusterName": "x"}},
            ["cluster", "alerts"],
        ),
        (
            # Linked by a literal member id only, as ElastiCache metrics are per member.
            "cache-cpu",
            "aws:cloudwatch/metricAlarm:MetricAlarm",
            {**alarm, "dimensions": {"CacheClusterId": "hrms-cache-001"}},
            ["alerts"],
        ),
        (
            # Linked by the literal stage name inside a metric-math query.
            "api-5xx",
            "aws:cloudwatch/metricAlarm:MetricAlarm",
            {
                **alarm,
                "metricQueries": [
                    {
                        "id": "errors",
                        "metric": {
                            "namespace": "AWS/ApiGateway",
                            "metricName": "5XXError",
                            "dimensions": {"ApiName": "hrms-api", "Stage": "v1"},
                        },
                    },
                    {"id": "ratio", "expression": "errors", "returnData": True},
                ],
            },
            ["alerts"],
        ),
        (
            "ns",
            "kubernetes:core/v1:Namespace",
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    "name": "hrms",
                    "labels": {"pod-security.kubernetes.io/enforce": "restricted"},
                },
            },
            [],
        ),
        (
            "default-deny",
            "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            {
                "metadata": {"name": "default-deny", "namespace": "hrms"},
                "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
            },
            ["ns"],
        ),
        (
            "app",
            "kubernetes:apps/v1:Deployment",
            {
                "metadata": {"name": "hrms-api", "namespace": "hrms"},
                "spec": {
                    "replicas": 3,
                    "selector": {"matchLabels": {"app": "hrms-api"}},
                    "template": {
                        "metadata": {"labels": {"app": "hrms-api", "tier": "web"}},
                        "spec": _pod(probes=True),
                    },
                },
            },
            ["ns"],
        ),
        (
            "app-pdb",
            "kubernetes:policy/v1:PodDisruptionBudget",
            {
                "metadata": {"name": "hrms-api", "namespace": "hrms"},
                "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "hrms-api"}}},
            },
            ["ns"],
        ),
        (
            "migrate",
            "kubernetes:batch/v1:Job",
            {
                "metadata": {"name": "migrate", "namespace": "hrms"},
                "spec": {"template": {"spec": _pod(probes=False)}},
            },
            ["ns"],
        ),
    ]
    # A bucket of backups and its configuration resources (policies/storage.py).
    spec += [
        ("backups-bucket", "aws:s3/bucket:Bucket", {"bucket": "hrms-backups", "tags": t}, []),
        (
            "backups-public-access",
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            {
                "bucket": "hrms-backups",
                "blockPublicAcls": True,
                "blockPublicPolicy": True,
                "ignorePublicAcls": True,
                "restrictPublicBuckets": True,
            },
            ["backups-bucket"],
        ),
        (
            "backups-versioning",
            "aws:s3/bucketVersioning:BucketVersioning",
            {"bucket": "hrms-backups", "versioningConfiguration": {"status": "Enabled"}},
            ["backups-bucket"],
        ),
        (
            "backups-lifecycle",
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            {
                "bucket": "hrms-backups",
                "rules": [
                    {
                        "id": "expire",
                        "status": "Enabled",
                        "expiration": {"days": 35},
                        "noncurrentVersionExpiration": {"noncurrentDays": 7},
                    }
                ],
            },
            ["backups-bucket"],
        ),
    ]
    # Every bucket meets every bucket rule: the backups bucket is encrypted and TLS-only like
    # the exports bucket, which is private, versioned and expiring like the backups bucket.
    spec += _bucket_encryption("backups-bucket", "hrms-backups")
    spec += _bucket_storage("exports", "hrms-exports")
    by_name = {name: urn(stack, type_, name) for name, type_, _, _ in spec}
    return {
        "stack": stack,
        "project": "hrms",
        "resources": [
            {
                "urn": by_name[name],
                "type": type_,
                "name": name,
                "parent": None,
                "provider": None,
                "dependencies": [by_name[d] for d in deps],
                "inputs": inputs,
            }
            for name, type_, inputs, deps in spec
        ],
        "outputs": {},
    }


def set_path(node: Any, path: str, value: Any) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    elif value is DELETE:
        node.pop(last, None)
    else:
        node[last] = value


@dataclass(frozen=True)
class Mutation:
    """One guarded property flipped on one resource; ``rule`` must then report ``resource``."""

    rule: str
    resource: str
    path: str
    value: Any = None
    stacks: tuple[str, ...] = ("staging", "prod")
    flagged: str | None = None  # the resource the violation names, when not ``resource``
    extra: tuple[tuple[str, str, Any], ...] = ()  # further (resource, path, value) edits

    @property
    def id(self) -> str:
        shown = "removed" if self.path == REMOVE else f"{self.path}={self.value!r}"
        return f"{self.rule}:{self.resource}:{shown}"[:120]


def mutate(plan: dict[str, Any], m: Mutation) -> dict[str, Any]:
    out = copy.deepcopy(plan)
    for name, path, value in m.extra:
        out = mutate(out, Mutation(m.rule, name, path, value))
    for i, resource in enumerate(out["resources"]):
        if resource["name"] != m.resource:
            continue
        if m.path == REMOVE:
            del out["resources"][i]
            for other in out["resources"]:
                other["dependencies"] = [d for d in other["dependencies"] if d != resource["urn"]]
        elif m.path.startswith("@"):
            resource[m.path[1:]] = [urn(out["stack"], t, n) for t, n in m.value]
        else:
            set_path(resource["inputs"], m.path, m.value)
        return out
    raise KeyError(f"no resource named {m.resource}")


def names(resources: Iterable[dict[str, Any]]) -> list[str]:
    return [r["name"] for r in resources]


def _bucket_encryption(bucket: str, name: str) -> list[tuple[str, str, dict[str, Any], list[str]]]:
    """SSE-KMS with the customer key and a TLS-only policy for one bucket."""
    return [
        (
            f"{bucket}-sse",
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            {
                "bucket": name,
                "rules": [
                    {
                        "applyServerSideEncryptionByDefault": {
                            "sseAlgorithm": "aws:kms",
                            "kmsMasterKeyId": ARN,
                        },
                        "bucketKeyEnabled": True,
                    }
                ],
            },
            [bucket, "kms"],
        ),
        (
            f"{bucket}-policy",
            "aws:s3/bucketPolicy:BucketPolicy",
            {
                "bucket": name,
                "policy": json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "TlsOnly",
                                "Effect": "Deny",
                                "Principal": "*",
                                "Action": "s3:*",
                                "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        ],
                    }
                ),
            },
            [bucket],
        ),
    ]


def _bucket_storage(bucket: str, name: str) -> list[tuple[str, str, dict[str, Any], list[str]]]:
    """Public access blocked, versioning and a lifecycle for one bucket."""
    return [
        (
            f"{bucket}-public-access",
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            {
                "bucket": name,
                "blockPublicAcls": True,
                "blockPublicPolicy": True,
                "ignorePublicAcls": True,
                "restrictPublicBuckets": True,
            },
            [bucket],
        ),
        (
            f"{bucket}-versioning",
            "aws:s3/bucketVersioning:BucketVersioning",
            {"bucket": name, "versioningConfiguration": {"status": "Enabled"}},
            [bucket],
        ),
        (
            f"{bucket}-lifecycle",
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            {
                "bucket": name,
                "rules": [
                    {
                        "id": "expire",
                        "status": "Enabled",
                        "expiration": {"days": 35},
                        "noncurrentVersionExpiration": {"noncurrentDays": 7},
                    }
                ],
            },
            [bucket],
        ),
    ]
