"""The app workload: Pod Security, IRSA, migrations before rollout, probes, hardening."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

import pulumi
import pytest

from infra.workload.app import (
    CONFIG_CHECKSUM,
    LOCAL_HOST,
    SECRET_CHECKSUM,
    HrmsWorkload,
    HrmsWorkloadArgs,
    WorkloadSettings,
    allowed_hosts_value,
    data_checksum,
    db_connect_policy,
    migration_job_name,
)
from stacks import outputs
from stacks.offline.plan import Plan, PlanResource
from tests.infra.conftest import Synth
from tests.infra.plans import STACKS, one, stack_plan

APP = "HrmsWorkload"

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
DB_OWNER_ROLE, DB_RUNTIME_ROLE = "hrms_owner", "hrms_app"


@pytest.fixture(scope="module", params=STACKS)
def stack(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_namespace_enforces_restricted_pod_security(stack: str) -> None:
    labels = one(stack_plan(stack), "kubernetes:core/v1:Namespace").inputs["metadata"]["labels"]
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"


def test_deployment_pod_hardening_and_probes(stack: str) -> None:
    spec = one(stack_plan(stack), DEPLOYMENT, within=APP).inputs["spec"]
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    # The HPA owns the scale: a declared replicas would reset it on every deploy.
    assert "replicas" not in spec
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert set(container["resources"]) == {"requests", "limits"}
    sc = container["securityContext"]
    assert sc["runAsNonRoot"] is True
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"]["drop"] == ["ALL"]
    assert sc["seccompProfile"]["type"] == "RuntimeDefault"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["automountServiceAccountToken"] is False
    zones = [t for t in pod["topologySpreadConstraints"] if "zone" in t["topologyKey"]]
    assert zones[0]["whenUnsatisfiable"] == "DoNotSchedule"
    assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
    assert "@sha256:" in container["image"]


def test_allowed_hosts_cover_public_nlb_and_local_names(stack: str) -> None:
    plan = stack_plan(stack)
    hosts = one(plan, "kubernetes:core/v1:ConfigMap").inputs["data"]["ALLOWED_HOSTS"].split(",")
    nlb_dns_name = plan.outputs[outputs.NLB_DNS_NAME]
    public = "api.hrms.example.com" if stack == "prod" else "api.staging.hrms.example.com"
    assert nlb_dns_name.startswith(f"internal-hrms-{stack}-nlb-")
    assert hosts == [public, nlb_dns_name, LOCAL_HOST]
    # The Host header API Gateway sends is the host of each VPC-link integration's URI.
    integrations = plan.by_type("aws:apigateway/integration:Integration")
    assert integrations
    for integration in integrations:
        assert integration.inputs["connectionType"] == "VPC_LINK"
        assert urlsplit(integration.inputs["uri"]).hostname in hosts
    # Never a wildcard or an address: the pod IP is not needed since probes send LOCAL_HOST.
    assert not any(h.startswith((".", "*")) or h[0].isdigit() for h in hosts)


def test_probes_send_the_local_host_name(stack: str) -> None:
    container = one(stack_plan(stack), DEPLOYMENT, within=APP).inputs["spec"]["template"]["spec"][
        "containers"
    ][0]
    for probe in ("readinessProbe", "livenessProbe"):
        headers = container[probe]["httpGet"]["httpHeaders"]
        assert headers == [{"name": "Host", "value": LOCAL_HOST}], probe


def test_allowed_hosts_value_orders_and_dedupes() -> None:
    nlb = "internal-x-0123456789.elb.eu-west-1.amazonaws.com"
    assert allowed_hosts_value(["a.example.com", "b.example.com"], nlb) == (
        f"a.example.com,b.example.com,{nlb},localhost"
    )
    assert allowed_hosts_value(["a.example.com", "a.example.com"], nlb).count("a.") == 1
    with pytest.raises(ValueError, match="load_balancer_dns_name is empty"):
        allowed_hosts_value(["a.example.com"], "")


def test_migration_job_named_by_digest_gates_the_deployment(stack: str) -> None:
    plan = stack_plan(stack)
    job = one(plan, "kubernetes:batch/v1:Job")
    deployment = one(plan, DEPLOYMENT, within=APP)
    digest = plan.outputs["imageDigest"]
    assert job.inputs["metadata"]["name"] == migration_job_name(digest)
    assert job.urn in deployment.dependencies
    job_container = job.inputs["spec"]["template"]["spec"]["containers"][0]
    assert (
        job_container["image"]
        == deployment.inputs["spec"]["template"]["spec"]["containers"][0]["image"]
    )
    assert "migrate" in job_container["command"]


def test_migration_job_name_changes_with_digest() -> None:
    a = migration_job_name("sha256:" + "a" * 64)
    b = migration_job_name("sha256:" + "b" * 64)
    assert a != b
    assert len(a) <= 63


def _service_accounts(plan: Plan) -> dict[str, dict[str, Any]]:
    return {
        sa.inputs["metadata"]["name"]: sa.inputs
        for sa in plan.by_type("kubernetes:core/v1:ServiceAccount")
    }


def _trusted_subject(role: PlanResource) -> str:
    trust = json.loads(role.inputs["assumeRolePolicy"])
    condition = trust["Statement"][0]["Condition"]["StringEquals"]
    [subject] = [v for k, v in condition.items() if k.endswith(":sub")]
    return str(subject)


def test_web_pods_may_only_log_in_as_the_runtime_role(stack: str) -> None:
    """The web identity reads no secret at all: one rds-db:connect, one instance, one user."""
    plan = stack_plan(stack)
    sa = _service_accounts(plan)["hrms-app"]
    role = plan.find("aws:iam/role:Role", "-app-irsa-role")
    assert sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].startswith("arn:aws:iam::")
    assert _trusted_subject(role) == "system:serviceaccount:hrms:hrms-app"
    with pytest.raises(LookupError):  # the old secret-reading policy of the web identity
        plan.find("aws:iam/rolePolicy:RolePolicy", "-app-irsa-secrets")
    policy = plan.find("aws:iam/rolePolicy:RolePolicy", "-app-irsa-db-connect")
    assert role.urn in policy.dependencies
    [statement] = json.loads(policy.inputs["policy"])["Statement"]
    assert statement["Action"] == ["rds-db:connect"]
    # The DbiResourceId (db-...), never the instance identifier: IAM matches on it.
    assert re.fullmatch(
        rf"arn:aws:rds-db:eu-west-1:\d{{12}}:dbuser:db-[A-Z0-9]+/{DB_RUNTIME_ROLE}",
        statement["Resource"][0],
    ), statement
    instance = one(plan, "aws:rds/instance:Instance")
    assert instance.inputs["iamDatabaseAuthenticationEnabled"] is True


def test_only_the_migration_job_reads_the_master_secret(stack: str) -> None:
    plan = stack_plan(stack)
    role = plan.find("aws:iam/role:Role", "-app-migrate-irsa-role")
    assert _trusted_subject(role) == "system:serviceaccount:hrms:hrms-migrate"
    policy = json.loads(
        plan.find("aws:iam/rolePolicy:RolePolicy", "-app-migrate-irsa-secrets").inputs["policy"]
    )
    actions = {a for s in policy["Statement"] for a in s["Action"]}
    assert actions == {
        "secretsmanager:GetSecretValue",
        "secretsmanager:DescribeSecret",
        "kms:Decrypt",
    }
    resources = [r for s in policy["Statement"] for r in s["Resource"]]
    assert "*" not in resources
    job = one(plan, "kubernetes:batch/v1:Job").inputs["spec"]["template"]["spec"]
    assert job["serviceAccountName"] == "hrms-migrate"
    deployment = one(plan, DEPLOYMENT, within=APP).inputs["spec"]["template"]["spec"]
    assert deployment["serviceAccountName"] == "hrms-app"
    # Nothing the web pods read names the master secret.
    web_env = json.dumps(
        [deployment["containers"], one(plan, "kubernetes:core/v1:ConfigMap").inputs["data"]]
    )
    assert "secretsmanager" not in web_env
    assert "DATABASE_SECRET_ARN" not in web_env


def test_migration_job_applies_roles_as_master_then_migrates_as_owner(stack: str) -> None:
    plan = stack_plan(stack)
    spec = one(plan, "kubernetes:batch/v1:Job").inputs["spec"]["template"]["spec"]
    [roles] = spec["initContainers"]
    [migrate] = spec["containers"]
    assert roles["command"] == [
        "python", "-m", "django", "db_roles", "--apply", "--runtime-auth", "iam"
    ]  # fmt: skip
    assert migrate["command"] == ["python", "-m", "django", "migrate", "--noinput"]

    def env(container: dict[str, Any]) -> dict[str, str]:
        return {e["name"]: e["value"] for e in container["env"]}

    assert env(roles)["DATABASE_IAM_AUTH"] == "false"
    assert env(roles)["DATABASE_SECRET_ARN"].startswith("arn:aws:secretsmanager:")
    assert "DATABASE_ASSUME_ROLE" not in env(roles)
    assert env(migrate)["DATABASE_ASSUME_ROLE"] == DB_OWNER_ROLE
    assert env(migrate)["DATABASE_SECRET_ARN"] == env(roles)["DATABASE_SECRET_ARN"]
    data = one(plan, "kubernetes:core/v1:ConfigMap").inputs["data"]
    assert data["DATABASE_IAM_AUTH"] == "true"
    assert data["DATABASE_USER"] == data["DATABASE_RUNTIME_ROLE"] == DB_RUNTIME_ROLE
    assert data["DATABASE_OWNER_ROLE"] == DB_OWNER_ROLE


def test_db_connect_policy_refuses_an_instance_identifier() -> None:
    with pytest.raises(ValueError, match="DbiResourceId"):
        db_connect_policy(
            partition="aws",
            region="eu-west-1",
            account_id="111122223333",
            resource_id="hrms-staging",
            db_user="hrms_app",
        )


def test_service_hpa_pdb_and_network_policies(stack: str) -> None:
    plan = stack_plan(stack)
    service = one(plan, "kubernetes:core/v1:Service").inputs["spec"]
    assert service["type"] == "NodePort"
    assert service["ports"][0]["nodePort"] == 30080
    tg = one(plan, "aws:lb/targetGroup:TargetGroup").inputs
    assert tg["port"] == 30080
    hpa = one(plan, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler").inputs["spec"]
    assert hpa["minReplicas"] <= hpa["maxReplicas"]
    pdb = one(plan, "kubernetes:policy/v1:PodDisruptionBudget", within=APP).inputs["spec"]
    assert pdb["maxUnavailable"] == 1
    policies = {
        p.inputs["metadata"]["name"]: p.inputs["spec"]
        for p in plan.by_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    }
    deny = policies["hrms-default-deny"]
    assert deny["podSelector"] == {} or deny["podSelector"].get("matchLabels") in (None, {})
    assert set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny
    assert "egress" not in deny
    backends = policies["hrms-backends-egress"]["egress"][0]
    assert {p["port"] for p in backends["ports"]} == {5432, 6379, 443}


def test_secrets_never_in_plain_configmap(stack: str) -> None:
    plan = stack_plan(stack)
    data = one(plan, "kubernetes:core/v1:ConfigMap").inputs["data"]
    assert "SECRET_KEY" not in data
    assert "REDIS_URL" not in data
    secret = one(plan, "kubernetes:core/v1:Secret").inputs["stringData"]
    assert set(secret.values()) == {"[secret]"}


NLB_DNS_NAME = "internal-w-nlb-0123456789.elb.eu-west-1.amazonaws.com"


def _workload_checksums(
    synth: Synth,
    *,
    allowed_hosts: tuple[str, ...],
    secret_key: str,
    load_balancer_dns_name: str = NLB_DNS_NAME,
) -> tuple[Plan, list[str], list[str]]:
    """Synthesize the workload alone; return its plan and the resolved checksum values."""
    config: list[str] = []
    secret: list[str] = []

    def program() -> None:
        workload = HrmsWorkload(
            "w",
            HrmsWorkloadArgs(
                kubeconfig=pulumi.Output.secret("{}"),
                image="111122223333.dkr.ecr.eu-west-1.amazonaws.com/hrms@sha256:" + "a" * 64,
                oidc_provider_arn="arn:aws:iam::111122223333:oidc-provider/oidc.example",
                oidc_issuer="https://oidc.example",
                region="eu-west-1",
                database_host="db.internal",
                database_port=5432,
                database_name="hrms",
                database_resource_id="db-ABCDEFGHIJKLMNOPQRSTUVWXY0",
                database_secret_arn="arn:aws:secretsmanager:eu-west-1:111122223333:secret:db",
                readable_kms_key_arns=["arn:aws:kms:eu-west-1:111122223333:key/db"],
                cache_host="cache.internal",
                cache_port=6379,
                cache_auth_token=pulumi.Output.secret("cache-token"),
                django_secret_key=pulumi.Output.secret(secret_key),
                # Resolved only at deploy time, as the real NLB's name is.
                load_balancer_dns_name=pulumi.Output.from_input(load_balancer_dns_name),
                vpc_cidr="10.0.0.0/16",
                settings=WorkloadSettings(
                    namespace="hrms",
                    image_digest="sha256:" + "a" * 64,
                    min_replicas=2,
                    max_replicas=4,
                    target_cpu_percent=65,
                    cpu_request="250m",
                    memory_request="512Mi",
                    cpu_limit="1",
                    memory_limit="1Gi",
                    node_port=30080,
                    allowed_hosts=allowed_hosts,
                ),
            ),
        )
        workload.config_checksum.apply(config.append)
        workload.secret_checksum.apply(secret.append)

    return synth(program), config, secret


def test_config_change_rolls_the_pods_and_secret_hash_stays_secret(synth: Synth) -> None:
    base_plan, base_config, base_secret = _workload_checksums(
        synth, allowed_hosts=("api.example.com",), secret_key="k" * 50
    )
    annotations = one(base_plan, DEPLOYMENT).inputs["spec"]["template"]["metadata"]["annotations"]
    config_data = one(base_plan, "kubernetes:core/v1:ConfigMap").inputs["data"]
    # The annotation is the hash of exactly the data the ConfigMap carries.
    assert annotations[CONFIG_CHECKSUM] == data_checksum(config_data) == base_config[0]
    # The secret's hash is recorded only as a secret, never in clear.
    assert annotations[SECRET_CHECKSUM] == "[secret]"
    assert "k" * 50 not in json.dumps(one(base_plan, DEPLOYMENT).inputs)

    hosts_plan, hosts_config, hosts_secret = _workload_checksums(
        synth, allowed_hosts=("api.example.com", "api2.example.com"), secret_key="k" * 50
    )
    changed = one(hosts_plan, DEPLOYMENT).inputs["spec"]["template"]["metadata"]["annotations"]
    assert changed[CONFIG_CHECKSUM] != annotations[CONFIG_CHECKSUM]
    assert hosts_config != base_config
    assert hosts_secret == base_secret

    # A new load balancer (e.g. replaced) changes ALLOWED_HOSTS, so the pods roll onto it.
    nlb_plan, nlb_config, _ = _workload_checksums(
        synth,
        allowed_hosts=("api.example.com",),
        secret_key="k" * 50,
        load_balancer_dns_name="internal-w-nlb-9876543210.elb.eu-west-1.amazonaws.com",
    )
    nlb_data = one(nlb_plan, "kubernetes:core/v1:ConfigMap").inputs["data"]
    assert "internal-w-nlb-9876543210" in nlb_data["ALLOWED_HOSTS"]
    assert nlb_config != base_config
    assert nlb_config[0] == data_checksum(nlb_data)

    _, key_config, key_secret = _workload_checksums(
        synth, allowed_hosts=("api.example.com",), secret_key="r" * 50
    )
    assert key_config == base_config
    assert key_secret != base_secret
    assert len(key_secret[0]) == 64


def test_data_checksum_ignores_key_order_but_not_values() -> None:
    assert data_checksum({"A": "1", "B": "2"}) == data_checksum({"B": "2", "A": "1"})
    assert data_checksum({"A": "1"}) != data_checksum({"A": "2"})
    assert data_checksum({"A": "1"}) != data_checksum({"A": "1", "B": ""})


def test_limiter_metrics_go_to_the_agents_emf_listener(stack: str) -> None:
    """stdout EMF is nested by the log pipeline and never becomes a metric: the pods send
    to the agent the insights add-on runs, with the listener enabled and the path allowed."""
    from infra.cluster.insights import AGENT_NAMESPACE, AGENT_SERVICE, EMF_PORT

    plan = stack_plan(stack)
    data = one(plan, "kubernetes:core/v1:ConfigMap").inputs["data"]
    endpoint = urlsplit(data["AWS_EMF_AGENT_ENDPOINT"])
    assert endpoint.scheme == "tcp"
    assert endpoint.hostname == f"{AGENT_SERVICE}.{AGENT_NAMESPACE}.svc"
    assert endpoint.port == EMF_PORT
    # The records land in a log group the stack creates (encrypted, with retention).
    groups = {g.inputs.get("name") for g in plan.by_type("aws:cloudwatch/logGroup:LogGroup")}
    assert data["AWS_EMF_LOG_GROUP_NAME"] in groups

    (addon,) = [
        a
        for a in plan.by_type("aws:eks/addon:Addon")
        if a.inputs["addonName"] == "amazon-cloudwatch-observability"
    ]
    collected = json.loads(addon.inputs["configurationValues"])["agent"]["config"]["logs"][
        "metrics_collected"
    ]
    assert "emf" in collected
    assert "kubernetes" in collected  # the Container Insights metrics the cluster alarms read

    policies = {
        p.inputs["metadata"]["name"]: p.inputs["spec"]
        for p in plan.by_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    }
    (rule,) = policies["hrms-metrics-egress"]["egress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": EMF_PORT}]
    (peer,) = rule["to"]
    assert peer["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": AGENT_NAMESPACE
    }
    web = policies["hrms-metrics-egress"]["podSelector"]["matchLabels"]
    assert web["app.kubernetes.io/component"] == "web"


def _duration_seconds(text: str) -> int:
    """A Go duration as Pulumi reads customTimeouts (``900s``, ``15m``, ``1h``)."""
    units = {"s": 1, "m": 60, "h": 3600}
    return int(text[:-1]) * units[text[-1]]


def test_pulumi_waits_longer_for_the_migration_job_than_its_deadline_plus_image_pull(
    stack: str,
) -> None:
    # Pulumi's default Job await is 10 minutes, the same as the Job's own deadline: a slow
    # migration would end with a wait timeout instead of the Job's DeadlineExceeded error.
    job = one(stack_plan(stack), "kubernetes:batch/v1:Job")
    deadline = job.inputs["spec"]["activeDeadlineSeconds"]
    image_pull_and_scheduling = 5 * 60
    timeouts = job.options["customTimeouts"]
    for operation in ("create", "update"):
        assert operation in timeouts, timeouts
        assert _duration_seconds(timeouts[operation]) >= (deadline + image_pull_and_scheduling)
