"""A tenant's API keys at the edge (API Gateway): same value as the app's, in the tier's plan.

The app is the source of truth; ``TenantEdge.reconcile`` makes the edge match it, so
re-running any ``tenant ... --stack`` command after a failed edge call converges:

* an edge key exists only for an active app key (anything else of the tenant is deleted);
* it is enabled exactly while the tenant is active;
* it sits in the usage plan of the tenant's tier and in no other tier plan.

Edge keys are found by ``customerId`` (the tenant slug) and named ``<slug>-<prefix>``,
so no edge id needs storing in the app. A key value can only be sent when it is issued
(the app keeps a hash), so a key missing at the edge is reported, not recreated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from app.tenants.credentials import EDGE_KEY_VALUE, credential_parse
from app.tenants.tiers import TierName

if TYPE_CHECKING:
    from mypy_boto3_apigateway import APIGatewayClient


class EdgeError(RuntimeError):
    """The edge could not be brought in line with the app; the command may be re-run."""


@dataclass(frozen=True, kw_only=True)
class EdgeKey:
    id: str
    name: str
    prefix: str
    enabled: bool
    plan_ids: frozenset[str]


@dataclass(frozen=True, kw_only=True)
class DesiredKey:
    prefix: str
    value: str | None = None  # only known right after issuing


@dataclass(kw_only=True)
class EdgeReport:
    created: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # active in the app, absent at the edge

    def as_dict(self) -> dict[str, list[str]]:
        return {
            "created": self.created,
            "deleted": self.deleted,
            "updated": self.updated,
            "missing": self.missing,
        }


def edge_key_name(*, slug: str, prefix: str) -> str:
    return f"{slug}-{prefix}"


def edge_key_value_check(value: str) -> None:
    """Refuse what API Gateway refuses, also against an emulator that accepts more."""
    if not EDGE_KEY_VALUE.match(value):
        raise EdgeError(
            "API Gateway accepts only alphanumeric API key values of 20 to 128 characters; "
            "this key predates that format: issue a new key and revoke this one"
        )


class TenantEdge:
    """The API Gateway of one stack, as seen by tenant lifecycle commands."""

    def __init__(
        self, *, stack: str, endpoint_url: str | None = None, client: APIGatewayClient | None = None
    ) -> None:
        self.stack = stack
        self.client: APIGatewayClient = client or boto3.client(
            "apigateway", endpoint_url=endpoint_url
        )
        self._plans: dict[str, str] | None = None

    # ------------------------------------------------------------------ reads

    def tier_plan_ids(self) -> dict[str, str]:
        """Tier name -> usage plan id, found by the names the stack program gives the plans."""
        if self._plans is None:
            # Imported here: the app image ships without the Pulumi program, and only
            # edge sync (run from a checkout) needs the stack's naming.
            try:
                from infra.edge.usage_plans import stack_usage_plan_name
            except ImportError as exc:
                raise EdgeError(
                    "edge sync runs from a checkout of the platform repository "
                    f"(it needs the stack program's naming): {exc}"
                ) from exc

            wanted = {
                stack_usage_plan_name(stack=self.stack, tier=t.value): t.value for t in TierName
            }
            found: dict[str, str] = {}
            for page in self._call("list usage plans", self._usage_plan_pages):
                for plan in page.get("items", []):
                    tier = wanted.get(plan.get("name", ""))
                    if tier is not None:
                        found[tier] = plan["id"]
            missing = sorted(set(wanted.values()) - set(found))
            if missing:
                raise EdgeError(
                    f"stack {self.stack!r} has no usage plan for tier(s) {', '.join(missing)} "
                    f"(expected names {sorted(wanted)})"
                )
            self._plans = found
        return self._plans

    def tenant_keys(self, *, slug: str) -> list[EdgeKey]:
        keys: list[EdgeKey] = []
        plan_of = self._plan_membership()
        for page in self._call("list API keys", lambda: self._api_key_pages(slug)):
            for item in page.get("items", []):
                # nameQuery matches by prefix; customerId pins the tenant exactly.
                if item.get("customerId") != slug:
                    continue
                prefix = item.get("name", "").removeprefix(f"{slug}-")
                keys.append(
                    EdgeKey(
                        id=item["id"],
                        name=item.get("name", ""),
                        prefix=prefix,
                        enabled=bool(item.get("enabled")),
                        plan_ids=frozenset(plan_of.get(item["id"], ())),
                    )
                )
        return keys

    # ------------------------------------------------------------------ writes

    def reconcile(
        self, *, slug: str, tier: str, active: bool, keys: Iterable[DesiredKey]
    ) -> EdgeReport:
        """Make the tenant's edge keys match the app (see the module docstring)."""
        report = EdgeReport()
        desired = {k.prefix: k for k in keys}
        plans = self.tier_plan_ids()
        target_plan = plans[tier]
        existing = {k.prefix: k for k in self.tenant_keys(slug=slug)}
        for prefix, key in existing.items():
            if prefix not in desired:
                self._delete_key(key)
                report.deleted.append(prefix)
        for prefix, want in desired.items():
            have = existing.get(prefix)
            if have is None:
                if want.value is None:
                    report.missing.append(prefix)
                    continue
                have = self._create_key(slug=slug, prefix=prefix, value=want.value, enabled=active)
                report.created.append(prefix)
            changed = False
            if have.enabled != active:
                self._call(
                    "enable/disable API key",
                    lambda k=have: self.client.update_api_key(
                        apiKey=k.id,
                        patchOperations=[
                            {"op": "replace", "path": "/enabled", "value": str(active).lower()}
                        ],
                    ),
                )
                changed = True
            # Delete before create: a key may not sit in two plans on the same stage.
            for plan_id in sorted(have.plan_ids & set(plans.values()) - {target_plan}):
                self._call(
                    "remove key from usage plan",
                    lambda p=plan_id, k=have: self.client.delete_usage_plan_key(
                        usagePlanId=p, keyId=k.id
                    ),
                )
                changed = True
            if target_plan not in have.plan_ids:
                self._call(
                    "add key to usage plan",
                    lambda k=have: self.client.create_usage_plan_key(
                        usagePlanId=target_plan, keyId=k.id, keyType="API_KEY"
                    ),
                )
                changed = changed or prefix not in report.created
            if changed:
                report.updated.append(prefix)
        return report

    def delete_tenant(self, *, slug: str) -> list[str]:
        """Remove every edge key of the tenant (offboarding); idempotent."""
        deleted = []
        for key in self.tenant_keys(slug=slug):
            self._delete_key(key)
            deleted.append(key.prefix)
        return deleted

    # ------------------------------------------------------------------ helpers

    def _create_key(self, *, slug: str, prefix: str, value: str, enabled: bool) -> EdgeKey:
        edge_key_value_check(value)
        if credential_parse(value, kind="hk") != prefix:
            raise EdgeError(f"key value does not carry prefix {prefix!r}")
        created = self._call(
            "create API key",
            lambda: self.client.create_api_key(
                name=edge_key_name(slug=slug, prefix=prefix),
                description=f"HRMS tenant {slug}, app key prefix {prefix}",
                enabled=enabled,
                value=value,
                customerId=slug,
                tags={"hrms:tenant": slug, "hrms:key-prefix": prefix},
            ),
        )
        return EdgeKey(
            id=created["id"],
            name=created.get("name", ""),
            prefix=prefix,
            enabled=enabled,
            plan_ids=frozenset(),
        )

    def _delete_key(self, key: EdgeKey) -> None:
        # Deleting a key also removes it from its usage plans.
        try:
            self.client.delete_api_key(apiKey=key.id)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "NotFoundException":
                raise EdgeError(f"delete API key {key.name}: {exc}") from exc
        except BotoCoreError as exc:
            raise EdgeError(f"delete API key {key.name}: {exc}") from exc

    def _plan_membership(self) -> dict[str, set[str]]:
        """API key id -> ids of the tier plans it is attached to."""
        membership: dict[str, set[str]] = {}
        for plan_id in self.tier_plan_ids().values():
            pages = self._call(
                "list usage plan keys",
                lambda p=plan_id: list(
                    self.client.get_paginator("get_usage_plan_keys").paginate(usagePlanId=p)
                ),
            )
            for page in pages:
                for item in page.get("items", []):
                    membership.setdefault(item["id"], set()).add(plan_id)
        return membership

    def _usage_plan_pages(self) -> list[Any]:
        return list(self.client.get_paginator("get_usage_plans").paginate())

    def _api_key_pages(self, slug: str) -> list[Any]:
        return list(self.client.get_paginator("get_api_keys").paginate(nameQuery=f"{slug}-"))

    def _call(self, what: str, fn: Any) -> Any:
        try:
            return fn()
        except (ClientError, BotoCoreError) as exc:
            raise EdgeError(f"{what} on stack {self.stack!r}: {exc}") from exc
