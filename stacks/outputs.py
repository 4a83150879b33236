"""Stack export keys: the contract between the program, its tests and the ops scripts."""

from __future__ import annotations

from typing import Final

VPC_ID: Final = "vpcId"
PRIVATE_SUBNET_IDS: Final = "privateSubnetIds"
ISOLATED_SUBNET_IDS: Final = "isolatedSubnetIds"

DB_INSTANCE_IDENTIFIER: Final = "dbInstanceIdentifier"
DB_INSTANCE_ARN: Final = "dbInstanceArn"
DB_ADDRESS: Final = "dbAddress"
DB_SECRET_ARN: Final = "dbSecretArn"  # noqa: S105 - an export key, not a secret
DB_KMS_KEY_ARN: Final = "dbKmsKeyArn"
DB_SUBNET_GROUP_NAME: Final = "dbSubnetGroupName"
DB_SECURITY_GROUP_ID: Final = "dbSecurityGroupId"
BACKUP_VAULT_NAME: Final = "backupVaultName"
BACKUP_VAULT_ARN: Final = "backupVaultArn"
BACKUP_PLAN_ID: Final = "backupPlanId"
BACKUP_COPY_VAULT_ARN: Final = "backupCopyVaultArn"
BACKUP_ROLE_ARN: Final = "backupRoleArn"
RESTORE_TESTING_PLAN_NAME: Final = "restoreTestingPlanName"
DB_PARAMETER_GROUP_NAME: Final = "dbParameterGroupName"
LOGICAL_BACKUP_BUCKET: Final = "logicalBackupBucket"
LOGICAL_BACKUP_KMS_KEY_ARN: Final = "logicalBackupKmsKeyArn"
BACKUP_RPO_SECONDS: Final = "backupRpoSeconds"

CACHE_REPLICATION_GROUP_ID: Final = "cacheReplicationGroupId"
CACHE_ENDPOINT: Final = "cacheEndpoint"
CACHE_AUTH_SECRET_ARN: Final = "cacheAuthSecretArn"  # noqa: S105 - an export key

CLUSTER_NAME: Final = "clusterName"
CLUSTER_ENDPOINT: Final = "clusterEndpoint"
CLUSTER_VERSION: Final = "clusterVersion"
OIDC_PROVIDER_ARN: Final = "oidcProviderArn"
NODE_GROUP_NAME: Final = "nodeGroupName"
NODE_ASG_NAME: Final = "nodeAsgName"
NODE_SECURITY_GROUP_ID: Final = "nodeSecurityGroupId"
KUBECONFIG: Final = "kubeconfig"

ECR_REPOSITORY_URL: Final = "ecrRepositoryUrl"
IMAGE_DIGEST: Final = "imageDigest"
IMAGE_REFERENCE: Final = "imageReference"

NLB_ARN: Final = "nlbArn"
NLB_ARN_SUFFIX: Final = "nlbArnSuffix"
NLB_DNS_NAME: Final = "nlbDnsName"
TARGET_GROUP_ARN: Final = "targetGroupArn"
TARGET_GROUP_ARN_SUFFIX: Final = "targetGroupArnSuffix"

APP_NAMESPACE: Final = "appNamespace"
APP_SERVICE_NAME: Final = "appServiceName"
APP_ROLE_ARN: Final = "appRoleArn"
MIGRATION_JOB_NAME: Final = "migrationJobName"
LOGS_KMS_KEY_ARN: Final = "logsKmsKeyArn"

API_INVOKE_URL: Final = "apiInvokeUrl"
API_ID: Final = "apiId"
API_STAGE_NAME: Final = "apiStageName"
API_USAGE_PLAN_IDS: Final = "apiUsagePlanIds"  # tier name -> usage plan id
WEB_ACL_NAME: Final = "webAclName"
ALERT_TOPIC_ARN: Final = "alertTopicArn"
DASHBOARD_NAME: Final = "dashboardName"
