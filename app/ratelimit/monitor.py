"""Which tenants are closest to or over their limits, read from the limiter's Redis state."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import redis
from rich.console import Console
from rich.table import Table

from app.ratelimit.backends.redis import bucket_key
from app.ratelimit.bucket import DAY_US, MICRO, MINUTE_US
from app.ratelimit.limits import Limits
from app.ratelimit.runtime import LimitsCache
from app.tenants.models import Tenant, TenantStatus

_FIELDS = ("t", "ts", "d", "u", "rw", "rn", "rp")


@dataclass(frozen=True, kw_only=True)
class TenantUsage:
    tenant: str
    tier: str
    limits_source: str  # "tier" or "override"
    rate_per_second: float
    burst: int
    tokens: float  # in the bucket now
    burst_used_pct: float  # share of the bucket spent
    daily_quota: int | None
    quota_used: int
    quota_used_pct: float | None
    rejected_last_2m: int  # 429s this minute and the previous one
    pressure_pct: float  # the larger of the two used shares: the sort key

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _num(raw: bytes | None) -> float | None:
    return float(raw) if raw is not None else None


def usage_from_state(
    *, tenant: Tenant, limits: Limits, state: list[bytes | None], now_us: int
) -> TenantUsage:
    tokens_u, ts, day, used, rej_minute, rej_now, rej_prev = (_num(v) for v in state)
    cap = limits.burst * MICRO
    tokens = float(cap) if tokens_u is None else float(tokens_u)
    if ts is not None and now_us > ts:
        tokens = min(cap, tokens + (now_us - ts) * limits.rate_per_second)
    quota_used = int(used or 0) if day == now_us // DAY_US else 0
    minute = now_us // MINUTE_US
    rejected = 0
    if rej_minute == minute:
        rejected = int((rej_now or 0) + (rej_prev or 0))
    elif rej_minute == minute - 1:
        rejected = int(rej_now or 0)
    burst_pct = round(100 * (1 - tokens / cap), 1)
    quota_pct = (
        round(100 * quota_used / limits.daily_quota, 1) if limits.daily_quota is not None else None
    )
    return TenantUsage(
        tenant=tenant.slug,
        tier=tenant.tier,
        limits_source=limits.source,
        rate_per_second=limits.rate_per_second,
        burst=limits.burst,
        tokens=round(tokens / MICRO, 2),
        burst_used_pct=burst_pct,
        daily_quota=limits.daily_quota,
        quota_used=quota_used,
        quota_used_pct=quota_pct,
        rejected_last_2m=rejected,
        pressure_pct=max(burst_pct, quota_pct or 0.0),
    )


def rate_limit_usage(
    *,
    client: redis.Redis,
    key_prefix: str,
    tenants: Iterable[Tenant] | None = None,
    limit: int | None = None,
) -> list[TenantUsage]:
    """Usage of every active tenant, most pressed first; one pipelined round trip to Redis."""
    chosen = list(
        tenants if tenants is not None else Tenant.objects.filter(status=TenantStatus.ACTIVE)
    )
    limits_cache = LimitsCache(ttl_s=0)
    pipe = client.pipeline(transaction=False)
    pipe.time()
    for tenant in chosen:
        pipe.hmget(bucket_key(key_prefix, str(tenant.pk)), _FIELDS)
    replies = pipe.execute()
    seconds, micros = replies[0]
    now_us = int(seconds) * MICRO + int(micros)
    rows = [
        usage_from_state(tenant=tenant, limits=limits_cache.get(tenant), state=state, now_us=now_us)
        for tenant, state in zip(chosen, replies[1:], strict=True)
    ]
    rows.sort(key=lambda r: (r.pressure_pct, r.rejected_last_2m), reverse=True)
    return rows[:limit] if limit is not None else rows


def render_table(rows: list[TenantUsage], *, width: int = 140) -> str:
    table = Table(title="Tenants by rate-limit pressure", title_justify="left")
    for column, justify in (
        ("tenant", "left"),
        ("tier", "left"),
        ("limits", "left"),
        ("tokens / burst", "right"),
        ("rate/s", "right"),
        ("burst used", "right"),
        ("quota used / day", "right"),
        ("quota used", "right"),
        ("429s (2 min)", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for r in rows:
        quota = f"{r.quota_used} / {r.daily_quota}" if r.daily_quota is not None else "unlimited"
        table.add_row(
            r.tenant,
            r.tier,
            r.limits_source,
            f"{r.tokens:.1f} / {r.burst}",
            f"{r.rate_per_second:g}",
            f"{r.burst_used_pct:.1f}%",
            quota,
            f"{r.quota_used_pct:.1f}%" if r.quota_used_pct is not None else "-",
            str(r.rejected_last_2m),
            style="bold red" if r.pressure_pct >= 100 or r.rejected_last_2m else None,
        )
    buffer = io.StringIO()
    Console(file=buffer, width=width, force_terminal=False, color_system=None).print(table)
    return buffer.getvalue()
