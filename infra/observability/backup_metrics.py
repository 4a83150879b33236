"""The metric `hrmsctl backup status --publish` writes and the backup-status-failing alarm reads.

Plain constants (no Pulumi import): the backup CronJob's image loads this module too.
"""

from __future__ import annotations

BACKUP_METRIC_NAMESPACE = "HRMS/Backups"
BACKUP_FAILING_METRIC = "BackupChecksFailing"
BACKUP_AGE_METRIC = "BackupAgeSeconds"
