"""Contract: the tier catalog and the API Gateway usage plans of both stacks agree exactly."""

from __future__ import annotations

from itertools import pairwise

import pytest

from app.tenants.tiers import TIERS, Tier
from tests.infra.plans import STACKS, stack_plan


def limits(tier: Tier) -> dict[str, object]:
    """What a usage plan must say for ``tier``, in the plan's own shape."""
    expected: dict[str, object] = {
        "throttleSettings": {"rateLimit": tier.rate_per_second, "burstLimit": tier.burst}
    }
    if tier.daily_quota is not None:
        expected["quotaSettings"] = {"limit": tier.daily_quota, "period": "DAY"}
    return expected


@pytest.mark.infra
@pytest.mark.parametrize("stack", STACKS)
def test_usage_plans_equal_the_catalog(stack: str) -> None:
    plans = stack_plan(stack).by_type("aws:apigateway/usagePlan:UsagePlan")
    actual = {
        p.name.rsplit("-", 1)[-1]: {
            k: p.inputs[k] for k in ("throttleSettings", "quotaSettings") if k in p.inputs
        }
        for p in plans
    }
    assert actual == {name.value: limits(tier) for name, tier in TIERS.items()}


def test_limits_grow_with_the_tier() -> None:
    for smaller, larger in pairwise(TIERS.values()):
        assert larger.rate_per_second > smaller.rate_per_second, larger.name
        assert larger.burst > smaller.burst, larger.name
        if larger.daily_quota is not None:
            assert smaller.daily_quota is not None
            assert larger.daily_quota > smaller.daily_quota, larger.name
        assert larger.max_api_keys >= smaller.max_api_keys, larger.name
