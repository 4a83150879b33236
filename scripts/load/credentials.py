"""Tenant credentials for a load run: ``build/demo-credentials.json``'s shape, read and checked.

``{"tenants": [{"slug", "tier", "api_key", "admin_token", "tokens": {role: token},
"over_limit": false}, ...]}``. ``tokens`` and ``over_limit`` are optional: a tenant with
only ``admin_token`` runs every flow as its admin, and ``over_limit: true`` marks the
tenant that one user drives past its tier's rate on purpose (its 429s are expected).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.tenants.tiers import TierName

ROLES = ("admin", "hr", "manager", "employee")


class CredentialsError(ValueError):
    """The credentials file is missing, unreadable or not in the expected shape."""


@dataclass(frozen=True, kw_only=True)
class TenantCredentials:
    slug: str
    tier: str
    api_key: str
    tokens: dict[str, str] = field(default_factory=dict)  # role -> bearer token; admin always
    over_limit: bool = False

    def token(self, role: str) -> str:
        """The role's token, or the admin's when the file has none for that role."""
        return self.tokens.get(role) or self.tokens["admin"]

    def headers(self, role: str) -> dict[str, str]:
        return {"X-API-Key": self.api_key, "Authorization": f"Bearer {self.token(role)}"}


def _tenant(raw: Any, where: str) -> TenantCredentials:
    if not isinstance(raw, dict):
        raise CredentialsError(f"{where}: expected an object")
    for key in ("slug", "tier", "api_key", "admin_token"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise CredentialsError(f"{where}: missing or empty {key!r}")
    tiers = [t.value for t in TierName]
    if raw["tier"] not in tiers:
        raise CredentialsError(f"{where}: tier {raw['tier']!r} is not one of {', '.join(tiers)}")
    tokens = raw.get("tokens") or {}
    if not isinstance(tokens, dict) or not all(isinstance(v, str) and v for v in tokens.values()):
        raise CredentialsError(f"{where}: 'tokens' must map roles to token strings")
    unknown = sorted(set(tokens) - set(ROLES))
    if unknown:
        raise CredentialsError(f"{where}: unknown roles {unknown}; expected {', '.join(ROLES)}")
    over = raw.get("over_limit", False)
    if not isinstance(over, bool):
        raise CredentialsError(f"{where}: 'over_limit' must be true or false")
    return TenantCredentials(
        slug=raw["slug"],
        tier=raw["tier"],
        api_key=raw["api_key"],
        tokens={**tokens, "admin": raw["admin_token"]},
        over_limit=over,
    )


def credentials_parse(payload: Any, *, source: str) -> tuple[TenantCredentials, ...]:
    if not isinstance(payload, dict) or not isinstance(payload.get("tenants"), list):
        raise CredentialsError(f"{source}: expected {{'tenants': [...]}}")
    tenants = tuple(
        _tenant(raw, f"{source}: tenants[{i}]") for i, raw in enumerate(payload["tenants"])
    )
    if not tenants:
        raise CredentialsError(f"{source}: no tenants")
    slugs = [t.slug for t in tenants]
    if len(set(slugs)) != len(slugs):
        raise CredentialsError(f"{source}: a tenant slug appears twice")
    if len([t for t in tenants if not t.over_limit]) < 2:
        # Isolation probes need another tenant's ids to ask for.
        raise CredentialsError(f"{source}: at least two tenants not marked over_limit are needed")
    return tenants


def credentials_load(path: Path) -> tuple[TenantCredentials, ...]:
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CredentialsError(f"{path}: cannot read ({exc.strerror})") from exc
    except json.JSONDecodeError as exc:
        raise CredentialsError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from exc
    return credentials_parse(payload, source=str(path))
