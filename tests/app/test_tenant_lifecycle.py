"""``manage.py tenant ...`` on the suite's PostgreSQL and an API Gateway on moto's server."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from app.audit.models import AuditEvent
from app.core.rls import tenant_scope
from app.ratelimit.limits import Limits
from app.ratelimit.selectors import tenant_limits_effective
from app.tenants import lifecycle
from app.tenants.credentials import EDGE_KEY_VALUE
from app.tenants.edge import EdgeError, TenantEdge
from app.tenants.models import Tenant, TenantApiKey, TenantStatus
from tests.app.factories import build_tenant
from tests.fixtures.apigateway_server import EdgeStack

pytestmark = pytest.mark.django_db


def tenant_cmd(*args: str, edge: EdgeStack | None = None) -> dict[str, Any]:
    out = io.StringIO()
    extra = ["--stack", edge.stack, "--endpoint-url", edge.endpoint_url] if edge else []
    call_command("tenant", *args, *extra, "--json", "--operator", "ops@test", stdout=out)
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


def client_for(api_key: str, token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=api_key, HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def edge_keys(edge: EdgeStack, slug: str) -> list[dict[str, Any]]:
    items = edge.client.get_api_keys(nameQuery=f"{slug}-", includeValues=True)["items"]
    return [dict(k) for k in items if k.get("customerId") == slug]


def plans_of(edge: EdgeStack, key_id: str) -> set[str]:
    tiers = set()
    for tier, plan_id in edge.plan_ids.items():
        keys = edge.client.get_usage_plan_keys(usagePlanId=plan_id)["items"]
        if any(k["id"] == key_id for k in keys):
            tiers.add(tier)
    return tiers


def onboard(edge: EdgeStack | None, slug: str = "initech", tier: str = "starter") -> dict[str, Any]:
    return tenant_cmd(
        "onboard",
        "--slug",
        slug,
        "--name",
        slug.title(),
        "--tier",
        tier,
        "--admin-email",
        f"Admin@{slug}.test",
        edge=edge,
    )


class FailingClient:
    """The real boto3 client, except that one operation fails ``times`` times."""

    def __init__(self, client: Any, operation: str, times: int = 1) -> None:
        self._client, self._operation, self._left = client, operation, times

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if name != self._operation:
            return attr

        def failing(**kwargs: Any) -> Any:
            if self._left > 0:
                self._left -= 1
                raise ClientError(
                    {"Error": {"Code": "ServiceUnavailableException", "Message": "injected"}},
                    name,
                )
            return attr(**kwargs)

        return failing


def test_onboarding_makes_a_tenant_that_works_end_to_end(edge_stack: EdgeStack) -> None:
    result = onboard(edge_stack)
    assert set(result) == {"slug", "tier", "api_key", "admin_token"}
    assert result["slug"] == "initech"
    assert result["tier"] == "starter"
    assert EDGE_KEY_VALUE.match(result["api_key"])

    response = client_for(result["api_key"], result["admin_token"]).get("/api/v1/employees/")
    assert response.status_code == 200, response.content

    (key,) = edge_keys(edge_stack, "initech")
    assert key["value"] == result["api_key"]  # the edge meters the app's key
    assert key["enabled"] is True
    assert plans_of(edge_stack, key["id"]) == {"starter"}
    tenant = Tenant.objects.get(slug="initech")
    assert tenant.status == TenantStatus.ACTIVE
    with tenant_scope(tenant.pk):
        actions = set(AuditEvent.objects.for_tenant(tenant).values_list("action", flat=True))
    assert {"tenant.onboard", "tenant.activate"} <= actions


def test_onboarding_again_changes_nothing(edge_stack: EdgeStack) -> None:
    first = onboard(edge_stack)
    again = onboard(edge_stack)
    assert again["api_key"] is None
    assert again["admin_token"] is None
    assert (
        client_for(first["api_key"], first["admin_token"]).get("/api/v1/employees/").status_code
        == 200
    )
    assert len(edge_keys(edge_stack, "initech")) == 1


def test_onboarding_refuses_bad_input_and_a_tier_mismatch(db: None) -> None:
    with pytest.raises(CommandError, match="lowercase"):
        onboard(None, slug="Not_A_Slug")
    assert not Tenant.objects.exists()
    onboard(None, tier="free")
    with pytest.raises(CommandError, match="already onboarded on tier free; use change-tier"):
        onboard(None, tier="enterprise")


def test_onboarding_interrupted_at_the_edge_converges_on_retry(edge_stack: EdgeStack) -> None:
    edge = TenantEdge(
        stack=edge_stack.stack, client=FailingClient(edge_stack.client, "create_usage_plan_key")
    )
    with pytest.raises(EdgeError):
        lifecycle.tenant_onboard(
            slug="initech",
            name="Initech",
            tier="free",
            admin_email="a@initech.test",
            operator="ops",
            edge=edge,
        )
    tenant = Tenant.objects.get(slug="initech")
    assert tenant.status == TenantStatus.ONBOARDING  # never authenticates half-made

    result = onboard(edge_stack, tier="free")
    assert result["api_key"] is not None
    assert (
        client_for(result["api_key"], result["admin_token"]).get("/api/v1/employees/").status_code
        == 200
    )
    (key,) = edge_keys(edge_stack, "initech")  # the undelivered key is gone from the edge
    assert key["value"] == result["api_key"]
    assert key["enabled"] is True
    assert plans_of(edge_stack, key["id"]) == {"free"}
    assert TenantApiKey.objects.filter(tenant=tenant, revoked_at__isnull=True).count() == 1


def test_tier_change_changes_app_limits_and_the_keys_usage_plan(edge_stack: EdgeStack) -> None:
    onboarded = onboard(edge_stack, tier="starter")
    client = client_for(onboarded["api_key"], onboarded["admin_token"])
    assert client.get("/api/v1/employees/")["RateLimit-Policy"].startswith('"burst";q=40;')
    result = tenant_cmd(
        "change-tier", "--slug", "initech", "--tier", "professional", edge=edge_stack
    )
    assert result["changed"] is True
    assert result["tier"] == "professional"
    tenant = Tenant.objects.get(slug="initech")
    assert tenant_limits_effective(tenant=tenant) == Limits.for_tier_name("professional")
    # The very next request is metered on the new tier's bucket.
    assert client.get("/api/v1/employees/")["RateLimit-Policy"].startswith('"burst";q=200;')
    (key,) = edge_keys(edge_stack, "initech")
    assert plans_of(edge_stack, key["id"]) == {"professional"}
    assert (
        tenant_cmd("change-tier", "--slug", "initech", "--tier", "professional")["changed"] is False
    )


def test_tier_change_failing_at_the_edge_converges_on_retry(edge_stack: EdgeStack) -> None:
    onboard(edge_stack, tier="starter")
    # The key has left the old plan when adding it to the new one fails.
    edge = TenantEdge(
        stack=edge_stack.stack, client=FailingClient(edge_stack.client, "create_usage_plan_key")
    )
    with pytest.raises(EdgeError):
        lifecycle.tenant_change_tier(slug="initech", tier="enterprise", operator="ops", edge=edge)
    assert Tenant.objects.get(slug="initech").tier == "enterprise"  # the app changed
    (key,) = edge_keys(edge_stack, "initech")
    assert plans_of(edge_stack, key["id"]) == set()  # split: in no plan at all

    tenant_cmd("change-tier", "--slug", "initech", "--tier", "enterprise", edge=edge_stack)
    assert plans_of(edge_stack, key["id"]) == {"enterprise"}


def test_downgrade_that_does_not_fit_is_refused_with_the_numbers(edge_stack: EdgeStack) -> None:
    world = build_tenant("bigco", tier="professional")
    for _ in range(2):
        tenant_cmd("issue-key", "--slug", "bigco")
    with pytest.raises(CommandError, match=r"3 active API keys, tier free allows 2"):
        tenant_cmd("change-tier", "--slug", "bigco", "--tier", "free")
    assert Tenant.objects.get(pk=world.tenant.pk).tier == "professional"
    forced = tenant_cmd("change-tier", "--slug", "bigco", "--tier", "free", "--force")
    assert forced["tier"] == "free"


def test_suspension_blocks_the_app_and_the_edge(edge_stack: EdgeStack) -> None:
    result = onboard(edge_stack)
    client = client_for(result["api_key"], result["admin_token"])
    tenant_cmd("suspend", "--slug", "initech", edge=edge_stack)
    assert client.get("/api/v1/employees/").status_code == 403
    (key,) = edge_keys(edge_stack, "initech")
    assert key["enabled"] is False

    # A failure half-way: the app resumed, the edge still disabled; retry converges.
    edge = TenantEdge(
        stack=edge_stack.stack, client=FailingClient(edge_stack.client, "update_api_key")
    )
    with pytest.raises(EdgeError):
        lifecycle.tenant_resume(slug="initech", operator="ops", edge=edge)
    assert edge_keys(edge_stack, "initech")[0]["enabled"] is False
    tenant_cmd("resume", "--slug", "initech", edge=edge_stack)
    assert client.get("/api/v1/employees/").status_code == 200
    assert edge_keys(edge_stack, "initech")[0]["enabled"] is True


def test_issue_and_revoke_keys_reach_the_edge(edge_stack: EdgeStack) -> None:
    first = onboard(edge_stack)
    issued = tenant_cmd("issue-key", "--slug", "initech", edge=edge_stack)
    assert {k["value"] for k in edge_keys(edge_stack, "initech")} == {
        first["api_key"],
        issued["api_key"],
    }
    client = client_for(issued["api_key"], first["admin_token"])
    assert client.get("/api/v1/employees/").status_code == 200
    tenant_cmd("revoke-key", "--slug", "initech", "--prefix", issued["prefix"], edge=edge_stack)
    assert client.get("/api/v1/employees/").status_code == 401
    assert [k["value"] for k in edge_keys(edge_stack, "initech")] == [first["api_key"]]
    again = tenant_cmd("revoke-key", "--slug", "initech", "--prefix", issued["prefix"])
    assert again["changed"] is False


def test_issue_token_for_each_role(db: None) -> None:
    result = onboard(None)
    for role in ("admin", "hr", "manager", "employee"):
        token = tenant_cmd(
            "issue-token", "--slug", "initech", "--email", f"{role}@initech.test", "--role", role
        )["token"]
        me = client_for(result["api_key"], token).get("/api/v1/employees/")
        assert me.status_code == 200, (role, me.content)


def test_edge_refuses_a_key_value_api_gateway_would_refuse(edge_stack: EdgeStack) -> None:
    """moto takes any value of 20+ characters; the edge client enforces AWS's rule itself."""
    legacy = "hk_0123abcd." + "A" * 43
    edge = TenantEdge(stack=edge_stack.stack, client=edge_stack.client)
    with pytest.raises(EdgeError, match="alphanumeric"):
        edge.reconcile(
            slug="x",
            tier="free",
            active=True,
            keys=[lifecycle.DesiredKey(prefix="0123abcd", value=legacy)],
        )
    assert edge_keys(edge_stack, "x") == []


def test_a_stack_without_tier_plans_is_named_in_the_error(edge_stack: EdgeStack) -> None:
    edge = TenantEdge(stack="nosuchstack", client=edge_stack.client)
    with pytest.raises(EdgeError, match="no usage plan for tier"):
        edge.tier_plan_ids()


def test_issue_key_failing_at_the_edge_leaves_no_app_key_and_retry_converges(
    edge_stack: EdgeStack,
) -> None:
    first = onboard(edge_stack)
    tenant = Tenant.objects.get(slug="initech")
    edge = TenantEdge(
        stack=edge_stack.stack, client=FailingClient(edge_stack.client, "create_usage_plan_key")
    )
    with pytest.raises(EdgeError):
        lifecycle.tenant_key_issue(slug="initech", operator="ops", edge=edge)
    assert TenantApiKey.objects.filter(tenant=tenant, revoked_at__isnull=True).count() == 1
    assert len(edge_keys(edge_stack, "initech")) == 2  # an edge key the app never accepted

    issued = tenant_cmd("issue-key", "--slug", "initech", edge=edge_stack)
    keys = edge_keys(edge_stack, "initech")
    assert {k["value"] for k in keys} == {first["api_key"], issued["api_key"]}
    assert all(plans_of(edge_stack, k["id"]) == {"starter"} for k in keys)
    assert TenantApiKey.objects.filter(tenant=tenant, revoked_at__isnull=True).count() == 2
