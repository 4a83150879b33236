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
    container = one(stack_plan(STACK), "kubernetes:apps/v1:Deployment").inputs["spec"]["template"][
        "spec"
    ]["containers"][0]
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


@pytest.mark.parametrize("probe", ["readinessProbe", "livenessProbe"])
def test_probe_host_is_accepted(plan_allowed_hosts: list[str], client: Client, probe: str) -> None:
    # /healthz for both: host validation runs before any view, and /readyz needs a database.
    assert _healthz(client, _probe_hosts()[probe]) == 200


def test_load_balancer_host_is_accepted(plan_allowed_hosts: list[str], client: Client) -> None:
    plan = stack_plan(STACK)
    nlb_dns_name = plan.outputs[outputs.NLB_DNS_NAME]
    assert _healthz(client, nlb_dns_name) == 200
    # What API Gateway actually sends: the authority of its VPC-link integration URIs.
    for integration in plan.by_type("aws:apigateway/integration:Integration"):
        authority = urlsplit(integration.inputs["uri"]).netloc
        assert authority.startswith(nlb_dns_name)
        assert _healthz(client, authority) == 200, integration.name


def test_public_host_is_accepted(plan_allowed_hosts: list[str], client: Client) -> None:
    assert _healthz(client, "api.staging.hrms.example.com") == 200


@pytest.mark.parametrize(
    "host",
    [POD_IP, "evil.example.com", "api.hrms.example.com", "localhost.evil.example.com"],
    ids=["pod-ip", "foreign", "prod-host", "suffix-trick"],
)
def test_unlisted_host_is_rejected(
    plan_allowed_hosts: list[str], client: Client, host: str
) -> None:
    assert host not in plan_allowed_hosts
    assert _healthz(client, host) == 400
