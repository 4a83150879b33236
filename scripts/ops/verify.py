"""Pre-launch verification: named checks on the live account and the live API of one stack.

Each check compares what the account holds with what the stack declares (its plan, the tier
catalog, the alarm catalog) and returns pass, fail or skip. A check that cannot be answered
(an API the endpoint does not implement, no Kubernetes access, no base URL) is *skipped* with
its reason; a skip is never a pass: the run passes only when every check passed, or was
skipped and named in ``allow_skip`` (``hrmsctl verify --allow-skip NAME``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from app.tenants.tiers import TIERS
from infra.observability.signals import AlarmTargets, AlarmThresholds, alarm_specs
from scripts.ops.aws import Account
from stacks import outputs as out
from stacks.offline.plan import Plan, PlanResource

Status = Literal["pass", "fail", "skip"]

# Recovery point objective: RDS ships transaction logs every 5 minutes; 15 leaves margin.
RPO = timedelta(minutes=15)
# The automated snapshot and AWS Backup job run daily; a day and a few hours of slack.
BACKUP_MAX_AGE = timedelta(hours=26)
FLOOD_LIMIT = 120  # requests at most when flooding the free-tier key
_NOT_IMPLEMENTED = {"NotImplemented", "NotImplementedError", "InternalFailure", "404", "500"}


@dataclass(frozen=True, kw_only=True)
class CheckResult:
    name: str
    status: Status
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "detail": self.detail}


class Skip(Exception):
    """Raised by a check that cannot be answered here; the message says why."""


class Fail(Exception):
    """Raised by a check that found the property broken; the message says what."""


@dataclass(frozen=True, kw_only=True)
class Target:
    """Everything the checks read: the account, the stack's outputs and its declared plan."""

    stack: str
    account: Account
    outputs: Mapping[str, Any]
    plan: Plan
    base_url: str | None = None
    free_key: str | None = None  # a free-tier tenant's API key, for the 429 smoke
    free_token: str | None = None  # a user token of that tenant
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def output(self, key: str) -> Any:
        value = self.outputs.get(key)
        if value in (None, ""):
            raise Fail(f"stack output {key!r} is missing")
        return value

    def declared(self, type_: str) -> PlanResource:
        hits = self.plan.by_type(type_)
        if len(hits) != 1:
            raise Fail(f"the plan declares {len(hits)} {type_}, expected one")
        return hits[0]

    def client(self, service: str, region: str | None = None) -> Any:
        if region is None:
            return self.account.client(service)
        return Account(region=region, endpoint_url=self.account.endpoint_url).client(service)


Check = Callable[[Target], str]


def unanswerable(exc: Exception) -> bool:
    """The endpoint does not implement this API (the sandbox for some services)."""
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return error.get("Code") in _NOT_IMPLEMENTED or (
            status in (404, 501) and not error.get("Message", "").endswith("not found")
        )
    return isinstance(exc, NotImplementedError)


def call(api: Callable[..., Any], what: str, **kwargs: Any) -> Any:
    try:
        return api(**kwargs)
    except Exception as exc:
        if unanswerable(exc):
            raise Skip(f"the endpoint does not implement {what}") from exc
        raise


# ---------------------------------------------------------------- database


def _db(t: Target) -> dict[str, Any]:
    ident = t.output(out.DB_INSTANCE_IDENTIFIER)
    found = t.client("rds").describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"]
    return dict(found[0])


def _declared_db(t: Target) -> dict[str, Any]:
    return t.declared("aws:rds/instance:Instance").inputs


def rds_pitr_enabled(t: Target) -> str:
    db, declared = _db(t), _declared_db(t)
    days = int(db.get("BackupRetentionPeriod") or 0)
    if days < 1:
        raise Fail("BackupRetentionPeriod is 0: point-in-time recovery is off")
    if days != int(declared["backupRetentionPeriod"]):
        raise Fail(f"retention {days} days, the stack declares {declared['backupRetentionPeriod']}")
    return f"retention {days} days"


def rds_restorable_within_rpo(t: Target) -> str:
    latest = _db(t).get("LatestRestorableTime")
    if latest is None:
        raise Fail("no LatestRestorableTime: nothing to restore to")
    lag = max(t.now - latest, timedelta(0))  # the endpoint's clock may be a little ahead
    if lag > RPO:
        raise Fail(f"latest restorable time {latest:%Y-%m-%dT%H:%MZ} is {lag} old (RPO {RPO})")
    return f"{int(lag.total_seconds())} s behind (RPO {RPO})"


def rds_automated_backup_recent(t: Target) -> str:
    ident = t.output(out.DB_INSTANCE_IDENTIFIER)
    snaps = t.client("rds").describe_db_snapshots(
        DBInstanceIdentifier=ident, SnapshotType="automated"
    )["DBSnapshots"]
    times = [s["SnapshotCreateTime"] for s in snaps if s.get("SnapshotCreateTime")]
    if not times:
        raise Fail("no automated snapshot")
    age = t.now - max(times)
    if age > BACKUP_MAX_AGE:
        raise Fail(f"newest automated snapshot is {age} old (max {BACKUP_MAX_AGE})")
    return f"newest automated snapshot {int(age.total_seconds() // 60)} min old"


def rds_deletion_protection(t: Target) -> str:
    live, declared = (
        bool(_db(t).get("DeletionProtection")),
        bool(_declared_db(t).get("deletionProtection")),
    )
    if live != declared:
        raise Fail(f"DeletionProtection is {live}, the stack declares {declared}")
    return f"DeletionProtection={live} as declared"


def rds_encryption(t: Target) -> str:
    db = _db(t)
    if not db.get("StorageEncrypted"):
        raise Fail("storage is not encrypted")
    if db.get("KmsKeyId") != t.output(out.DB_KMS_KEY_ARN):
        raise Fail(f"encrypted with {db.get('KmsKeyId')}, not the stack's key")
    return "encrypted with the stack's key"


def rds_groups(t: Target) -> str:
    db = _db(t)
    subnet_group = (db.get("DBSubnetGroup") or {}).get("DBSubnetGroupName")
    if subnet_group != t.output(out.DB_SUBNET_GROUP_NAME):
        raise Fail(f"subnet group {subnet_group!r}, not the stack's")
    declared = t.declared("aws:rds/parameterGroup:ParameterGroup")
    name = _declared_db(t).get("parameterGroupName")
    groups = {g["DBParameterGroupName"] for g in db.get("DBParameterGroups") or []}
    if name not in groups:
        raise Fail(f"parameter group {name!r} not applied (has {sorted(groups)})")
    params = t.client("rds").describe_db_parameters(DBParameterGroupName=name)["Parameters"]
    live = {p["ParameterName"]: p.get("ParameterValue") for p in params}
    for param in declared.inputs.get("parameters") or []:
        if str(live.get(param["name"])) != str(param["value"]):
            got = live.get(param["name"])
            raise Fail(f"parameter {param['name']}={got!r}, declared {param['value']!r}")
    return f"subnet group {subnet_group}, parameter group {name}"


# ---------------------------------------------------------------- AWS Backup


def backup_vault(t: Target) -> str:
    vault = t.client("backup").describe_backup_vault(
        BackupVaultName=t.output(out.BACKUP_VAULT_NAME)
    )
    if not vault.get("EncryptionKeyArn"):
        raise Fail("vault has no encryption key")
    return f"vault {vault['BackupVaultName']}"


def _backup_rules(t: Target) -> list[dict[str, Any]]:
    plan = t.client("backup").get_backup_plan(BackupPlanId=t.output(out.BACKUP_PLAN_ID))
    return list(plan["BackupPlan"]["Rules"])


def backup_plan_rules(t: Target) -> str:
    rules = _backup_rules(t)
    vault = t.output(out.BACKUP_VAULT_NAME)
    if not any(r.get("TargetBackupVaultName") == vault for r in rules):
        raise Fail(f"no rule of the backup plan targets {vault}")
    return f"{len(rules)} rule(s) into {vault}"


def backup_recovery_points_recent(t: Target) -> str:
    backup = t.client("backup")
    points = call(
        backup.list_recovery_points_by_backup_vault,
        "ListRecoveryPointsByBackupVault",
        BackupVaultName=t.output(out.BACKUP_VAULT_NAME),
    )["RecoveryPoints"]
    done = [p["CreationDate"] for p in points if p.get("Status") == "COMPLETED"]
    if not done:
        raise Fail("no completed recovery point in the vault")
    age = t.now - max(done)
    if age > BACKUP_MAX_AGE:
        raise Fail(f"newest recovery point is {age} old (max {BACKUP_MAX_AGE})")
    return f"newest recovery point {int(age.total_seconds() // 60)} min old"


def backup_cross_region_copy(t: Target) -> str:
    copy_vault = t.outputs.get(out.BACKUP_COPY_VAULT_ARN)
    if not copy_vault:
        if t.stack == "prod":
            raise Fail("prod declares no cross-region copy vault")
        return f"not required: {t.stack} declares no cross-region copy"
    rules = _backup_rules(t)
    targets = {
        c.get("DestinationBackupVaultArn") for r in rules for c in r.get("CopyActions") or []
    }
    if copy_vault not in targets:
        raise Fail(f"no rule copies to {copy_vault}")
    jobs = call(
        t.client("backup").list_copy_jobs,
        "ListCopyJobs",
        ByDestinationVaultArn=copy_vault,
        ByCreatedAfter=t.now - BACKUP_MAX_AGE,
    )["CopyJobs"]
    if not any(j.get("State") == "COMPLETED" for j in jobs):
        raise Fail(f"no completed copy job into {copy_vault} in the last {BACKUP_MAX_AGE}")
    return f"copied to {copy_vault}"


# ---------------------------------------------------------------- alarms and alerting


def expected_alarm_names(t: Target) -> list[str]:
    """The alarm catalog (infra/observability/signals.py) for this stack's shape."""
    cache = t.declared("aws:elasticache/replicationGroup:ReplicationGroup").inputs
    replicas = [
        r for r in t.plan.by_type("aws:rds/instance:Instance") if r.inputs.get("replicateSourceDb")
    ]
    targets = AlarmTargets(
        api_name="api",
        api_stage="stage",
        load_balancer="lb",
        target_group="tg",
        db_instance_id="db",
        eks_cluster_name="eks",
        cache_node_ids=[f"node-{n}" for n in range(1, int(cache.get("numCacheClusters", 1)) + 1)],
        db_replica_ids=[f"replica-{n}" for n in range(len(replicas))],
        backup_vault_name=t.outputs.get(out.BACKUP_VAULT_NAME) or None,
    )
    prefix = f"{t.plan.project}-{t.stack}"
    return [f"{prefix}-{spec.key}" for spec in alarm_specs(targets, AlarmThresholds())]


def _alarms(t: Target) -> dict[str, dict[str, Any]]:
    names = expected_alarm_names(t)
    cloudwatch = t.client("cloudwatch")
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(names), 100):
        for alarm in cloudwatch.describe_alarms(AlarmNames=names[start : start + 100])[
            "MetricAlarms"
        ]:
            found[alarm["AlarmName"]] = alarm
    return found


def alarms_exist(t: Target) -> str:
    names, found = expected_alarm_names(t), _alarms(t)
    missing = [n for n in names if n not in found]
    if missing:
        raise Fail(f"missing alarm(s): {', '.join(missing)}")
    return f"{len(names)} alarm(s) from the catalog"


def alarms_have_actions(t: Target) -> str:
    topic = t.output(out.ALERT_TOPIC_ARN)
    bad = [
        name
        for name, alarm in _alarms(t).items()
        if not alarm.get("ActionsEnabled")
        or topic not in alarm.get("AlarmActions", [])
        or topic not in alarm.get("OKActions", [])
    ]
    if bad:
        raise Fail(
            f"alarm(s) without enabled alarm/OK actions to the topic: {', '.join(sorted(bad))}"
        )
    return "every alarm notifies the alert topic on ALARM and OK"


def alarms_not_in_alarm(t: Target) -> str:
    firing = sorted(n for n, a in _alarms(t).items() if a.get("StateValue") == "ALARM")
    if firing:
        raise Fail(f"in ALARM: {', '.join(firing)}")
    return "none in ALARM"


def sns_subscriptions_confirmed(t: Target) -> str:
    topic = t.output(out.ALERT_TOPIC_ARN)
    subs = t.client("sns").list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    declared = len(t.plan.by_type("aws:sns/topicSubscription:TopicSubscription"))
    pending = [s["Endpoint"] for s in subs if not s["SubscriptionArn"].startswith("arn:")]
    if pending:
        raise Fail(f"unconfirmed subscription(s): {', '.join(pending)}")
    if len(subs) < max(declared, 1):
        raise Fail(f"{len(subs)} confirmed subscription(s), the stack declares {declared}")
    return f"{len(subs)} confirmed subscription(s)"


def dashboard_exists(t: Target) -> str:
    body = json.loads(
        t.client("cloudwatch").get_dashboard(DashboardName=t.output(out.DASHBOARD_NAME))[
            "DashboardBody"
        ]
    )
    return f"{len(body.get('widgets', []))} widget(s)"


# ---------------------------------------------------------------- edge


def usage_plans_match_tiers(t: Target) -> str:
    ids: Mapping[str, str] = t.output(out.API_USAGE_PLAN_IDS)
    api = t.client("apigateway")
    if set(ids) != {tier.value for tier in TIERS}:
        raise Fail(f"plans for {sorted(ids)}, the catalog has {sorted(t.value for t in TIERS)}")
    stage = {"apiId": t.output(out.API_ID), "stage": t.output(out.API_STAGE_NAME)}
    for name, tier in TIERS.items():
        plan = api.get_usage_plan(usagePlanId=ids[name.value])
        throttle, quota = plan.get("throttle") or {}, plan.get("quota") or {}
        want = (float(tier.rate_per_second), tier.burst, tier.daily_quota)
        got = (float(throttle.get("rateLimit", 0)), throttle.get("burstLimit"), quota.get("limit"))
        if got != want:
            raise Fail(f"{name.value}: rate/burst/quota {got}, the catalog says {want}")
        if stage not in plan.get("apiStages", []):
            raise Fail(f"{name.value}: plan is not on stage {stage['stage']} of the API")
    return f"{len(ids)} plan(s) match the tier catalog"


def tenant_keys_on_tier_plan(t: Target) -> str:
    """Every tenant key (tagged ``tenant``) sits on exactly one plan: its ``tier`` tag's."""
    api = t.client("apigateway")
    ids: Mapping[str, str] = t.output(out.API_USAGE_PLAN_IDS)
    plans_of: dict[str, list[str]] = {}
    for tier, plan_id in ids.items():
        for page in api.get_paginator("get_usage_plan_keys").paginate(usagePlanId=plan_id):
            for key in page["items"]:
                plans_of.setdefault(key["id"], []).append(tier)
    keys = [
        key
        for page in api.get_paginator("get_api_keys").paginate()
        for key in page["items"]
        if "tenant" in (key.get("tags") or {})
    ]
    wrong = []
    for key in keys:
        tiers = plans_of.get(key["id"], [])
        want = (key.get("tags") or {}).get("tier")
        if len(tiers) != 1 or (want is not None and tiers != [want]):
            wrong.append(f"{key.get('name', key['id'])} on {tiers or 'no plan'} (tier {want})")
    if wrong:
        raise Fail("; ".join(wrong))
    return f"{len(keys)} tenant key(s), each on its tier's plan"


def _stage_arn(t: Target) -> str:
    return (
        f"arn:aws:apigateway:{t.account.region}::/restapis/{t.output(out.API_ID)}"
        f"/stages/{t.output(out.API_STAGE_NAME)}"
    )


def waf_associated(t: Target) -> str:
    acl = t.client("wafv2").get_web_acl_for_resource(ResourceArn=_stage_arn(t)).get("WebACL")
    if not acl:
        raise Fail("no web ACL on the API stage")
    if acl["Name"] != t.output(out.WEB_ACL_NAME):
        raise Fail(f"stage has web ACL {acl['Name']}, the stack's is {t.outputs[out.WEB_ACL_NAME]}")
    return f"{acl['Name']} on stage {t.outputs[out.API_STAGE_NAME]}"


def api_key_required(t: Target) -> str:
    api = t.client("apigateway")
    rest_api = t.output(out.API_ID)
    open_methods = []
    for resource in api.get_resources(restApiId=rest_api)["items"]:
        for verb, method in (resource.get("resourceMethods") or {}).items():
            detail = api.get_method(restApiId=rest_api, resourceId=resource["id"], httpMethod=verb)
            if resource["path"].startswith("/api") and not detail.get("apiKeyRequired"):
                open_methods.append(f"{verb} {resource['path']}")
            del method
    if open_methods:
        raise Fail(f"tenant route(s) without an API key: {', '.join(open_methods)}")
    return "every /api route requires an API key"


# ---------------------------------------------------------------- cluster


def _cluster(t: Target) -> dict[str, Any]:
    return dict(t.client("eks").describe_cluster(name=t.output(out.CLUSTER_NAME))["cluster"])


def eks_endpoint_access(t: Target) -> str:
    live = _cluster(t).get("resourcesVpcConfig") or {}
    declared = t.declared("aws:eks/cluster:Cluster").inputs.get("vpcConfig") or {}
    for key in ("endpointPublicAccess", "endpointPrivateAccess"):
        if bool(live.get(key)) != bool(declared.get(key)):
            raise Fail(f"{key}={live.get(key)}, the stack declares {declared.get(key)}")
    if live.get("endpointPublicAccess"):
        cidrs, want = (
            sorted(live.get("publicAccessCidrs") or []),
            sorted(declared.get("publicAccessCidrs") or []),
        )
        if cidrs != want:
            raise Fail(f"public endpoint open to {cidrs}, the stack declares {want}")
    return "endpoint access as declared"


def eks_logging(t: Target) -> str:
    logging = (_cluster(t).get("logging") or {}).get("clusterLogging") or []
    enabled = sorted({ty for entry in logging if entry.get("enabled") for ty in entry["types"]})
    declared = sorted(
        t.declared("aws:eks/cluster:Cluster").inputs.get("enabledClusterLogTypes") or []
    )
    if enabled != declared:
        raise Fail(f"control plane logs {enabled}, the stack declares {declared}")
    return f"logs {', '.join(enabled)}"


def eks_version(t: Target) -> str:
    live, declared = _cluster(t).get("version"), t.output(out.CLUSTER_VERSION)
    if str(live) != str(declared):
        raise Fail(f"cluster runs {live}, the stack declares {declared}")
    return f"Kubernetes {live}"


def nodegroup_healthy(t: Target) -> str:
    declared = t.declared("aws:eks/nodeGroup:NodeGroup").inputs
    groups = t.client("eks").list_nodegroups(clusterName=t.output(out.CLUSTER_NAME))["nodegroups"]
    if len(groups) != 1:
        raise Fail(f"{len(groups)} node group(s) in the cluster, the stack declares one")
    group = t.client("eks").describe_nodegroup(
        clusterName=t.output(out.CLUSTER_NAME), nodegroupName=groups[0]
    )["nodegroup"]
    issues = (group.get("health") or {}).get("issues") or []
    if group.get("status") != "ACTIVE" or issues:
        raise Fail(f"status {group.get('status')}, issues {[i.get('code') for i in issues]}")
    size = group.get("scalingConfig") or {}
    minimum = int((declared.get("scalingConfig") or {}).get("minSize", 1))
    if int(size.get("desiredSize", 0)) < minimum or int(size.get("minSize", 0)) < minimum:
        raise Fail(f"scaling {size}, the stack declares at least {minimum} node(s)")
    return f"{groups[0]} ACTIVE, {size.get('desiredSize')} node(s)"


def image_in_registry(t: Target) -> str:
    digest, url = t.output(out.IMAGE_DIGEST), t.output(out.ECR_REPOSITORY_URL)
    repository = url.split("/", 1)[1]
    try:
        t.client("ecr").describe_images(
            repositoryName=repository, imageIds=[{"imageDigest": digest}]
        )
    except Exception as exc:
        if "ImageNotFound" in str(exc):
            raise Fail(f"{digest} is not in {repository}") from exc
        raise
    return f"{digest[:19]}… in {repository}"


def running_image(namespace: str, deployment: str) -> str:
    """The image the app Deployment runs, read with kubectl (the cluster's own answer)."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise Skip("no kubectl on PATH to ask the cluster which image it runs")
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [
            kubectl,
            "-n",
            namespace,
            "get",
            "deployment",
            deployment,
            "-o",
            "jsonpath={.spec.template.spec.containers[0].image}",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if result.returncode != 0:
        raise Skip(
            f"kubectl could not read deployment {namespace}/{deployment}: {result.stderr.strip()}"
        )
    return result.stdout.strip()


def image_digest_running(t: Target) -> str:
    if t.account.endpoint_url is not None:
        raise Skip("the sandbox has no Kubernetes API to ask which image runs")
    image = running_image(t.output(out.APP_NAMESPACE), t.output(out.APP_SERVICE_NAME))
    if not image.endswith(f"@{t.output(out.IMAGE_DIGEST)}"):
        raise Fail(f"cluster runs {image}, the stack declares {t.outputs[out.IMAGE_DIGEST]}")
    return f"cluster runs {t.outputs[out.IMAGE_DIGEST][:19]}…"


# ---------------------------------------------------------------- API smoke


def _http(url: str, headers: Mapping[str, str] | None = None) -> tuple[int, Mapping[str, str]]:
    if not url.startswith(("http://", "https://")):
        raise Fail(f"not an http(s) URL: {url}")
    request = urllib.request.Request(url, headers=dict(headers or {}))  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers)
    except (urllib.error.URLError, OSError) as exc:
        raise Fail(f"{url}: {exc}") from exc


def _base(t: Target) -> str:
    if not t.base_url:
        raise Skip("no --base-url to reach the API")
    return t.base_url.rstrip("/")


def api_health(t: Target) -> str:
    status, _ = _http(f"{_base(t)}/healthz")
    if status != 200:
        raise Fail(f"GET /healthz answered {status}")
    return "GET /healthz 200"


def api_auth_required(t: Target) -> str:
    status, _ = _http(f"{_base(t)}/api/v1/employees/")
    if status not in (401, 403):
        raise Fail(f"GET /api/v1/employees/ without credentials answered {status}")
    return f"no credentials: {status}"


def api_rate_limited(t: Target) -> str:
    base = _base(t)
    if not t.free_key:
        raise Skip("no free-tier key (HRMS_VERIFY_FREE_KEY) to flood")
    headers = {"X-API-Key": t.free_key}
    if t.free_token:
        headers["Authorization"] = f"Bearer {t.free_token}"
    deadline = time.monotonic() + 30
    for sent in range(1, FLOOD_LIMIT + 1):
        status, response_headers = _http(f"{base}/api/v1/employees/", headers)
        if status == 429:
            retry = {k.lower(): v for k, v in response_headers.items()}.get("retry-after")
            if not retry:
                raise Fail("429 without Retry-After")
            return f"429 after {sent} request(s), Retry-After {retry}"
        if status not in (200, 201):
            raise Fail(f"free-tier key got {status} before being limited")
        if time.monotonic() > deadline:
            break
    raise Fail(f"no 429 after {sent} requests with the free-tier key")


CHECKS: tuple[tuple[str, Check], ...] = (
    ("rds-pitr-enabled", rds_pitr_enabled),
    ("rds-restorable-within-rpo", rds_restorable_within_rpo),
    ("rds-automated-backup-recent", rds_automated_backup_recent),
    ("rds-deletion-protection", rds_deletion_protection),
    ("rds-encryption", rds_encryption),
    ("rds-subnet-and-parameter-groups", rds_groups),
    ("backup-vault", backup_vault),
    ("backup-plan-rules", backup_plan_rules),
    ("backup-recovery-points-recent", backup_recovery_points_recent),
    ("backup-cross-region-copy", backup_cross_region_copy),
    ("alarms-exist", alarms_exist),
    ("alarms-have-actions", alarms_have_actions),
    ("alarms-not-in-alarm", alarms_not_in_alarm),
    ("sns-subscriptions-confirmed", sns_subscriptions_confirmed),
    ("dashboard-exists", dashboard_exists),
    ("usage-plans-match-tiers", usage_plans_match_tiers),
    ("tenant-keys-on-tier-plan", tenant_keys_on_tier_plan),
    ("waf-associated", waf_associated),
    ("api-key-required", api_key_required),
    ("eks-endpoint-access", eks_endpoint_access),
    ("eks-logging", eks_logging),
    ("eks-version", eks_version),
    ("nodegroup-healthy", nodegroup_healthy),
    ("image-in-registry", image_in_registry),
    ("image-digest-running", image_digest_running),
    ("api-health", api_health),
    ("api-auth-required", api_auth_required),
    ("api-rate-limited", api_rate_limited),
)
CHECK_NAMES = tuple(name for name, _ in CHECKS)


@dataclass(frozen=True, kw_only=True)
class VerifyReport:
    stack: str
    digest: str | None
    results: tuple[CheckResult, ...]
    allow_skip: frozenset[str] = frozenset()
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @property
    def blocking(self) -> list[CheckResult]:
        """Failures, and skips nobody allowed: each keeps the run from passing."""
        return [
            r
            for r in self.results
            if r.status == "fail" or (r.status == "skip" and r.name not in self.allow_skip)
        ]

    @property
    def passed(self) -> bool:
        return not self.blocking

    def to_dict(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "digest": self.digest,
            "passed": self.passed,
            "at": self.at,
            "allow_skip": sorted(self.allow_skip),
            "checks": [r.to_dict() for r in self.results],
        }

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return path


def run_checks(
    target: Target, *, allow_skip: Iterable[str] = (), only: Iterable[str] | None = None
) -> VerifyReport:
    wanted = set(only) if only is not None else None
    results = []
    for name, check in CHECKS:
        if wanted is not None and name not in wanted:
            continue
        try:
            results.append(CheckResult(name=name, status="pass", detail=check(target)))
        except Skip as exc:
            results.append(CheckResult(name=name, status="skip", detail=f"skipped: {exc}"))
        except Fail as exc:
            results.append(CheckResult(name=name, status="fail", detail=str(exc)))
        except Exception as exc:  # an API error is a failed check, named, not a crash
            results.append(
                CheckResult(name=name, status="fail", detail=f"{type(exc).__name__}: {exc}")
            )
    digest = target.outputs.get(out.IMAGE_DIGEST)
    return VerifyReport(
        stack=target.stack,
        digest=digest if isinstance(digest, str) else None,
        results=tuple(results),
        allow_skip=frozenset(allow_skip),
    )
