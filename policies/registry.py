"""The pack's rule list: the one list both the Pulumi CLI pack and the offline evaluator load."""

from __future__ import annotations

from policies import (
    cluster,
    database,
    edge,
    encryption,
    kubernetes,
    network,
    observability,
    storage,
    tagging,
)
from policies.common import HrmsPolicy

PACK_NAME = "hrms-platform"
PACK_DESCRIPTION = (
    "Guarantees of the HRMS platform: encrypted private data stores with tested backups, "
    "a locked-down EKS cluster, closed networks, an authenticated and metered API edge, "
    "alarms that page, hardened Kubernetes workloads and complete tagging."
)

DOMAINS = (
    database,
    encryption,
    storage,
    cluster,
    network,
    edge,
    observability,
    kubernetes,
    tagging,
)


def all_policies() -> list[HrmsPolicy]:
    policies: list[HrmsPolicy] = [p for domain in DOMAINS for p in domain.POLICIES]
    seen: set[str] = set()
    for policy in policies:
        if policy.name in seen:
            raise ValueError(f"duplicate policy name {policy.name!r}")
        seen.add(policy.name)
    return policies
