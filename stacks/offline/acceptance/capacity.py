"""Capacity: the app's pods fit the nodes the node group can have.

Allocatable per node follows what the EKS AMI configures on the kubelet: kube-reserved memory
``11 * maxPods + 255`` MiB, kube-reserved CPU 6% of the first core, 1% of the second, 0.5% of
the third and fourth and 0.25% of the rest, and a ``memory.available<100Mi`` hard eviction
threshold; max pods per node ``ENIs * (IPv4 per ENI - 1) + 2`` (VPC CNI without prefix
delegation). From that, the DaemonSets the plan deploys and those of its EKS add-ons whose
requests are published are taken per node, and the add-ons' Deployments once per cluster.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from stacks.offline.acceptance import catalogs
from stacks.offline.acceptance.findings import Finding
from stacks.offline.acceptance.kubernetes_api import containers, pod_template
from stacks.offline.acceptance.quantities import MIB, parse_quantity
from stacks.offline.acceptance.registry import Context, register
from stacks.offline.kubernetes import KubernetesObject, kubernetes_objects
from stacks.offline.plan import PlanResource

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ADDON = "aws:eks/addon:Addon"
EKS_AMI = (
    "https://github.com/awslabs/amazon-eks-ami (nodeadm kubelet kube-reserved and max-pods "
    "formulas); https://docs.aws.amazon.com/eks/latest/userguide/choosing-instance-type.html"
)


@dataclass(frozen=True)
class Requests:
    cpu: Decimal = Decimal(0)  # cores
    memory: Decimal = Decimal(0)  # MiB
    pods: int = 0

    def __add__(self, other: Requests) -> Requests:
        return Requests(self.cpu + other.cpu, self.memory + other.memory, self.pods + other.pods)

    def times(self, n: int) -> Requests:
        return Requests(self.cpu * n, self.memory * n, self.pods * n)


def _r(cpu: str, memory: str) -> Requests:
    return Requests(parse_quantity(cpu) or Decimal(0), (parse_quantity(memory) or 0) / MIB, 1)


# Published requests of what each add-on runs (its default manifest or chart values):
# per node (DaemonSets) and per cluster (Deployments, with their default replica count).
# eks-pod-identity-agent publishes no requests; it still takes a pod slot per node.
ADDON_DAEMONSETS: dict[str, tuple[Requests, ...]] = {
    # aws/amazon-vpc-cni-k8s config/master/aws-k8s-cni.yaml: aws-node requests cpu 25m
    "vpc-cni": (_r("25m", "0"),),
    # EKS kube-proxy DaemonSet: requests cpu 100m
    "kube-proxy": (_r("100m", "0"),),
    "eks-pod-identity-agent": (_r("0", "0"),),
    # aws-observability/helm-charts amazon-cloudwatch-observability values.yaml:
    # cloudwatch-agent 250m/128Mi, fluent-bit 50m/25Mi
    "amazon-cloudwatch-observability": (_r("250m", "128Mi"), _r("50m", "25Mi")),
}
ADDON_DEPLOYMENTS: dict[str, Requests] = {
    "coredns": _r("100m", "70Mi").times(2),  # two replicas, 100m/70Mi each
    "metrics-server": _r("100m", "200Mi"),
    "amazon-cloudwatch-observability": _r("100m", "64Mi"),  # the agent operator
}


def kube_reserved_cpu(vcpus: int) -> Decimal:
    shares = (Decimal("0.06"), Decimal("0.01"), Decimal("0.005"), Decimal("0.005"))
    reserved = sum((shares[i] for i in range(min(vcpus, 4))), Decimal(0))
    return reserved + Decimal("0.0025") * max(vcpus - 4, 0)


@dataclass(frozen=True, kw_only=True)
class Node:
    instance_type: str
    allocatable: Requests  # what pods may request on one node

    def free_after(self, per_node: Requests) -> Requests:
        return Requests(
            self.allocatable.cpu - per_node.cpu,
            self.allocatable.memory - per_node.memory,
            self.allocatable.pods - per_node.pods,
        )


def node_allocatable(instance_type: str) -> Node | None:
    spec = catalogs.instance_spec(instance_type)
    if spec is None:
        return None
    memory = Decimal(spec.memory_mib) - (11 * spec.max_pods + 255) - 100
    cpu = Decimal(spec.vcpus) - kube_reserved_cpu(spec.vcpus)
    return Node(instance_type=instance_type, allocatable=Requests(cpu, memory, spec.max_pods))


def pod_requests(template: Mapping[str, Any]) -> Requests:
    """Scheduling requests of a pod: its containers' sum, or its largest init container."""
    main, init = Requests(pods=1), Requests()
    for path, container in containers(template):
        requests = (container.get("resources") or {}).get("requests") or {}
        cpu = parse_quantity(requests.get("cpu")) or Decimal(0)
        memory = (parse_quantity(requests.get("memory")) or Decimal(0)) / MIB
        if "initContainers" in path:
            init = Requests(max(init.cpu, cpu), max(init.memory, memory))
        else:
            main = main + Requests(cpu, memory)
    return Requests(max(main.cpu, init.cpu), max(main.memory, init.memory), 1)


def _fits(pod: Requests, free: Requests) -> int:
    """How many such pods one node's free capacity holds."""
    counts = [free.pods]
    if pod.cpu > 0:
        counts.append(int(free.cpu // pod.cpu))
    if pod.memory > 0:
        counts.append(int(free.memory // pod.memory))
    return max(min(counts), 0)


@dataclass(frozen=True, kw_only=True)
class Pool:
    group: PlanResource
    smallest: Node
    max_nodes: int
    per_node: Requests  # DaemonSets on every node
    per_cluster: Requests  # add-on Deployments somewhere in the pool


def _pools(ctx: Context, objects: list[KubernetesObject]) -> Iterator[Pool]:
    addons = {str(a.inputs.get("addonName")) for a in ctx.plan.by_type(ADDON)}
    per_node = Requests()
    for name in sorted(addons):
        for requests in ADDON_DAEMONSETS.get(name, ()):
            per_node = per_node + requests
    for obj in objects:
        template = pod_template(obj)
        if obj.kind == "DaemonSet" and template is not None:
            per_node = per_node + pod_requests(template)
    per_cluster = Requests()
    for name in sorted(addons):
        per_cluster = per_cluster + ADDON_DEPLOYMENTS.get(name, Requests())
    for group in ctx.plan.by_type(NODE_GROUP):
        nodes = [
            n
            for n in (node_allocatable(t) for t in group.inputs.get("instanceTypes") or ())
            if n is not None
        ]
        high = (group.inputs.get("scalingConfig") or {}).get("maxSize")
        if nodes and isinstance(high, int):
            smallest = min(nodes, key=lambda n: (n.allocatable.cpu, n.allocatable.memory))
            yield Pool(
                group=group,
                smallest=smallest,
                max_nodes=high,
                per_node=per_node,
                per_cluster=per_cluster,
            )


def _fmt(r: Requests) -> str:
    return f"{r.cpu * 1000:.0f}m CPU / {r.memory:.0f}Mi"


@register(
    "capacity-pod-fits-node",
    "each pod fits on one node of the smallest configured instance type, after system "
    "reserve and DaemonSets",
    EKS_AMI,
)
def _pod_fits(ctx: Context) -> Iterator[Finding]:
    objects = kubernetes_objects(ctx.plan)
    resources = {r.urn: r for r in ctx.plan.resources}
    for pool in _pools(ctx, objects):
        free = pool.smallest.free_after(pool.per_node)
        types = list(pool.group.inputs.get("instanceTypes") or ())
        for obj in objects:
            template = pod_template(obj)
            if template is None or obj.kind == "DaemonSet":
                continue
            pod = pod_requests(template)
            if _fits(pod, free) < 1:
                # Reported on the node group's type: the pod is what it is, the node too small.
                yield ctx.finding(
                    pool.group,
                    f"instanceTypes[{types.index(pool.smallest.instance_type)}]",
                    pool.smallest.instance_type,
                    "capacity-pod-fits-node",
                    f"{obj.label} ({resources[obj.urn].name}) requests {_fmt(pod)}; one "
                    f"{pool.smallest.instance_type} node has {_fmt(free)} and "
                    f"{max(free.pods, 0)} pod slot(s) free after system reserve and DaemonSets",
                )


@register(
    "capacity-hpa-max-fits",
    "the HPA's maxReplicas fit on the node group's maxSize nodes of the smallest type",
    EKS_AMI,
)
def _hpa_fits(ctx: Context) -> Iterator[Finding]:
    objects = kubernetes_objects(ctx.plan)
    resources = {r.urn: r for r in ctx.plan.resources}
    by_ref = {(o.kind, o.namespace, o.name): o for o in objects}
    for pool in _pools(ctx, objects):
        free = pool.smallest.free_after(pool.per_node)
        for hpa in objects:
            if hpa.kind != "HorizontalPodAutoscaler":
                continue
            spec = hpa.manifest.get("spec") or {}
            ref = spec.get("scaleTargetRef") or {}
            target = by_ref.get((str(ref.get("kind")), hpa.namespace, str(ref.get("name"))))
            template = pod_template(target) if target is not None else None
            high = spec.get("maxReplicas")
            if template is None or not isinstance(high, int):
                continue
            pod = pod_requests(template)
            per_node = _fits(pod, free)
            # The add-on Deployments run somewhere in the pool too.
            cluster_free = free.times(pool.max_nodes)
            spare = Requests(
                cluster_free.cpu - pool.per_cluster.cpu,
                cluster_free.memory - pool.per_cluster.memory,
                cluster_free.pods - pool.per_cluster.pods,
            )
            fit = min(per_node * pool.max_nodes, _fits(pod, spare))
            if fit < high:
                yield ctx.finding(
                    resources[hpa.urn],
                    "spec.maxReplicas",
                    high,
                    "capacity-hpa-max-fits",
                    f"{high} pods of {_fmt(pod)} need more than {pool.group.name}'s maxSize "
                    f"{pool.max_nodes} x {pool.smallest.instance_type} hold ({fit}: {per_node} "
                    "per node after system reserve, DaemonSets and add-on Deployments)",
                )
