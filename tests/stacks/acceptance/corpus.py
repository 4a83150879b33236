"""Realistic mistakes in the stack files, each of which AWS or Kubernetes would reject.

Each mistake is applied to both stacks' config (so the parity gate cannot be what catches it);
the preview must then fail naming the config key and the rule: either the config reader refuses
the value (``rule`` is then a phrase of its message) or the acceptance layer reports it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

CONFIG = "config"  # the stacks/config.py reader refuses the value


@dataclass(frozen=True)
class Mistake:
    id: str
    edit: Callable[[dict[str, Any]], None]  # changes the decoded ``hrms:`` sections in place
    key: str  # the config key the message must name
    rule: str  # the acceptance rule id, or CONFIG
    phrase: str = ""  # for CONFIG: what the message must say


def put(section: str, key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(config: dict[str, Any]) -> None:
        config[f"hrms:{section}"][key] = value

    return edit


def rename(section: str, old: str, new: str) -> Callable[[dict[str, Any]], None]:
    def edit(config: dict[str, Any]) -> None:
        values = config[f"hrms:{section}"]
        values[new] = values.pop(old)

    return edit


def rename_section(old: str, new: str) -> Callable[[dict[str, Any]], None]:
    def edit(config: dict[str, Any]) -> None:
        config[f"hrms:{new}"] = config.pop(f"hrms:{old}")

    return edit


def both(*edits: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def edit(config: dict[str, Any]) -> None:
        for one in edits:
            one(config)

    return edit


def addon(name: str, version: str) -> Callable[[dict[str, Any]], None]:
    def edit(config: dict[str, Any]) -> None:
        config["hrms:cluster"]["addonVersions"][name] = version

    return edit


MISTAKES: tuple[Mistake, ...] = (
    # The four a new user tried first.
    Mistake(
        "rds-class-typo",
        put("database", "instanceClass", "db.t9z.huge"),
        "hrms:database.instanceClass",
        "rds-instance-class-offered",
    ),
    Mistake(
        "flow-log-retention-31",
        put("network", "flowLogRetentionDays", 31),
        "hrms:network.flowLogRetentionDays",
        "logs-retention-value",
    ),
    Mistake(
        "node-type-bogus",
        put("cluster", "nodeInstanceTypes", ["t3.bogus"]),
        "hrms:cluster.nodeInstanceTypes[0]",
        "ec2-instance-type-offered",
    ),
    Mistake(
        "hpa-max-exceeds-nodes",
        put("workload", "maxReplicas", 150),
        "hrms:workload.maxReplicas",
        "capacity-hpa-max-fits",
    ),
    # Windows and schedules.
    Mistake(
        "backup-window-15-minutes",
        put("database", "backupWindow", "02:00-02:15"),
        "hrms:database.backupWindow",
        "rds-backup-window",
    ),
    Mistake(
        "backup-window-overlaps-maintenance",
        put("database", "backupWindow", "03:30-04:30"),
        "hrms:database.backupWindow",
        "rds-windows-disjoint",
    ),
    Mistake(
        "maintenance-window-10-minutes",
        put("database", "maintenanceWindow", "sun:04:00-sun:04:10"),
        "hrms:database.maintenanceWindow",
        "rds-maintenance-window",
    ),
    Mistake(
        "backup-cron-both-days",
        put("backup", "schedule", "cron(0 6 * * * *)"),
        "hrms:backup.schedule",
        "backup-schedule",
    ),
    Mistake(
        "backup-cron-every-15-minutes",
        put("backup", "schedule", "cron(*/15 * * * ? *)"),
        "hrms:backup.schedule",
        CONFIG,
        "give a fixed minute and hour",
    ),
    Mistake(
        "restore-test-cron-five-fields",
        put("backup", "restoreTestSchedule", "cron(0 6 ? * MON)"),
        "hrms:backup.restoreTestSchedule",
        "backup-schedule",
    ),
    Mistake(
        "backup-cron-hour-25",
        put("backup", "schedule", "cron(0 25 * * ? *)"),
        "hrms:backup.schedule",
        CONFIG,
        "is not a time of day",
    ),
    # Storage, retention values.
    Mistake(
        "no-storage-headroom",
        lambda c: c["hrms:database"].update(
            maxAllocatedStorageGb=c["hrms:database"]["allocatedStorageGb"]
        ),
        "hrms:database.maxAllocatedStorageGb",
        "rds-storage",
    ),
    Mistake(
        "cluster-log-retention-45",
        put("cluster", "logRetentionDays", 45),
        "hrms:cluster.logRetentionDays",
        "logs-retention-value",
    ),
    Mistake(
        "db-log-retention-100",
        put("database", "logRetentionDays", 100),
        "hrms:database.logRetentionDays",
        "logs-retention-value",
    ),
    Mistake(
        "mixed-pool-with-tiny-type",
        put("cluster", "nodeInstanceTypes", ["m7i.large", "t3.nano"]),
        "hrms:cluster.nodeInstanceTypes[1]",
        "capacity-pod-fits-node",
    ),
    Mistake(
        "cache-log-retention-15",
        put("cache", "logRetentionDays", 15),
        "hrms:cache.logRetentionDays",
        "logs-retention-value",
    ),
    # Engines, node types and versions.
    Mistake(
        "valkey-version-6.2",
        put("cache", "engineVersion", "6.2"),
        "hrms:cache.engineVersion",
        "elasticache-engine-version",
    ),
    Mistake(
        "redis-with-valkey-version",
        put("cache", "engine", "redis"),
        "hrms:cache.engineVersion",
        "elasticache-engine-version",
    ),
    Mistake(
        "cache-node-type-typo",
        put("cache", "nodeType", "cache.t4g.gigantic"),
        "hrms:cache.nodeType",
        "elasticache-node-type-offered",
    ),
    Mistake(
        "valkey-on-previous-generation",
        put("cache", "nodeType", "cache.t2.micro"),
        "hrms:cache.nodeType",
        "elasticache-engine-features",
    ),
    Mistake(
        "kube-proxy-unpublished-build",
        addon("kube-proxy", "v1.34.1-eksbuild.2"),
        "hrms:cluster.addonVersions.kube-proxy",
        "eks-addon-version",
    ),
    Mistake(
        "coredns-unpublished-build",
        addon("coredns", "v1.13.2-eksbuild.9"),
        "hrms:cluster.addonVersions.coredns",
        "eks-addon-version",
    ),
    Mistake(
        "cluster-downgraded-under-addons",
        put("cluster", "kubernetesVersion", "1.33"),
        "hrms:cluster.kubernetesVersion",
        CONFIG,
        "Cluster Autoscaler",
    ),
    Mistake(
        "zone-of-no-region",
        put("network", "availabilityZones", ["eu-west-1a", "eu-west-1b", "eu-west-1x"]),
        "hrms:network.availabilityZones[2]",
        "ec2-availability-zone",
    ),
    # Pod resources and capacity.
    Mistake(
        "cpu-request-above-limit",
        put("workload", "cpuRequest", "4"),
        "hrms:workload.cpuRequest",
        "k8s-requests-within-limits",
    ),
    Mistake(
        "memory-request-above-limit",
        put("workload", "memoryRequest", "2Gi"),
        "hrms:workload.memoryRequest",
        "k8s-requests-within-limits",
    ),
    Mistake(
        "pod-larger-than-node",
        both(put("workload", "memoryRequest", "16Gi"), put("workload", "memoryLimit", "16Gi")),
        "hrms:cluster.nodeInstanceTypes[0]",
        "capacity-pod-fits-node",
    ),
    Mistake(
        "node-type-too-small",
        put("cluster", "nodeInstanceTypes", ["t3.nano"]),
        "hrms:cluster.nodeInstanceTypes[0]",
        "capacity-pod-fits-node",
    ),
    # What the config reader itself refuses, all at once and with a suggestion.
    Mistake(
        "misspelled-key",
        rename("database", "instanceClass", "instanceClas"),
        "hrms:database.instanceClas",
        CONFIG,
        "did you mean 'instanceClass'?",
    ),
    Mistake(
        "misspelled-section",
        rename_section("database", "databse"),
        "hrms:databse",
        CONFIG,
        "did you mean 'database'?",
    ),
    Mistake(
        "misspelled-camel-case",
        rename("cluster", "nodeMaxSize", "nodeMaxsize"),
        "hrms:cluster.nodeMaxsize",
        CONFIG,
        "did you mean 'nodeMaxSize'?",
    ),
    Mistake(
        "backup-retention-40",
        put("database", "backupRetentionDays", 40),
        "hrms:database.backupRetentionDays",
        CONFIG,
        "40 is outside 1..35",
    ),
    Mistake(
        "postgres-15",
        put("database", "engineVersion", "15"),
        "hrms:database.engineVersion",
        CONFIG,
        "is not PostgreSQL 16",
    ),
)


def apply(config: dict[str, str], mistake: Mistake) -> dict[str, str]:
    """The raw stack config with ``mistake`` applied to its decoded sections."""
    decoded: dict[str, Any] = {k: json.loads(v) if v[:1] in "{[" else v for k, v in config.items()}
    mistake.edit(decoded)
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in decoded.items()}
