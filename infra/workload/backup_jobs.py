"""Backup CronJobs in the app namespace: nightly logical backup, and backup status every 15 min.

Each job has its own IRSA role: the backup job may log in to the database only as the
backup role (IAM token) and write to the backup bucket; the status job only reads
(RDS, AWS Backup, the bucket's manifests and drill evidence) and publishes one metric
namespace. Pods run non-root under the namespace's restricted Pod Security Standard, and
may only reach PostgreSQL (5432, inside the VPC) and HTTPS (443: S3 through the gateway
endpoint, STS, CloudWatch) besides DNS.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from infra.aws_context import aws_context
from infra.database.backups import BackupSettings
from infra.iam import policy_document
from infra.observability.backup_metrics import BACKUP_METRIC_NAMESPACE
from infra.workload.app import (
    HTTPS_PORT,
    _pod_security_context,
    _security_context,
    db_connect_role_policy,
    dns_egress_rule,
    irsa_service_account,
    irsa_trust_policy,
)

POSTGRES_PORT = 5432
BACKUP_LABELS: dict[str, str] = {
    "app.kubernetes.io/name": "hrms-backup",
    "app.kubernetes.io/part-of": "hrms",
}
BACKUP_SERVICE_ACCOUNT = "hrms-backup"
STATUS_SERVICE_ACCOUNT = "hrms-backup-status"
HRMSCTL: tuple[str, ...] = ("python", "-m", "scripts.hrmsctl")
# pg_dump spools to this emptyDir before upload; the job caps its own writes below it.
SPOOL_LIMIT = "20Gi"
SPOOL_LIMIT_BYTES = 20 * 1024**3 - 512 * 1024**2
JOB_RESOURCES = k8s.core.v1.ResourceRequirementsArgs(
    requests={"cpu": "250m", "memory": "256Mi", "ephemeral-storage": "1Gi"},
    limits={"cpu": "1", "memory": "512Mi", "ephemeral-storage": SPOOL_LIMIT},
)
STATUS_RESOURCES = k8s.core.v1.ResourceRequirementsArgs(
    requests={"cpu": "50m", "memory": "128Mi"}, limits={"cpu": "250m", "memory": "256Mi"}
)


@dataclass(frozen=True, kw_only=True)
class BackupJobsArgs:
    provider: k8s.Provider
    namespace: str
    stack: str
    image: pulumi.Input[str]
    region: str
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer: pulumi.Input[str]
    vpc_cidr: str
    database_host: pulumi.Input[str]
    database_port: pulumi.Input[int]
    database_name: str
    database_resource_id: pulumi.Input[str]
    database_instance_arn: pulumi.Input[str]
    bucket_name: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]
    bucket_kms_key_arn: pulumi.Input[str]
    backup_vault_arn: pulumi.Input[str]
    # What `hrmsctl backup status` reads in the cluster instead of `pulumi stack output`.
    stack_outputs: Mapping[str, pulumi.Input[str]]
    # The logical backup and status schedules (logical_schedule, status_schedule).
    settings: BackupSettings
    backup_role: str = "hrms_backup"
    backup_timeout_seconds: int = 4 * 3600


def backup_writer_policy(*, bucket_arn: str, kms_key_arn: str, region: str) -> str:
    """Write dumps and manifests under logical/; read them back to verify; nothing else."""
    return policy_document(
        [
            {
                "Sid": "WriteLogicalBackups",
                "Effect": "Allow",
                "Action": [
                    "s3:PutObject",
                    "s3:GetObject",
                    "s3:DeleteObject",
                    "s3:AbortMultipartUpload",
                ],
                "Resource": [f"{bucket_arn}/logical/*"],
            },
            {
                "Sid": "ListLogicalBackups",
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": [bucket_arn],
            },
            {
                "Sid": "EncryptViaS3",
                "Effect": "Allow",
                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                "Resource": [kms_key_arn],
                "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
            },
        ]
    )


def backup_status_policy(
    *,
    bucket_arn: str,
    kms_key_arn: str,
    region: str,
    db_instance_arn: str,
    vault_arn: str,
) -> str:
    """Read what backup status reports on; publish only into the backup metric namespace."""
    return policy_document(
        [
            {
                "Sid": "DescribeDatabase",
                "Effect": "Allow",
                "Action": ["rds:DescribeDBInstances", "rds:DescribeDBSnapshots"],
                "Resource": [
                    db_instance_arn,
                    # Snapshots of the instance are named by their own ARNs.
                    db_instance_arn.replace(":db:", ":snapshot:").rsplit(":", 1)[0] + ":*",
                ],
            },
            {
                "Sid": "ListRecoveryPoints",
                "Effect": "Allow",
                "Action": ["backup:ListRecoveryPointsByBackupVault"],
                "Resource": [vault_arn],
            },
            {
                "Sid": "ReadManifestsAndDrills",
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": [f"{bucket_arn}/logical/*", f"{bucket_arn}/drills/*"],
            },
            {
                "Sid": "ListBackups",
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": [bucket_arn],
            },
            {
                "Sid": "DecryptViaS3",
                "Effect": "Allow",
                "Action": ["kms:Decrypt"],
                "Resource": [kms_key_arn],
                "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
            },
            {
                "Sid": "PublishBackupMetrics",
                "Effect": "Allow",
                "Action": ["cloudwatch:PutMetricData"],
                "Resource": ["*"],  # PutMetricData has no resource-level permissions
                "Condition": {"StringEquals": {"cloudwatch:namespace": BACKUP_METRIC_NAMESPACE}},
            },
        ]
    )


def _environment(args: BackupJobsArgs) -> list[k8s.core.v1.EnvVarArgs]:
    """Plain env, not a ConfigMap: nothing here is secret, and the jobs read it at start."""
    outputs_json: pulumi.Output[str] = pulumi.Output.all(**dict(args.stack_outputs)).apply(
        lambda v: json.dumps(v, sort_keys=True)
    )
    return [
        k8s.core.v1.EnvVarArgs(name=name, value=value)
        for name, value in (
            ("DATABASE_HOST", args.database_host),
            ("DATABASE_PORT", pulumi.Output.from_input(args.database_port).apply(str)),
            ("DATABASE_NAME", args.database_name),
            ("DATABASE_USER", args.backup_role),
            ("DATABASE_IAM_AUTH", "true"),
            ("DATABASE_SSLMODE", "require"),
            ("AWS_REGION", args.region),
            ("AWS_DEFAULT_REGION", args.region),
            ("HRMS_STACK_OUTPUTS", outputs_json),
        )
    ]


def _backup_command(stack: str) -> list[str]:
    return [
        *HRMSCTL,
        "backup",
        "run",
        "--stack",
        stack,
        "--spool-dir",
        "/spool",
        "--spool-limit-bytes",
        str(SPOOL_LIMIT_BYTES),
        "--json",
        "/spool/manifest.json",
    ]


def _status_command(stack: str) -> list[str]:
    return [
        *HRMSCTL,
        "backup",
        "status",
        "--stack",
        stack,
        "--publish",
        "--json",
        "/spool/status.json",
    ]


def _job_pod_spec(
    *,
    service_account: str,
    container: k8s.core.v1.ContainerArgs,
) -> k8s.core.v1.PodSpecArgs:
    return k8s.core.v1.PodSpecArgs(
        service_account_name=service_account,
        automount_service_account_token=False,
        restart_policy="Never",
        security_context=_pod_security_context(),
        containers=[container],
        volumes=[
            k8s.core.v1.VolumeArgs(
                name="spool",
                empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit=SPOOL_LIMIT),
            )
        ],
    )


def _cron_job_spec(
    *, schedule: str, deadline: int, pod: k8s.core.v1.PodSpecArgs
) -> k8s.batch.v1.CronJobSpecArgs:
    return k8s.batch.v1.CronJobSpecArgs(
        schedule=schedule,
        time_zone="Etc/UTC",
        # Two dumps at once would only compete for the same database.
        concurrency_policy="Forbid",
        starting_deadline_seconds=600,
        successful_jobs_history_limit=3,
        failed_jobs_history_limit=5,
        job_template=k8s.batch.v1.JobTemplateSpecArgs(
            metadata=k8s.meta.v1.ObjectMetaArgs(labels=BACKUP_LABELS),
            spec=k8s.batch.v1.JobSpecArgs(
                backoff_limit=1,
                active_deadline_seconds=deadline,
                ttl_seconds_after_finished=7 * 24 * 3600,
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=BACKUP_LABELS), spec=pod
                ),
            ),
        ),
    )


class BackupJobs(pulumi.ComponentResource):
    backup_role_arn: pulumi.Output[str]
    status_role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: BackupJobsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("hrms:workload:BackupJobs", name, None, opts)
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        backup_role, status_role = self._roles(name, args)
        service_accounts = [
            irsa_service_account(
                f"{name}-{suffix}",
                name=sa_name,
                namespace=args.namespace,
                labels=BACKUP_LABELS,
                role_arn=role.arn,
                opts=k8s_opts,
            )
            for suffix, sa_name, role in (
                ("backup-sa", BACKUP_SERVICE_ACCOUNT, backup_role),
                ("status-sa", STATUS_SERVICE_ACCOUNT, status_role),
            )
        ]
        jobs_opts = pulumi.ResourceOptions(
            parent=self, provider=args.provider, depends_on=service_accounts
        )
        env = _environment(args)
        for suffix, schedule, service_account, command, resources, deadline in (
            (
                "backup",
                args.settings.logical_schedule,
                BACKUP_SERVICE_ACCOUNT,
                _backup_command(args.stack),
                JOB_RESOURCES,
                args.backup_timeout_seconds,
            ),
            (
                "backup-status",
                args.settings.status_schedule,
                STATUS_SERVICE_ACCOUNT,
                _status_command(args.stack),
                STATUS_RESOURCES,
                600,
            ),
        ):
            container = k8s.core.v1.ContainerArgs(
                name=suffix,
                image=args.image,
                command=command,
                env=env,
                resources=resources,
                security_context=_security_context(),
                volume_mounts=[k8s.core.v1.VolumeMountArgs(name="spool", mount_path="/spool")],
            )
            k8s.batch.v1.CronJob(
                f"{name}-{suffix}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=f"hrms-{suffix}", namespace=args.namespace, labels=BACKUP_LABELS
                ),
                spec=_cron_job_spec(
                    schedule=schedule,
                    deadline=deadline,
                    pod=_job_pod_spec(service_account=service_account, container=container),
                ),
                opts=jobs_opts,
            )
        self._network_policy(name, args.namespace, args, k8s_opts)

        self.backup_role_arn = backup_role.arn
        self.status_role_arn = status_role.arn
        self.register_outputs(
            {"backup_role_arn": backup_role.arn, "status_role_arn": status_role.arn}
        )

    def _irsa_role(self, name: str, args: BackupJobsArgs, service_account: str) -> aws.iam.Role:
        return aws.iam.Role(
            name,
            description=f"IRSA role of {args.namespace}/{service_account}",
            assume_role_policy=pulumi.Output.all(args.oidc_provider_arn, args.oidc_issuer).apply(
                lambda v: irsa_trust_policy(
                    provider_arn=v[0],
                    issuer=v[1],
                    namespace=args.namespace,
                    service_account=service_account,
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _roles(self, name: str, args: BackupJobsArgs) -> tuple[aws.iam.Role, aws.iam.Role]:
        """The dump job's role (connect as the backup user, write the bucket) and the status
        job's (read what it reports on, publish its metrics)."""
        aws_opts = pulumi.ResourceOptions(parent=self)
        ctx = aws_context(pulumi.InvokeOptions(parent=self))
        backup_role = self._irsa_role(f"{name}-backup-irsa-role", args, BACKUP_SERVICE_ACCOUNT)
        db_connect_role_policy(
            f"{name}-backup-db-connect",
            role=backup_role,
            ctx=ctx,
            region=args.region,
            database_resource_id=args.database_resource_id,
            db_user=args.backup_role,
            parent=self,
        )
        aws.iam.RolePolicy(
            f"{name}-backup-bucket",
            role=backup_role.id,
            policy=pulumi.Output.all(args.bucket_arn, args.bucket_kms_key_arn).apply(
                lambda v: backup_writer_policy(
                    bucket_arn=v[0], kms_key_arn=v[1], region=args.region
                )
            ),
            opts=aws_opts,
        )
        status_role = self._irsa_role(f"{name}-status-irsa-role", args, STATUS_SERVICE_ACCOUNT)
        aws.iam.RolePolicy(
            f"{name}-status-read",
            role=status_role.id,
            policy=pulumi.Output.all(
                args.bucket_arn,
                args.bucket_kms_key_arn,
                args.database_instance_arn,
                args.backup_vault_arn,
            ).apply(
                lambda v: backup_status_policy(
                    bucket_arn=v[0],
                    kms_key_arn=v[1],
                    region=args.region,
                    db_instance_arn=v[2],
                    vault_arn=v[3],
                )
            ),
            opts=aws_opts,
        )
        return backup_role, status_role

    def _network_policy(
        self, name: str, ns: str, args: BackupJobsArgs, opts: pulumi.ResourceOptions
    ) -> None:
        def tcp(port: int) -> k8s.networking.v1.NetworkPolicyPortArgs:
            return k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=port)

        # The namespace's default-deny covers ingress; these pods accept none.
        k8s.networking.v1.NetworkPolicy(
            f"{name}-netpol",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="hrms-backup-egress", namespace=ns, labels=BACKUP_LABELS
            ),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=BACKUP_LABELS),
                policy_types=["Ingress", "Egress"],
                egress=[
                    dns_egress_rule(),
                    k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                        to=[
                            k8s.networking.v1.NetworkPolicyPeerArgs(
                                ip_block=k8s.networking.v1.IPBlockArgs(cidr=args.vpc_cidr)
                            )
                        ],
                        ports=[tcp(POSTGRES_PORT)],
                    ),
                    # S3 answers on its public ranges even through the gateway endpoint.
                    k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                        to=[
                            k8s.networking.v1.NetworkPolicyPeerArgs(
                                ip_block=k8s.networking.v1.IPBlockArgs(cidr="0.0.0.0/0")
                            )
                        ],
                        ports=[tcp(HTTPS_PORT)],
                    ),
                ],
            ),
            opts=opts,
        )
