"""AWS Backup for the database: vault, daily plan (cross-region copy), restore testing."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.aws_context import AwsContext, aws_context
from infra.iam import assume_role_policy, managed_policy_for
from infra.kms import EncryptionKey, EncryptionKeyArgs
from infra.settings import SettingError, matching, within

# Minutes after the scheduled time a job may still start (AWS Backup's minimum is 60);
# stacks/config.py checks schedule + this window against the RDS windows.
START_WINDOW_MINUTES = 60
BACKUP_ROLE_POLICIES: tuple[str, ...] = (
    "service-role/AWSBackupServiceRolePolicyForBackup",
    "service-role/AWSBackupServiceRolePolicyForRestores",
)


_CRON = re.compile(r"^cron\(.+\)$")
# A Kubernetes CronJob schedule: five space-separated fields.
_K8S_CRON = re.compile(r"^\S+( \S+){4}$")
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")


@dataclass(frozen=True, kw_only=True)
class BackupSettings:
    """The stack-tunable values of the database's backups (``hrms:backup``): AWS Backup's plan
    and copy, and the logical (pg_dump) backups with their monitoring."""

    schedule: str
    retention_days: int
    restore_test_schedule: str
    # Region receiving a copy of every recovery point; None keeps backups in-region only.
    copy_region: str | None = None
    copy_retention_days: int | None = None
    # Logical backups (pg_dump to S3) and their monitoring: Kubernetes cron schedules (UTC).
    logical_schedule: str = "30 2 * * *"
    logical_retention_days: int = 35
    status_schedule: str = "*/15 * * * *"
    # The recovery point objective backup status and its alarm measure against.
    rpo_minutes: int = 5

    def __post_init__(self) -> None:
        if self.copy_region is not None:
            matching("copy_region", self.copy_region, _REGION, "an AWS region")
            if self.copy_retention_days is None:
                raise SettingError("copy_retention_days", "required when copy_region is set")
        elif self.copy_retention_days is not None:
            raise SettingError("copy_retention_days", "has no effect without copy_region")
        if self.copy_retention_days is not None:
            within("copy_retention_days", self.copy_retention_days, 1, 36500)
        matching("schedule", self.schedule, _CRON, "a cron(...) expression")
        within("retention_days", self.retention_days, 1, 36500)
        matching(
            "restore_test_schedule", self.restore_test_schedule, _CRON, "a cron(...) expression"
        )
        matching("logical_schedule", self.logical_schedule, _K8S_CRON, "a five-field cron line")
        within("logical_retention_days", self.logical_retention_days, 1, 3650)
        matching("status_schedule", self.status_schedule, _K8S_CRON, "a five-field cron line")
        within("rpo_minutes", self.rpo_minutes, 1, 1440)


@dataclass(frozen=True, kw_only=True)
class DatabaseBackupsArgs:
    db_instance_arn: pulumi.Input[str]
    db_subnet_group_name: pulumi.Input[str]
    settings: BackupSettings
    restore_test_validation_hours: int = 4
    # Delete the vaults' recovery points on destroy, so a disposable stack tears down
    # completely (AWS Backup refuses to delete a vault that still holds any).
    force_destroy: bool = False


def restore_testing_name(name: str) -> str:
    """Restore testing plans only accept letters, digits and underscores."""
    return "".join(c if c.isalnum() else "_" for c in name)


class DatabaseBackups(pulumi.ComponentResource):
    vault_arn: pulumi.Output[str]
    vault_name: pulumi.Output[str]
    plan_id: pulumi.Output[str]
    copy_vault_arn: pulumi.Output[str] | None
    restore_testing_plan_name: pulumi.Output[str]
    role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: DatabaseBackupsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("hrms:database:DatabaseBackups", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        ctx = aws_context(pulumi.InvokeOptions(parent=self))

        key = EncryptionKey(
            f"{name}-vault-kms",
            EncryptionKeyArgs(description=f"AWS Backup vault {name}"),
            opts=child,
        )
        vault = aws.backup.Vault(
            f"{name}-vault",
            kms_key_arn=key.key_arn,
            force_destroy=args.force_destroy,
            opts=child,
        )

        self.copy_vault_arn = None
        copy_actions = self._copy_actions(name, args)
        plan = self._plan(name, args, vault, copy_actions)
        role, attachments = self._role(name, ctx)
        aws.backup.Selection(
            f"{name}-selection",
            plan_id=plan.id,
            iam_role_arn=role.arn,
            resources=[args.db_instance_arn],
            opts=pulumi.ResourceOptions(parent=self, depends_on=attachments),
        )
        testing_plan = self._restore_testing(name, args, vault, role, attachments)

        self.vault_arn = vault.arn
        self.vault_name = vault.name
        self.plan_id = plan.id
        self.restore_testing_plan_name = testing_plan.name
        self.role_arn = role.arn
        self.register_outputs(
            {"vault_arn": vault.arn, "plan_id": plan.id, "restore_testing": testing_plan.name}
        )

    def _copy_actions(
        self, name: str, args: DatabaseBackupsArgs
    ) -> list[aws.backup.PlanRuleCopyActionArgs]:
        """A vault under its own key in the copy region, if any, and the rule's copy there."""
        child = pulumi.ResourceOptions(parent=self)
        copy_actions: list[aws.backup.PlanRuleCopyActionArgs] = []
        if args.settings.copy_region is not None:
            copy_key = EncryptionKey(
                f"{name}-copy-kms",
                EncryptionKeyArgs(
                    description=f"AWS Backup copy vault {name} ({args.settings.copy_region})",
                    region=args.settings.copy_region,
                ),
                opts=child,
            )
            copy_vault = aws.backup.Vault(
                f"{name}-copy-vault",
                kms_key_arn=copy_key.key_arn,
                region=args.settings.copy_region,
                force_destroy=args.force_destroy,
                opts=child,
            )
            self.copy_vault_arn = copy_vault.arn
            copy_actions.append(
                aws.backup.PlanRuleCopyActionArgs(
                    destination_vault_arn=copy_vault.arn,
                    lifecycle=aws.backup.PlanRuleCopyActionLifecycleArgs(
                        delete_after=args.settings.copy_retention_days
                    ),
                )
            )
        return copy_actions

    def _plan(
        self,
        name: str,
        args: DatabaseBackupsArgs,
        vault: aws.backup.Vault,
        copy_actions: list[aws.backup.PlanRuleCopyActionArgs],
    ) -> aws.backup.Plan:
        child = pulumi.ResourceOptions(parent=self)
        # Snapshot rule, not continuous backup: RDS's own automated backups already give
        # point-in-time recovery, and continuous backup would take over (and fight with)
        # the instance's backup_retention_period.
        return aws.backup.Plan(
            f"{name}-plan",
            rules=[
                aws.backup.PlanRuleArgs(
                    rule_name="daily",
                    target_vault_name=vault.name,
                    schedule=args.settings.schedule,
                    start_window=START_WINDOW_MINUTES,
                    completion_window=360,
                    lifecycle=aws.backup.PlanRuleLifecycleArgs(
                        delete_after=args.settings.retention_days
                    ),
                    copy_actions=copy_actions or None,
                )
            ],
            opts=child,
        )

    def _role(
        self, name: str, ctx: AwsContext
    ) -> tuple[aws.iam.Role, list[aws.iam.RolePolicyAttachment]]:
        """The role AWS Backup backs up and test-restores with."""
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=assume_role_policy("backup.amazonaws.com"),
            opts=child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-role-{policy.rsplit('For', 1)[-1].lower()}",
                role=role.name,
                policy_arn=managed_policy_for(ctx.partition, policy),
                opts=child,
            )
            for policy in BACKUP_ROLE_POLICIES
        ]
        return role, attachments

    def _restore_testing(
        self,
        name: str,
        args: DatabaseBackupsArgs,
        vault: aws.backup.Vault,
        role: aws.iam.Role,
        attachments: list[aws.iam.RolePolicyAttachment],
    ) -> aws.backup.RestoreTestingPlan:
        child = pulumi.ResourceOptions(parent=self)
        # A restore that has never been tested is not a backup: AWS Backup restores the
        # latest recovery point on a schedule and deletes it after the validation window.
        testing_plan = aws.backup.RestoreTestingPlan(
            f"{name}-restore-testing",
            name=restore_testing_name(f"{name}_restore_testing"),
            schedule_expression=args.settings.restore_test_schedule,
            start_window_hours=24,
            recovery_point_selection=aws.backup.RestoreTestingPlanRecoveryPointSelectionArgs(
                algorithm="LATEST_WITHIN_WINDOW",
                include_vaults=[vault.arn],
                recovery_point_types=["SNAPSHOT"],
                selection_window_days=7,
            ),
            opts=child,
        )
        aws.backup.RestoreTestingSelection(
            f"{name}-restore-testing-selection",
            name=restore_testing_name(f"{name}_postgres"),
            restore_testing_plan_name=testing_plan.name,
            protected_resource_type="RDS",
            protected_resource_arns=[args.db_instance_arn],
            iam_role_arn=role.arn,
            validation_window_hours=args.restore_test_validation_hours,
            # Restored copies land in the isolated subnets, never publicly reachable.
            restore_metadata_overrides={
                "dbsubnetgroupname": args.db_subnet_group_name,
                "publiclyaccessible": "false",
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=attachments),
        )
        return testing_plan
