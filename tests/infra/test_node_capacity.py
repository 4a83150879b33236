"""The HPA's maximum fits the node group's maximum, per zone, on both stacks' plans.

The app's pods spread over the node group's zones with ``DoNotSchedule`` (max skew 1), so
each zone must hold its share of the peak (the HPA maximum plus the rollout's surge) on its
share of the nodes. Per node: the instance's vCPU/memory less the EKS AMI's kube-reserved
(CPU 6% of the first core, 1% of the second, 0.5% of the third and fourth, 0.25% above;
memory 255 MiB + 11 MiB per max pod) and the 100 MiB hard eviction threshold, less every
DaemonSet. Worst case for the zone: every cluster-wide system pod (CoreDNS, metrics-server,
the observability operator, the Cluster Autoscaler) lands there, spread one per node as the
scheduler's least-allocated scoring places them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pytest

from stacks.offline.plan import Plan
from tests.infra.plans import STACKS, one, stack_plan

# Instance sizes: https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html (vCPUs,
# memory); max pods = ENIs * (IPv4 addresses per ENI - 1) + 2, the VPC CNI without prefix
# delegation, as in awslabs/amazon-eks-ami eni-max-pods.txt (m7i.large 29, t3.large 35).
INSTANCES: dict[str, tuple[int, int, int]] = {  # vCPUs, memory MiB, max pods
    "m7i.large": (2, 8192, 3 * (10 - 1) + 2),
    "t3.large": (2, 8192, 3 * (12 - 1) + 2),
}
EVICTION_MIB = 100


@dataclass(frozen=True)
class Pod:
    cpu_m: int
    memory_mib: int


# What the EKS add-ons run, from their published manifests and chart values.
ADDON_DAEMONSETS: dict[str, tuple[Pod, ...]] = {
    "vpc-cni": (Pod(25, 0),),  # aws/amazon-vpc-cni-k8s config/master/aws-k8s-cni.yaml
    "kube-proxy": (Pod(100, 0),),  # EKS kube-proxy DaemonSet
    "eks-pod-identity-agent": (Pod(0, 0),),  # publishes no requests; still a pod slot
    # aws-observability/helm-charts amazon-cloudwatch-observability values.yaml:
    # cloudwatch-agent 250m/128Mi, fluent-bit 50m/25Mi
    "amazon-cloudwatch-observability": (Pod(250, 128), Pod(50, 25)),
}
ADDON_DEPLOYMENTS: dict[str, tuple[Pod, ...]] = {
    "coredns": (Pod(100, 70), Pod(100, 70)),  # two replicas
    "metrics-server": (Pod(100, 200),),
    "amazon-cloudwatch-observability": (Pod(100, 64),),  # the agent operator
}


@dataclass(frozen=True)
class Node:
    cpu_m: int
    memory_mib: int
    pods: int

    def minus(self, pods: list[Pod]) -> Node:
        return Node(
            self.cpu_m - sum(p.cpu_m for p in pods),
            self.memory_mib - sum(p.memory_mib for p in pods),
            self.pods - len(pods),
        )

    def holds(self, pod: Pod) -> int:
        fits = [self.pods, self.cpu_m // pod.cpu_m if pod.cpu_m else self.pods]
        if pod.memory_mib:
            fits.append(self.memory_mib // pod.memory_mib)
        return max(min(fits), 0)


def kube_reserved_cpu_m(vcpus: int) -> float:
    shares = [60, 10, 5, 5] + [2.5] * max(vcpus - 4, 0)
    return sum(shares[:vcpus])


def allocatable(instance_type: str) -> Node:
    vcpus, memory, max_pods = INSTANCES[instance_type]
    return Node(
        math.floor(vcpus * 1000 - kube_reserved_cpu_m(vcpus)),
        memory - (255 + 11 * max_pods) - EVICTION_MIB,
        max_pods,
    )


def _quantity(value: str) -> int:
    """CPU in millicores or memory in MiB."""
    if value.endswith("m"):
        return int(value[:-1])
    if value.endswith("Mi"):
        return int(value[:-2])
    if value.endswith("Gi"):
        return int(value[:-2]) * 1024
    return int(float(value) * 1000)


def _pod(container: dict[str, Any]) -> Pod:
    requests = container["resources"]["requests"]
    return Pod(_quantity(requests["cpu"]), _quantity(requests["memory"]))


@dataclass(frozen=True, kw_only=True)
class Sizing:
    node: Node  # free after DaemonSets
    zones: int
    max_nodes: int
    app_pod: Pod
    peak_pods: int
    system_pods: list[Pod]

    def slots_per_zone(self, max_nodes: int | None = None) -> int:
        nodes = (self.max_nodes if max_nodes is None else max_nodes) // self.zones
        if nodes == 0:
            return 0
        placed: list[list[Pod]] = [[] for _ in range(nodes)]
        for index, pod in enumerate(self.system_pods):
            placed[index % nodes].append(pod)
        return sum(self.node.minus(pods).holds(self.app_pod) for pods in placed)

    @property
    def needed_per_zone(self) -> int:
        return math.ceil(self.peak_pods / self.zones)


def sizing(plan: Plan) -> Sizing:
    group = one(plan, "aws:eks/nodeGroup:NodeGroup").inputs
    (instance_type,) = group["instanceTypes"]
    addons = {r.inputs["addonName"] for r in plan.by_type("aws:eks/addon:Addon")}
    per_node = [pod for name in sorted(addons) for pod in ADDON_DAEMONSETS.get(name, ())]
    for daemonset in plan.by_type("kubernetes:apps/v1:DaemonSet"):
        per_node += [_pod(c) for c in daemonset.inputs["spec"]["template"]["spec"]["containers"]]
    system = [pod for name in sorted(addons) for pod in ADDON_DEPLOYMENTS.get(name, ())]
    app = one(plan, "kubernetes:apps/v1:Deployment", within="HrmsWorkload").inputs
    for deployment in plan.by_type("kubernetes:apps/v1:Deployment"):
        if deployment.inputs["metadata"].get("namespace") == "kube-system":
            spec = deployment.inputs["spec"]
            pods = [_pod(c) for c in spec["template"]["spec"]["containers"]]
            system += pods * int(spec["replicas"])
    (container,) = app["spec"]["template"]["spec"]["containers"]
    zone_spread = [
        c
        for c in app["spec"]["template"]["spec"]["topologySpreadConstraints"]
        if c["topologyKey"] == "topology.kubernetes.io/zone"
    ]
    assert zone_spread
    assert zone_spread[0]["whenUnsatisfiable"] == "DoNotSchedule"
    hpa = one(plan, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler").inputs["spec"]
    surge = app["spec"]["strategy"]["rollingUpdate"]["maxSurge"]
    maximum = int(hpa["maxReplicas"])
    return Sizing(
        node=allocatable(instance_type).minus(per_node),
        zones=len(group["subnetIds"]),
        max_nodes=int(group["scalingConfig"]["maxSize"]),
        app_pod=_pod(container),
        peak_pods=maximum + math.ceil(maximum * int(str(surge).rstrip("%")) / 100),
        system_pods=system,
    )


def test_allocatable_follows_the_eks_ami_formulas() -> None:
    # 2 vCPU: 60m + 10m reserved; 8192 - (255 + 11 * 29) - 100 MiB.
    assert allocatable("m7i.large") == Node(1930, 7518, 29)
    assert allocatable("t3.large") == Node(1930, 7452, 35)
    assert kube_reserved_cpu_m(8) == 60 + 10 + 5 + 5 + 4 * 2.5


@pytest.mark.parametrize("stack", STACKS)
def test_every_node_instance_type_is_in_the_catalog(stack: str) -> None:
    group = one(stack_plan(stack), "aws:eks/nodeGroup:NodeGroup").inputs
    assert set(group["instanceTypes"]) <= INSTANCES.keys()


@pytest.mark.parametrize("stack", STACKS)
def test_hpa_maximum_fits_the_node_group_maximum(stack: str) -> None:
    s = sizing(stack_plan(stack))
    assert s.slots_per_zone() >= s.needed_per_zone, (
        f"{stack}: {s.peak_pods} pods at peak need {s.needed_per_zone} per zone, but "
        f"{s.max_nodes // s.zones} node(s) per zone hold {s.slots_per_zone()}: raise "
        "hrms:cluster.nodeMaxSize"
    )


def test_prod_at_the_old_bound_would_not_fit() -> None:
    # 12 nodes (4 per zone) hold 8 app pods per zone once the system pods take their
    # share; 20 replicas plus a 25% surge need 9.
    s = sizing(stack_plan("prod"))
    assert s.slots_per_zone(12) < s.needed_per_zone <= s.slots_per_zone()
