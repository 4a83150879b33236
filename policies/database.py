"""Database rules: RDS PostgreSQL hardening, TLS, backups, restore testing."""

from __future__ import annotations

from pulumi_policy import (
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)

from policies.common import (
    CIS,
    SOC2,
    HrmsPolicy,
    HrmsResourcePolicy,
    HrmsStackPolicy,
    as_list,
    as_number,
    config_value,
    get_path,
    is_customer_key,
    is_true,
    related,
    resource_identity,
    resources_of,
    violation,
)

RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
BACKUP_PLAN = "aws:backup/plan:Plan"
BACKUP_SELECTION = "aws:backup/selection:Selection"
RESTORE_TESTING_PLAN = "aws:backup/restoreTestingPlan:RestoreTestingPlan"
RESTORE_TESTING_SELECTION = "aws:backup/restoreTestingSelection:RestoreTestingSelection"

_RDS_IDS = ("identifier",)


def _storage_encrypted(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not is_true(get_path(args.props, "storageEncrypted")):
        violation(report, "storageEncrypted must be true.")
    if not is_customer_key(get_path(args.props, "kmsKeyId")):
        violation(report, "kmsKeyId must name a customer-managed KMS key, not the AWS-managed one.")


def _not_public(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if is_true(get_path(args.props, "publiclyAccessible")):
        violation(
            report, "publiclyAccessible must be false; the database lives in isolated subnets."
        )


def _backup_retention(args: ResourceValidationArgs, report: ReportViolation) -> None:
    minimum = float(config_value(args, "minimumDays", 7))
    days = as_number(get_path(args.props, "backupRetentionPeriod"))
    if days is None or days < minimum:
        shown = "unset" if days is None else f"{days:g}"
        violation(
            report,
            f"backupRetentionPeriod is {shown}; this stack requires >= {minimum:g} days "
            "of automated backups (point-in-time recovery).",
        )
    if not get_path(args.props, "backupWindow"):
        violation(report, "backupWindow must be set so backups avoid the maintenance window.")


def _deletion_safety(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not config_value(args, "required", True):
        args.not_applicable("deletion protection is not required on this stack")
    if not is_true(get_path(args.props, "deletionProtection")):
        violation(report, "deletionProtection must be true.")
    if is_true(get_path(args.props, "skipFinalSnapshot")):
        violation(report, "skipFinalSnapshot must be false so deletion keeps a final snapshot.")
    if not get_path(args.props, "finalSnapshotIdentifier"):
        violation(report, "finalSnapshotIdentifier must be set for the final snapshot.")


def _multi_az(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not config_value(args, "required", True):
        args.not_applicable("Multi-AZ is not required on this stack")
    if not is_true(get_path(args.props, "multiAz")):
        violation(report, "multiAz must be true.")


def _auto_minor_upgrade(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if get_path(args.props, "autoMinorVersionUpgrade") is False:
        violation(report, "autoMinorVersionUpgrade must not be disabled.")


def _copy_tags(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not is_true(get_path(args.props, "copyTagsToSnapshot")):
        violation(report, "copyTagsToSnapshot must be true so snapshots keep their classification.")


def _log_exports(args: ResourceValidationArgs, report: ReportViolation) -> None:
    wanted = [str(x) for x in config_value(args, "logTypes", ["postgresql", "upgrade"])]
    exported = {str(x) for x in as_list(get_path(args.props, "enabledCloudwatchLogsExports"))}
    missing = [log for log in wanted if log not in exported]
    if missing:
        violation(report, f"enabledCloudwatchLogsExports is missing {', '.join(missing)}.")


def _performance_insights(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not is_true(get_path(args.props, "performanceInsightsEnabled")):
        violation(report, "performanceInsightsEnabled must be true.")
    if not is_customer_key(get_path(args.props, "performanceInsightsKmsKeyId")):
        violation(report, "performanceInsightsKmsKeyId must name a customer-managed KMS key.")


def _managed_secret(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not is_true(get_path(args.props, "manageMasterUserPassword")):
        violation(
            report, "manageMasterUserPassword must be true (RDS-managed Secrets Manager secret)."
        )
    if get_path(args.props, "password") is not None:
        violation(
            report, "password must not be set; the master password never passes through config."
        )


def _force_ssl(args: StackValidationArgs, report: ReportViolation) -> None:
    groups = resources_of(args.resources, RDS_PARAMETER_GROUP)
    for db in resources_of(args.resources, RDS_INSTANCE):
        group_name = get_path(db.props, "parameterGroupName")
        attached = [
            g
            for g in groups
            if related(db, g, literal_ids=resource_identity(g, "name"), values=[group_name])
        ]
        if not attached:
            violation(
                report,
                "instance uses a default parameter group; attach one with rds.force_ssl=1.",
                db.urn,
            )
            continue
        for group in attached:
            params = {
                str(get_path(p, "name")): str(get_path(p, "value"))
                for p in as_list(get_path(group.props, "parameters"))
            }
            if params.get("rds.force_ssl") != "1":
                violation(
                    report,
                    f"parameter group {group.name} must set rds.force_ssl=1 "
                    f"(has {params.get('rds.force_ssl', 'unset')}).",
                    group.urn,
                )


def _excluded(db: PolicyResource, selection: PolicyResource) -> bool:
    """Whether the selection's ``notResources`` names the instance (or every instance)."""
    ids = resource_identity(db, *_RDS_IDS)
    return any(
        isinstance(v, str)
        and (v == "*" or v.endswith(":db:*") or any(v.endswith(f":db:{i}") for i in ids))
        for v in as_list(get_path(selection.props, "notResources"))
    )


def _covers(selection_values: list[object], db: PolicyResource, selection: PolicyResource) -> bool:
    if _excluded(db, selection):
        return False
    if any(isinstance(v, str) and (v == "*" or v.endswith(":db:*")) for v in selection_values):
        return True
    ids = resource_identity(db, *_RDS_IDS)
    if ids and selection_values:
        # Both sides known: the ARNs listed decide, whatever else the selection depends on.
        return any(
            isinstance(v, str) and any(v.endswith(f":db:{i}") for i in ids)
            for v in selection_values
        )
    return related(selection, db)


def _backup_coverage(args: StackValidationArgs, report: ReportViolation) -> None:
    plans = resources_of(args.resources, BACKUP_PLAN)
    selections = [
        s
        for s in resources_of(args.resources, BACKUP_SELECTION)
        if any(related(s, p, literal_ids=resource_identity(p, "name")) for p in plans)
    ]
    for db in resources_of(args.resources, RDS_INSTANCE):
        covered = any(_covers(as_list(get_path(s.props, "resources")), db, s) for s in selections)
        if not covered:
            violation(report, "no AWS Backup plan selection covers this instance.", db.urn)


def _restore_testing_coverage(args: StackValidationArgs, report: ReportViolation) -> None:
    plans = resources_of(args.resources, RESTORE_TESTING_PLAN)
    selections = []
    for s in resources_of(args.resources, RESTORE_TESTING_SELECTION):
        plan_name = get_path(s.props, "restoreTestingPlanName")
        linked = any(
            related(s, p, literal_ids=resource_identity(p, "name"), values=[plan_name])
            for p in plans
        )
        if linked and get_path(s.props, "protectedResourceType") == "RDS":
            selections.append(s)
    for db in resources_of(args.resources, RDS_INSTANCE):
        covered = any(
            _covers(as_list(get_path(s.props, "protectedResourceArns")), db, s) for s in selections
        )
        if not covered:
            violation(
                report, "no AWS Backup restore testing selection covers this instance.", db.urn
            )


def _backup_plan_rules(args: ResourceValidationArgs, report: ReportViolation) -> None:
    minimum = float(config_value(args, "minimumDays", 7))
    need_copy = bool(config_value(args, "requireCrossRegionCopy", False))
    rules = as_list(get_path(args.props, "rules"))
    if not rules:
        violation(report, "the backup plan has no rules.")
    for rule in rules:
        name = get_path(rule, "ruleName", "?")
        keep = as_number(get_path(rule, "lifecycle.deleteAfter"))
        if keep is not None and keep < minimum:
            violation(report, f"rule {name}: lifecycle.deleteAfter {keep:g} < {minimum:g} days.")
        if not get_path(rule, "schedule"):
            violation(report, f"rule {name}: schedule must be set.")
        if need_copy and not as_list(get_path(rule, "copyActions")):
            violation(
                report, f"rule {name}: copyActions must copy recovery points to another region."
            )


def arn_region(value: object) -> str | None:
    """The region field of an ARN (``arn:partition:service:region:account:resource``)."""
    if not isinstance(value, str):
        return None
    parts = value.split(":", 5)
    return parts[3] if len(parts) == 6 and parts[0] == "arn" else None


def _is_vault_arn(value: object) -> bool:
    parts = value.split(":", 5) if isinstance(value, str) else []
    return len(parts) == 6 and parts[2] == "backup" and parts[5].startswith("backup-vault:")


def _copy_leaves_region(args: StackValidationArgs, report: ReportViolation) -> None:
    selections = resources_of(args.resources, BACKUP_SELECTION)
    for plan in resources_of(args.resources, BACKUP_PLAN):
        ids = resource_identity(plan, "name")
        sources = {
            region
            for s in selections
            if related(s, plan, literal_ids=ids)
            for region in map(arn_region, as_list(get_path(s.props, "resources")))
            if region
        }
        for rule in as_list(get_path(plan.props, "rules")):
            name = get_path(rule, "ruleName", "?")
            for action in as_list(get_path(rule, "copyActions")):
                target = get_path(action, "destinationVaultArn")
                if not _is_vault_arn(target):
                    violation(
                        report,
                        f"rule {name}: destinationVaultArn {target!r} is not a backup vault ARN.",
                        plan.urn,
                    )
                elif arn_region(target) in sources:
                    violation(
                        report,
                        f"rule {name}: copies land in {arn_region(target)}, the region of the "
                        "resources they protect; a regional outage would take both.",
                        plan.urn,
                    )


_RETENTION_SCHEMA = PolicyConfigSchema(
    properties={"minimumDays": {"type": "integer", "minimum": 1, "maximum": 35, "default": 7}}
)
_REQUIRED_SCHEMA = PolicyConfigSchema(properties={"required": {"type": "boolean", "default": True}})

POLICIES: list[HrmsPolicy] = [
    HrmsResourcePolicy(
        name="rds-storage-encrypted-cmk",
        description="RDS storage is encrypted with a customer-managed KMS key.",
        resource_types=[RDS_INSTANCE],
        check=_storage_encrypted,
        severity=Severity.CRITICAL,
        frameworks=[CIS("2.3.1"), SOC2("CC6.1")],
        remediation="Set storage_encrypted=True and kms_key_id to the stack's database KMS key "
        "(encryption cannot be added in place: restore from an encrypted snapshot copy).",
    ),
    HrmsResourcePolicy(
        name="rds-not-public",
        description="RDS instances are not publicly accessible.",
        resource_types=[RDS_INSTANCE],
        check=_not_public,
        severity=Severity.CRITICAL,
        frameworks=[CIS("2.3.3"), SOC2("CC6.6")],
        remediation="Set publicly_accessible=False and place the instance in the isolated subnets.",
    ),
    HrmsResourcePolicy(
        name="rds-backup-retention",
        description="RDS automated backups (point-in-time recovery) are kept long enough.",
        resource_types=[RDS_INSTANCE],
        check=_backup_retention,
        severity=Severity.HIGH,
        frameworks=[SOC2("A1.2")],
        remediation="Raise backup_retention_period to the stack minimum (policy config "
        "minimumDays) and set backup_window.",
        config_schema=_RETENTION_SCHEMA,
    ),
    HrmsResourcePolicy(
        name="rds-deletion-protection",
        description="RDS instances are protected from deletion and keep a final snapshot.",
        resource_types=[RDS_INSTANCE],
        check=_deletion_safety,
        severity=Severity.HIGH,
        frameworks=[SOC2("A1.2")],
        remediation="Set deletion_protection=True, skip_final_snapshot=False and a "
        "final_snapshot_identifier.",
        config_schema=_REQUIRED_SCHEMA,
    ),
    HrmsResourcePolicy(
        name="rds-multi-az",
        description="RDS instances run Multi-AZ where the stack requires high availability.",
        resource_types=[RDS_INSTANCE],
        check=_multi_az,
        severity=Severity.HIGH,
        frameworks=[SOC2("A1.2")],
        remediation="Set multi_az=True.",
        config_schema=_REQUIRED_SCHEMA,
    ),
    HrmsResourcePolicy(
        name="rds-auto-minor-version-upgrade",
        description="RDS instances take automatic minor engine upgrades.",
        resource_types=[RDS_INSTANCE],
        check=_auto_minor_upgrade,
        severity=Severity.MEDIUM,
        frameworks=[CIS("2.3.2"), SOC2("CC7.1")],
        remediation="Set auto_minor_version_upgrade=True.",
    ),
    HrmsResourcePolicy(
        name="rds-copy-tags-to-snapshot",
        description="RDS snapshots inherit the instance's tags.",
        resource_types=[RDS_INSTANCE],
        check=_copy_tags,
        severity=Severity.LOW,
        frameworks=[SOC2("CC6.1")],
        remediation="Set copy_tags_to_snapshot=True.",
    ),
    HrmsResourcePolicy(
        name="rds-log-exports",
        description="RDS exports its engine logs to CloudWatch Logs.",
        resource_types=[RDS_INSTANCE],
        check=_log_exports,
        severity=Severity.MEDIUM,
        frameworks=[SOC2("CC7.2")],
        remediation='Set enabled_cloudwatch_logs_exports=["postgresql", "upgrade"].',
        config_schema=PolicyConfigSchema(
            properties={
                "logTypes": {
                    "type": "array",
                    "items": {"type": "string"},
                    "default": ["postgresql", "upgrade"],
                }
            }
        ),
    ),
    HrmsResourcePolicy(
        name="rds-performance-insights-encrypted",
        description="Performance Insights is on and encrypted with a customer-managed key.",
        resource_types=[RDS_INSTANCE],
        check=_performance_insights,
        severity=Severity.MEDIUM,
        frameworks=[SOC2("CC6.1"), SOC2("CC7.2")],
        remediation="Set performance_insights_enabled=True and performance_insights_kms_key_id.",
    ),
    HrmsResourcePolicy(
        name="rds-managed-master-secret",
        description="The master password is managed by RDS in Secrets Manager, never in config.",
        resource_types=[RDS_INSTANCE],
        check=_managed_secret,
        severity=Severity.HIGH,
        frameworks=[SOC2("CC6.1")],
        remediation="Set manage_master_user_password=True and remove password.",
    ),
    HrmsStackPolicy(
        name="rds-force-ssl",
        description="Every RDS instance uses a parameter group that forces TLS (rds.force_ssl=1).",
        resource_types=[RDS_INSTANCE],
        check=_force_ssl,
        severity=Severity.HIGH,
        frameworks=[SOC2("CC6.7")],
        remediation="Attach an aws.rds.ParameterGroup with parameter rds.force_ssl=1 "
        "(apply_method pending-reboot) to the instance.",
        inspects=[RDS_PARAMETER_GROUP],
    ),
    HrmsStackPolicy(
        name="backup-plan-covers-databases",
        description="An AWS Backup plan selection covers every RDS instance.",
        resource_types=[RDS_INSTANCE],
        check=_backup_coverage,
        severity=Severity.HIGH,
        frameworks=[SOC2("A1.2")],
        remediation="Add the instance ARN to an aws.backup.Selection of the stack's backup plan.",
        inspects=[BACKUP_PLAN, BACKUP_SELECTION],
    ),
    HrmsStackPolicy(
        name="backup-restore-testing-covers-databases",
        description="An AWS Backup restore testing plan regularly restores every RDS instance.",
        resource_types=[RDS_INSTANCE],
        check=_restore_testing_coverage,
        severity=Severity.HIGH,
        frameworks=[SOC2("A1.3")],
        remediation="Add an aws.backup.RestoreTestingSelection (protected_resource_type RDS) "
        "listing the instance ARN, linked to the stack's restore testing plan.",
        inspects=[RESTORE_TESTING_PLAN, RESTORE_TESTING_SELECTION],
    ),
    HrmsStackPolicy(
        name="backup-copy-other-region",
        description="AWS Backup copy actions target a backup vault in another region than the "
        "resources the plan protects.",
        resource_types=[BACKUP_PLAN],
        check=_copy_leaves_region,
        severity=Severity.HIGH,
        frameworks=[SOC2("A1.2"), SOC2("A1.3")],
        remediation="Point destination_vault_arn at a vault created with region=<DR region> "
        "(and a KMS key in that region).",
        inspects=[BACKUP_SELECTION],
    ),
    HrmsResourcePolicy(
        name="backup-plan-rules",
        description="AWS Backup plan rules are scheduled, keep recovery points long enough "
        "and copy them to another region where the stack requires it.",
        resource_types=[BACKUP_PLAN],
        check=_backup_plan_rules,
        severity=Severity.MEDIUM,
        frameworks=[SOC2("A1.2")],
        remediation="Give every rule a schedule, lifecycle.delete_after >= minimumDays and, "
        "where requireCrossRegionCopy is set, a copy_action to the DR region's vault.",
        config_schema=PolicyConfigSchema(
            properties={
                "minimumDays": {"type": "integer", "minimum": 1, "default": 7},
                "requireCrossRegionCopy": {"type": "boolean", "default": False},
            }
        ),
    ),
]
