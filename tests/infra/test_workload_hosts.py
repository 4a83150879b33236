"""Contract between the staging plan and the app: every Host the platform sends is accepted."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from app.settings.env import env_list
from stacks import outputs
from tests.infra.plans import one, stack_plan

STACK = "staging"
# A pod IP from staging's private range: what kubelet would send as Host without the header.
POD_IP = "10.20.33.7"


def _probe_hosts() -> dict[str, str]:
    """The Host each kubelet probe sends: its explicit header, else the pod IP."""
    container = one(
        stack_plan(STACK), "kubernetes:apps/v1:Deployment", within="HrmsWorkload"
    ).inputs["spec"]["template"]["spec"]["containers"][0]
    hosts = {}
    for probe in ("readinessProbe", "livenessProbe"):
        headers = container[probe]["httpGet"].get("httpHeaders", [])
        explicit = [h["value"] for h in headers if h["name"].lower() == "host"]
        hosts[probe] = explicit[-1] if explicit else POD_IP
    return hosts


@pytest.fixture
def plan_allowed_hosts(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The app configured exactly as the staging ConfigMap configures production."""
    data = one(stack_plan(STACK), "kubernetes:core/v1:ConfigMap").inputs["data"]
    # Parsed the way app/settings/production.py reads the variable from envFrom.
    monkeypatch.setenv("ALLOWED_HOSTS", data["ALLOWED_HOSTS"])
    hosts = env_list("ALLOWED_HOSTS")
    settings.ALLOWED_HOSTS = hosts
    settings.DEBUG = False
    return hosts


def _healthz(client: Client, host: str) -> int:
    return client.get("/healthz", HTTP_HOST=host).status_code


def _api(client: Client, host: str) -> int:
    """Status of an unauthenticated API call: 401 once the host passes validation, else 400.

    Probes answer before host validation (app/health/middleware.py), so tenant traffic is
    checked on a path that goes through it.
    """
    return client.get("/api/v1/employees/", HTTP_HOST=host).status_code


@pytest.mark.parametrize("probe", ["readinessProbe", "livenessProbe"])
def test_probe_host_is_accepted(
    plan_allowed_hosts: list[str], client: Client, db: None, probe: str
) -> None:
    host = _probe_hosts()[probe]
    assert _healthz(client, host) == 200
    # The probes' Host is also what `kubectl port-forward` sends; it must pass validation.
    assert _api(client, host) == 401


def test_load_balancer_host_is_accepted(
    plan_allowed_hosts: list[str], client: Client, db: None
) -> None:
    plan = stack_plan(STACK)
    nlb_dns_name = plan.outputs[outputs.NLB_DNS_NAME]
    assert _api(client, nlb_dns_name) == 401
    # What API Gateway actually sends: the authority of its VPC-link integration URIs.
    for integration in plan.by_type("aws:apigateway/integration:Integration"):
        authority = urlsplit(integration.inputs["uri"]).netloc
        assert authority.startswith(nlb_dns_name)
        assert _api(client, authority) == 401, integration.name


def test_public_host_is_accepted(plan_allowed_hosts: list[str], client: Client, db: None) -> None:
    assert _api(client, "api.staging.hrms.example.com") == 401


@pytest.mark.parametrize(
    "host",
    [POD_IP, "evil.example.com", "api.hrms.example.com", "localhost.evil.example.com"],
    ids=["pod-ip", "foreign", "prod-host", "suffix-trick"],
)
def test_unlisted_host_is_rejected(
    plan_allowed_hosts: list[str], client: Client, db: None, host: str
) -> None:
    assert host not in plan_allowed_hosts
    assert _api(client, host) == 400
    # Probes alone answer any Host: load balancers and kubelet send the target IP.
    assert _healthz(client, host) == 200
