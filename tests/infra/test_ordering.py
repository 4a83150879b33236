"""Creation order a real `pulumi up` needs, read from the dependencies of the stack plans.

Pulumi does not make a component's children wait for the component's own depends_on, so
each ordering is checked on the resources AWS and Kubernetes actually act on.
"""

from __future__ import annotations

import pulumi
import pytest

from infra.account import (
    APIGATEWAY_CLOUDWATCH_ROLE,
    AUTOSCALING_SERVICE_LINKED_ROLE,
    AccountNotBootstrappedError,
)
from infra.cluster.addons import NODE_BOOTSTRAP_ADDONS, WORKLOAD_ADDONS
from infra.ordering import explicit_dependencies
from stacks.offline.engine import load_stack_config_with_secrets, synthesize
from stacks.offline.plan import Plan, PlanResource
from stacks.program import main
from tests.infra.plans import STACKS, one, stack_plan


@pytest.fixture(params=STACKS)
def plan(request: pytest.FixtureRequest) -> Plan:
    return stack_plan(request.param)


def _addon(plan: Plan, addon: str) -> PlanResource:
    found = [r for r in plan.by_type("aws:eks/addon:Addon") if r.inputs.get("addonName") == addon]
    assert len(found) == 1, addon
    return found[0]


@pytest.mark.parametrize("addon", NODE_BOOTSTRAP_ADDONS)
def test_node_group_waits_for_the_bootstrap_addons(plan: Plan, addon: str) -> None:
    # With bootstrap_self_managed_addons off, nodes have no CNI until the add-on exists.
    group = one(plan, "aws:eks/nodeGroup:NodeGroup")
    assert _addon(plan, addon).urn in group.dependencies


@pytest.mark.parametrize("addon", WORKLOAD_ADDONS)
def test_workload_addons_wait_for_the_node_group(plan: Plan, addon: str) -> None:
    # CoreDNS and metrics-server are Deployments: created before any node they stay
    # DEGRADED and the add-on create fails.
    group = one(plan, "aws:eks/nodeGroup:NodeGroup")
    assert group.urn in _addon(plan, addon).dependencies


def test_kubernetes_provider_waits_for_the_node_group(plan: Plan) -> None:
    group = one(plan, "aws:eks/nodeGroup:NodeGroup")
    provider = one(plan, "pulumi:providers:kubernetes", within="HrmsWorkload")
    assert group.urn in provider.dependencies


def test_database_waits_for_the_monitoring_role_policy(plan: Plan) -> None:
    instance = one(plan, "aws:rds/instance:Instance")
    attachments = [
        r
        for r in plan.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if str(r.inputs.get("policyArn", "")).endswith("AmazonRDSEnhancedMonitoringRole")
    ]
    assert len(attachments) == 1
    assert attachments[0].urn in instance.dependencies


def test_explicit_dependencies_rejects_outputs() -> None:
    opts = pulumi.ResourceOptions(depends_on=[pulumi.Output.from_input(1)])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="depends_on"):
        explicit_dependencies(opts)


def test_explicit_dependencies_without_options() -> None:
    assert explicit_dependencies(None) == []
    assert explicit_dependencies(pulumi.ResourceOptions()) == []


def test_the_autoscaling_service_linked_role_is_an_account_singleton_not_a_stack_resource(
    plan: Plan,
) -> None:
    # Creating it fails where it exists (any second stack, any account that used Auto
    # Scaling) and destroying it would break every group in the account: the bootstrap
    # owns it and the stack only checks it exists before the key policy names it.
    assert plan.by_type("aws:iam/serviceLinkedRole:ServiceLinkedRole") == []
    volume_keys = [
        r
        for r in plan.by_type("aws:kms/key:Key")
        if "AWSServiceRoleForAutoScaling" in str(r.inputs.get("policy", ""))
    ]
    assert len(volume_keys) == 1


@pytest.mark.parametrize("stack", STACKS)
def test_the_volume_key_is_not_declared_before_the_service_linked_role_exists(
    stack: str,
) -> None:
    # KMS refuses a key policy whose principal does not exist: stop before any resource.
    project, config, secrets = load_stack_config_with_secrets(stack)
    only_logging_role = frozenset({APIGATEWAY_CLOUDWATCH_ROLE})
    with pytest.raises(AccountNotBootstrappedError) as excinfo:
        synthesize(
            main,
            stack=stack,
            project=project,
            config=config,
            secret_keys=secrets,
            iam_roles=only_logging_role,
        )
    assert AUTOSCALING_SERVICE_LINKED_ROLE in str(excinfo.value)
    assert "make bootstrap" in str(excinfo.value)
