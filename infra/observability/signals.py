"""The alarm catalog: which metric, threshold and runbook section each platform signal uses.

Pure data built from the stack's thresholds and the monitored resources' dimensions; the
alarms component and the dashboard both render this one table, so they cannot drift.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import pulumi

from app.ratelimit.metrics import FAIL_CLOSED, FAIL_OPEN, NAMESPACE, RATE_LIMITED
from app.tenants.tiers import TIERS, Tier, TierName
from infra.observability.backup_metrics import BACKUP_FAILING_METRIC, BACKUP_METRIC_NAMESPACE
from infra.settings import SettingError

GIB = 1024**3


class Signal(StrEnum):
    """The families of trouble an operator is paged for (the runbook groups by these)."""

    ERROR_RATE = "error-rate"
    HEALTH = "health"
    DATABASE = "database"
    BACKLOG = "backlog"
    DISK = "disk"
    RATE_LIMIT = "rate-limit"
    CACHE = "cache"
    CLUSTER = "cluster"


class Missing(StrEnum):
    """treat_missing_data values; each alarm picks one on purpose."""

    BREACHING = "breaching"
    NOT_BREACHING = "notBreaching"
    IGNORE = "ignore"
    MISSING = "missing"


@dataclass(frozen=True, kw_only=True)
class AlarmThresholds:
    """Per-stack thresholds (from ``Pulumi.<stack>.yaml``); prod sets the stricter ones."""

    api_5xx_percent: float = 5.0
    api_min_requests_per_minute: int = 20
    api_latency_p99_ms: float = 2_500.0
    api_4xx_band_width: float = 3.0
    # Gunicorn worker slots across all pods: the concurrency the backend can serve
    # before requests queue in the listen backlog.
    backend_concurrency: int = 16
    backend_saturation_percent: float = 80.0
    min_healthy_hosts: int = 1
    db_cpu_percent: float = 80.0
    db_free_storage_gib: float = 5.0
    db_storage_hours_to_full: float = 48.0
    db_max_connections: int = 150
    db_replica_lag_seconds: float = 60.0
    db_transaction_logs_gib: float = 5.0
    node_filesystem_percent: float = 80.0
    min_ready_nodes: int = 1
    cache_cpu_percent: float = 75.0
    cache_host_cpu_percent: float = 90.0
    cache_memory_percent: float = 80.0
    rate_limited_per_5_minutes: int = 500

    def __post_init__(self) -> None:
        percents = {
            "api_5xx_percent": self.api_5xx_percent,
            "backend_saturation_percent": self.backend_saturation_percent,
            "db_cpu_percent": self.db_cpu_percent,
            "node_filesystem_percent": self.node_filesystem_percent,
            "cache_cpu_percent": self.cache_cpu_percent,
            "cache_host_cpu_percent": self.cache_host_cpu_percent,
            "cache_memory_percent": self.cache_memory_percent,
        }
        for key, value in percents.items():
            if not 0 < value <= 100:
                raise SettingError(key, f"{value}: a percentage in (0, 100]")
        positives = {
            "api_min_requests_per_minute": self.api_min_requests_per_minute,
            "api_latency_p99_ms": self.api_latency_p99_ms,
            "api_4xx_band_width": self.api_4xx_band_width,
            "backend_concurrency": self.backend_concurrency,
            "min_healthy_hosts": self.min_healthy_hosts,
            "db_free_storage_gib": self.db_free_storage_gib,
            "db_storage_hours_to_full": self.db_storage_hours_to_full,
            "db_max_connections": self.db_max_connections,
            "db_replica_lag_seconds": self.db_replica_lag_seconds,
            "db_transaction_logs_gib": self.db_transaction_logs_gib,
            "min_ready_nodes": self.min_ready_nodes,
            "rate_limited_per_5_minutes": self.rate_limited_per_5_minutes,
        }
        for key, number in positives.items():
            if number <= 0:
                raise SettingError(key, f"{number}: must be positive")


@dataclass(frozen=True, kw_only=True)
class AlarmTargets:
    """Dimension values of the monitored resources (resource outputs, not config)."""

    api_name: pulumi.Input[str]
    api_stage: pulumi.Input[str]
    load_balancer: pulumi.Input[str]  # NLB arn_suffix: net/<name>/<id>
    target_group: pulumi.Input[str]  # target group arn_suffix: targetgroup/<name>/<id>
    db_instance_id: pulumi.Input[str]
    eks_cluster_name: pulumi.Input[str]
    cache_node_ids: Sequence[pulumi.Input[str]]
    db_replica_ids: Sequence[pulumi.Input[str]] = ()
    backup_vault_name: pulumi.Input[str] | None = None
    # The backup plan copies every recovery point to another region (copy-job alarm).
    backup_copies: bool = False
    # The stack whose `hrmsctl backup status` CronJob publishes HRMS/Backups metrics.
    backup_status_stack: str | None = None
    tiers: Mapping[TierName, Tier] = field(default_factory=lambda: dict(TIERS))

    def __post_init__(self) -> None:
        if not self.cache_node_ids:
            raise ValueError("AlarmTargets.cache_node_ids: at least one cache node to watch")


@dataclass(frozen=True, kw_only=True)
class Metric:
    namespace: str
    name: str
    dimensions: Mapping[str, pulumi.Input[str]]
    stat: str  # a statistic ("Sum") or a percentile ("p99")
    period: int = 60


@dataclass(frozen=True, kw_only=True)
class Query:
    """One line of a metric-math alarm: a metric (``metric``) or an expression."""

    id: str
    metric: Metric | None = None
    expression: str | None = None
    label: str | None = None
    return_data: bool = False


@dataclass(frozen=True, kw_only=True)
class AlarmSpec:
    key: str  # unique within the stack; the alarm is named "<prefix>-<key>"
    anchor: str  # runbook section id in docs/runbooks/alarms.md
    signal: Signal
    summary: str
    comparison: str
    threshold: float | None
    evaluation_periods: int
    datapoints_to_alarm: int
    missing: Missing
    metric: Metric | None = None
    queries: tuple[Query, ...] = ()
    threshold_metric_id: str | None = None

    def metrics(self) -> list[Metric]:
        """Every raw metric the alarm reads (for the dashboard and coverage checks)."""
        if self.metric is not None:
            return [self.metric]
        return [q.metric for q in self.queries if q.metric is not None]


def _api(targets: AlarmTargets, name: str, stat: str) -> Metric:
    return Metric(
        namespace="AWS/ApiGateway",
        name=name,
        dimensions={"ApiName": targets.api_name, "Stage": targets.api_stage},
        stat=stat,
    )


def _rds(instance_id: pulumi.Input[str], name: str, stat: str, period: int = 60) -> Metric:
    return Metric(
        namespace="AWS/RDS",
        name=name,
        dimensions={"DBInstanceIdentifier": instance_id},
        stat=stat,
        period=period,
    )


def _insights(targets: AlarmTargets, name: str, stat: str) -> Metric:
    return Metric(
        namespace="ContainerInsights",
        name=name,
        dimensions={"ClusterName": targets.eks_cluster_name},
        stat=stat,
    )


def _traffic_specs(targets: AlarmTargets, t: AlarmThresholds) -> list[AlarmSpec]:
    """API errors and load balancer health: what tenants see first."""
    nlb = {"LoadBalancer": targets.load_balancer, "TargetGroup": targets.target_group}
    return [
        AlarmSpec(
            key="api-5xx-ratio",
            anchor="api-5xx-ratio",
            signal=Signal.ERROR_RATE,
            summary=f"API 5XX responses above {t.api_5xx_percent:g}% of requests.",
            comparison="GreaterThanThreshold",
            threshold=t.api_5xx_percent,
            evaluation_periods=5,
            datapoints_to_alarm=3,
            # The expression yields 0 when there is no traffic; a gap means no data at
            # all, which is not an error rate.
            missing=Missing.NOT_BREACHING,
            queries=(
                Query(id="errors", metric=_api(targets, "5XXError", "Sum")),
                Query(id="requests", metric=_api(targets, "Count", "Sum")),
                Query(
                    id="ratio",
                    # Below a minimum volume one failed request is not a ratio worth paging.
                    expression=(
                        f"IF(requests >= {t.api_min_requests_per_minute}, "
                        "100 * errors / requests, 0)"
                    ),
                    label="5XX % of requests",
                    return_data=True,
                ),
            ),
        ),
        AlarmSpec(
            key="nlb-unhealthy-hosts",
            anchor="nlb-unhealthy-hosts",
            signal=Signal.HEALTH,
            summary="The app target group reports unhealthy targets.",
            comparison="GreaterThanThreshold",
            threshold=0,
            evaluation_periods=3,
            datapoints_to_alarm=3,
            missing=Missing.NOT_BREACHING,
            metric=Metric(
                namespace="AWS/NetworkELB",
                name="UnHealthyHostCount",
                dimensions=nlb,
                stat="Maximum",
            ),
        ),
        AlarmSpec(
            key="nlb-healthy-hosts-low",
            anchor="nlb-healthy-hosts-low",
            signal=Signal.HEALTH,
            summary=f"Fewer than {t.min_healthy_hosts} healthy targets behind the app NLB.",
            comparison="LessThanThreshold",
            threshold=t.min_healthy_hosts,
            evaluation_periods=2,
            datapoints_to_alarm=2,
            # The NLB reports every minute while it exists; silence means we cannot
            # show any healthy target, which is the outage this alarm is for.
            missing=Missing.BREACHING,
            metric=Metric(
                namespace="AWS/NetworkELB",
                name="HealthyHostCount",
                dimensions=nlb,
                stat="Minimum",
            ),
        ),
    ]


def _database_specs(targets: AlarmTargets, t: AlarmThresholds) -> list[AlarmSpec]:
    """The database instance: CPU and storage."""
    return [
        AlarmSpec(
            key="rds-cpu",
            anchor="rds-cpu",
            signal=Signal.DATABASE,
            summary=f"Database CPU above {t.db_cpu_percent:g}% for 10 minutes.",
            comparison="GreaterThanThreshold",
            threshold=t.db_cpu_percent,
            evaluation_periods=10,
            datapoints_to_alarm=10,
            # A stopped or failing-over instance is covered by the health alarms; don't
            # flip this one on gaps.
            missing=Missing.MISSING,
            metric=_rds(targets.db_instance_id, "CPUUtilization", "Average"),
        ),
        AlarmSpec(
            key="rds-free-storage",
            anchor="rds-free-storage",
            signal=Signal.DISK,
            summary=f"Database free storage below {t.db_free_storage_gib:g} GiB.",
            comparison="LessThanThreshold",
            threshold=t.db_free_storage_gib * GIB,
            evaluation_periods=2,
            datapoints_to_alarm=2,
            missing=Missing.BREACHING,
            metric=_rds(targets.db_instance_id, "FreeStorageSpace", "Minimum", period=300),
        ),
        AlarmSpec(
            key="rds-storage-trend",
            anchor="rds-storage-trend",
            signal=Signal.DISK,
            summary=(
                f"At the current write rate the database disk is full within "
                f"{t.db_storage_hours_to_full:g} hours."
            ),
            comparison="LessThanThreshold",
            threshold=t.db_storage_hours_to_full,
            evaluation_periods=4,
            datapoints_to_alarm=4,
            missing=Missing.MISSING,
            queries=(
                Query(
                    id="free",
                    metric=_rds(targets.db_instance_id, "FreeStorageSpace", "Minimum", 900),
                ),
                Query(
                    id="hours",
                    # RATE is bytes per second; only a shrinking disk has a time to full.
                    expression="IF(RATE(free) < 0, free / (RATE(free) * -3600), 100000)",
                    label="hours until the disk is full",
                    return_data=True,
                ),
            ),
        ),
    ]


def _database_load_specs(targets: AlarmTargets, t: AlarmThresholds) -> list[AlarmSpec]:
    """The database under load: connections and the WAL it cannot ship."""
    return [
        AlarmSpec(
            key="rds-connections",
            anchor="rds-connections",
            signal=Signal.DATABASE,
            summary=f"More than {t.db_max_connections} database connections.",
            comparison="GreaterThanThreshold",
            threshold=t.db_max_connections,
            evaluation_periods=5,
            datapoints_to_alarm=3,
            missing=Missing.MISSING,
            metric=_rds(targets.db_instance_id, "DatabaseConnections", "Maximum"),
        ),
        AlarmSpec(
            key="rds-wal-backlog",
            anchor="rds-wal-backlog",
            signal=Signal.DATABASE,
            summary=(
                f"Unarchived WAL above {t.db_transaction_logs_gib:g} GiB: point-in-time "
                "recovery is falling behind (RPO at risk)."
            ),
            comparison="GreaterThanThreshold",
            threshold=t.db_transaction_logs_gib * GIB,
            evaluation_periods=3,
            datapoints_to_alarm=3,
            missing=Missing.MISSING,
            metric=_rds(targets.db_instance_id, "TransactionLogsDiskUsage", "Maximum", 300),
        ),
    ]


def _backlog_specs(targets: AlarmTargets, t: AlarmThresholds) -> list[AlarmSpec]:
    """Requests queueing: latency at the edge, saturation of the backend."""
    return [
        AlarmSpec(
            key="api-latency-p99",
            anchor="api-latency-p99",
            signal=Signal.BACKLOG,
            summary=f"API p99 latency above {t.api_latency_p99_ms:g} ms.",
            comparison="GreaterThanThreshold",
            threshold=t.api_latency_p99_ms,
            evaluation_periods=5,
            datapoints_to_alarm=3,
            missing=Missing.NOT_BREACHING,
            metric=_api(targets, "Latency", "p99"),
        ),
        AlarmSpec(
            key="backend-saturation",
            anchor="backend-saturation",
            signal=Signal.BACKLOG,
            summary=(
                f"Requests in flight above {t.backend_saturation_percent:g}% of the "
                f"{t.backend_concurrency} gunicorn worker slots: requests are queueing."
            ),
            comparison="GreaterThanThreshold",
            threshold=t.backend_saturation_percent,
            evaluation_periods=5,
            datapoints_to_alarm=3,
            missing=Missing.NOT_BREACHING,
            queries=(
                Query(id="requests", metric=_api(targets, "Count", "Sum")),
                Query(id="latency", metric=_api(targets, "IntegrationLatency", "Average")),
                Query(
                    id="inflight",
                    # Little's law: arrivals per second x seconds in the backend = the
                    # average number of requests the workers hold at once.
                    expression=(
                        "100 * (requests / PERIOD(requests)) * (latency / 1000) "
                        f"/ {t.backend_concurrency}"
                    ),
                    label="% of worker slots busy",
                    return_data=True,
                ),
            ),
        ),
    ]


def _cluster_specs(targets: AlarmTargets, t: AlarmThresholds) -> list[AlarmSpec]:
    """The nodes: filesystem, failed and ready nodes."""
    return [
        AlarmSpec(
            key="node-filesystem",
            anchor="node-filesystem",
            signal=Signal.DISK,
            summary=f"A cluster node's filesystem is above {t.node_filesystem_percent:g}%.",
            comparison="GreaterThanThreshold",
            threshold=t.node_filesystem_percent,
            evaluation_periods=3,
            datapoints_to_alarm=3,
            missing=Missing.MISSING,
            metric=_insights(targets, "node_filesystem_utilization", "Maximum"),
        ),
        AlarmSpec(
            key="eks-failed-nodes",
            anchor="eks-node-readiness",
            signal=Signal.CLUSTER,
            summary="Cluster nodes report a failing node condition (NotReady).",
            comparison="GreaterThanThreshold",
            threshold=0,
            evaluation_periods=3,
            datapoints_to_alarm=3,
            missing=Missing.MISSING,
            metric=_insights(targets, "cluster_failed_node_count", "Maximum"),
        ),
        AlarmSpec(
            key="eks-ready-nodes-low",
            anchor="eks-node-readiness",
            signal=Signal.CLUSTER,
            summary=f"Fewer than {t.min_ready_nodes} nodes in the cluster.",
            comparison="LessThanThreshold",
            threshold=t.min_ready_nodes,
            evaluation_periods=3,
            datapoints_to_alarm=3,
            # No node metrics at all means no agent on any node: treat as no nodes.
            missing=Missing.BREACHING,
            metric=_insights(targets, "cluster_node_count", "Minimum"),
        ),
    ]


def _tier_specs(targets: AlarmTargets, t: AlarmThresholds) -> list[AlarmSpec]:
    """Requests the app answered 429, one alarm per tier."""
    specs: list[AlarmSpec] = []
    for tier in targets.tiers.values():
        specs.append(
            AlarmSpec(
                key=f"rate-limited-{tier.name.value}",
                anchor="rate-limited",
                signal=Signal.RATE_LIMIT,
                summary=(
                    f"More than {t.rate_limited_per_5_minutes} requests of {tier.label} "
                    "tenants answered 429 by the app in 5 minutes."
                ),
                comparison="GreaterThanThreshold",
                threshold=t.rate_limited_per_5_minutes,
                evaluation_periods=2,
                datapoints_to_alarm=2,
                # The app emits nothing when nobody is limited.
                missing=Missing.NOT_BREACHING,
                metric=Metric(
                    namespace=NAMESPACE,
                    name=RATE_LIMITED,
                    dimensions={"tier": tier.name.value},
                    stat="Sum",
                    period=300,
                ),
            )
        )
    return specs


def _rate_limit_specs(targets: AlarmTargets, t: AlarmThresholds) -> list[AlarmSpec]:
    """Tenants held back: 4XX spikes at the edge, 429s per tier, the limiter failing."""
    specs = [
        AlarmSpec(
            key="api-4xx-spike",
            anchor="api-4xx-spike",
            signal=Signal.RATE_LIMIT,
            summary="API 4XX responses above their learned band (throttling, bad keys).",
            comparison="GreaterThanUpperThreshold",
            threshold=None,
            evaluation_periods=5,
            datapoints_to_alarm=4,
            missing=Missing.NOT_BREACHING,
            threshold_metric_id="band",
            queries=(
                Query(
                    id="clienterrors",
                    metric=_api(targets, "4XXError", "Sum"),
                    return_data=True,
                ),
                Query(
                    id="band",
                    expression=f"ANOMALY_DETECTION_BAND(clienterrors, {t.api_4xx_band_width:g})",
                    label="expected 4XX",
                    return_data=True,
                ),
            ),
        ),
    ]
    specs += _tier_specs(targets, t)
    limiter = [
        Query(
            id=f"{kind}{i}",
            metric=Metric(
                namespace=NAMESPACE,
                name=metric,
                dimensions={"tier": tier.name.value},
                stat="Sum",
            ),
        )
        for kind, metric in (("open", FAIL_OPEN), ("closed", FAIL_CLOSED))
        for i, tier in enumerate(targets.tiers.values())
    ]
    specs.append(
        AlarmSpec(
            key="rate-limiter-unavailable",
            anchor="rate-limiter-unavailable",
            signal=Signal.RATE_LIMIT,
            summary="The app could not reach the rate-limit store and failed open or closed.",
            comparison="GreaterThanThreshold",
            threshold=0,
            evaluation_periods=3,
            datapoints_to_alarm=2,
            missing=Missing.NOT_BREACHING,
            queries=(
                *limiter,
                Query(
                    id="unavailable",
                    expression="SUM([" + ",".join(q.id for q in limiter) + "])",
                    label="requests decided without the limiter",
                    return_data=True,
                ),
            ),
        )
    )
    return specs


def _cache_specs(targets: AlarmTargets, t: AlarmThresholds) -> list[AlarmSpec]:
    """Every node of the rate-limit cache: engine and host CPU, memory."""
    specs: list[AlarmSpec] = []
    # (key, runbook anchor, what, threshold, metric, statistic) per cache node.
    # EngineCPUUtilization is the single engine thread only; on nodes with 2 vCPUs or
    # fewer (staging's t4g.small) the host's CPUUtilization is the one AWS says to watch,
    # and on any size it also carries TLS, I/O threads and the fork of a snapshot, which
    # the engine figure never shows.
    cache_signals = (
        ("cache-cpu", "cache-cpu", "engine CPU", t.cache_cpu_percent,
         "EngineCPUUtilization", "Average"),
        ("cache-host-cpu", "cache-cpu", "host CPU", t.cache_host_cpu_percent,
         "CPUUtilization", "Average"),
        ("cache-memory", "cache-memory", "memory", t.cache_memory_percent,
         "DatabaseMemoryUsagePercentage", "Maximum"),
    )  # fmt: skip
    for i, node in enumerate(targets.cache_node_ids, start=1):
        specs += [
            AlarmSpec(
                key=f"{key}-{i}",
                anchor=anchor,
                signal=Signal.CACHE,
                summary=f"Cache {what} above {threshold:g}% on node {i}.",
                comparison="GreaterThanThreshold",
                threshold=threshold,
                evaluation_periods=5,
                datapoints_to_alarm=5,
                missing=Missing.MISSING,
                metric=Metric(
                    namespace="AWS/ElastiCache",
                    name=metric,
                    dimensions={"CacheClusterId": node},
                    stat=stat,
                ),
            )
            for key, anchor, what, threshold, metric, stat in cache_signals
        ]
    return specs


def _replica_specs(targets: AlarmTargets, t: AlarmThresholds) -> list[AlarmSpec]:
    """Read replicas falling behind the primary."""
    specs: list[AlarmSpec] = []
    for i, replica in enumerate(targets.db_replica_ids, start=1):
        specs.append(
            AlarmSpec(
                key=f"rds-replica-lag-{i}",
                anchor="rds-replica-lag",
                signal=Signal.DATABASE,
                summary=f"Read replica {i} is more than {t.db_replica_lag_seconds:g}s behind.",
                comparison="GreaterThanThreshold",
                threshold=t.db_replica_lag_seconds,
                evaluation_periods=5,
                datapoints_to_alarm=5,
                missing=Missing.BREACHING,
                metric=_rds(replica, "ReplicaLag", "Maximum"),
            )
        )
    return specs


def _backup_specs(targets: AlarmTargets, t: AlarmThresholds) -> list[AlarmSpec]:
    """AWS Backup jobs, copies and restore tests, and the backup status checks."""
    specs: list[AlarmSpec] = []
    if targets.backup_vault_name is not None:
        # (key, AWS/Backup metric, what failed) per job kind. All three are reported in
        # the stack's region under the source vault: a copy job runs from it, and a
        # restore test restores a recovery point held in it.
        backup_jobs = [
            (
                "backup-jobs-failed",
                "NumberOfBackupJobsFailed",
                "An AWS Backup job for the database vault",
            ),
            (
                "backup-restore-tests-failed",
                "NumberOfRestoreJobsFailed",
                "A restore test (or any restore) of the database vault's recovery points",
            ),
        ]
        if targets.backup_copies:
            backup_jobs.append(
                (
                    "backup-copy-jobs-failed",
                    "NumberOfCopyJobsFailed",
                    "A cross-region copy of a database recovery point",
                )
            )
        specs += [
            AlarmSpec(
                key=key,
                anchor=key,
                signal=Signal.DATABASE,
                summary=f"{what} failed.",
                comparison="GreaterThanThreshold",
                threshold=0,
                evaluation_periods=1,
                datapoints_to_alarm=1,
                # The metrics exist only in hours with jobs; no jobs is not a failure.
                missing=Missing.NOT_BREACHING,
                metric=Metric(
                    namespace="AWS/Backup",
                    name=metric,
                    dimensions={"BackupVaultName": targets.backup_vault_name},
                    stat="Sum",
                    period=3600,
                ),
            )
            for key, metric, what in backup_jobs
        ]
    if targets.backup_status_stack is not None:
        # AWS publishes no metric for PITR lag, logical backup age or drill results:
        # the status CronJob checks them every 15 minutes and publishes how many failed.
        # No datapoint means the checker itself stopped, which is a failure too.
        specs.append(
            AlarmSpec(
                key="backup-status-failing",
                anchor="backup-status-failing",
                signal=Signal.DATABASE,
                summary="hrmsctl backup status found a failing backup check "
                "(PITR lag over the RPO, stale snapshot, recovery point, logical backup "
                "or drill), or stopped reporting.",
                comparison="GreaterThanThreshold",
                threshold=0,
                evaluation_periods=1,
                datapoints_to_alarm=1,
                missing=Missing.BREACHING,
                metric=Metric(
                    namespace=BACKUP_METRIC_NAMESPACE,
                    name=BACKUP_FAILING_METRIC,
                    dimensions={"Stack": targets.backup_status_stack},
                    stat="Maximum",
                    period=1800,
                ),
            )
        )
    return specs


# One function per signal family, in runbook order.
_FAMILIES = (
    _traffic_specs,
    _database_specs,
    _database_load_specs,
    _backlog_specs,
    _cluster_specs,
    _rate_limit_specs,
    _cache_specs,
    _replica_specs,
    _backup_specs,
)


def alarm_specs(targets: AlarmTargets, t: AlarmThresholds) -> list[AlarmSpec]:
    """Every alarm of a stack, in runbook order."""
    specs = [spec for family in _FAMILIES for spec in family(targets, t)]
    keys = [s.key for s in specs]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise ValueError(f"alarm keys must be unique, repeated: {duplicates}")
    return specs
