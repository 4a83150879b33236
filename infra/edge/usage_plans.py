"""One API Gateway usage plan per tenant tier, generated from the tier catalog.

How a tenant's key meets its plan (the onboarding tool does this with boto3):

* Each tenant gets its own API key (``create_api_key`` with ``value=`` the key the app
  issued, so both meter the same key), attached to the usage plan of its tier with
  ``create_usage_plan_key(usagePlanId=<tier plan>, keyId=<key>, keyType="API_KEY")``.
  The plan ids are stack outputs, one per tier; ``tenant --stack`` (``app/tenants/edge.py``)
  finds them by the names ``stack_usage_plan_name`` gives them.
* A tier change moves the same key: ``delete_usage_plan_key`` on the old plan, then
  ``create_usage_plan_key`` on the new one. The key value never changes, so the tenant
  keeps calling with it. A key may sit in several plans but never in two plans on the
  same stage, hence delete first; the few requests in between get 403 and are retried.
  The new plan's daily quota starts from zero: quota counters belong to the plan.
* Limits per account and region (service quotas, raise via AWS Support): 10,000 API
  keys, 300 usage plans, 10 usage plans per API key. Each tenant holds at most its
  tier's ``max_api_keys``, so the sum over tenants must stay below 10,000 keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from app.tenants.tiers import TIERS, Tier, TierName


def usage_plan_name(plans_name: str, tier: str) -> str:
    """The name of ``tier``'s usage plan in the ``TierUsagePlans`` called ``plans_name``."""
    return f"{plans_name}-{tier}"


def stack_usage_plan_name(*, stack: str, tier: str) -> str:
    """The name the stack program gives ``tier``'s plan in ``stack`` (checked against a preview)."""
    return usage_plan_name(f"hrms-{stack}-edge-plan", tier)


@dataclass(frozen=True, kw_only=True)
class TierUsagePlansArgs:
    rest_api_id: pulumi.Input[str]
    stage_name: pulumi.Input[str]
    tiers: Mapping[TierName, Tier] = field(default_factory=lambda: dict(TIERS))

    def __post_init__(self) -> None:
        if not self.tiers:
            raise ValueError("TierUsagePlansArgs.tiers is empty: every tenant needs a plan")


class TierUsagePlans(pulumi.ComponentResource):
    """A usage plan per tier on one stage; tenants' keys are attached outside the stack."""

    plan_ids: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: TierUsagePlansArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("hrms:edge:TierUsagePlans", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.plan_ids = {}
        for tier in args.tiers.values():
            quota = (
                aws.apigateway.UsagePlanQuotaSettingsArgs(limit=tier.daily_quota, period="DAY")
                if tier.daily_quota is not None
                else None
            )
            plan_name = usage_plan_name(name, tier.name.value)
            plan = aws.apigateway.UsagePlan(
                plan_name,
                name=plan_name,
                description=f"{tier.label} tier: {tier.rate_per_second:g} req/s, "
                f"burst {tier.burst}, "
                + (f"{tier.daily_quota} req/day" if tier.daily_quota else "no daily quota"),
                api_stages=[
                    aws.apigateway.UsagePlanApiStageArgs(
                        api_id=args.rest_api_id, stage=args.stage_name
                    )
                ],
                throttle_settings=aws.apigateway.UsagePlanThrottleSettingsArgs(
                    rate_limit=float(tier.rate_per_second), burst_limit=tier.burst
                ),
                quota_settings=quota,
                opts=child,
            )
            self.plan_ids[tier.name.value] = plan.id
        self.register_outputs({"plan_ids": self.plan_ids})
