"""Value catalogs where AWS's API models have no enum: instance types, classes, zones, versions.

Two sources, preferred in this order:

* data a pinned library ships: cfn-lint's per-region enums (EC2 instance types, RDS instance
  classes per engine, ElastiCache node types, RDS engine versions, availability zones) and
  botocore's own model documentation (CloudWatch Logs retention values, Performance Insights
  retention);
* a committed snapshot (``data/catalog.json``, with its date and sources) for what nothing
  offline carries: instance sizes (vCPU, memory, ENIs), EKS add-on versions per Kubernetes
  version and ElastiCache engine versions. ``hrmsctl catalog refresh`` regenerates it from
  AWS with credentials (``stacks/offline/acceptance/refresh.py``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import botocore.session

SNAPSHOT = Path(__file__).with_name("data") / "catalog.json"
CFN_LINT = "cfn-lint (cfnlint/data/schemas/extensions/{})"


@cache
def _cfn_extension(resource: str, name: str) -> Any:
    package = f"cfnlint.data.schemas.extensions.{resource}"
    return json.loads(resources.files(package).joinpath(name).read_text(encoding="utf-8"))


@cache
def _service_model(service: str) -> Any:
    return botocore.session.get_session().get_service_model(service)


@cache
def snapshot() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    return data


def snapshot_source(section: str) -> str:
    meta = snapshot()["sources"][section]
    return f"{SNAPSHOT.name}#{section} ({meta['source']}, {snapshot()['generated']})"


# ------------------------------------------------------------------ from cfn-lint


def availability_zones(region: str) -> frozenset[str]:
    from cfnlint.helpers import AVAILABILITY_ZONES

    return frozenset(AVAILABILITY_ZONES.get(region, ()))


def regions() -> frozenset[str]:
    from cfnlint.helpers import REGIONS

    return frozenset(REGIONS)


def ec2_instance_types(region: str) -> frozenset[str]:
    data = _cfn_extension("aws_ec2_instance", "instancetype_enum.json")
    return frozenset(data.get(region, {}).get("enum", ()))


def cache_node_types(region: str) -> frozenset[str]:
    data = _cfn_extension("aws_elasticache_cachecluster", "cachenodetype_enum.json")
    return frozenset(data.get(region, {}).get("enum", ()))


def _engine_branches(block: dict[str, Any], engine: str, prop: str) -> set[str]:
    values: set[str] = set()
    for branch in block.get("allOf", ()):
        if branch["if"]["properties"].get("Engine", {}).get("const") == engine:
            values.update(str(v) for v in branch["then"]["properties"][prop].get("enum", ()))
    return values


def rds_instance_classes(engine: str, region: str) -> frozenset[str]:
    data = _cfn_extension("aws_rds_dbinstance", "dbinstanceclass_enum.json")
    return frozenset(_engine_branches(data.get(region, {}), engine, "DBInstanceClass"))


def rds_engine_versions(engine: str) -> frozenset[str]:
    data = _cfn_extension("aws_rds_dbinstance", "engine_version.json")
    return frozenset(_engine_branches(data, engine, "EngineVersion"))


# ------------------------------------------------------------------ from botocore's docs

_NUMBERS = re.compile(r"\d+")


@cache
def log_retention_days() -> frozenset[int]:
    """The values ``logs:PutRetentionPolicy`` documents ("Possible values are: 1, 3, ...")."""
    op = _service_model("logs").operation_model("PutRetentionPolicy")
    doc = op.input_shape.members["retentionInDays"].documentation
    listed = doc.split("Possible values are:", 1)[1].split("</p>", 1)[0]
    return frozenset(int(n) for n in _NUMBERS.findall(listed))


@cache
def performance_insights_retention_days() -> frozenset[int]:
    """``7``, ``month * 31`` for 1..23 months, or ``731`` (rds:CreateDBInstance's doc)."""
    op = _service_model("rds").operation_model("CreateDBInstance")
    doc = op.input_shape.members["PerformanceInsightsRetentionPeriod"].documentation
    if "month</i> * 31" not in doc or "1-23" not in doc:  # the documented rule changed
        raise RuntimeError("rds PerformanceInsightsRetentionPeriod documentation changed")
    return frozenset({7, 731, *(31 * m for m in range(1, 24))})


# ------------------------------------------------------------------ from the snapshot


@dataclass(frozen=True, kw_only=True)
class InstanceSpec:
    name: str
    vcpus: int
    memory_mib: int
    max_enis: int
    ipv4_per_eni: int

    @property
    def max_pods(self) -> int:
        """EKS's default max pods without prefix delegation: ENIs * (IPs per ENI - 1) + 2."""
        return self.max_enis * (self.ipv4_per_eni - 1) + 2


def instance_spec(instance_type: str) -> InstanceSpec | None:
    row = snapshot()["instanceTypes"].get(instance_type)
    if row is None:
        return None
    return InstanceSpec(
        name=instance_type,
        vcpus=int(row["vcpus"]),
        memory_mib=int(row["memoryMiB"]),
        max_enis=int(row["maxEnis"]),
        ipv4_per_eni=int(row["ipv4PerEni"]),
    )


def eks_addon_versions(addon: str) -> dict[str, frozenset[str]]:
    """Add-on version -> Kubernetes versions it is published for."""
    table = snapshot()["eksAddonVersions"].get(addon, {})
    return {version: frozenset(k8s) for version, k8s in table.items()}


def elasticache_engine_versions(engine: str) -> frozenset[str]:
    return frozenset(snapshot()["elasticacheEngineVersions"].get(engine, ()))
