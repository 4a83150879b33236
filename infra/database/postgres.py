"""RDS PostgreSQL 16: encrypted, private, TLS-only, point-in-time recoverable."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.aws_context import AwsContext, aws_context
from infra.iam import service_role
from infra.kms import EncryptionKey, EncryptionKeyArgs
from infra.logs import encrypted_log_group
from infra.network.access import client_only_security_group
from infra.settings import SettingError, matching, within

POSTGRES_PORT = 5432
LOG_EXPORTS: tuple[str, ...] = ("postgresql", "upgrade")


_WINDOW = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")
_WEEKLY_WINDOW = re.compile(
    r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-"
    r"(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$"
)


@dataclass(frozen=True, kw_only=True)
class DatabaseSettings:
    """The stack-tunable values of the database (``hrms:database``)."""

    engine_version: str
    instance_class: str
    allocated_storage_gb: int
    max_allocated_storage_gb: int
    backup_retention_days: int
    backup_window: str
    maintenance_window: str
    multi_az: bool
    deletion_protection: bool
    final_snapshot: bool
    slow_statement_ms: int
    log_retention_days: int

    def __post_init__(self) -> None:
        if self.engine_version.split(".")[0] != "16":
            raise SettingError("engine_version", f"{self.engine_version!r} is not PostgreSQL 16")
        if self.engine_version != "16":
            # RDS applies minor versions itself (auto minor upgrade) and retires old ones within
            # a year; a pinned minor would fail to create once retired and drift once upgraded.
            raise SettingError(
                "engine_version", f"{self.engine_version!r}: give the major version only, '16'"
            )
        within("allocated_storage_gb", self.allocated_storage_gb, 20, 65536)
        within("max_allocated_storage_gb", self.max_allocated_storage_gb, 20, 65536)
        if self.max_allocated_storage_gb < self.allocated_storage_gb:
            raise SettingError(
                "max_allocated_storage_gb",
                f"{self.max_allocated_storage_gb} is below allocated_storage_gb "
                f"{self.allocated_storage_gb}",
            )
        if not self.instance_class.startswith("db."):
            raise SettingError(
                "instance_class", f"{self.instance_class!r} is not an RDS instance class (db.*)"
            )
        # 1..35: the range RDS allows for point-in-time recovery.
        within("backup_retention_days", self.backup_retention_days, 1, 35)
        matching("backup_window", self.backup_window, _WINDOW, "a window like 02:00-03:00")
        matching(
            "maintenance_window",
            self.maintenance_window,
            _WEEKLY_WINDOW,
            "a window like sun:04:00-sun:05:00",
        )
        within("slow_statement_ms", self.slow_statement_ms, 1, 600_000)
        within("log_retention_days", self.log_retention_days, 1, 3653)


@dataclass(frozen=True, kw_only=True)
class PostgresDatabaseArgs:
    identifier: str
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    client_security_group_id: pulumi.Input[str]
    logs_kms_key_arn: pulumi.Input[str]
    settings: DatabaseSettings
    # Drop the automated backups with the instance (disposable stacks); otherwise they stay
    # for their retention period after a delete, for a restore.
    delete_automated_backups: bool = False
    database_name: str = "hrms"
    master_username: str = "hrms_admin"
    performance_insights_retention_days: int = 7
    monitoring_interval_seconds: int = 60


def parameter_family(engine_version: str) -> str:
    return f"postgres{engine_version.split('.')[0]}"


class PostgresDatabase(pulumi.ComponentResource):
    instance_identifier: pulumi.Output[str]
    instance_arn: pulumi.Output[str]
    # DbiResourceId (db-...): what IAM database authentication ARNs name, not the identifier.
    resource_id: pulumi.Output[str]
    address: pulumi.Output[str]
    port: pulumi.Output[int]
    database_name: str
    security_group_id: pulumi.Output[str]
    subnet_group_name: pulumi.Output[str]
    parameter_group_name: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str]
    master_user_secret_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: PostgresDatabaseArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("hrms:database:PostgresDatabase", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        ctx = aws_context(pulumi.InvokeOptions(parent=self))

        key = EncryptionKey(
            f"{name}-kms",
            EncryptionKeyArgs(description=f"RDS storage, snapshots, PI and secret of {name}"),
            opts=child,
        )
        subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets",
            subnet_ids=list(args.subnet_ids),
            description=f"Isolated subnets of {args.identifier}",
            opts=child,
        )
        security_group = client_only_security_group(
            name,
            vpc_id=args.vpc_id,
            client_security_group_id=args.client_security_group_id,
            port=POSTGRES_PORT,
            description=f"PostgreSQL {args.identifier}: only the cluster nodes may connect",
            rule_description="PostgreSQL from the EKS nodes",
            opts=child,
        )
        parameters = self._parameter_group(name, args)
        monitoring_role, monitoring_policy = self._monitoring_role(name, ctx)
        log_groups = self._log_groups(name, args)
        instance = self._instance(
            name,
            args,
            key=key,
            subnet_group=subnet_group,
            security_group=security_group,
            parameters=parameters,
            monitoring_role=monitoring_role,
            # RDS rejects a monitoring role it cannot yet use for enhanced monitoring.
            after=[*log_groups, monitoring_policy],
        )

        self.instance_identifier = instance.identifier
        self.instance_arn = instance.arn
        self.resource_id = instance.resource_id
        self.address = instance.address
        self.port = instance.port
        self.database_name = args.database_name
        self.security_group_id = security_group.id
        self.subnet_group_name = subnet_group.name
        # A restore lands in the default parameter group (no forced TLS) unless given this.
        self.parameter_group_name = parameters.name
        self.kms_key_arn = key.key_arn
        self.master_user_secret_arn = instance.master_user_secrets.apply(
            lambda secrets: (secrets[0].secret_arn or "") if secrets else ""
        )
        self.register_outputs(
            {
                "instance_identifier": instance.identifier,
                "instance_arn": instance.arn,
                "address": instance.address,
                "master_user_secret_arn": self.master_user_secret_arn,
            }
        )

    def _parameter_group(self, name: str, args: PostgresDatabaseArgs) -> aws.rds.ParameterGroup:
        child = pulumi.ResourceOptions(parent=self)
        return aws.rds.ParameterGroup(
            f"{name}-params",
            family=parameter_family(args.settings.engine_version),
            description=f"TLS-only, slow statement logging for {args.identifier}",
            parameters=[
                aws.rds.ParameterGroupParameterArgs(name="rds.force_ssl", value="1"),
                aws.rds.ParameterGroupParameterArgs(
                    name="log_min_duration_statement", value=str(args.settings.slow_statement_ms)
                ),
                aws.rds.ParameterGroupParameterArgs(name="log_connections", value="1"),
                aws.rds.ParameterGroupParameterArgs(name="log_disconnections", value="1"),
                aws.rds.ParameterGroupParameterArgs(name="log_lock_waits", value="1"),
                aws.rds.ParameterGroupParameterArgs(name="log_min_error_statement", value="error"),
            ],
            opts=child,
        )

    def _monitoring_role(
        self, name: str, ctx: AwsContext
    ) -> tuple[aws.iam.Role, aws.iam.RolePolicyAttachment]:
        """The role enhanced monitoring publishes OS metrics with."""
        return service_role(
            f"{name}-monitoring-role",
            f"{name}-monitoring-policy",
            service="monitoring.rds.amazonaws.com",
            managed_policy="service-role/AmazonRDSEnhancedMonitoringRole",
            partition=ctx.partition,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _log_groups(self, name: str, args: PostgresDatabaseArgs) -> list[aws.cloudwatch.LogGroup]:
        child = pulumi.ResourceOptions(parent=self)
        # Created up front so exported logs get our retention and key rather than the
        # never-expiring group RDS would create on first export.
        return [
            encrypted_log_group(
                f"{name}-log-{export}",
                log_group_name=f"/aws/rds/instance/{args.identifier}/{export}",
                retention_days=args.settings.log_retention_days,
                kms_key_arn=args.logs_kms_key_arn,
                opts=child,
            )
            for export in LOG_EXPORTS
        ]

    def _instance(
        self,
        name: str,
        args: PostgresDatabaseArgs,
        *,
        key: EncryptionKey,
        subnet_group: aws.rds.SubnetGroup,
        security_group: aws.ec2.SecurityGroup,
        parameters: aws.rds.ParameterGroup,
        monitoring_role: aws.iam.Role,
        after: list[pulumi.Resource],
    ) -> aws.rds.Instance:
        return aws.rds.Instance(
            f"{name}-instance",
            identifier=args.identifier,
            engine="postgres",
            engine_version=args.settings.engine_version,
            instance_class=args.settings.instance_class,
            db_name=args.database_name,
            username=args.master_username,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=key.key_arn,
            allocated_storage=args.settings.allocated_storage_gb,
            max_allocated_storage=args.settings.max_allocated_storage_gb,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=key.key_arn,
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[security_group.id],
            parameter_group_name=parameters.name,
            publicly_accessible=False,
            multi_az=args.settings.multi_az,
            port=POSTGRES_PORT,
            backup_retention_period=args.settings.backup_retention_days,
            backup_window=args.settings.backup_window,
            maintenance_window=args.settings.maintenance_window,
            copy_tags_to_snapshot=True,
            delete_automated_backups=args.delete_automated_backups,
            deletion_protection=args.settings.deletion_protection,
            skip_final_snapshot=not args.settings.final_snapshot,
            final_snapshot_identifier=(
                f"{args.identifier}-final" if args.settings.final_snapshot else None
            ),
            performance_insights_enabled=True,
            performance_insights_kms_key_id=key.key_arn,
            performance_insights_retention_period=args.performance_insights_retention_days,
            monitoring_interval=args.monitoring_interval_seconds,
            monitoring_role_arn=monitoring_role.arn,
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            iam_database_authentication_enabled=True,
            auto_minor_version_upgrade=True,
            allow_major_version_upgrade=False,
            ca_cert_identifier="rds-ca-rsa2048-g1",
            apply_immediately=False,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=after,
                # Where AWS refuses to delete the instance, Pulumi refuses to plan it too:
                # `pulumi destroy` or a replacing change stops before touching the data.
                protect=args.settings.deletion_protection,
            ),
        )
