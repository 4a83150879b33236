"""Container Insights: the add-on after the nodes, its Pod Identity role, and its log groups."""

from __future__ import annotations

import json

import pytest

from infra.cluster.insights import (
    AGENT_NAMESPACE,
    AGENT_SERVICE_ACCOUNT,
    LOG_STREAMS,
    OBSERVABILITY_ADDON,
    ContainerInsights,
    ContainerInsightsArgs,
)
from infra.settings import SettingError
from tests.infra.conftest import Synth
from tests.infra.plans import STACKS, one, stack_plan
from tests.infra.test_components import cluster_settings

ADDON = "aws:eks/addon:Addon"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
KMS = "arn:aws:kms:eu-west-1:111122223333:key/logs"


@pytest.fixture(scope="module", params=STACKS)
def stack(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _insights(plan_stack: str) -> tuple[str, dict[str, object]]:
    (addon,) = [
        a
        for a in stack_plan(plan_stack).by_type(ADDON)
        if a.inputs["addonName"] == OBSERVABILITY_ADDON
    ]
    return addon.urn, addon.inputs


def test_add_on_is_pinned_and_installed_after_the_nodes(stack: str) -> None:
    plan = stack_plan(stack)
    (addon,) = [a for a in plan.by_type(ADDON) if a.inputs["addonName"] == OBSERVABILITY_ADDON]
    cluster = one(plan, "aws:eks/cluster:Cluster")
    assert addon.inputs["clusterName"] == cluster.inputs["name"]
    # The 6.x line publishes OpenTelemetry metrics, not the names the alarms read.
    assert addon.inputs["addonVersion"].startswith("v4.10.")
    assert "eksbuild" in addon.inputs["addonVersion"]
    # The agent is a DaemonSet: the add-on itself (not only its component) waits for nodes.
    assert one(plan, "aws:eks/nodeGroup:NodeGroup").urn in addon.dependencies


def test_agent_role_trusts_pod_identity_for_its_service_account_only(stack: str) -> None:
    plan = stack_plan(stack)
    role = plan.find("aws:iam/role:Role", "-insights-agent-role")
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert sorted(statement["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    tags = statement["Condition"]["StringEquals"]
    assert tags["aws:RequestTag/kubernetes-namespace"] == "amazon-cloudwatch"
    assert tags["aws:RequestTag/kubernetes-service-account"] == "cloudwatch-agent"
    assert tags["aws:RequestTag/eks-cluster-name"] == f"hrms-{stack}-eks"
    attachment = plan.find(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "-insights-agent-policy"
    )
    assert attachment.inputs["policyArn"] == "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"
    assert role.urn in attachment.dependencies


def test_pod_identity_association_links_role_and_service_account(stack: str) -> None:
    plan = stack_plan(stack)
    association = one(
        plan, "aws:eks/podIdentityAssociation:PodIdentityAssociation", within="ContainerInsights"
    )
    role = plan.find("aws:iam/role:Role", "-insights-agent-role")
    assert association.inputs["namespace"] == AGENT_NAMESPACE
    assert association.inputs["serviceAccount"] == AGENT_SERVICE_ACCOUNT
    assert association.inputs["clusterName"] == f"hrms-{stack}-eks"
    assert role.urn in association.dependencies
    assert association.inputs["roleArn"].startswith("arn:aws:iam::")
    # Session tags are what the trust policy's conditions match on.
    assert association.inputs.get("disableSessionTags") in (None, False)
    addon_urn, _ = _insights(stack)
    assert association.urn in plan.get(addon_urn).dependencies


def test_log_groups_exist_encrypted_and_expiring_before_the_add_on(stack: str) -> None:
    plan = stack_plan(stack)
    logs_key = plan.find("aws:kms/key:Key", f"hrms-{stack}-logs-key")
    groups = {
        g.inputs["name"]: g
        for g in plan.by_type(LOG_GROUP)
        if str(g.inputs["name"]).startswith("/aws/containerinsights/")
    }
    assert set(groups) == {f"/aws/containerinsights/hrms-{stack}-eks/{s}" for s in LOG_STREAMS}
    retention = 365 if stack == "prod" else 30
    addon_urn, _ = _insights(stack)
    addon = plan.get(addon_urn)
    for group in groups.values():
        assert group.inputs["retentionInDays"] == retention
        assert group.inputs["kmsKeyId"].startswith("arn:aws:kms:")
        assert logs_key.urn in group.dependencies
        assert group.urn in addon.dependencies


def test_component_takes_its_values_from_args(synth: Synth) -> None:
    plan = synth(
        lambda: ContainerInsights(
            "ci",
            ContainerInsightsArgs(
                cluster_name="lab-eks",
                logs_kms_key_arn=KMS,
                settings=cluster_settings(log_retention_days=90),
            ),
        )
    )
    addon = one(plan, ADDON).inputs
    assert addon["addonVersion"] == "v4.10.1-eksbuild.1"
    assert addon["clusterName"] == "lab-eks"
    groups = plan.by_type(LOG_GROUP)
    assert sorted(g.inputs["name"] for g in groups) == [
        f"/aws/containerinsights/lab-eks/{s}" for s in sorted(LOG_STREAMS)
    ]
    assert {g.inputs["kmsKeyId"] for g in groups} == {KMS}
    assert {g.inputs["retentionInDays"] for g in groups} == {90}


@pytest.mark.parametrize(
    ("version", "retention", "key"),
    [
        ("latest", 30, "addon_versions.amazon-cloudwatch-observability"),
        ("v4.10.1-eksbuild.1", 0, "log_retention_days"),
    ],
)
def test_bad_settings_are_rejected(version: str, retention: int, key: str) -> None:
    # The component reads both from the cluster's settings, which check them once.
    with pytest.raises(SettingError) as raised:
        cluster_settings(
            addon_versions={**cluster_settings().addon_versions, OBSERVABILITY_ADDON: version},
            log_retention_days=retention,
        )
    assert key in str(raised.value)
