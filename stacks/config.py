"""Typed, validated stack configuration: the only reader of ``pulumi.Config``.

Every value that differs between staging and prod lives in ``Pulumi.<stack>.yaml`` and
is checked here before any resource is declared; a bad value fails with the key and the
stack file named.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, TypeVar

import pulumi

from app.tenants.tiers import TierName
from infra.cluster.addons import REQUIRED_ADDONS
from infra.cluster.autoscaler import IMAGE_MINOR as AUTOSCALER_MINOR
from infra.database.backup_windows import BackupScheduleError, schedule_conflicts
from infra.database.backups import START_WINDOW_MINUTES
from infra.observability.alarms import RUNBOOK_PATH
from infra.observability.alerting import Subscriber
from infra.observability.signals import AlarmThresholds

PROJECT = "hrms"
ENVIRONMENTS: tuple[str, ...] = ("staging", "prod")
DATA_CLASSIFICATIONS: tuple[str, ...] = ("public", "internal", "confidential", "restricted")
OPEN_CIDRS: frozenset[str] = frozenset({"0.0.0.0/0", "::/0"})
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_WINDOW = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")
_WEEKLY_WINDOW = re.compile(
    r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-"
    r"(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$"
)
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
_K8S_VERSION = re.compile(r"^1\.\d{2}$")
_QUANTITY = re.compile(r"^\d+(\.\d+)?(m|Mi|Gi)?$")
_CRON = re.compile(r"^cron\(.+\)$")
# A Kubernetes CronJob schedule: five space-separated fields.
_K8S_CRON = re.compile(r"^\S+( \S+){4}$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# A fully qualified public name: two or more labels, the last alphabetic (so no IP address).
_PUBLIC_HOST = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]([-a-z0-9]*[a-z0-9])?$")

T = TypeVar("T")


class ConfigError(ValueError):
    """A stack config value is missing or invalid; the message names key and file."""


def did_you_mean(key: str, known: Collection[str]) -> str:
    """``; did you mean 'x'?`` for the closest known key, or a list of the known keys."""
    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
    if close:
        return f"unknown key; did you mean {close[0]!r}?"
    return f"unknown key; expected one of {', '.join(sorted(known))}"


class _Section:
    """Typed access to one config object (``hrms:<section>``), errors naming the key."""

    def __init__(self, data: Mapping[str, Any], *, prefix: str, source: str) -> None:
        self._data = data
        self._prefix = prefix
        self._source = source
        self._read: set[str] = set()

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self._source}: {self._prefix}{key}: {problem}")

    def reject_unknown(self) -> None:
        """Fail on keys nothing read: a misspelt optional key (``copyregion``) would otherwise
        silently fall back to its default, e.g. prod losing its cross-region backup copy."""
        problems = [
            self.fail(key, did_you_mean(key, self._read))
            for key in sorted(set(self._data) - self._read)
        ]
        if problems:
            raise ConfigError("\n".join(str(p) for p in problems))

    def _get(self, key: str, kind: type[T], kind_name: str, default: Any = ...) -> T:
        self._read.add(key)
        if key not in self._data or self._data[key] is None:
            if default is ...:
                raise self.fail(key, "missing required value")
            return default  # type: ignore[no-any-return]
        value = self._data[key]
        if kind is int and isinstance(value, bool):
            raise self.fail(key, f"expected {kind_name}, got {value!r}")
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind):
            raise self.fail(key, f"expected {kind_name}, got {type(value).__name__} {value!r}")
        return value

    def string(self, key: str, default: Any = ...) -> str:
        value = self._get(key, str, "a string", default)
        if value is not None and not value.strip():
            raise self.fail(key, "must not be empty")
        return value

    def optional_string(self, key: str) -> str | None:
        value: str | None = self._get(key, str, "a string", None)
        return value

    def integer(self, key: str, low: int, high: int, default: Any = ...) -> int:
        value = self._get(key, int, "an integer", default)
        if value is not None and not low <= value <= high:
            raise self.fail(key, f"{value} is outside {low}..{high}")
        return value

    def number(self, key: str, low: float, high: float, default: Any = ...) -> float:
        value = self._get(key, float, "a number", default)
        if not low <= value <= high:
            raise self.fail(key, f"{value} is outside {low:g}..{high:g}")
        return value

    def boolean(self, key: str, default: Any = ...) -> bool:
        return self._get(key, bool, "true or false", default)

    def strings(self, key: str, default: Any = ...) -> tuple[str, ...]:
        value = self._get(key, list, "a list of strings", default)
        if not all(isinstance(v, str) and v for v in value):
            raise self.fail(key, f"expected a list of non-empty strings, got {value!r}")
        return tuple(value)

    def matching(self, key: str, pattern: re.Pattern[str], what: str, default: Any = ...) -> str:
        value = self.string(key, default)
        if not pattern.match(value):
            raise self.fail(key, f"{value!r} is not {what}")
        return value

    def choice(self, key: str, choices: Sequence[str], default: Any = ...) -> str:
        value = self.string(key, default)
        if value not in choices:
            raise self.fail(key, f"{value!r} is not one of {', '.join(choices)}")
        return value

    def mapping(self, key: str) -> dict[str, str]:
        value = self._get(key, dict, "a mapping")
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise self.fail(key, "expected a mapping of strings to strings")
        return dict(value)

    def network(self, key: str) -> ipaddress.IPv4Network:
        value = self.string(key)
        return _parse_cidr(value, lambda problem: self.fail(key, problem))

    def networks(self, key: str) -> tuple[ipaddress.IPv4Network, ...]:
        return tuple(
            _parse_cidr(v, self._failer(f"{key}[{i}]")) for i, v in enumerate(self.strings(key))
        )

    def _failer(self, key: str) -> Callable[[str], ConfigError]:
        return lambda problem: self.fail(key, problem)


def _parse_cidr(value: str, fail: Callable[[str], ConfigError]) -> ipaddress.IPv4Network:
    try:
        return ipaddress.IPv4Network(value, strict=True)
    except ValueError as exc:
        raise fail(f"{value!r} is not an IPv4 CIDR block ({exc})") from None


# ---------------------------------------------------------------------------- sections


@dataclass(frozen=True, kw_only=True)
class TagsConfig:
    owner: str
    cost_center: str
    data_classification: str


@dataclass(frozen=True, kw_only=True)
class NetworkConfig:
    vpc_cidr: str
    availability_zones: tuple[str, ...]
    public_subnet_cidrs: tuple[str, ...]
    private_subnet_cidrs: tuple[str, ...]
    isolated_subnet_cidrs: tuple[str, ...]
    nat_gateways: int
    flow_log_retention_days: int


@dataclass(frozen=True, kw_only=True)
class DatabaseConfig:
    engine_version: str
    instance_class: str
    allocated_storage_gb: int
    max_allocated_storage_gb: int
    backup_retention_days: int
    backup_window: str
    maintenance_window: str
    multi_az: bool
    deletion_protection: bool
    final_snapshot: bool
    slow_statement_ms: int
    log_retention_days: int


@dataclass(frozen=True, kw_only=True)
class BackupConfig:
    schedule: str
    retention_days: int
    copy_region: str | None
    copy_retention_days: int | None
    restore_test_schedule: str
    # Logical backups (pg_dump to S3) and their monitoring: Kubernetes cron schedules (UTC).
    logical_schedule: str = "30 2 * * *"
    logical_retention_days: int = 35
    status_schedule: str = "*/15 * * * *"
    # The recovery point objective backup status and its alarm measure against.
    rpo_minutes: int = 5


@dataclass(frozen=True, kw_only=True)
class CacheConfig:
    engine: str
    engine_version: str
    node_type: str
    num_cache_clusters: int
    multi_az: bool
    snapshot_retention_days: int
    log_retention_days: int


@dataclass(frozen=True, kw_only=True)
class ClusterConfig:
    kubernetes_version: str
    endpoint_public_access: bool
    public_access_cidrs: tuple[str, ...]
    log_retention_days: int
    node_instance_types: tuple[str, ...]
    node_min_size: int
    node_max_size: int
    node_desired_size: int
    node_disk_gb: int
    metadata_hop_limit: int
    addon_versions: dict[str, str]


@dataclass(frozen=True, kw_only=True)
class LoadBalancerConfig:
    listener_port: int
    deletion_protection: bool


@dataclass(frozen=True, kw_only=True)
class WorkloadConfig:
    namespace: str
    # None until the first image is pushed: the stack then deploys everything but the workload.
    image_digest: str | None
    min_replicas: int
    max_replicas: int
    target_cpu_percent: int
    cpu_request: str
    memory_request: str
    cpu_limit: str
    memory_limit: str
    node_port: int
    allowed_hosts: tuple[str, ...]
    default_tier: str


@dataclass(frozen=True, kw_only=True)
class EdgeConfig:
    stage_name: str
    throttle_rate_limit: float
    throttle_burst_limit: int
    waf_rate_limit_per_ip: int
    log_retention_days: int


@dataclass(frozen=True, kw_only=True)
class AlarmsConfig:
    subscribers: tuple[Subscriber, ...]
    runbook_url: str
    thresholds: AlarmThresholds


@dataclass(frozen=True, kw_only=True)
class StackConfig:
    stack: str
    environment: str
    region: str
    # `make destroy` may delete the stack with its data (recovery points, images, automated
    # backups); never prod.
    disposable: bool
    tags: TagsConfig
    network: NetworkConfig
    database: DatabaseConfig
    backup: BackupConfig
    cache: CacheConfig
    cluster: ClusterConfig
    load_balancer: LoadBalancerConfig
    workload: WorkloadConfig
    edge: EdgeConfig
    alarms: AlarmsConfig

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"

    @property
    def name_prefix(self) -> str:
        return f"{PROJECT}-{self.stack}"


# ---------------------------------------------------------------------------- parsing


def _parse_tags(s: _Section) -> TagsConfig:
    return TagsConfig(
        owner=s.string("owner"),
        cost_center=s.string("costCenter"),
        data_classification=s.choice("dataClassification", DATA_CLASSIFICATIONS),
    )


def _parse_network(s: _Section, region: str) -> NetworkConfig:
    vpc = s.network("vpcCidr")
    zones = s.strings("availabilityZones")
    if len(zones) != 3 or len(set(zones)) != 3:
        raise s.fail("availabilityZones", f"expected 3 distinct zones, got {list(zones)}")
    for zone in zones:
        if not (zone.startswith(region) and len(zone) == len(region) + 1):
            raise s.fail("availabilityZones", f"{zone!r} is not a zone of region {region}")
    seen: list[tuple[str, ipaddress.IPv4Network]] = []
    tiers: dict[str, tuple[str, ...]] = {}
    for tier in ("publicSubnetCidrs", "privateSubnetCidrs", "isolatedSubnetCidrs"):
        subnets = s.networks(tier)
        if len(subnets) != len(zones):
            raise s.fail(tier, f"expected one CIDR per zone ({len(zones)}), got {len(subnets)}")
        for index, subnet in enumerate(subnets):
            key = f"{tier}[{index}]"
            if not subnet.subnet_of(vpc):
                raise s.fail(key, f"{subnet} does not fit in vpcCidr {vpc}")
            for other_key, other in seen:
                if subnet.overlaps(other):
                    raise s.fail(key, f"{subnet} overlaps {other_key} ({other})")
            seen.append((key, subnet))
        tiers[tier] = tuple(str(n) for n in subnets)
    return NetworkConfig(
        vpc_cidr=str(vpc),
        availability_zones=zones,
        public_subnet_cidrs=tiers["publicSubnetCidrs"],
        private_subnet_cidrs=tiers["privateSubnetCidrs"],
        isolated_subnet_cidrs=tiers["isolatedSubnetCidrs"],
        nat_gateways=s.integer("natGateways", 1, len(zones)),
        flow_log_retention_days=s.integer("flowLogRetentionDays", 1, 3653),
    )


def _parse_database(s: _Section) -> DatabaseConfig:
    version = s.string("engineVersion")
    if version.split(".")[0] != "16":
        raise s.fail("engineVersion", f"{version!r} is not PostgreSQL 16")
    if version != "16":
        # RDS applies minor versions itself (auto minor upgrade) and retires old ones within a
        # year; a pinned minor would fail to create once retired and drift once upgraded.
        raise s.fail("engineVersion", f"{version!r}: give the major version only, '16'")
    allocated = s.integer("allocatedStorageGb", 20, 65536)
    maximum = s.integer("maxAllocatedStorageGb", 20, 65536)
    if maximum < allocated:
        raise s.fail("maxAllocatedStorageGb", f"{maximum} is below allocatedStorageGb {allocated}")
    instance_class = s.string("instanceClass")
    if not instance_class.startswith("db."):
        raise s.fail("instanceClass", f"{instance_class!r} is not an RDS instance class (db.*)")
    return DatabaseConfig(
        engine_version=version,
        instance_class=instance_class,
        allocated_storage_gb=allocated,
        max_allocated_storage_gb=maximum,
        backup_retention_days=s.integer("backupRetentionDays", 1, 35),
        backup_window=s.matching("backupWindow", _WINDOW, "a window like 02:00-03:00"),
        maintenance_window=s.matching(
            "maintenanceWindow", _WEEKLY_WINDOW, "a window like sun:04:00-sun:05:00"
        ),
        multi_az=s.boolean("multiAz"),
        deletion_protection=s.boolean("deletionProtection"),
        final_snapshot=s.boolean("finalSnapshot"),
        slow_statement_ms=s.integer("slowStatementMs", 1, 600_000),
        log_retention_days=s.integer("logRetentionDays", 1, 3653),
    )


def _parse_backup(s: _Section, region: str) -> BackupConfig:
    copy_region = s.optional_string("copyRegion")
    copy_retention: int | None = s.integer("copyRetentionDays", 1, 36500, None)
    if copy_region is not None:
        if not _REGION.match(copy_region):
            raise s.fail("copyRegion", f"{copy_region!r} is not an AWS region")
        if copy_region == region:
            raise s.fail("copyRegion", f"must differ from the stack region {region}")
        if copy_retention is None:
            raise s.fail("copyRetentionDays", "required when copyRegion is set")
    elif copy_retention is not None:
        raise s.fail("copyRetentionDays", "has no effect without copyRegion")
    return BackupConfig(
        schedule=s.matching("schedule", _CRON, "a cron(...) expression"),
        retention_days=s.integer("retentionDays", 1, 36500),
        copy_region=copy_region,
        copy_retention_days=copy_retention,
        restore_test_schedule=s.matching("restoreTestSchedule", _CRON, "a cron(...) expression"),
        logical_schedule=s.matching(
            "logicalSchedule", _K8S_CRON, "a five-field cron line", "30 2 * * *"
        ),
        logical_retention_days=s.integer("logicalRetentionDays", 1, 3650, 35),
        status_schedule=s.matching(
            "statusSchedule", _K8S_CRON, "a five-field cron line", "*/15 * * * *"
        ),
        rpo_minutes=s.integer("rpoMinutes", 1, 1440, 5),
    )


def _parse_cache(s: _Section) -> CacheConfig:
    clusters = s.integer("numCacheClusters", 1, 6)
    multi_az = s.boolean("multiAz")
    if multi_az and clusters < 2:
        raise s.fail("numCacheClusters", "multiAz needs at least 2 (a primary and a replica)")
    node_type = s.string("nodeType")
    if not node_type.startswith("cache."):
        raise s.fail("nodeType", f"{node_type!r} is not an ElastiCache node type (cache.*)")
    return CacheConfig(
        engine=s.choice("engine", ("valkey", "redis")),
        engine_version=s.string("engineVersion"),
        node_type=node_type,
        num_cache_clusters=clusters,
        multi_az=multi_az,
        snapshot_retention_days=s.integer("snapshotRetentionDays", 0, 35),
        log_retention_days=s.integer("logRetentionDays", 1, 3653),
    )


def _parse_cluster(s: _Section, environment: str) -> ClusterConfig:
    public = s.boolean("endpointPublicAccess")
    cidrs = s.strings("publicAccessCidrs", ())
    for index, cidr in enumerate(cidrs):
        key = f"publicAccessCidrs[{index}]"
        _parse_cidr(cidr, s._failer(key))
        if cidr in OPEN_CIDRS and environment == "prod":
            raise s.fail(key, "0.0.0.0/0 would expose the prod Kubernetes API to the internet")
    if public and not cidrs:
        raise s.fail("publicAccessCidrs", "required when endpointPublicAccess is true")
    minimum = s.integer("nodeMinSize", 1, 100)
    maximum = s.integer("nodeMaxSize", 1, 100)
    desired = s.integer("nodeDesiredSize", 1, 100)
    if not minimum <= desired <= maximum:
        raise s.fail("nodeDesiredSize", f"{desired} is not within {minimum}..{maximum}")
    addons = s.mapping("addonVersions")
    missing = sorted(set(REQUIRED_ADDONS) - set(addons))
    if missing:
        raise s.fail("addonVersions", f"missing pinned versions for {', '.join(missing)}")
    # Only the required add-ons are installed, so any other entry is a typo or a leftover.
    extra = sorted(set(addons) - set(REQUIRED_ADDONS))
    if extra:
        raise s.fail(
            f"addonVersions.{extra[0]}",
            f"not an add-on this stack installs; expected {', '.join(sorted(REQUIRED_ADDONS))}",
        )
    for addon, version in addons.items():
        if not re.match(r"^v\d+\.\d+\.\d+-eksbuild\.\d+$", version):
            raise s.fail(f"addonVersions.{addon}", f"{version!r} is not a pinned eksbuild version")
    kubernetes_version = s.matching("kubernetesVersion", _K8S_VERSION, "a version like 1.32")
    if kubernetes_version != AUTOSCALER_MINOR:
        # The autoscaler vendors one scheduler minor: it must match the cluster's.
        raise s.fail(
            "kubernetesVersion",
            f"{kubernetes_version} is not the version the Cluster Autoscaler image supports "
            f"({AUTOSCALER_MINOR}, infra/cluster/autoscaler.py IMAGE); change both together",
        )
    return ClusterConfig(
        kubernetes_version=kubernetes_version,
        endpoint_public_access=public,
        public_access_cidrs=cidrs,
        log_retention_days=s.integer("logRetentionDays", 1, 3653),
        node_instance_types=s.strings("nodeInstanceTypes"),
        node_min_size=minimum,
        node_max_size=maximum,
        node_desired_size=desired,
        node_disk_gb=s.integer("nodeDiskGb", 20, 1000),
        metadata_hop_limit=s.integer("metadataHopLimit", 1, 2),
        addon_versions=addons,
    )


def _parse_load_balancer(s: _Section) -> LoadBalancerConfig:
    return LoadBalancerConfig(
        listener_port=s.integer("listenerPort", 1, 65535),
        deletion_protection=s.boolean("deletionProtection"),
    )


def _parse_workload(s: _Section) -> WorkloadConfig:
    minimum = s.integer("minReplicas", 1, 100)
    maximum = s.integer("maxReplicas", 1, 200)
    if minimum > maximum:
        raise s.fail("minReplicas", f"{minimum} is above maxReplicas {maximum}")
    if "replicas" in s._data:
        raise s.fail(
            "replicas",
            "the HPA owns the replica count (the HorizontalPodAutoscaler); remove this key and set "
            "minReplicas (the scale every deploy starts from)",
        )
    quantities = {
        key: s.matching(key, _QUANTITY, "a Kubernetes quantity like 250m or 512Mi")
        for key in ("cpuRequest", "memoryRequest", "cpuLimit", "memoryLimit")
    }
    tiers = [t.value for t in TierName]
    return WorkloadConfig(
        namespace=s.matching("namespace", _DNS_LABEL, "a DNS label"),
        image_digest=_image_digest(s),
        min_replicas=minimum,
        max_replicas=maximum,
        target_cpu_percent=s.integer("targetCpuPercent", 10, 95),
        cpu_request=quantities["cpuRequest"],
        memory_request=quantities["memoryRequest"],
        cpu_limit=quantities["cpuLimit"],
        memory_limit=quantities["memoryLimit"],
        node_port=s.integer("nodePort", 30000, 32767),
        allowed_hosts=_public_hosts(s, "allowedHosts"),
        default_tier=s.choice("defaultTier", tiers),
    )


def _image_digest(s: _Section) -> str | None:
    digest = s.optional_string("imageDigest")
    if digest is not None and not _DIGEST.match(digest):
        raise s.fail(
            "imageDigest",
            f"{digest!r} is not a digest like sha256:<64 hex>; leave the key out until the "
            "first image is pushed (the stack then skips the workload)",
        )
    return digest


def _public_hosts(s: _Section, key: str) -> tuple[str, ...]:
    """Exact public host names only: a wildcard (``*``, ``.example.com``) or an address would
    let Django answer for names it does not own. The internal names (the NLB's, ``localhost``)
    are added by the workload itself."""
    hosts = s.strings(key)
    for host in hosts:
        if not _PUBLIC_HOST.match(host):
            raise s.fail(
                key,
                f"{host!r} is not an exact lowercase public host name like "
                "api.hrms.example.com (no wildcard or address; the NLB's name and localhost "
                "are always allowed)",
            )
    return hosts


def _parse_edge(s: _Section) -> EdgeConfig:
    return EdgeConfig(
        stage_name=s.matching("stageName", _DNS_LABEL, "a stage name like prod"),
        throttle_rate_limit=s.number("throttleRateLimit", 1, 10_000),
        throttle_burst_limit=s.integer("throttleBurstLimit", 1, 5_000),
        waf_rate_limit_per_ip=s.integer("wafRateLimitPerIp", 100, 2_000_000_000),
        log_retention_days=s.integer("logRetentionDays", 1, 3653),
    )


def _parse_alarms(s: _Section) -> AlarmsConfig:
    subscribers: list[Subscriber] = []
    for key, protocol in (("alertEmails", "email"), ("alertHttpsEndpoints", "https")):
        for endpoint in s.strings(key, ()):
            try:
                subscribers.append(Subscriber(protocol=protocol, endpoint=endpoint))
            except ValueError as exc:
                raise s.fail(key, str(exc)) from None
    if not subscribers:
        raise s.fail("alertEmails", "at least one alert email or HTTPS endpoint is required")
    # Every threshold is optional here (defaults in AlarmThresholds); the stack files set
    # the ones prod makes stricter.
    values: dict[str, Any] = {}
    keys: dict[str, str] = {}
    for f in fields(AlarmThresholds):
        key = keys[f.name] = re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), f.name)
        if f.type == "int":
            values[f.name] = s.integer(key, 1, 10**9, f.default)
        else:
            values[f.name] = s.number(key, 0, 10**9, f.default)
    # Thresholds are optional, so a misspelt key would otherwise be silently ignored.
    known = {*keys.values(), "alertEmails", "alertHttpsEndpoints", "runbookUrl"}
    unknown = sorted(set(s._data) - known)
    if unknown:
        raise ConfigError("\n".join(str(s.fail(k, did_you_mean(k, known))) for k in unknown))
    try:
        thresholds = AlarmThresholds(**values)
    except ValueError as exc:
        field = re.match(r"AlarmThresholds\.(\w+)", str(exc))
        raise s.fail(keys[field.group(1)] if field else "", str(exc)) from None
    return AlarmsConfig(
        subscribers=tuple(subscribers),
        runbook_url=s.string("runbookUrl", RUNBOOK_PATH),
        thresholds=thresholds,
    )


def _check_backup_schedule(database: DatabaseConfig, backup: BackupConfig, source: str) -> None:
    """AWS Backup will not start an RDS snapshot in (or the hour before) the instance's
    backup or maintenance window: a job due then never makes its recovery point."""
    key = f"{PROJECT}:backup.schedule"
    try:
        conflicts = schedule_conflicts(
            schedule=backup.schedule,
            start_window_minutes=START_WINDOW_MINUTES,
            backup_window=database.backup_window,
            maintenance_window=database.maintenance_window,
        )
    except BackupScheduleError as exc:
        raise ConfigError(f"{source}: {key}: {exc}") from None
    if conflicts:
        more = f" (and {len(conflicts) - 1} more)" if len(conflicts) > 1 else ""
        raise ConfigError(
            f"{source}: {key}: {backup.schedule} with its {START_WINDOW_MINUTES}-minute start "
            f"window is not clear of the database's windows (hrms:database.backupWindow "
            f"{database.backup_window}, maintenanceWindow {database.maintenance_window}): "
            f"{conflicts[0]}{more}. AWS Backup does not start an RDS snapshot then; pick a "
            "start at least an hour before either window and after both have ended"
        )


def _object(raw: Callable[[str], str | None], key: str, source: str) -> Mapping[str, Any]:
    text = raw(key)
    if text is None:
        raise ConfigError(f"{source}: {PROJECT}:{key}: missing required value")
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise ConfigError(f"{source}: {PROJECT}:{key}: expected an object, got {text!r}") from None
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: {PROJECT}:{key}: expected an object, got {value!r}")
    return value


# The hrms:<key> entries parse_stack_config reads; any other hrms: key is a typo or a leftover.
TOP_LEVEL_KEYS: tuple[str, ...] = (
    "environment",
    "disposable",
    "tags",
    "network",
    "database",
    "backup",
    "cache",
    "cluster",
    "loadBalancer",
    "workload",
    "edge",
    "alarms",
)


def parse_stack_config(
    stack: str,
    raw: Callable[[str], str | None],
    region: str | None,
    keys: Collection[str] = (),
) -> StackConfig:
    """Build a ``StackConfig`` from raw values (``raw(key)`` as the CLI gives them).

    Every problem of the run is reported at once (one line each): each section is parsed even
    when another failed, and unknown keys (``keys``: the stack's ``<namespace>:<key>`` names)
    get a "did you mean". A section stops at its first bad value, as later checks build on it.
    """
    source = f"Pulumi.{stack}.yaml"
    problems: list[str] = []
    unknown = sorted(
        k for k in keys if k.startswith(f"{PROJECT}:") and k.split(":", 1)[1] not in TOP_LEVEL_KEYS
    )
    for key in unknown:
        hint = did_you_mean(key.split(":", 1)[1], TOP_LEVEL_KEYS)
        problems.append(f"{source}: {key}: {hint}")

    def section(key: str, parse: Callable[..., T], *extra: str) -> T | None:
        try:
            s = _Section(_object(raw, key, source), prefix=f"{PROJECT}:{key}.", source=source)
        except ConfigError as exc:
            problems.append(str(exc))
            return None
        parsed: T | None = None
        try:
            parsed = parse(s, *extra)
        except ConfigError as exc:
            problems.append(str(exc))
        try:
            s.reject_unknown()
        except ConfigError as exc:
            problems.extend(str(exc).splitlines())
        return parsed

    top = _Section(
        {"environment": raw("environment"), "disposable": _boolean(raw("disposable"))},
        prefix=f"{PROJECT}:",
        source=source,
    )
    environment: str | None = None
    disposable = False
    try:
        environment = top.choice("environment", ENVIRONMENTS)
        disposable = top.boolean("disposable", False)
        if disposable and environment == "prod":
            raise top.fail("disposable", "prod keeps its data on destroy; set false")
    except ConfigError as exc:
        problems.append(str(exc))
    if region is None:
        problems.append(f"{source}: aws:region: missing required value")
    elif not _REGION.match(region):
        problems.append(f"{source}: aws:region: {region!r} is not an AWS region")
    region_ = region or ""
    parsed = {
        "tags": section("tags", _parse_tags),
        "network": section("network", _parse_network, region_),
        "database": section("database", _parse_database),
        "backup": section("backup", _parse_backup, region_),
        "cache": section("cache", _parse_cache),
        "cluster": section("cluster", _parse_cluster, environment or ""),
        "load_balancer": section("loadBalancer", _parse_load_balancer),
        "workload": section("workload", _parse_workload),
        "edge": section("edge", _parse_edge),
        "alarms": section("alarms", _parse_alarms),
    }
    if problems:
        raise ConfigError("\n".join(dict.fromkeys(problems)))
    config = StackConfig(
        stack=stack,
        environment=environment or "",
        region=region_,
        disposable=disposable,
        **parsed,  # type: ignore[arg-type]
    )
    # Cross-section checks, once every section parsed.
    _check_backup_schedule(config.database, config.backup, source)
    if disposable:
        # A destroy must not stop halfway on a resource that refuses deletion.
        for key, protected in (
            ("database.deletionProtection", config.database.deletion_protection),
            ("database.finalSnapshot", config.database.final_snapshot),
            ("loadBalancer.deletionProtection", config.load_balancer.deletion_protection),
        ):
            if protected:
                raise ConfigError(
                    f"{source}: {PROJECT}:{key}: must be false in a disposable stack "
                    f"({PROJECT}:disposable: true), or `make destroy` stops at it"
                )
    return config


def _boolean(text: str | None) -> bool | str | None:
    """A top-level boolean as the CLI hands it over (``"true"``/``"false"``)."""
    return {"true": True, "false": False}.get(text, text) if text is not None else None


def load_stack_config() -> StackConfig:
    """Read and validate the current stack's config (call before declaring resources)."""
    from pulumi.runtime import config as runtime_config

    # Every key the stack sets: the CLI passes them in PULUMI_CONFIG, the offline engine sets
    # them in the runtime's config map.
    keys = {*runtime_config.CONFIG.get(), *runtime_config.get_config_env()}
    project = pulumi.Config(PROJECT)
    return parse_stack_config(
        pulumi.get_stack(), project.get, pulumi.Config("aws").get("region"), keys=sorted(keys)
    )
