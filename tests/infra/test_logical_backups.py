"""The logical backup bucket, the backup CronJobs and their alarm, as the stacks declare them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.observability.backup_metrics import BACKUP_FAILING_METRIC, BACKUP_METRIC_NAMESPACE
from stacks import outputs
from stacks.offline.plan import Plan, PlanResource
from tests.infra.plans import STACKS, one, stack_plan

S3 = "aws:s3/"


def _for_bucket(plan: Plan, type_: str) -> PlanResource:
    return one(plan, f"{S3}{type_}")


@pytest.mark.parametrize("stack", STACKS)
def test_bucket_is_versioned_encrypted_private_tls_only_and_expires(stack: str) -> None:
    plan = stack_plan(stack)
    assert _for_bucket(plan, "bucketVersioning:BucketVersioning").inputs[
        "versioningConfiguration"
    ] == {"status": "Enabled"}
    (rule,) = _for_bucket(
        plan,
        "bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    ).inputs["rules"]
    sse = rule["applyServerSideEncryptionByDefault"]
    assert sse["sseAlgorithm"] == "aws:kms"
    assert sse["kmsMasterKeyId"] == plan.outputs[outputs.LOGICAL_BACKUP_KMS_KEY_ARN]
    assert rule["bucketKeyEnabled"] is True
    block = _for_bucket(plan, "bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    for flag in (
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
    ):
        assert block[flag] is True, flag
    ownership = _for_bucket(plan, "bucketOwnershipControls:BucketOwnershipControls").inputs
    assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    policy = json.loads(_for_bucket(plan, "bucketPolicy:BucketPolicy").inputs["policy"])
    (deny,) = policy["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    (lifecycle,) = _for_bucket(
        plan, "bucketLifecycleConfiguration:BucketLifecycleConfiguration"
    ).inputs["rules"]
    assert lifecycle["expiration"]["days"] == 35
    assert lifecycle["noncurrentVersionExpiration"]["noncurrentDays"] == 7
    assert lifecycle["abortIncompleteMultipartUpload"]["daysAfterInitiation"] == 1


def test_only_prod_keeps_its_backups_on_stack_destroy() -> None:
    forced = {s: _for_bucket(stack_plan(s), "bucket:Bucket").inputs["forceDestroy"] for s in STACKS}
    assert forced == {"staging": True, "prod": False}


def _cron_jobs(plan: Plan) -> dict[str, dict[str, Any]]:
    return {
        r.inputs["metadata"]["name"]: r.inputs for r in plan.by_type("kubernetes:batch/v1:CronJob")
    }


@pytest.mark.parametrize("stack", STACKS)
def test_cron_jobs_run_hrmsctl_non_root_with_limits(stack: str) -> None:
    jobs = _cron_jobs(stack_plan(stack))
    assert set(jobs) == {"hrms-backup", "hrms-backup-status"}
    commands = {}
    for name, job in jobs.items():
        assert job["spec"]["concurrencyPolicy"] == "Forbid"
        pod = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        (container,) = pod["containers"]
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False
        assert context["readOnlyRootFilesystem"] is True
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}
        assert {"requests", "limits"} <= set(container["resources"])
        env = {e["name"]: e["value"] for e in container["env"]}
        assert env["DATABASE_USER"] == "hrms_backup"
        assert env["DATABASE_IAM_AUTH"] == "true"
        commands[name] = container["command"]
    assert commands["hrms-backup"][3:7] == ["backup", "run", "--stack", stack]
    assert commands["hrms-backup-status"][3:8] == [
        "backup",
        "status",
        "--stack",
        stack,
        "--publish",
    ]


@pytest.mark.parametrize("stack", STACKS)
def test_backup_pods_may_reach_only_dns_postgres_and_https(stack: str) -> None:
    (policy,) = [
        r
        for r in stack_plan(stack).by_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
        if r.inputs["metadata"]["name"] == "hrms-backup-egress"
    ]
    ports = sorted({p["port"] for rule in policy.inputs["spec"]["egress"] for p in rule["ports"]})
    assert ports == [53, 443, 5432]
    assert policy.inputs["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert "ingress" not in policy.inputs["spec"]


@pytest.mark.parametrize("stack", STACKS)
def test_backup_identity_connects_as_the_backup_role_only(stack: str) -> None:
    plan = stack_plan(stack)
    policies = {
        r.name: json.loads(r.inputs["policy"])
        for r in plan.by_type("aws:iam/rolePolicy:RolePolicy")
    }
    (connect,) = [p for n, p in policies.items() if n.endswith("backup-db-connect")]
    (resource,) = connect["Statement"][0]["Resource"]
    assert resource.endswith("/hrms_backup")
    (status,) = [p for n, p in policies.items() if n.endswith("status-read")]
    publish = next(s for s in status["Statement"] if s["Sid"] == "PublishBackupMetrics")
    assert publish["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": BACKUP_METRIC_NAMESPACE}
    }
    actions = {a for s in status["Statement"] for a in s["Action"]}
    assert not any(
        a.startswith(("s3:Put", "s3:Delete", "rds:Restore", "rds:Delete")) for a in actions
    )


@pytest.mark.parametrize("stack", STACKS)
def test_backup_status_alarm_reads_the_published_metric(stack: str) -> None:
    (alarm,) = [
        r
        for r in stack_plan(stack).by_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if r.inputs["name"].endswith("-backup-status-failing")
    ]
    assert alarm.inputs["namespace"] == BACKUP_METRIC_NAMESPACE
    assert alarm.inputs["metricName"] == BACKUP_FAILING_METRIC
    assert alarm.inputs["dimensions"] == {"Stack": stack}
    assert alarm.inputs["treatMissingData"] == "breaching"
