"""Tenant tier catalog: the one source of the limits each tier gets.

Read by the app's rate limiter and by the API Gateway usage plans in ``infra/``;
it must stay importable without Django so the Pulumi program can load it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class TierName(StrEnum):
    FREE = "free"
    STARTER = "starter"
    PROFESSIONAL = "professional"
    ENTERPRISE = "enterprise"


@dataclass(frozen=True, kw_only=True)
class Tier:
    name: TierName
    label: str
    rate_per_second: float  # sustained token refill rate (API Gateway throttle rateLimit)
    burst: int  # bucket capacity (API Gateway throttle burstLimit)
    daily_quota: int | None  # requests per UTC day; None = unlimited
    max_employees: int | None  # seats the tenant may hold; None = unlimited
    max_api_keys: int  # active API keys per tenant

    def __post_init__(self) -> None:
        if self.rate_per_second <= 0 or self.burst < 1:
            raise ValueError(f"tier {self.name}: rate and burst must be positive")
        if self.burst < self.rate_per_second:
            raise ValueError(f"tier {self.name}: burst must cover one second of rate")
        if self.daily_quota is not None and self.daily_quota < 1:
            raise ValueError(f"tier {self.name}: daily_quota must be positive or None")


# Ordered from smallest to largest; limits must grow with the tier (a contract test
# and the policy pack both check this).
TIERS: dict[TierName, Tier] = {
    t.name: t
    for t in (
        Tier(
            name=TierName.FREE,
            label="Free",
            rate_per_second=2,
            burst=10,
            daily_quota=2_000,
            max_employees=25,
            max_api_keys=2,
        ),
        Tier(
            name=TierName.STARTER,
            label="Starter",
            rate_per_second=10,
            burst=40,
            daily_quota=50_000,
            max_employees=250,
            max_api_keys=5,
        ),
        Tier(
            name=TierName.PROFESSIONAL,
            label="Professional",
            rate_per_second=50,
            burst=200,
            daily_quota=500_000,
            max_employees=2_500,
            max_api_keys=20,
        ),
        Tier(
            name=TierName.ENTERPRISE,
            label="Enterprise",
            rate_per_second=200,
            burst=800,
            daily_quota=5_000_000,
            max_employees=None,
            max_api_keys=100,
        ),
    )
}


def get_tier(name: str) -> Tier:
    """Return the tier called ``name``, or raise ``KeyError`` naming the valid ones."""
    try:
        return TIERS[TierName(name)]
    except ValueError:
        valid = ", ".join(t.value for t in TierName)
        raise KeyError(f"unknown tier {name!r}; expected one of: {valid}") from None
