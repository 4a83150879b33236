"""The HRMS app on EKS: namespace, IRSA, migrations, Deployment, Service, HPA, PDB, policies."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from infra.aws_context import AwsContext, aws_context
from infra.iam import policy_document
from infra.ordering import explicit_dependencies
from infra.settings import SettingError, matching, within

CONTAINER_PORT = 8000
DNS_PORT = 53
HTTPS_PORT = 443
APP_LABELS: dict[str, str] = {"app.kubernetes.io/name": "hrms", "app.kubernetes.io/part-of": "hrms"}
WEB_LABELS: dict[str, str] = {**APP_LABELS, "app.kubernetes.io/component": "web"}
MIGRATE_LABELS: dict[str, str] = {**APP_LABELS, "app.kubernetes.io/component": "migrate"}
# Pod-template annotations carrying a hash of what the pods read through envFrom: env vars
# are only read at start, so a changed value must change the template to roll the pods.
CONFIG_CHECKSUM = "checksum/config"
SECRET_CHECKSUM = "checksum/secret"  # noqa: S105 (an annotation key, not a credential)
# The Host header every in-cluster caller sends: kubelet probes (set explicitly, since kubelet
# would send the pod IP) and staff through `kubectl port-forward`. Allowing this one name
# keeps pod IPs, wildcards and address ranges out of ALLOWED_HOSTS.
LOCAL_HOST = "localhost"
WEB_SERVICE_ACCOUNT = "hrms-app"
MIGRATE_SERVICE_ACCOUNT = "hrms-migrate"
# A few dozen catalog statements: the same small footprint in every stack.
ROLES_STEP_RESOURCES = k8s.core.v1.ResourceRequirementsArgs(
    requests={"cpu": "100m", "memory": "256Mi"}, limits={"cpu": "500m", "memory": "512Mi"}
)
DJANGO: tuple[str, ...] = ("python", "-m", "django")
# Time to schedule the migration pod and pull the image before the Job's own clock
# (activeDeadlineSeconds, counted from the Job's start) can report a failure.
MIGRATION_PULL_ALLOWANCE_SECONDS = 300
POD_SECURITY_LABELS: dict[str, str] = {
    f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "audit", "warn")
}


_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_QUANTITY = re.compile(r"^\d+(\.\d+)?(m|Mi|Gi)?$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# A fully qualified public name: two or more labels, the last alphabetic (so no IP address).
_PUBLIC_HOST = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]([-a-z0-9]*[a-z0-9])?$")
NODE_PORT_RANGE = (30000, 32767)


@dataclass(frozen=True, kw_only=True)
class WorkloadSettings:
    """The stack-tunable values of the app on EKS (``hrms:workload``)."""

    namespace: str
    min_replicas: int
    max_replicas: int
    target_cpu_percent: int
    cpu_request: str
    memory_request: str
    cpu_limit: str
    memory_limit: str
    # The Service's NodePort: the NLB targets it and the node security group opens it.
    node_port: int
    allowed_hosts: tuple[str, ...]
    # None until the first image is pushed: the stack then deploys everything but the workload.
    image_digest: str | None = None

    def __post_init__(self) -> None:
        within("min_replicas", self.min_replicas, 1, 100)
        within("max_replicas", self.max_replicas, 1, 200)
        if self.min_replicas > self.max_replicas:
            raise SettingError(
                "min_replicas", f"{self.min_replicas} is above max_replicas {self.max_replicas}"
            )
        for quantity in ("cpu_request", "memory_request", "cpu_limit", "memory_limit"):
            matching(
                quantity,
                getattr(self, quantity),
                _QUANTITY,
                "a Kubernetes quantity like 250m or 512Mi",
            )
        matching("namespace", self.namespace, _DNS_LABEL, "a DNS label")
        if self.image_digest is not None and not _DIGEST.match(self.image_digest):
            raise SettingError(
                "image_digest",
                f"{self.image_digest!r} is not a digest like sha256:<64 hex>; leave the key out "
                "until the first image is pushed (the stack then skips the workload)",
            )
        within("target_cpu_percent", self.target_cpu_percent, 10, 95)
        within("node_port", self.node_port, *NODE_PORT_RANGE)
        self._check_hosts()

    def _check_hosts(self) -> None:
        """Exact public host names only: a wildcard (``*``, ``.example.com``) or an address
        would let Django answer for names it does not own. The internal names (the NLB's,
        ``localhost``) are added by the workload itself."""
        for host in self.allowed_hosts:
            if not _PUBLIC_HOST.match(host):
                raise SettingError(
                    "allowed_hosts",
                    f"{host!r} is not an exact lowercase public host name like "
                    "api.hrms.example.com (no wildcard or address; the NLB's name and localhost "
                    "are always allowed)",
                )


@dataclass(frozen=True, kw_only=True)
class HrmsWorkloadArgs:
    kubeconfig: pulumi.Input[str]
    image: pulumi.Input[str]
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer: pulumi.Input[str]
    region: str
    database_host: pulumi.Input[str]
    database_port: pulumi.Input[int]
    database_name: str
    # DbiResourceId of the instance: the runtime role's IAM login is scoped to it.
    database_resource_id: pulumi.Input[str]
    # The RDS-managed master secret: only the migration Job may read it.
    database_secret_arn: pulumi.Input[str]
    readable_kms_key_arns: Sequence[pulumi.Input[str]]
    cache_host: pulumi.Input[str]
    cache_port: int
    cache_auth_token: pulumi.Input[str]
    django_secret_key: pulumi.Input[str]
    # API Gateway's VPC-link integration sends the NLB's DNS name as the Host header.
    load_balancer_dns_name: pulumi.Input[str]
    vpc_cidr: str
    settings: WorkloadSettings
    # The CloudWatch agent's EMF listener (tcp://host:port) and the log group it writes the
    # app's metric records to; unset, the app writes them to stdout.
    metrics_agent_endpoint: str | None = None
    metrics_agent_namespace: str | None = None
    metrics_log_group: pulumi.Input[str] | None = None
    migration_timeout_seconds: int = 600
    # app/core/db_roles.py: migrations act as the owner, the web pods log in as runtime.
    database_owner_role: str = "hrms_owner"
    database_runtime_role: str = "hrms_app"

    def __post_init__(self) -> None:
        if self.settings.image_digest is None:
            # The program skips the workload until an image is pushed.
            raise ValueError("HrmsWorkloadArgs: settings.image_digest is required")

    @property
    def image_digest(self) -> str:
        assert self.settings.image_digest is not None  # noqa: S101 - checked in __post_init__
        return self.settings.image_digest


def migration_job_name(image_digest: str) -> str:
    """One Job per image: a new digest is a new Job, so migrations run exactly once per
    release and the Deployment that depends on it waits for that run."""
    return f"hrms-migrate-{image_digest.removeprefix('sha256:')[:12]}"


def migration_wait_timeout(deadline_seconds: int) -> str:
    """How long Pulumi waits for the migration Job: longer than the Job's own deadline plus
    scheduling and image pull, so a slow migration ends with the Job's DeadlineExceeded
    error instead of Pulumi's default 10-minute wait timeout."""
    return f"{deadline_seconds + MIGRATION_PULL_ALLOWANCE_SECONDS}s"


def irsa_trust_policy(
    *, provider_arn: str, issuer: str, namespace: str, service_account: str
) -> str:
    host = issuer.removeprefix("https://")
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": provider_arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            f"{host}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                            f"{host}:aud": "sts.amazonaws.com",
                        }
                    },
                }
            ],
        },
        sort_keys=True,
    )


def secret_read_policy(
    *, secret_arns: Sequence[str], kms_key_arns: Sequence[str], region: str
) -> str:
    """Read exactly the app's own secrets, decrypting only through Secrets Manager."""
    return policy_document(
        [
            {
                "Sid": "ReadOwnSecrets",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                "Resource": list(secret_arns),
            },
            {
                "Sid": "DecryptViaSecretsManager",
                "Effect": "Allow",
                "Action": ["kms:Decrypt"],
                "Resource": list(kms_key_arns),
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}
                },
            },
        ]
    )


def db_connect_policy(
    *, partition: str, region: str, account_id: str, resource_id: str, db_user: str
) -> str:
    """Log in to exactly one instance as exactly one database user with an IAM token."""
    if not resource_id.startswith("db-"):
        raise ValueError(f"{resource_id!r} is not a DbiResourceId (db-...): IAM would never match")
    return policy_document(
        [
            {
                "Sid": "ConnectAsRuntimeRole",
                "Effect": "Allow",
                "Action": ["rds-db:connect"],
                "Resource": [
                    f"arn:{partition}:rds-db:{region}:{account_id}:dbuser:{resource_id}/{db_user}"
                ],
            }
        ]
    )


def db_connect_role_policy(
    resource_name: str,
    *,
    role: aws.iam.Role,
    ctx: AwsContext,
    region: str,
    database_resource_id: pulumi.Input[str],
    db_user: str,
    parent: pulumi.Resource,
) -> aws.iam.RolePolicy:
    """``role`` may log in to the stack's database as ``db_user`` (db_connect_policy)."""
    return aws.iam.RolePolicy(
        resource_name,
        role=role.id,
        policy=pulumi.Output.all(ctx.partition, ctx.account_id, database_resource_id).apply(
            lambda v: db_connect_policy(
                partition=v[0], region=region, account_id=v[1], resource_id=v[2], db_user=db_user
            )
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def allowed_hosts_value(public_hosts: Sequence[str], load_balancer_dns_name: str) -> str:
    """ALLOWED_HOSTS as the app reads it: the public names, the name API Gateway's VPC link
    sends, and the name probes and port-forwards send; in that order, each once."""
    if not load_balancer_dns_name:
        raise ValueError("load_balancer_dns_name is empty: the edge could not reach the app")
    hosts = [*public_hosts, load_balancer_dns_name, LOCAL_HOST]
    return ",".join(dict.fromkeys(hosts))


def _endpoint_port(endpoint: str) -> int:
    port = endpoint.rsplit(":", 1)[-1]
    if not port.isdigit():
        raise ValueError(f"metrics_agent_endpoint {endpoint!r}: expected tcp://host:port")
    return int(port)


def _http_probe(path: str) -> k8s.core.v1.HTTPGetActionArgs:
    # kubelet sends the pod IP as Host unless told otherwise, which Django rejects.
    return k8s.core.v1.HTTPGetActionArgs(
        path=path,
        port="http",
        http_headers=[k8s.core.v1.HTTPHeaderArgs(name="Host", value=LOCAL_HOST)],
    )


def data_checksum(data: Mapping[str, str]) -> str:
    """Order-independent sha256 of a ConfigMap's or Secret's data."""
    canonical = json.dumps(dict(data), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _security_context() -> k8s.core.v1.SecurityContextArgs:
    return k8s.core.v1.SecurityContextArgs(
        run_as_non_root=True,
        read_only_root_filesystem=True,
        allow_privilege_escalation=False,
        privileged=False,
        capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
        seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
    )


def _pod_security_context() -> k8s.core.v1.PodSecurityContextArgs:
    return k8s.core.v1.PodSecurityContextArgs(
        run_as_non_root=True,
        run_as_user=10001,
        run_as_group=10001,
        fs_group=10001,
        seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
    )


def dns_egress_rule() -> k8s.networking.v1.NetworkPolicyEgressRuleArgs:
    """Egress to the cluster DNS (CoreDNS in kube-system) on UDP and TCP 53."""
    return k8s.networking.v1.NetworkPolicyEgressRuleArgs(
        to=[
            k8s.networking.v1.NetworkPolicyPeerArgs(
                namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                    match_labels={"kubernetes.io/metadata.name": "kube-system"}
                ),
                pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"k8s-app": "kube-dns"}),
            )
        ],
        ports=[
            k8s.networking.v1.NetworkPolicyPortArgs(protocol="UDP", port=DNS_PORT),
            k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=DNS_PORT),
        ],
    )


def irsa_service_account(
    resource_name: str,
    *,
    name: str,
    namespace: str,
    labels: Mapping[str, str],
    role_arn: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> k8s.core.v1.ServiceAccount:
    """A ServiceAccount that assumes ``role_arn`` through IRSA and nothing more."""
    return k8s.core.v1.ServiceAccount(
        resource_name,
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=name,
            namespace=namespace,
            labels=dict(labels),
            annotations={"eks.amazonaws.com/role-arn": role_arn},
        ),
        # Only the AWS SDK's projected web-identity token is needed, not an API token.
        automount_service_account_token=False,
        opts=opts,
    )


@dataclass(frozen=True)
class _PodInputs:
    """What the migration Job and the web pods share: env sources, scratch space, sizes."""

    env_from: list[k8s.core.v1.EnvFromSourceArgs]
    tmp_volume: k8s.core.v1.VolumeArgs
    tmp_mount: k8s.core.v1.VolumeMountArgs
    resources: k8s.core.v1.ResourceRequirementsArgs


def _pod_inputs(settings: WorkloadSettings) -> _PodInputs:
    return _PodInputs(
        env_from=[
            k8s.core.v1.EnvFromSourceArgs(
                config_map_ref=k8s.core.v1.ConfigMapEnvSourceArgs(name="hrms-config")
            ),
            k8s.core.v1.EnvFromSourceArgs(
                secret_ref=k8s.core.v1.SecretEnvSourceArgs(name="hrms-secrets")
            ),
        ],
        tmp_volume=k8s.core.v1.VolumeArgs(
            name="tmp", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit="256Mi")
        ),
        tmp_mount=k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp"),  # noqa: S108
        resources=k8s.core.v1.ResourceRequirementsArgs(
            requests={"cpu": settings.cpu_request, "memory": settings.memory_request},
            limits={"cpu": settings.cpu_limit, "memory": settings.memory_limit},
        ),
    )


def _config_data(args: HrmsWorkloadArgs) -> pulumi.Output[dict[str, str]]:
    """The app's non-secret environment (the hrms-config ConfigMap)."""
    return pulumi.Output.all(
        args.database_host,
        args.database_port,
        args.load_balancer_dns_name,
        args.metrics_log_group,
    ).apply(
        lambda v: {
            "DJANGO_SETTINGS_MODULE": "app.settings.production",
            "ALLOWED_HOSTS": allowed_hosts_value(args.settings.allowed_hosts, str(v[2])),
            "DATABASE_HOST": str(v[0]),
            "DATABASE_PORT": str(v[1]),
            "DATABASE_NAME": args.database_name,
            "DATABASE_USER": args.database_runtime_role,
            "DATABASE_IAM_AUTH": "true",
            "DATABASE_OWNER_ROLE": args.database_owner_role,
            "DATABASE_RUNTIME_ROLE": args.database_runtime_role,
            "DATABASE_SSLMODE": "require",
            "AWS_REGION": args.region,
            "AWS_DEFAULT_REGION": args.region,
            # Probes and the NLB speak plain HTTP inside the VPC; TLS ends at the edge.
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            **(
                {"AWS_EMF_AGENT_ENDPOINT": args.metrics_agent_endpoint}
                if args.metrics_agent_endpoint
                else {}
            ),
            **({"AWS_EMF_LOG_GROUP_NAME": str(v[3])} if v[3] else {}),
        }
    )


def _secret_env(args: HrmsWorkloadArgs) -> dict[str, pulumi.Input[str]]:
    """The app's secret environment (the hrms-secrets Secret), kept marked secret."""
    redis_url: pulumi.Output[str] = pulumi.Output.format(
        "rediss://:{0}@{1}:{2}/0", args.cache_auth_token, args.cache_host, args.cache_port
    )
    secret_key: pulumi.Output[str] = pulumi.Output.from_input(args.django_secret_key)
    return {
        "SECRET_KEY": pulumi.Output.secret(secret_key),
        "REDIS_URL": pulumi.Output.secret(redis_url),
    }


def _migration_pod(args: HrmsWorkloadArgs, pods: _PodInputs) -> k8s.core.v1.PodSpecArgs:
    """Roles as the master user, then migrations as the master acting as the owner."""
    # Env entries win over envFrom: the Job logs in with the master secret, not IAM.
    master_env = [
        k8s.core.v1.EnvVarArgs(name="DATABASE_IAM_AUTH", value="false"),
        k8s.core.v1.EnvVarArgs(
            name="DATABASE_SECRET_ARN",
            value=pulumi.Output.from_input(args.database_secret_arn),
        ),
    ]
    return k8s.core.v1.PodSpecArgs(
        service_account_name=MIGRATE_SERVICE_ACCOUNT,
        automount_service_account_token=False,
        restart_policy="Never",
        security_context=_pod_security_context(),
        # Step 1 as the master user: create or update the roles and grants.
        init_containers=[
            k8s.core.v1.ContainerArgs(
                name="db-roles",
                image=args.image,
                command=[*DJANGO, "db_roles", "--apply", "--runtime-auth", "iam"],
                env_from=pods.env_from,
                env=master_env,
                resources=ROLES_STEP_RESOURCES,
                security_context=_security_context(),
                volume_mounts=[pods.tmp_mount],
            )
        ],
        # Step 2: migrations, logged in as the master acting as the owner.
        containers=[
            k8s.core.v1.ContainerArgs(
                name="migrate",
                image=args.image,
                command=[*DJANGO, "migrate", "--noinput"],
                env_from=pods.env_from,
                env=[
                    *master_env,
                    k8s.core.v1.EnvVarArgs(
                        name="DATABASE_ASSUME_ROLE", value=args.database_owner_role
                    ),
                ],
                resources=pods.resources,
                security_context=_security_context(),
                volume_mounts=[pods.tmp_mount],
            )
        ],
        volumes=[pods.tmp_volume],
    )


def _web_pod(args: HrmsWorkloadArgs, pods: _PodInputs) -> k8s.core.v1.PodSpecArgs:
    """gunicorn behind readiness and liveness probes, spread over zones and nodes."""
    return k8s.core.v1.PodSpecArgs(
        service_account_name=WEB_SERVICE_ACCOUNT,
        automount_service_account_token=False,
        security_context=_pod_security_context(),
        termination_grace_period_seconds=40,
        topology_spread_constraints=[
            k8s.core.v1.TopologySpreadConstraintArgs(
                max_skew=1,
                topology_key=key,
                when_unsatisfiable=mode,
                label_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=WEB_LABELS),
            )
            for key, mode in (
                ("topology.kubernetes.io/zone", "DoNotSchedule"),
                ("kubernetes.io/hostname", "ScheduleAnyway"),
            )
        ],
        containers=[
            k8s.core.v1.ContainerArgs(
                name="web",
                image=args.image,
                ports=[k8s.core.v1.ContainerPortArgs(name="http", container_port=CONTAINER_PORT)],
                env_from=pods.env_from,
                resources=pods.resources,
                security_context=_security_context(),
                readiness_probe=k8s.core.v1.ProbeArgs(
                    http_get=_http_probe("/readyz"),
                    period_seconds=5,
                    timeout_seconds=3,
                    failure_threshold=3,
                ),
                liveness_probe=k8s.core.v1.ProbeArgs(
                    http_get=_http_probe("/healthz"),
                    initial_delay_seconds=10,
                    period_seconds=10,
                    timeout_seconds=3,
                    failure_threshold=3,
                ),
                volume_mounts=[pods.tmp_mount],
            )
        ],
        volumes=[pods.tmp_volume],
    )


def _hpa_spec(settings: WorkloadSettings) -> k8s.autoscaling.v2.HorizontalPodAutoscalerSpecArgs:
    return k8s.autoscaling.v2.HorizontalPodAutoscalerSpecArgs(
        scale_target_ref=k8s.autoscaling.v2.CrossVersionObjectReferenceArgs(
            api_version="apps/v1", kind="Deployment", name="hrms-web"
        ),
        min_replicas=settings.min_replicas,
        max_replicas=settings.max_replicas,
        metrics=[
            k8s.autoscaling.v2.MetricSpecArgs(
                type="Resource",
                resource=k8s.autoscaling.v2.ResourceMetricSourceArgs(
                    name="cpu",
                    target=k8s.autoscaling.v2.MetricTargetArgs(
                        type="Utilization", average_utilization=settings.target_cpu_percent
                    ),
                ),
            )
        ],
    )


def _metrics_egress_rule(
    namespace: str, endpoint: str
) -> k8s.networking.v1.NetworkPolicyEgressRuleArgs:
    """To the CloudWatch agent's EMF listener: its namespace's pods, on the listener port."""
    return k8s.networking.v1.NetworkPolicyEgressRuleArgs(
        to=[
            k8s.networking.v1.NetworkPolicyPeerArgs(
                namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                    match_labels={"kubernetes.io/metadata.name": namespace}
                )
            )
        ],
        ports=[
            k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=_endpoint_port(endpoint))
        ],
    )


class HrmsWorkload(pulumi.ComponentResource):
    namespace: pulumi.Output[str]
    service_name: pulumi.Output[str]
    deployment_name: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    migration_job_name: str
    provider: k8s.Provider
    config_checksum: pulumi.Output[str]
    secret_checksum: pulumi.Output[str]

    def __init__(
        self, name: str, args: HrmsWorkloadArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("hrms:workload:HrmsWorkload", name, None, opts)
        # Every Kubernetes object goes through this provider, so making it wait for the
        # caller's depends_on (the node group) keeps the migration Job from pending on a
        # cluster with no nodes until its await times out.
        provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=args.kubeconfig,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=explicit_dependencies(opts)),
        )
        ns = args.settings.namespace
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=ns, labels={**APP_LABELS, **POD_SECURITY_LABELS}
            ),
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )
        meta_opts = pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[namespace])
        role, migrate_service_account = self._identities(name, args, meta_opts)
        config_map, secret = self._environment(name, args, meta_opts)
        pods = _pod_inputs(args.settings)
        job_name = migration_job_name(args.image_digest)
        migration = k8s.batch.v1.Job(
            f"{name}-migrate",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=job_name, namespace=ns, labels=MIGRATE_LABELS),
            spec=k8s.batch.v1.JobSpecArgs(
                backoff_limit=2,
                active_deadline_seconds=args.migration_timeout_seconds,
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=MIGRATE_LABELS),
                    spec=_migration_pod(args, pods),
                ),
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=provider,
                depends_on=[migrate_service_account, config_map, secret],
                custom_timeouts=pulumi.CustomTimeouts(
                    create=migration_wait_timeout(args.migration_timeout_seconds),
                    update=migration_wait_timeout(args.migration_timeout_seconds),
                ),
            ),
        )
        deployment, service = self._web(name, args, pods, provider, migration, meta_opts)
        self._network_policies(name, ns, args, meta_opts)

        self.namespace = namespace.metadata.apply(lambda m: m.name or ns)
        self.service_name = service.metadata.apply(lambda m: m.name or "hrms-web")
        self.deployment_name = deployment.metadata.apply(lambda m: m.name or "hrms-web")
        self.role_arn = role.arn
        self.migration_job_name = job_name
        self.provider = provider
        self.register_outputs(
            {
                "namespace": self.namespace,
                "service_name": self.service_name,
                "role_arn": role.arn,
                "migration_job_name": job_name,
            }
        )

    def _identities(
        self, name: str, args: HrmsWorkloadArgs, opts: pulumi.ResourceOptions
    ) -> tuple[aws.iam.Role, k8s.core.v1.ServiceAccount]:
        """Two identities: the web pods may only log in to the database as the runtime role
        (IAM token); only the migration Job may read the master secret."""
        ns = args.settings.namespace
        ctx = aws_context(pulumi.InvokeOptions(parent=self))
        role = self._irsa_role(name, "irsa-role", args, ns=ns, service_account=WEB_SERVICE_ACCOUNT)
        db_connect_role_policy(
            f"{name}-irsa-db-connect",
            role=role,
            ctx=ctx,
            region=args.region,
            database_resource_id=args.database_resource_id,
            db_user=args.database_runtime_role,
            parent=self,
        )
        migrate_role = self._irsa_role(
            name, "migrate-irsa-role", args, ns=ns, service_account=MIGRATE_SERVICE_ACCOUNT
        )
        aws.iam.RolePolicy(
            f"{name}-migrate-irsa-secrets",
            role=migrate_role.id,
            policy=pulumi.Output.all(
                args.database_secret_arn, pulumi.Output.all(*args.readable_kms_key_arns)
            ).apply(
                lambda v: secret_read_policy(
                    secret_arns=[v[0]], kms_key_arns=list(v[1]), region=args.region
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        _web_service_account, migrate_service_account = (
            irsa_service_account(
                f"{name}-{suffix}",
                name=sa_name,
                namespace=ns,
                labels=APP_LABELS,
                role_arn=irsa.arn,
                opts=opts,
            )
            for suffix, sa_name, irsa in (
                ("sa", WEB_SERVICE_ACCOUNT, role),
                ("migrate-sa", MIGRATE_SERVICE_ACCOUNT, migrate_role),
            )
        )
        return role, migrate_service_account

    def _environment(
        self, name: str, args: HrmsWorkloadArgs, opts: pulumi.ResourceOptions
    ) -> tuple[k8s.core.v1.ConfigMap, k8s.core.v1.Secret]:
        """The ConfigMap and Secret the pods read through envFrom, and their checksums."""
        ns = args.settings.namespace
        config_data = _config_data(args)
        config_map = k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="hrms-config", namespace=ns, labels=APP_LABELS
            ),
            data=config_data,
            opts=opts,
        )
        secret_env = _secret_env(args)
        secret = k8s.core.v1.Secret(
            f"{name}-secrets",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="hrms-secrets", namespace=ns, labels=APP_LABELS
            ),
            type="Opaque",
            string_data=secret_env,
            opts=opts,
        )
        self.config_checksum = config_data.apply(data_checksum)
        # Hashed from the secret Outputs, so the result stays marked secret: the digest of a
        # secret is never shown in a preview or stored in plain state.
        self.secret_checksum = pulumi.Output.all(*secret_env.values()).apply(
            lambda values: data_checksum(dict(zip(secret_env, values, strict=True)))
        )
        return config_map, secret

    def _web(
        self,
        name: str,
        args: HrmsWorkloadArgs,
        pods: _PodInputs,
        provider: k8s.Provider,
        migration: k8s.batch.v1.Job,
        opts: pulumi.ResourceOptions,
    ) -> tuple[k8s.apps.v1.Deployment, k8s.core.v1.Service]:
        """Deployment, NodePort Service, HPA and PDB of the web pods."""
        ns = args.settings.namespace
        metadata = k8s.meta.v1.ObjectMetaArgs(name="hrms-web", namespace=ns, labels=WEB_LABELS)
        deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=metadata,
            # No replicas: the HPA owns spec.replicas. Declaring it here would make every
            # deploy reset the scale (or conflict under server-side apply); the Deployment
            # starts at one pod and the HPA raises it to min_replicas within seconds.
            spec=k8s.apps.v1.DeploymentSpecArgs(
                revision_history_limit=5,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=WEB_LABELS),
                strategy=k8s.apps.v1.DeploymentStrategyArgs(
                    type="RollingUpdate",
                    rolling_update=k8s.apps.v1.RollingUpdateDeploymentArgs(
                        max_surge="25%", max_unavailable=0
                    ),
                ),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(
                        labels=WEB_LABELS,
                        annotations={
                            CONFIG_CHECKSUM: self.config_checksum,
                            SECRET_CHECKSUM: self.secret_checksum,
                        },
                    ),
                    spec=_web_pod(args, pods),
                ),
            ),
            # Never roll pods onto a schema the migration Job has not finished applying.
            opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[migration]),
        )
        service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=metadata,
            spec=k8s.core.v1.ServiceSpecArgs(
                type="NodePort",
                selector=WEB_LABELS,
                external_traffic_policy="Cluster",
                ports=[
                    k8s.core.v1.ServicePortArgs(
                        name="http",
                        port=80,
                        target_port="http",
                        node_port=args.settings.node_port,
                        protocol="TCP",
                    )
                ],
            ),
            opts=opts,
        )
        k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{name}-hpa", metadata=metadata, spec=_hpa_spec(args.settings), opts=opts
        )
        k8s.policy.v1.PodDisruptionBudget(
            f"{name}-pdb",
            metadata=metadata,
            spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
                max_unavailable=1,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=WEB_LABELS),
            ),
            opts=opts,
        )
        return deployment, service

    def _irsa_role(
        self, name: str, suffix: str, args: HrmsWorkloadArgs, *, ns: str, service_account: str
    ) -> aws.iam.Role:
        return aws.iam.Role(
            f"{name}-{suffix}",
            description=f"IRSA role of {ns}/{service_account}",
            assume_role_policy=pulumi.Output.all(args.oidc_provider_arn, args.oidc_issuer).apply(
                lambda v: irsa_trust_policy(
                    provider_arn=v[0], issuer=v[1], namespace=ns, service_account=service_account
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _network_policies(
        self, name: str, ns: str, args: HrmsWorkloadArgs, opts: pulumi.ResourceOptions
    ) -> None:
        def policy(
            role: str,
            pod_labels: Mapping[str, str],
            types: list[str],
            ingress: list[k8s.networking.v1.NetworkPolicyIngressRuleArgs] | None = None,
            egress: list[k8s.networking.v1.NetworkPolicyEgressRuleArgs] | None = None,
        ) -> None:
            k8s.networking.v1.NetworkPolicy(
                f"{name}-netpol-{role}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=f"hrms-{role}", namespace=ns, labels=APP_LABELS
                ),
                spec=k8s.networking.v1.NetworkPolicySpecArgs(
                    pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(pod_labels)),
                    policy_types=types,
                    ingress=ingress,
                    egress=egress,
                ),
                opts=opts,
            )

        def tcp(port: int | str) -> k8s.networking.v1.NetworkPolicyPortArgs:
            return k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=port)

        vpc = k8s.networking.v1.NetworkPolicyPeerArgs(
            ip_block=k8s.networking.v1.IPBlockArgs(cidr=args.vpc_cidr)
        )
        # Everything not explicitly allowed below is dropped, in both directions.
        policy("default-deny", {}, ["Ingress", "Egress"])
        # The NLB reaches pods through the NodePort from addresses inside the VPC.
        policy(
            "web-ingress",
            WEB_LABELS,
            ["Ingress"],
            ingress=[
                k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                    from_=[vpc], ports=[tcp(CONTAINER_PORT)]
                )
            ],
        )
        policy(
            "dns-egress",
            APP_LABELS,
            ["Egress"],
            egress=[dns_egress_rule()],
        )
        if args.metrics_agent_endpoint and args.metrics_agent_namespace:
            # Limiter metrics to the CloudWatch agent's EMF listener (its pods, any node).
            policy(
                "metrics-egress",
                WEB_LABELS,
                ["Egress"],
                egress=[
                    _metrics_egress_rule(args.metrics_agent_namespace, args.metrics_agent_endpoint)
                ],
            )
        # Database, cache and the AWS API endpoints all live inside the VPC.
        policy(
            "backends-egress",
            APP_LABELS,
            ["Egress"],
            egress=[
                k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                    to=[vpc],
                    ports=[tcp(5432), tcp(args.cache_port), tcp(HTTPS_PORT)],
                )
            ],
        )
