"""make destroy STACK=staging deletes everything; prod keeps what protects its data."""

from __future__ import annotations

import pytest

from tests.infra.plans import one, stack_plan


@pytest.mark.parametrize(("stack", "disposable"), [("staging", True), ("prod", False)])
def test_what_holds_data_is_deleted_only_with_a_disposable_stack(
    stack: str, disposable: bool
) -> None:
    plan = stack_plan(stack)
    # AWS Backup refuses to delete a vault holding recovery points unless forced.
    for vault in plan.by_type("aws:backup/vault:Vault"):
        assert vault.inputs["forceDestroy"] is disposable, vault.name
    # ECR refuses to delete a repository holding images unless forced.
    assert one(plan, "aws:ecr/repository:Repository").inputs["forceDelete"] is disposable
    db = one(plan, "aws:rds/instance:Instance").inputs
    assert db["deleteAutomatedBackups"] is disposable
    assert db["deletionProtection"] is not disposable
    assert db["skipFinalSnapshot"] is disposable
    nlb = plan.find("aws:lb/loadBalancer:LoadBalancer", "-nlb")
    assert nlb.inputs["enableDeletionProtection"] is not disposable


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_nothing_is_kept_out_of_a_destroy_by_resource_options(stack: str) -> None:
    # The account singletons (the only retained resources) moved to the bootstrap.
    plan = stack_plan(stack)
    assert plan.by_type("aws:iam/serviceLinkedRole:ServiceLinkedRole") == []
    assert plan.by_type("aws:apigateway/account:Account") == []
