"""Cluster Autoscaler: adds nodes when pods cannot be scheduled, removes idle ones.

Rendered here as plain Kubernetes objects (no chart repository is needed to deploy or to
preview), after the upstream AWS manifests and chart of kubernetes/autoscaler: a service
account with EKS Pod Identity credentials, least-privilege RBAC, a two-replica Deployment
with leader election and its PodDisruptionBudget. The Auto Scaling groups it may resize are
found by tag, and those tags are set here because EKS does not copy node group tags to the
groups it creates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from infra.aws_context import aws_context
from infra.cluster.insights import pod_identity_trust_policy
from infra.iam import policy_document
from infra.ordering import explicit_dependencies

if TYPE_CHECKING:
    # Imported for typing only: infra.cluster.eks imports this module for IMAGE_MINOR.
    from infra.cluster.eks import ClusterSettings

NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "cluster-autoscaler"
NAME = "cluster-autoscaler"
# The autoscaler's minor version must match the cluster's (it vendors that scheduler).
# Tag and digest of the multi-arch index; bump together with hrms:cluster.kubernetesVersion.
IMAGE = (
    "registry.k8s.io/autoscaling/cluster-autoscaler:v1.35.2"
    "@sha256:aac369dc283927a623deb1af54696efcc722ae79255aa07788422e495bab887d"
)
IMAGE_MINOR = "1.35"
HTTP_PORT = 8085  # metrics and /health-check
ENABLED_TAG = "k8s.io/cluster-autoscaler/enabled"
# The IAM policy only lets it resize groups carrying <cluster tag>=owned.
OWNED = "owned"
LABELS: dict[str, str] = {
    "app.kubernetes.io/name": NAME,
    "app.kubernetes.io/part-of": "hrms",
}
CPU_REQUEST = "100m"
MEMORY_REQUEST = "600Mi"
REPLICAS = 2
# Leader election and status: the only objects it writes in its namespace.
STATUS_CONFIG_MAP = "cluster-autoscaler-status"
LEASE = "cluster-autoscaler"


def cluster_tag(cluster_name: str) -> str:
    return f"k8s.io/cluster-autoscaler/{cluster_name}"


def autoscaler_args(cluster_name: str) -> list[str]:
    return [
        "--cloud-provider=aws",
        f"--namespace={NAMESPACE}",
        f"--node-group-auto-discovery=asg:tag={ENABLED_TAG},{cluster_tag(cluster_name)}",
        # Groups of the same shape (e.g. one per zone) grow together, keeping zones even.
        "--balance-similar-node-groups",
        "--expander=least-waste",
        # Nodes running kube-system pods (CoreDNS, metrics-server, itself) may still go.
        "--skip-nodes-with-system-pods=false",
        # The app's /tmp is an emptyDir; without this no node running it would ever go.
        "--skip-nodes-with-local-storage=false",
        "--v=2",
    ]


def autoscaler_policy(*, cluster_name: str, partition: str, region: str, account_id: str) -> str:
    """Read what it needs anywhere (those actions take no resource), resize only this
    cluster's groups: the tag condition keeps it off every other Auto Scaling group."""
    return policy_document(
        [
            {
                "Sid": "Discover",
                "Effect": "Allow",
                "Action": [
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeLaunchConfigurations",
                    "autoscaling:DescribeScalingActivities",
                    "autoscaling:DescribeTags",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplateVersions",
                    "ec2:GetInstanceTypesFromInstanceRequirements",
                ],
                "Resource": "*",
            },
            {
                # Labels and taints of managed node groups, for its node templates.
                "Sid": "DescribeOwnNodegroups",
                "Effect": "Allow",
                "Action": ["eks:DescribeNodegroup"],
                "Resource": (
                    f"arn:{partition}:eks:{region}:{account_id}:nodegroup/{cluster_name}/*/*"
                ),
            },
            {
                "Sid": "ResizeOwnGroups",
                "Effect": "Allow",
                "Action": [
                    "autoscaling:SetDesiredCapacity",
                    "autoscaling:TerminateInstanceInAutoScalingGroup",
                ],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {f"aws:ResourceTag/{cluster_tag(cluster_name)}": OWNED}
                },
            },
        ]
    )


def _rule(
    groups: Sequence[str],
    resources: Sequence[str],
    verbs: Sequence[str],
    names: Sequence[str] = (),
) -> k8s.rbac.v1.PolicyRuleArgs:
    return k8s.rbac.v1.PolicyRuleArgs(
        api_groups=list(groups),
        resources=list(resources),
        verbs=list(verbs),
        resource_names=list(names) or None,
    )


READ = ("get", "list", "watch")
# Cluster-wide: what the scheduler simulation reads, node taints while draining, evictions.
CLUSTER_RULES: tuple[k8s.rbac.v1.PolicyRuleArgs, ...] = (
    _rule([""], ["events", "endpoints"], ["create", "patch"]),
    _rule([""], ["pods/eviction"], ["create"]),
    _rule([""], ["pods/status"], ["update"]),
    _rule([""], ["endpoints"], ["get", "update"], [NAME]),
    _rule([""], ["nodes"], ["get", "list", "watch", "update"]),
    _rule(
        [""],
        [
            "namespaces",
            "pods",
            "services",
            "replicationcontrollers",
            "persistentvolumeclaims",
            "persistentvolumes",
            "configmaps",
        ],
        READ,
    ),
    _rule(["apps"], ["daemonsets", "replicasets", "statefulsets"], READ),
    _rule(["batch"], ["jobs", "cronjobs"], READ),
    _rule(["policy"], ["poddisruptionbudgets"], ["list", "watch"]),
    _rule(
        ["storage.k8s.io"],
        ["storageclasses", "csinodes", "csidrivers", "csistoragecapacities", "volumeattachments"],
        READ,
    ),
)
# Namespaced: its status ConfigMap and leader-election Lease only (create cannot be narrowed
# by name: the name is not known to authorization before the object exists).
NAMESPACE_RULES: tuple[k8s.rbac.v1.PolicyRuleArgs, ...] = (
    _rule([""], ["configmaps"], ["create"]),
    _rule([""], ["configmaps"], ["get", "update", "delete"], [STATUS_CONFIG_MAP]),
    _rule(["coordination.k8s.io"], ["leases"], ["create"]),
    _rule(["coordination.k8s.io"], ["leases"], ["get", "update"], [LEASE]),
)


@dataclass(frozen=True, kw_only=True)
class ClusterAutoscalerArgs:
    cluster_name: pulumi.Input[str]
    kubeconfig: pulumi.Input[str]
    region: str
    # The node groups' Auto Scaling groups: tagged for discovery and for the IAM condition.
    autoscaling_group_names: Sequence[pulumi.Input[str]]
    # Its kubernetes_version is the image's minor: ClusterSettings checks that.
    settings: ClusterSettings

    def __post_init__(self) -> None:
        if not self.autoscaling_group_names:
            raise ValueError("at least one Auto Scaling group to scale is required")


def _security_context() -> k8s.core.v1.SecurityContextArgs:
    return k8s.core.v1.SecurityContextArgs(
        run_as_non_root=True,
        read_only_root_filesystem=True,
        allow_privilege_escalation=False,
        privileged=False,
        capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
        seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
    )


def _probe(**timing: Any) -> k8s.core.v1.ProbeArgs:
    return k8s.core.v1.ProbeArgs(
        http_get=k8s.core.v1.HTTPGetActionArgs(path="/health-check", port=HTTP_PORT),
        timeout_seconds=3,
        **timing,
    )


def _meta(namespaced: bool = True) -> k8s.meta.v1.ObjectMetaArgs:
    return k8s.meta.v1.ObjectMetaArgs(
        name=NAME, namespace=NAMESPACE if namespaced else None, labels=LABELS
    )


SELECTOR = {"app.kubernetes.io/name": NAME}


def _container(cluster_name: pulumi.Output[str], region: str) -> k8s.core.v1.ContainerArgs:
    return k8s.core.v1.ContainerArgs(
        name=NAME,
        image=IMAGE,
        command=["./cluster-autoscaler"],
        args=cluster_name.apply(autoscaler_args),
        env=[
            # IMDS is out of reach for pods (hop limit 1): the region must be given.
            k8s.core.v1.EnvVarArgs(name="AWS_REGION", value=region),
            k8s.core.v1.EnvVarArgs(name="AWS_STS_REGIONAL_ENDPOINTS", value="regional"),
        ],
        ports=[
            k8s.core.v1.ContainerPortArgs(name="http", container_port=HTTP_PORT, protocol="TCP")
        ],
        resources=k8s.core.v1.ResourceRequirementsArgs(
            requests={"cpu": CPU_REQUEST, "memory": MEMORY_REQUEST},
            limits={"memory": MEMORY_REQUEST},
        ),
        security_context=_security_context(),
        readiness_probe=_probe(period_seconds=10, failure_threshold=3),
        liveness_probe=_probe(initial_delay_seconds=30, period_seconds=30, failure_threshold=3),
    )


def _deployment_spec(
    cluster_name: pulumi.Output[str], region: str
) -> k8s.apps.v1.DeploymentSpecArgs:
    return k8s.apps.v1.DeploymentSpecArgs(
        # Leader election: one acts, the other takes over if its node goes.
        replicas=REPLICAS,
        revision_history_limit=3,
        selector=k8s.meta.v1.LabelSelectorArgs(match_labels=SELECTOR),
        template=k8s.core.v1.PodTemplateSpecArgs(
            metadata=k8s.meta.v1.ObjectMetaArgs(labels=LABELS),
            spec=k8s.core.v1.PodSpecArgs(
                service_account_name=SERVICE_ACCOUNT,
                # It talks to the API server with this token.
                automount_service_account_token=True,
                priority_class_name="system-cluster-critical",
                security_context=k8s.core.v1.PodSecurityContextArgs(
                    run_as_non_root=True,
                    run_as_user=65534,
                    run_as_group=65534,
                    seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
                ),
                topology_spread_constraints=[
                    k8s.core.v1.TopologySpreadConstraintArgs(
                        max_skew=1,
                        topology_key=key,
                        when_unsatisfiable="ScheduleAnyway",
                        label_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=SELECTOR),
                    )
                    for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")
                ],
                containers=[_container(cluster_name, region)],
            ),
        ),
    )


class ClusterAutoscaler(pulumi.ComponentResource):
    """Install it after the node group: its pods need a node, and its tags need the group."""

    role_arn: pulumi.Output[str]
    deployment_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: ClusterAutoscalerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("hrms:cluster:ClusterAutoscaler", name, None, opts)
        cluster_name = pulumi.Output.from_input(args.cluster_name)
        self._tag_groups(name, cluster_name, args.autoscaling_group_names)
        role, policy, association = self._identity(name, cluster_name)

        # Its own provider, waiting for what the caller ordered first (the nodes).
        provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=args.kubeconfig,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=explicit_dependencies(opts)),
        )
        rbac = self._rbac(name, provider)
        deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=_meta(),
            spec=_deployment_spec(cluster_name, args.region),
            # Credentials and permissions exist before the first pod asks for them.
            opts=pulumi.ResourceOptions(
                parent=self, provider=provider, depends_on=[*rbac, association, policy]
            ),
        )
        # Node drains (upgrades, its own scale-down) keep one replica running.
        k8s.policy.v1.PodDisruptionBudget(
            f"{name}-pdb",
            metadata=_meta(),
            spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
                max_unavailable=1,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=SELECTOR),
            ),
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )

        self.role_arn = role.arn
        self.deployment_name = deployment.metadata.apply(lambda m: m.name or NAME)
        self.register_outputs({"role_arn": role.arn, "deployment_name": self.deployment_name})

    def _tag_groups(
        self,
        name: str,
        cluster_name: pulumi.Output[str],
        group_names: Sequence[pulumi.Input[str]],
    ) -> None:
        """Discovery tags on the groups themselves, not on instances (propagate_at_launch
        false): the nodes need none of them."""
        for index, group_name in enumerate(group_names):
            for purpose, key, value in (
                ("enabled", pulumi.Output.from_input(ENABLED_TAG), "true"),
                ("owned", cluster_name.apply(cluster_tag), OWNED),
            ):
                aws.autoscaling.Tag(
                    f"{name}-asg-{index}-{purpose}",
                    autoscaling_group_name=group_name,
                    tag=aws.autoscaling.TagTagArgs(key=key, value=value, propagate_at_launch=False),
                    opts=pulumi.ResourceOptions(parent=self),
                )

    def _identity(
        self, name: str, cluster_name: pulumi.Output[str]
    ) -> tuple[aws.iam.Role, aws.iam.RolePolicy, aws.eks.PodIdentityAssociation]:
        """The AWS role its service account assumes through Pod Identity."""
        child = pulumi.ResourceOptions(parent=self)
        ctx = aws_context(pulumi.InvokeOptions(parent=self))
        role = aws.iam.Role(
            f"{name}-role",
            description=f"Cluster Autoscaler ({NAMESPACE}/{SERVICE_ACCOUNT}) via Pod Identity",
            assume_role_policy=cluster_name.apply(
                lambda c: pod_identity_trust_policy(
                    cluster_name=c, namespace=NAMESPACE, service_account=SERVICE_ACCOUNT
                )
            ),
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=role.id,
            policy=pulumi.Output.all(cluster_name, ctx.partition, ctx.region, ctx.account_id).apply(
                lambda v: autoscaler_policy(
                    cluster_name=v[0], partition=v[1], region=v[2], account_id=v[3]
                )
            ),
            opts=child,
        )
        association = aws.eks.PodIdentityAssociation(
            f"{name}-identity",
            cluster_name=cluster_name,
            namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT,
            role_arn=role.arn,
            opts=child,
        )
        return role, policy, association

    def _rbac(self, name: str, provider: k8s.Provider) -> list[pulumi.Resource]:
        """Its ServiceAccount and the roles bound to it; returns what the pods wait for."""
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=provider)
        service_account = k8s.core.v1.ServiceAccount(f"{name}-sa", metadata=_meta(), opts=k8s_opts)
        cluster_role = k8s.rbac.v1.ClusterRole(
            f"{name}-clusterrole", metadata=_meta(False), rules=list(CLUSTER_RULES), opts=k8s_opts
        )
        namespace_role = k8s.rbac.v1.Role(
            f"{name}-namespace-role", metadata=_meta(), rules=list(NAMESPACE_RULES), opts=k8s_opts
        )
        subject = k8s.rbac.v1.SubjectArgs(
            kind="ServiceAccount", name=SERVICE_ACCOUNT, namespace=NAMESPACE
        )
        bindings: list[pulumi.Resource] = [
            k8s.rbac.v1.ClusterRoleBinding(
                f"{name}-clusterrolebinding",
                metadata=_meta(False),
                role_ref=k8s.rbac.v1.RoleRefArgs(
                    api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=NAME
                ),
                subjects=[subject],
                opts=pulumi.ResourceOptions(
                    parent=self, provider=provider, depends_on=[cluster_role]
                ),
            ),
            k8s.rbac.v1.RoleBinding(
                f"{name}-rolebinding",
                metadata=_meta(),
                role_ref=k8s.rbac.v1.RoleRefArgs(
                    api_group="rbac.authorization.k8s.io", kind="Role", name=NAME
                ),
                subjects=[subject],
                opts=pulumi.ResourceOptions(
                    parent=self, provider=provider, depends_on=[namespace_role]
                ),
            ),
        ]
        return [service_account, *bindings]
