"""EKS managed add-ons at pinned versions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from infra.cluster.insights import OBSERVABILITY_ADDON
from infra.ordering import explicit_dependencies

if TYPE_CHECKING:
    # Imported for typing only: infra.cluster.eks imports this module for REQUIRED_ADDONS.
    from infra.cluster.eks import ClusterSettings

# Installed before the nodes join (they cannot become Ready without the CNI) ...
NODE_BOOTSTRAP_ADDONS: tuple[str, ...] = ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")
# ... and after, since these run as pods and would report DEGRADED with no nodes.
# metrics-server feeds the resource metrics API; without it the app's HPA never scales.
WORKLOAD_ADDONS: tuple[str, ...] = ("coredns", "metrics-server")
# Every add-on a stack pins in addonVersions; the observability one is installed by
# infra/cluster/insights.py together with its role and log groups.
REQUIRED_ADDONS: tuple[str, ...] = NODE_BOOTSTRAP_ADDONS + WORKLOAD_ADDONS + (OBSERVABILITY_ADDON,)
# The VPC CNI ships its network policy agent switched off: without this, every
# NetworkPolicy the workload declares is accepted by the API server and silently not enforced.
ADDON_CONFIGURATION: dict[str, dict[str, Any]] = {"vpc-cni": {"enableNetworkPolicy": "true"}}


@dataclass(frozen=True, kw_only=True)
class ClusterAddonsArgs:
    cluster_name: pulumi.Input[str]
    # Which add-ons this phase installs (NODE_BOOTSTRAP_ADDONS or WORKLOAD_ADDONS), at the
    # versions pinned in settings.addon_versions (ClusterSettings checks the pins).
    addons: tuple[str, ...]
    settings: ClusterSettings

    def __post_init__(self) -> None:
        unknown = sorted(set(self.addons) - set(self.settings.addon_versions))
        if unknown:
            raise ValueError(f"add-ons without a pinned version: {unknown}")


class ClusterAddons(pulumi.ComponentResource):
    addon_arns: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: ClusterAddonsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("hrms:cluster:ClusterAddons", name, None, opts)
        self.addon_arns = {}
        # The install phase (before or after the nodes) is the caller's depends_on; the
        # add-ons themselves must wait for it, not just the component.
        after = explicit_dependencies(opts)
        versions = {addon: args.settings.addon_versions[addon] for addon in args.addons}
        for addon, version in sorted(versions.items()):
            resource = aws.eks.Addon(
                f"{name}-{addon}",
                cluster_name=args.cluster_name,
                addon_name=addon,
                addon_version=version,
                configuration_values=(
                    json.dumps(ADDON_CONFIGURATION[addon], sort_keys=True)
                    if addon in ADDON_CONFIGURATION
                    else None
                ),
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="PRESERVE",
                opts=pulumi.ResourceOptions(parent=self, depends_on=after),
            )
            self.addon_arns[addon] = resource.arn
        self.register_outputs({"addon_arns": self.addon_arns})
