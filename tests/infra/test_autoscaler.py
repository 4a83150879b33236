"""Cluster Autoscaler on the recorded plans: objects, RBAC, IAM, ASG discovery tags, ordering."""

from __future__ import annotations

import json
from typing import Any

import botocore.session
import pytest

from infra.cluster.autoscaler import (
    ENABLED_TAG,
    IMAGE,
    IMAGE_MINOR,
    NAMESPACE,
    SERVICE_ACCOUNT,
    ClusterAutoscalerArgs,
)
from infra.settings import SettingError
from stacks import outputs
from stacks.offline.plan import Plan, PlanResource
from tests.infra.plans import STACKS, one, stack_plan
from tests.infra.test_components import cluster_settings

CA = "ClusterAutoscaler"
ASG_TAG = "aws:autoscaling/tag:Tag"
# Every API the autoscaler may change something with; all else it does must be reads.
MUTATING = {"autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"}
IAM_SERVICES = {"autoscaling": "autoscaling", "ec2": "ec2", "eks": "eks"}


def _deployment(plan: Plan) -> dict[str, Any]:
    inputs: dict[str, Any] = one(plan, "kubernetes:apps/v1:Deployment", within=CA).inputs
    return inputs


def _container(plan: Plan) -> dict[str, Any]:
    (container,) = _deployment(plan)["spec"]["template"]["spec"]["containers"]
    result: dict[str, Any] = container
    return result


def _statements(plan: Plan) -> list[dict[str, Any]]:
    policy = one(plan, "aws:iam/rolePolicy:RolePolicy", within=CA).inputs["policy"]
    statements: list[dict[str, Any]] = json.loads(policy)["Statement"]
    return statements


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


@pytest.mark.parametrize("stack", STACKS)
def test_deployment_runs_the_pinned_autoscaler_for_this_cluster(stack: str) -> None:
    plan = stack_plan(stack)
    cluster = plan.outputs[outputs.CLUSTER_NAME]
    container = _container(plan)
    assert container["image"] == IMAGE
    # Same minor as the cluster (the autoscaler vendors that version's scheduler).
    assert container["image"].split(":v", 1)[1].startswith(plan.outputs[outputs.CLUSTER_VERSION])
    assert plan.outputs[outputs.CLUSTER_VERSION] == IMAGE_MINOR
    args = container["args"]
    for flag in (
        "--cloud-provider=aws",
        f"--node-group-auto-discovery=asg:tag={ENABLED_TAG},k8s.io/cluster-autoscaler/{cluster}",
        "--balance-similar-node-groups",
        "--skip-nodes-with-system-pods=false",
        "--expander=least-waste",
    ):
        assert flag in args, f"{stack}: {flag} missing from {args}"
    env = {e["name"]: e["value"] for e in container["env"]}
    # Pods cannot reach IMDS (hop limit 1), so the region must come from the environment.
    assert env["AWS_REGION"] == "eu-west-1"


@pytest.mark.parametrize("stack", STACKS)
def test_deployment_is_hardened_and_sized(stack: str) -> None:
    plan = stack_plan(stack)
    pod = _deployment(plan)["spec"]["template"]["spec"]
    container = _container(plan)
    assert pod["priorityClassName"] == "system-cluster-critical"
    assert pod["serviceAccountName"] == SERVICE_ACCOUNT
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    sc = container["securityContext"]
    assert sc["runAsNonRoot"] is True
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"]["drop"] == ["ALL"]
    assert sc["seccompProfile"]["type"] == "RuntimeDefault"
    assert set(container["resources"]["requests"]) == {"cpu", "memory"}
    assert container["resources"]["limits"]["memory"]
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == "/health-check"
        assert container[probe]["httpGet"]["port"] == 8085


@pytest.mark.parametrize("stack", STACKS)
def test_disruption_budget_keeps_one_replica(stack: str) -> None:
    plan = stack_plan(stack)
    deployment = _deployment(plan)
    pdb = one(plan, "kubernetes:policy/v1:PodDisruptionBudget", within=CA).inputs
    assert pdb["metadata"]["namespace"] == NAMESPACE
    assert deployment["spec"]["replicas"] >= 2
    assert pdb["spec"]["maxUnavailable"] == deployment["spec"]["replicas"] - 1
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()


def _rules(plan: Plan, kind: str) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = one(
        plan, f"kubernetes:rbac.authorization.k8s.io/v1:{kind}"
    ).inputs["rules"]
    return rules


@pytest.mark.parametrize("stack", STACKS)
def test_rbac_is_least_privilege(stack: str) -> None:
    plan = stack_plan(stack)
    cluster_rules, namespace_rules = _rules(plan, "ClusterRole"), _rules(plan, "Role")
    for rule in cluster_rules + namespace_rules:
        assert "*" not in rule["verbs"] + rule["resources"] + rule["apiGroups"], rule
        assert "secrets" not in rule["resources"], rule
    # Cluster-wide it writes nothing but events, node taints, evictions and pod conditions
    # (and the named endpoints object of the old leader-election lock).
    writes = {
        (resource, verb)
        for rule in cluster_rules
        for resource in rule["resources"]
        for verb in rule["verbs"]
        if verb not in ("get", "list", "watch") and not rule.get("resourceNames")
    }
    assert writes == {
        ("events", "create"),
        ("events", "patch"),
        ("endpoints", "create"),
        ("endpoints", "patch"),
        ("nodes", "update"),
        ("pods/eviction", "create"),
        ("pods/status", "update"),
    }
    # In kube-system it may change only its own status ConfigMap and leader Lease.
    for rule in namespace_rules:
        if set(rule["verbs"]) - {"create"}:
            assert rule.get("resourceNames") in (
                ["cluster-autoscaler-status"],
                ["cluster-autoscaler"],
            ), rule
    role = one(plan, "kubernetes:rbac.authorization.k8s.io/v1:Role").inputs
    assert role["metadata"]["namespace"] == NAMESPACE


@pytest.mark.parametrize("kind", ["ClusterRoleBinding", "RoleBinding"])
def test_bindings_grant_only_the_autoscaler_service_account(kind: str) -> None:
    plan = stack_plan("prod")
    binding = one(plan, f"kubernetes:rbac.authorization.k8s.io/v1:{kind}").inputs
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": NAMESPACE}
    ]
    role_kind = kind.removesuffix("Binding")
    role = one(plan, f"kubernetes:rbac.authorization.k8s.io/v1:{role_kind}").inputs
    assert binding["roleRef"]["name"] == role["metadata"]["name"]


@pytest.mark.parametrize("stack", STACKS)
def test_iam_actions_exist_and_writes_need_the_cluster_tag(stack: str) -> None:
    plan = stack_plan(stack)
    cluster = plan.outputs[outputs.CLUSTER_NAME]
    session = botocore.session.get_session()
    for statement in _statements(plan):
        assert statement["Effect"] == "Allow"
        for action in _actions(statement):
            service, operation = action.split(":")
            model = session.get_service_model(IAM_SERVICES[service])
            assert operation in model.operation_names, f"{action} is not an API of {service}"
            if action in MUTATING:
                assert statement["Condition"] == {
                    "StringEquals": {
                        f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster}": "owned"
                    }
                }
            else:
                assert operation.startswith(("Describe", "Get")), action
    granted = {a for s in _statements(plan) for a in _actions(s)}
    assert granted >= MUTATING
    # DescribeNodegroup is scoped to this cluster's node groups.
    (eks,) = [s for s in _statements(plan) if _actions(s) == ["eks:DescribeNodegroup"]]
    assert eks["Resource"].endswith(f":nodegroup/{cluster}/*/*")


@pytest.mark.parametrize("stack", STACKS)
def test_pod_identity_binds_the_role_to_the_service_account(stack: str) -> None:
    plan = stack_plan(stack)
    association = one(plan, "aws:eks/podIdentityAssociation:PodIdentityAssociation", within=CA)
    role = one(plan, "aws:iam/role:Role", within=CA)
    assert association.inputs["namespace"] == NAMESPACE
    assert association.inputs["serviceAccount"] == SERVICE_ACCOUNT
    assert role.urn in association.property_dependencies["roleArn"]
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {
        "aws:RequestTag/eks-cluster-name": plan.outputs[outputs.CLUSTER_NAME],
        "aws:RequestTag/kubernetes-namespace": NAMESPACE,
        "aws:RequestTag/kubernetes-service-account": SERVICE_ACCOUNT,
    }


def _tags(plan: Plan) -> list[PlanResource]:
    return plan.by_type(ASG_TAG)


@pytest.mark.parametrize("stack", STACKS)
def test_node_group_asg_carries_the_discovery_tags(stack: str) -> None:
    # Managed node group tags are not copied to its Auto Scaling group: without these the
    # autoscaler discovers nothing, and the IAM condition allows no resize.
    plan = stack_plan(stack)
    cluster = plan.outputs[outputs.CLUSTER_NAME]
    asg = plan.outputs[outputs.NODE_ASG_NAME]
    tags = {
        r.inputs["tag"]["key"]: r.inputs["tag"]
        for r in _tags(plan)
        if r.inputs["autoscalingGroupName"] == asg
    }
    assert tags.keys() == {ENABLED_TAG, f"k8s.io/cluster-autoscaler/{cluster}"}
    assert tags[f"k8s.io/cluster-autoscaler/{cluster}"]["value"] == "owned"
    assert all(tag["propagateAtLaunch"] is False for tag in tags.values())
    group = one(plan, "aws:eks/nodeGroup:NodeGroup")
    for resource in _tags(plan):
        assert group.urn in resource.property_dependencies["autoscalingGroupName"]


@pytest.mark.parametrize("stack", STACKS)
def test_autoscaler_objects_wait_for_the_nodes(stack: str) -> None:
    plan = stack_plan(stack)
    group = one(plan, "aws:eks/nodeGroup:NodeGroup")
    provider = one(plan, "pulumi:providers:kubernetes", within=CA)
    assert group.urn in provider.dependencies
    deployment = one(plan, "kubernetes:apps/v1:Deployment", within=CA)
    association = one(plan, "aws:eks/podIdentityAssociation:PodIdentityAssociation", within=CA)
    assert association.urn in deployment.dependencies


def test_settings_refuse_a_cluster_of_another_minor() -> None:
    # The image vendors one scheduler minor; the cluster's settings must name it.
    with pytest.raises(SettingError, match="Cluster Autoscaler image"):
        cluster_settings(kubernetes_version="1.36")


def test_args_need_a_group() -> None:
    with pytest.raises(ValueError, match="Auto Scaling group"):
        ClusterAutoscalerArgs(
            cluster_name="c",
            kubeconfig="{}",
            region="eu-west-1",
            autoscaling_group_names=[],
            settings=cluster_settings(kubernetes_version=IMAGE_MINOR),
        )


@pytest.mark.parametrize("stack", STACKS)
def test_auto_scaling_api_is_reached_through_an_endpoint(stack: str) -> None:
    # The nodes' other AWS APIs have interface endpoints; the autoscaler's joins them.
    endpoints = {
        r.inputs["serviceName"]: r.inputs
        for r in stack_plan(stack).by_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    }
    endpoint = endpoints["com.amazonaws.eu-west-1.autoscaling"]
    assert endpoint["vpcEndpointType"] == "Interface"
    assert endpoint["privateDnsEnabled"] is True
