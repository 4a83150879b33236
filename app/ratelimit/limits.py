"""Effective per-tenant limits: the tier's numbers, or an override's where one is active."""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.tenants.tiers import Tier, get_tier


@dataclass(frozen=True, kw_only=True)
class Limits:
    """What the limiter enforces for one tenant right now."""

    rate_per_second: float  # token refill rate
    burst: int  # bucket capacity
    daily_quota: int | None  # requests per UTC day; None = unlimited
    source: str = "tier"  # "tier" or "override", reported in monitor output

    def __post_init__(self) -> None:
        if not math.isfinite(self.rate_per_second) or self.rate_per_second <= 0:
            raise ValueError(
                f"rate_per_second must be a positive number, got {self.rate_per_second!r}"
            )
        if self.burst < 1:
            raise ValueError(f"burst must be at least 1, got {self.burst!r}")
        if self.daily_quota is not None and self.daily_quota < 1:
            raise ValueError(f"daily_quota must be positive or None, got {self.daily_quota!r}")

    @property
    def refill_window_s(self) -> int:
        """Seconds an empty bucket takes to refill: the ``w`` of the burst policy."""
        return max(1, math.ceil(self.burst / self.rate_per_second))

    @classmethod
    def from_tier(cls, tier: Tier) -> Limits:
        return cls(
            rate_per_second=float(tier.rate_per_second),
            burst=tier.burst,
            daily_quota=tier.daily_quota,
        )

    @classmethod
    def for_tier_name(cls, name: str) -> Limits:
        return cls.from_tier(get_tier(name))
