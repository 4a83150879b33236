"""The committed staging and prod stacks preview offline, render valid manifests and match."""

from __future__ import annotations

import pytest

from stacks.offline.kubernetes import export_and_validate
from stacks.offline.parity import compare
from stacks.offline.plan import Plan
from tests.infra.plans import stack_plan

pytestmark = pytest.mark.infra


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return {stack: stack_plan(stack) for stack in ("staging", "prod")}


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_stack_previews_with_core_resources(plans: dict[str, Plan], stack: str) -> None:
    plan = plans[stack]
    assert plan.stack == stack
    for token in (
        "aws:ec2/vpc:Vpc",
        "aws:rds/instance:Instance",
        "aws:eks/cluster:Cluster",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "kubernetes:apps/v1:Deployment",
    ):
        assert plan.by_type(token), f"{stack} plan has no {token}"
    # Every resource hangs off the stack through a component chain.
    urns = {r.urn for r in plan.resources}
    assert all(r.parent in urns for r in plan.resources if r.parent)


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_every_kubernetes_object_is_schema_valid(plans: dict[str, Plan], stack: str) -> None:
    export = export_and_validate(plans[stack], None)
    assert export.objects
    assert "pinned by" in export.version.reason
    assert [str(v) for v in export.violations] == []


def test_parity_holds_for_the_committed_stacks(plans: dict[str, Plan]) -> None:
    report = compare(plans["staging"], plans["prod"])
    undeclared = [f"{d.key} {d.path}: {d.staging!r} != {d.prod!r}" for d in report.undeclared]
    assert undeclared == []
    assert report.differences, "staging and prod are expected to differ in declared ways"
