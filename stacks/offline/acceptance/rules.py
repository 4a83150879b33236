"""Catalog and cross-field rules AWS enforces on what the stacks create (beyond the API models)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from stacks.offline.acceptance import catalogs
from stacks.offline.acceptance.findings import Finding
from stacks.offline.acceptance.registry import Context, register
from stacks.offline.plan import MARKERS, PlanResource

RDS = "aws:rds/instance:Instance"
RDS_PARAMS = "aws:rds/parameterGroup:ParameterGroup"
CACHE = "aws:elasticache/replicationGroup:ReplicationGroup"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
CLUSTER = "aws:eks/cluster:Cluster"
ADDON = "aws:eks/addon:Addon"
SUBNET = "aws:ec2/subnet:Subnet"
BACKUP_PLAN = "aws:backup/plan:Plan"
RESTORE_TESTING = "aws:backup/restoreTestingPlan:RestoreTestingPlan"
STAGE = "aws:apigateway/stage:Stage"

_RDS_DOC = "botocore rds CreateDBInstance.{} documentation"
_CACHE_DOC = "botocore elasticache CreateReplicationGroup.{} documentation"
_CRON_DOC = (
    "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html"
    "#eb-cron-expressions (AWS Backup schedules use this syntax)"
)
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAILY = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
_WEEKLY = re.compile(
    r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)-"
    r"(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)$"
)
_WEEK = 7 * 1440


def _known(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and value in MARKERS)


def _each(ctx: Context, token: str, prop: str) -> Iterator[tuple[PlanResource, Any]]:
    for resource in ctx.plan.by_type(token):
        value = resource.inputs.get(prop)
        if _known(value):
            yield resource, value


# ---------------------------------------------------------------- windows


def daily_window(text: str) -> tuple[int, int] | None:
    """``hh24:mi-hh24:mi`` -> (start minute of day, length in minutes), wrapping midnight."""
    m = _DAILY.match(text)
    if not m:
        return None
    start = int(m[1]) * 60 + int(m[2])
    end = int(m[3]) * 60 + int(m[4])
    return start, (end - start) % 1440


def weekly_window(text: str) -> tuple[int, int] | None:
    """``ddd:hh24:mi-ddd:hh24:mi`` -> (start minute of week, length), wrapping the week."""
    m = _WEEKLY.match(text)
    if not m:
        return None
    start = _DAYS.index(m[1]) * 1440 + int(m[2]) * 60 + int(m[3])
    end = _DAYS.index(m[4]) * 1440 + int(m[5]) * 60 + int(m[6])
    return start, (end - start) % _WEEK


def _overlaps(a: tuple[int, int], b: tuple[int, int], period: int) -> bool:
    a_start, a_len = a
    b_start, b_len = b
    return (b_start - a_start) % period < a_len or (a_start - b_start) % period < b_len


def daily_overlaps_weekly(daily: tuple[int, int], weekly: tuple[int, int]) -> bool:
    return any(_overlaps((day * 1440 + daily[0], daily[1]), weekly, _WEEK) for day in range(7))


@register(
    "rds-backup-window",
    "RDS backup window is hh24:mi-hh24:mi (UTC) and at least 30 minutes",
    _RDS_DOC.format("PreferredBackupWindow"),
)
def _rds_backup_window(ctx: Context) -> Iterator[Finding]:
    for db, value in _each(ctx, RDS, "backupWindow"):
        window = daily_window(str(value))
        if window is None:
            yield ctx.finding(db, "backupWindow", value, "rds-backup-window", "not hh24:mi-hh24:mi")
        elif window[1] < 30:
            yield ctx.finding(
                db,
                "backupWindow",
                value,
                "rds-backup-window",
                f"{window[1]} minutes long; RDS needs at least 30",
            )


@register(
    "rds-maintenance-window",
    "RDS maintenance window is ddd:hh24:mi-ddd:hh24:mi (UTC) and at least 30 minutes",
    _RDS_DOC.format("PreferredMaintenanceWindow"),
)
def _rds_maintenance_window(ctx: Context) -> Iterator[Finding]:
    for db, value in _each(ctx, RDS, "maintenanceWindow"):
        window = weekly_window(str(value))
        if window is None:
            yield ctx.finding(
                db,
                "maintenanceWindow",
                value,
                "rds-maintenance-window",
                "not ddd:hh24:mi-ddd:hh24:mi with days mon..sun",
            )
        elif window[1] < 30:
            yield ctx.finding(
                db,
                "maintenanceWindow",
                value,
                "rds-maintenance-window",
                f"{window[1]} minutes long; RDS needs at least 30",
            )


@register(
    "rds-windows-disjoint",
    "RDS backup window does not overlap the maintenance window",
    _RDS_DOC.format("PreferredBackupWindow"),
)
def _rds_windows_disjoint(ctx: Context) -> Iterator[Finding]:
    for db, value in _each(ctx, RDS, "backupWindow"):
        backup = daily_window(str(value))
        maintenance = weekly_window(str(db.inputs.get("maintenanceWindow", "")))
        if backup and maintenance and daily_overlaps_weekly(backup, maintenance):
            yield ctx.finding(
                db,
                "backupWindow",
                value,
                "rds-windows-disjoint",
                f"overlaps the maintenance window {db.inputs['maintenanceWindow']}",
            )


@register(
    "rds-instance-class-offered",
    "RDS instance class is offered for the engine in the stack's region",
    catalogs.CFN_LINT.format("aws_rds_dbinstance/dbinstanceclass_enum.json"),
)
def _rds_instance_class(ctx: Context) -> Iterator[Finding]:
    for db, value in _each(ctx, RDS, "instanceClass"):
        engine = str(db.inputs.get("engine", ""))
        offered = catalogs.rds_instance_classes(engine, ctx.region)
        if offered and value not in offered:
            yield ctx.finding(
                db,
                "instanceClass",
                value,
                "rds-instance-class-offered",
                f"not an instance class RDS offers for {engine} in {ctx.region}",
            )


@register(
    "rds-engine-version",
    "RDS engine version is one RDS offers for the engine",
    catalogs.CFN_LINT.format("aws_rds_dbinstance/engine_version.json"),
)
def _rds_engine_version(ctx: Context) -> Iterator[Finding]:
    for db, value in _each(ctx, RDS, "engineVersion"):
        engine = str(db.inputs.get("engine", ""))
        offered = catalogs.rds_engine_versions(engine)
        if offered and str(value) not in offered:
            yield ctx.finding(
                db,
                "engineVersion",
                value,
                "rds-engine-version",
                f"not a {engine} version RDS offers",
            )


@register(
    "rds-parameter-group-family",
    "the instance's parameter group family matches its engine major version",
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithParamGroups.html",
)
def _rds_parameter_family(ctx: Context) -> Iterator[Finding]:
    groups = {g.urn: g for g in ctx.plan.by_type(RDS_PARAMS)}
    for db, version in _each(ctx, RDS, "engineVersion"):
        for urn in db.property_dependencies.get("parameterGroupName", ()):
            group = groups.get(urn)
            family = group.inputs.get("family") if group else None
            expected = f"{db.inputs.get('engine')}{str(version).split('.')[0]}"
            if group is not None and _known(family) and family != expected:
                yield ctx.finding(
                    group,
                    "family",
                    family,
                    "rds-parameter-group-family",
                    f"instance {db.name} runs {db.inputs.get('engine')} {version}; "
                    f"its parameter group must be family {expected}",
                )


@register(
    "rds-storage",
    "gp2/gp3 storage for PostgreSQL is 20..65536 GiB and maxAllocatedStorage exceeds it",
    _RDS_DOC.format("AllocatedStorage") + "; "
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIOPS.Autoscaling.html",
)
def _rds_storage(ctx: Context) -> Iterator[Finding]:
    for db, allocated in _each(ctx, RDS, "allocatedStorage"):
        if db.inputs.get("storageType") in ("gp2", "gp3") and not 20 <= allocated <= 65536:
            yield ctx.finding(
                db,
                "allocatedStorage",
                allocated,
                "rds-storage",
                f"{db.inputs['storageType']} storage must be 20..65536 GiB",
            )
        maximum = db.inputs.get("maxAllocatedStorage")
        if _known(maximum) and maximum and maximum <= allocated:
            yield ctx.finding(
                db,
                "maxAllocatedStorage",
                maximum,
                "rds-storage",
                f"storage autoscaling needs a maximum above allocatedStorage ({allocated})",
            )


@register(
    "rds-backup-retention",
    "RDS backup retention is 0..35 days",
    _RDS_DOC.format("BackupRetentionPeriod"),
)
def _rds_backup_retention(ctx: Context) -> Iterator[Finding]:
    for db, value in _each(ctx, RDS, "backupRetentionPeriod"):
        if not 0 <= value <= 35:
            yield ctx.finding(
                db, "backupRetentionPeriod", value, "rds-backup-retention", "must be 0..35 days"
            )


@register(
    "rds-performance-insights-retention",
    "Performance Insights retention is 7, month*31 (1..23 months) or 731 days",
    _RDS_DOC.format("PerformanceInsightsRetentionPeriod"),
)
def _rds_pi_retention(ctx: Context) -> Iterator[Finding]:
    allowed = catalogs.performance_insights_retention_days()
    for db, value in _each(ctx, RDS, "performanceInsightsRetentionPeriod"):
        if value not in allowed:
            yield ctx.finding(
                db,
                "performanceInsightsRetentionPeriod",
                value,
                "rds-performance-insights-retention",
                "must be 7, a multiple of 31 up to 713, or 731",
            )


@register(
    "rds-monitoring-interval",
    "Enhanced Monitoring interval is 0, 1, 5, 10, 15, 30 or 60 seconds",
    _RDS_DOC.format("MonitoringInterval"),
)
def _rds_monitoring_interval(ctx: Context) -> Iterator[Finding]:
    for db, value in _each(ctx, RDS, "monitoringInterval"):
        if value not in (0, 1, 5, 10, 15, 30, 60):
            yield ctx.finding(
                db,
                "monitoringInterval",
                value,
                "rds-monitoring-interval",
                "must be one of 0, 1, 5, 10, 15, 30, 60",
            )


@register(
    "logs-retention-value",
    "CloudWatch Logs retention is one of the values the API documents",
    "botocore logs PutRetentionPolicy.retentionInDays documentation",
)
def _log_retention(ctx: Context) -> Iterator[Finding]:
    allowed = catalogs.log_retention_days()
    for group, value in _each(ctx, LOG_GROUP, "retentionInDays"):
        if value not in allowed:
            yield ctx.finding(
                group,
                "retentionInDays",
                value,
                "logs-retention-value",
                f"not a retention CloudWatch Logs accepts ({', '.join(map(str, sorted(allowed)))})",
            )


@register(
    "ec2-instance-type-offered",
    "EC2 instance types of node groups and launch templates exist in the region",
    catalogs.CFN_LINT.format("aws_ec2_instance/instancetype_enum.json"),
)
def _instance_types(ctx: Context) -> Iterator[Finding]:
    offered = catalogs.ec2_instance_types(ctx.region)
    for group, types in _each(ctx, NODE_GROUP, "instanceTypes"):
        for index, name in enumerate(types):
            if _known(name) and name not in offered:
                yield ctx.finding(
                    group,
                    f"instanceTypes[{index}]",
                    name,
                    "ec2-instance-type-offered",
                    f"not an EC2 instance type offered in {ctx.region}",
                )
    for template, name in _each(ctx, LAUNCH_TEMPLATE, "instanceType"):
        if name not in offered:
            yield ctx.finding(
                template,
                "instanceType",
                name,
                "ec2-instance-type-offered",
                f"not an EC2 instance type offered in {ctx.region}",
            )


@register(
    "eks-scaling-bounds",
    "node group minSize <= desiredSize <= maxSize",
    "https://docs.aws.amazon.com/eks/latest/APIReference/API_NodegroupScalingConfig.html",
)
def _scaling_bounds(ctx: Context) -> Iterator[Finding]:
    for group, scaling in _each(ctx, NODE_GROUP, "scalingConfig"):
        low, want, high = (scaling.get(k) for k in ("minSize", "desiredSize", "maxSize"))
        if all(isinstance(v, int) for v in (low, want, high)) and not low <= want <= high:
            yield ctx.finding(
                group,
                "scalingConfig",
                scaling,
                "eks-scaling-bounds",
                f"desiredSize {want} is not within minSize {low}..maxSize {high}",
            )


def _cluster_version(ctx: Context) -> str | None:
    for _cluster, version in _each(ctx, CLUSTER, "version"):
        return str(version)
    return None


@register(
    "eks-addon-version",
    "each EKS add-on version is published for the cluster's Kubernetes version",
    "eks:DescribeAddonVersions (" + "data/catalog.json#eksAddonVersions)",
)
def _addon_versions(ctx: Context) -> Iterator[Finding]:
    k8s = _cluster_version(ctx)
    for addon, version in _each(ctx, ADDON, "addonVersion"):
        name = str(addon.inputs.get("addonName"))
        published = catalogs.eks_addon_versions(name)
        if version not in published:
            yield ctx.finding(
                addon,
                "addonVersion",
                version,
                "eks-addon-version",
                f"{name} {version} is not in the add-on catalog "
                f"({catalogs.snapshot_source('eksAddonVersions')})",
            )
        elif k8s is not None and k8s not in published[version]:
            yield ctx.finding(
                addon,
                "addonVersion",
                version,
                "eks-addon-version",
                f"{name} {version} is published for Kubernetes "
                f"{', '.join(sorted(published[version]))}, not the cluster's {k8s}",
            )


@register(
    "eks-node-version-skew",
    "managed nodes are not newer than the control plane",
    "https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html",
)
def _node_version(ctx: Context) -> Iterator[Finding]:
    k8s = _cluster_version(ctx)
    for group, version in _each(ctx, NODE_GROUP, "version"):
        if k8s and _minor(str(version)) > _minor(k8s):
            yield ctx.finding(
                group,
                "version",
                version,
                "eks-node-version-skew",
                f"newer than the cluster's Kubernetes {k8s}",
            )


def _minor(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version)[:2])


@register(
    "ec2-availability-zone",
    "subnets are placed in availability zones of the stack's region",
    "cfn-lint (cfnlint.helpers.AVAILABILITY_ZONES)",
)
def _zones(ctx: Context) -> Iterator[Finding]:
    zones = catalogs.availability_zones(ctx.region)
    for subnet, zone in _each(ctx, SUBNET, "availabilityZone"):
        if zones and zone not in zones:
            yield ctx.finding(
                subnet,
                "availabilityZone",
                zone,
                "ec2-availability-zone",
                f"not a zone of {ctx.region} ({', '.join(sorted(zones))})",
            )


@register(
    "elasticache-node-type-offered",
    "ElastiCache node type is offered in the stack's region",
    catalogs.CFN_LINT.format("aws_elasticache_cachecluster/cachenodetype_enum.json"),
)
def _cache_node_type(ctx: Context) -> Iterator[Finding]:
    offered = catalogs.cache_node_types(ctx.region)
    for group, value in _each(ctx, CACHE, "nodeType"):
        if offered and value not in offered:
            yield ctx.finding(
                group,
                "nodeType",
                value,
                "elasticache-node-type-offered",
                f"not an ElastiCache node type offered in {ctx.region}",
            )


@register(
    "elasticache-engine-version",
    "ElastiCache engine version is one the engine supports",
    "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/engine-versions.html "
    "(data/catalog.json#elasticacheEngineVersions)",
)
def _cache_engine_version(ctx: Context) -> Iterator[Finding]:
    for group, value in _each(ctx, CACHE, "engineVersion"):
        engine = str(group.inputs.get("engine", "redis"))
        supported = catalogs.elasticache_engine_versions(engine)
        if str(value) not in supported:
            yield ctx.finding(
                group,
                "engineVersion",
                value,
                "elasticache-engine-version",
                f"not a {engine} version ElastiCache supports ({', '.join(sorted(supported))})",
            )


@register(
    "elasticache-engine-features",
    "Multi-AZ needs automatic failover and a replica; Valkey and in-transit encryption "
    "need a current-generation node type (no cache.t1/m1/m2/m3/c1/t2/r3)",
    _CACHE_DOC.format("MultiAZEnabled")
    + "; https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheNodes.SupportedTypes.html",
)
def _cache_features(ctx: Context) -> Iterator[Finding]:
    for group in ctx.plan.by_type(CACHE):
        inputs = group.inputs
        if inputs.get("multiAzEnabled") is True:
            if inputs.get("automaticFailoverEnabled") is not True:
                yield ctx.finding(
                    group,
                    "multiAzEnabled",
                    True,
                    "elasticache-engine-features",
                    "Multi-AZ requires automaticFailoverEnabled",
                )
            clusters = inputs.get("numCacheClusters")
            if isinstance(clusters, int) and clusters < 2:
                yield ctx.finding(
                    group,
                    "numCacheClusters",
                    clusters,
                    "elasticache-engine-features",
                    "Multi-AZ requires a replica (numCacheClusters >= 2)",
                )
        node = str(inputs.get("nodeType", ""))
        family = node.split(".")[1] if node.count(".") >= 2 else ""
        uses = [
            what
            for what, used in (
                ("the valkey engine", inputs.get("engine") == "valkey"),
                ("in-transit encryption", inputs.get("transitEncryptionEnabled") is True),
            )
            if used
        ]
        if family in ("t1", "m1", "m2", "m3", "c1", "t2", "r3") and uses:
            yield ctx.finding(
                group,
                "nodeType",
                node,
                "elasticache-engine-features",
                f"a previous-generation node type does not support {' and '.join(uses)}",
            )


@register(
    "elasticache-windows",
    "ElastiCache maintenance window is >= 60 minutes and does not overlap the snapshot window",
    _CACHE_DOC.format("PreferredMaintenanceWindow"),
)
def _cache_windows(ctx: Context) -> Iterator[Finding]:
    for group, value in _each(ctx, CACHE, "maintenanceWindow"):
        window = weekly_window(str(value))
        if window is None:
            yield ctx.finding(
                group,
                "maintenanceWindow",
                value,
                "elasticache-windows",
                "not ddd:hh24:mi-ddd:hh24:mi",
            )
            continue
        if window[1] < 60:
            yield ctx.finding(
                group,
                "maintenanceWindow",
                value,
                "elasticache-windows",
                f"{window[1]} minutes long; ElastiCache needs at least 60",
            )
        snapshot = daily_window(str(group.inputs.get("snapshotWindow", "")))
        if snapshot and daily_overlaps_weekly(snapshot, window):
            yield ctx.finding(
                group,
                "snapshotWindow",
                group.inputs["snapshotWindow"],
                "elasticache-windows",
                f"overlaps the maintenance window {value}",
            )


# ---------------------------------------------------------------- AWS Backup

_MONTHS = "JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC"
_WEEKDAYS = "SUN|MON|TUE|WED|THU|FRI|SAT"
_FIELDS: tuple[tuple[str, int, int, str], ...] = (
    ("minutes", 0, 59, ""),
    ("hours", 0, 23, ""),
    ("day-of-month", 1, 31, ""),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 1, 7, _WEEKDAYS),
    ("year", 1970, 2199, ""),
)


def _cron_field(token: str, low: int, high: int, names: str) -> bool:
    def atom(text: str) -> bool:
        if names and re.fullmatch(names, text):
            return True
        return text.isdigit() and low <= int(text) <= high

    for part in token.split(","):
        base, _, step = part.partition("/")
        if step and not step.isdigit():
            return False
        if base == "*":
            continue
        first, _, last = base.partition("-")
        if not atom(first) or (last and not atom(last)):
            return False
    return True


def cron_problem(expression: str, *, hourly_minimum: bool) -> str | None:
    """Why ``expression`` is not an AWS ``cron(...)`` schedule, or None."""
    m = re.fullmatch(r"cron\((.*)\)", expression.strip())
    if not m:
        return "not a cron(...) expression"
    fields = m[1].split()
    if len(fields) != 6:
        return f"has {len(fields)} fields; AWS cron takes 6 (minutes hours dom month dow year)"
    dom, dow = fields[2], fields[4]
    if (dom == "?") == (dow == "?"):
        return "exactly one of day-of-month and day-of-week must be '?'"
    for token, (name, low, high, names) in zip(fields, _FIELDS, strict=True):
        if token == "?" and name in ("day-of-month", "day-of-week"):  # noqa: S105 - cron
            continue
        special = name in ("day-of-month", "day-of-week") and re.fullmatch(
            r"L|\d{1,2}W|LW|[1-7]L|[1-7]#[1-5]", token
        )
        if not special and not _cron_field(token, low, high, names):
            return f"{name} field {token!r} is not valid (range {low}-{high})"
    if hourly_minimum and not fields[0].isdigit():
        return "AWS Backup runs a rule at most once an hour: give a single minute"
    return None


@register(
    "backup-schedule",
    "AWS Backup rule and restore-testing schedules are valid cron(...) expressions, "
    "backup rules at most hourly",
    _CRON_DOC,
)
def _backup_schedules(ctx: Context) -> Iterator[Finding]:
    for plan in ctx.plan.by_type(BACKUP_PLAN):
        for index, rule in enumerate(plan.inputs.get("rules") or ()):
            schedule = rule.get("schedule")
            if _known(schedule):
                problem = cron_problem(str(schedule), hourly_minimum=True)
                if problem:
                    yield ctx.finding(
                        plan, f"rules[{index}].schedule", schedule, "backup-schedule", problem
                    )
    for plan, schedule in _each(ctx, RESTORE_TESTING, "scheduleExpression"):
        problem = cron_problem(str(schedule), hourly_minimum=False)
        if problem:
            yield ctx.finding(plan, "scheduleExpression", schedule, "backup-schedule", problem)


@register(
    "backup-rule-windows",
    "backup start window >= 60 minutes; completion window longer than the start window; "
    "deleteAfter >= 90 days after cold storage",
    "botocore backup BackupRuleInput.StartWindowMinutes and Lifecycle.DeleteAfterDays "
    "documentation",
)
def _backup_windows(ctx: Context) -> Iterator[Finding]:
    for plan in ctx.plan.by_type(BACKUP_PLAN):
        for index, rule in enumerate(plan.inputs.get("rules") or ()):
            start = rule.get("startWindow")
            done = rule.get("completionWindow")
            if isinstance(start, int) and start < 60:
                yield ctx.finding(
                    plan,
                    f"rules[{index}].startWindow",
                    start,
                    "backup-rule-windows",
                    "must be at least 60 minutes",
                )
            if isinstance(start, int) and isinstance(done, int) and done <= start:
                yield ctx.finding(
                    plan,
                    f"rules[{index}].completionWindow",
                    done,
                    "backup-rule-windows",
                    f"must be longer than the start window ({start})",
                )
            lifecycles = [("lifecycle", rule.get("lifecycle"))] + [
                (f"copyActions[{i}].lifecycle", c.get("lifecycle"))
                for i, c in enumerate(rule.get("copyActions") or ())
            ]
            for where, life in lifecycles:
                if not isinstance(life, dict):
                    continue
                cold, delete = life.get("coldStorageAfter"), life.get("deleteAfter")
                if isinstance(cold, int) and isinstance(delete, int) and delete < cold + 90:
                    yield ctx.finding(
                        plan,
                        f"rules[{index}].{where}.deleteAfter",
                        delete,
                        "backup-rule-windows",
                        f"must be >= coldStorageAfter ({cold}) + 90",
                    )


@register(
    "apigateway-stage-name",
    "API Gateway stage names use letters, digits, hyphens and underscores (max 128)",
    "https://docs.aws.amazon.com/apigateway/latest/api/API_CreateStage.html",
)
def _stage_name(ctx: Context) -> Iterator[Finding]:
    for stage, name in _each(ctx, STAGE, "stageName"):
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,128}", str(name)):
            yield ctx.finding(
                stage,
                "stageName",
                name,
                "apigateway-stage-name",
                "only letters, digits, '-' and '_' (1..128)",
            )
