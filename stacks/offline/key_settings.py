"""The settings a reviewer looks for first, read from the plans, side by side per stack.

A table, not code per resource: each entry names a resource type and the input paths that
matter (database class and storage, retention, Multi-AZ, node types and bounds, tier limits).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from stacks.offline.plan import Plan


@dataclass(frozen=True, kw_only=True)
class Spec:
    type: str
    what: str
    settings: tuple[tuple[str, str], ...]  # (label, dotted input path)


SPECS: tuple[Spec, ...] = (
    Spec(
        type="aws:rds/instance:Instance",
        what="database",
        settings=(
            ("instance class", "instanceClass"),
            ("engine version", "engineVersion"),
            ("storage (GiB)", "allocatedStorage"),
            ("storage autoscaling limit (GiB)", "maxAllocatedStorage"),
            ("storage type", "storageType"),
            ("backup retention (days)", "backupRetentionPeriod"),
            ("Multi-AZ", "multiAz"),
            ("deletion protection", "deletionProtection"),
        ),
    ),
    Spec(
        type="aws:backup/plan:Plan",
        what="AWS Backup plan",
        settings=(
            ("schedule", "rules.0.schedule"),
            ("retention (days)", "rules.0.lifecycle.deleteAfter"),
            ("cross-region copy retention (days)", "rules.0.copyActions.0.lifecycle.deleteAfter"),
        ),
    ),
    Spec(
        type="aws:elasticache/replicationGroup:ReplicationGroup",
        what="cache",
        settings=(
            ("node type", "nodeType"),
            ("nodes", "numCacheClusters"),
            ("Multi-AZ", "multiAzEnabled"),
            ("snapshot retention (days)", "snapshotRetentionLimit"),
        ),
    ),
    Spec(
        type="aws:eks/cluster:Cluster",
        what="cluster",
        settings=(("Kubernetes version", "version"),),
    ),
    Spec(
        type="aws:eks/nodeGroup:NodeGroup",
        what="nodes",
        settings=(
            ("instance types", "instanceTypes"),
            ("capacity type", "capacityType"),
            ("minimum", "scalingConfig.minSize"),
            ("desired", "scalingConfig.desiredSize"),
            ("maximum", "scalingConfig.maxSize"),
        ),
    ),
    Spec(
        type="kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
        what="web pods",
        settings=(
            ("minimum replicas", "spec.minReplicas"),
            ("maximum replicas", "spec.maxReplicas"),
        ),
    ),
    Spec(
        type="aws:apigateway/usagePlan:UsagePlan",
        what="tier",
        settings=(
            ("rate (req/s)", "throttleSettings.rateLimit"),
            ("burst", "throttleSettings.burstLimit"),
            ("quota", "quotaSettings.limit"),
            ("quota period", "quotaSettings.period"),
        ),
    ),
)

MISSING = "—"


def value_at(inputs: Any, path: str) -> Any:
    node = inputs
    for part in path.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node


def _show(value: Any) -> str:
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True, kw_only=True)
class SettingRow:
    resource: str  # what and the stack-neutral name: "tier enterprise"
    setting: str
    values: dict[str, str]  # stack -> shown value

    @property
    def differs(self) -> bool:
        return len(set(self.values.values())) > 1


def _role(plan: Plan, name: str) -> str:
    """The name without its stack prefix, so staging's and prod's resources line up."""
    for prefix in (f"hrms-{plan.stack}-", f"{plan.stack}-"):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def key_settings(plans: Sequence[Plan]) -> list[SettingRow]:
    rows: dict[tuple[str, str], SettingRow] = {}
    for spec in SPECS:
        for plan in plans:
            for resource in sorted(plan.by_type(spec.type), key=lambda r: r.name):
                role = _role(plan, resource.name)
                for label, path in spec.settings:
                    key = (f"{spec.what} {role}", label)
                    row = rows.setdefault(
                        key, SettingRow(resource=key[0], setting=label, values={})
                    )
                    row.values[plan.stack] = _show(value_at(resource.inputs, path))
    for row in rows.values():
        for plan in plans:
            row.values.setdefault(plan.stack, MISSING)
    return list(rows.values())
