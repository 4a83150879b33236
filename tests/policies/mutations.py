"""Every guarded property of the pack, flipped one at a time on the compliant baseline plan."""

from __future__ import annotations

from tests.policies.plans import DELETE, REMOVE, Mutation

PROD = ("prod",)
OPEN_ALL = [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}]
SSH_V6 = [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "ipv6CidrBlocks": ["::/0"]}]
ALL_TCP = [{"protocol": "tcp", "fromPort": 1, "toPort": 65535, "cidrBlocks": ["0.0.0.0/0"]}]
RDP_NUMERIC = [{"protocol": "6", "fromPort": 3389, "toPort": 3389, "cidrBlocks": ["0.0.0.0/0"]}]
AWS_MANAGED_RDS_KEY = "arn:aws:kms:eu-west-1:111122223333:alias/aws/rds"
DB_ARN = "arn:aws:rds:eu-west-1:111122223333:db:hrms-db"
CONTAINER = "spec.template.spec.containers.0"
SC = f"{CONTAINER}.securityContext"
INSIGHTS_MATH = [
    {
        "id": "ready",
        "metric": {
            "namespace": "ContainerInsights",
            "metricName": "cluster_node_count",
            "dimensions": {"ClusterName": "hrms"},
            "stat": "Minimum",
            "period": 60,
        },
    },
    {"id": "low", "expression": "IF(ready < 2, 1, 0)", "returnData": True},
]

MUTATIONS: list[Mutation] = [
    # database
    Mutation("rds-storage-encrypted-cmk", "db", "storageEncrypted", False),
    Mutation("rds-storage-encrypted-cmk", "db", "kmsKeyId", DELETE),
    Mutation("rds-storage-encrypted-cmk", "db", "kmsKeyId", AWS_MANAGED_RDS_KEY),
    Mutation("rds-not-public", "db", "publiclyAccessible", True),
    Mutation("rds-backup-retention", "db", "backupRetentionPeriod", 3),
    Mutation("rds-backup-retention", "db", "backupRetentionPeriod", 7, stacks=PROD),
    Mutation("rds-backup-retention", "db", "backupRetentionPeriod", DELETE),
    Mutation("rds-backup-retention", "db", "backupWindow", DELETE),
    Mutation("rds-deletion-protection", "db", "deletionProtection", False, stacks=PROD),
    Mutation("rds-deletion-protection", "db", "skipFinalSnapshot", True, stacks=PROD),
    Mutation("rds-deletion-protection", "db", "finalSnapshotIdentifier", DELETE, stacks=PROD),
    Mutation("rds-multi-az", "db", "multiAz", False, stacks=PROD),
    Mutation("rds-auto-minor-version-upgrade", "db", "autoMinorVersionUpgrade", False),
    Mutation("rds-copy-tags-to-snapshot", "db", "copyTagsToSnapshot", False),
    Mutation("rds-log-exports", "db", "enabledCloudwatchLogsExports", ["postgresql"]),
    Mutation("rds-log-exports", "db", "enabledCloudwatchLogsExports", DELETE),
    Mutation("rds-performance-insights-encrypted", "db", "performanceInsightsEnabled", False),
    Mutation("rds-performance-insights-encrypted", "db", "performanceInsightsKmsKeyId", DELETE),
    Mutation(
        "rds-performance-insights-encrypted", "db", "performanceInsightsKmsKeyId", "alias/aws/rds"
    ),
    Mutation("rds-managed-master-secret", "db", "manageMasterUserPassword", False),
    Mutation("rds-managed-master-secret", "db", "password", "[secret]"),
    Mutation("rds-force-ssl", "db-params", "parameters.0.value", "0"),
    Mutation("rds-force-ssl", "db-params", REMOVE, flagged="db"),
    Mutation("backup-plan-covers-databases", "backup-selection", REMOVE, flagged="db"),
    Mutation(
        "backup-plan-covers-databases",
        "backup-selection",
        "resources",
        ["arn:aws:rds:eu-west-1:111122223333:db:another-db"],
        flagged="db",
    ),
    Mutation(
        "backup-plan-covers-databases",
        "backup-selection",
        "@dependencies",
        [("aws:backup/plan:Plan", "backup-plan")],
        flagged="db",
        extra=(("db", "identifier", DELETE),),
    ),
    Mutation("backup-plan-covers-databases", "backup-plan", REMOVE, flagged="db"),
    Mutation(
        # Selected by wildcard, then excluded again by name.
        "backup-plan-covers-databases",
        "backup-selection",
        "notResources",
        [DB_ARN],
        flagged="db",
        extra=(("backup-selection", "resources", ["*"]),),
    ),
    Mutation("backup-restore-testing-covers-databases", "restore-testing-db", REMOVE, flagged="db"),
    Mutation(
        "backup-restore-testing-covers-databases",
        "restore-testing-db",
        "protectedResourceArns",
        ["arn:aws:rds:eu-west-1:111122223333:db:another-db"],
        flagged="db",
    ),
    Mutation(
        "backup-restore-testing-covers-databases",
        "restore-testing-db",
        "protectedResourceType",
        "EBS",
        flagged="db",
    ),
    Mutation("backup-plan-rules", "backup-plan", "rules.0.lifecycle.deleteAfter", 3),
    Mutation("backup-plan-rules", "backup-plan", "rules.0.schedule", DELETE),
    Mutation("backup-plan-rules", "backup-plan", "rules.0.copyActions", [], stacks=PROD),
    Mutation("backup-plan-rules", "backup-plan", "rules", []),
    # cluster
    Mutation("eks-private-endpoint", "cluster", "vpcConfig.endpointPrivateAccess", False),
    Mutation(
        "eks-public-endpoint-restricted", "cluster", "vpcConfig.publicAccessCidrs", ["0.0.0.0/0"]
    ),
    Mutation("eks-public-endpoint-restricted", "cluster", "vpcConfig.publicAccessCidrs", ["::/0"]),
    Mutation("eks-public-endpoint-restricted", "cluster", "vpcConfig.publicAccessCidrs", DELETE),
    Mutation("eks-secrets-encryption", "cluster", "encryptionConfig.resources", []),
    Mutation("eks-secrets-encryption", "cluster", "encryptionConfig.provider.keyArn", DELETE),
    Mutation("eks-public-endpoint-restricted", "cluster", "vpcConfig.publicAccessCidrs", ["0::/0"]),
    Mutation(
        # Public access left to AWS's default (on) with no CIDRs listed: open to everyone.
        "eks-public-endpoint-restricted",
        "cluster",
        "vpcConfig.endpointPublicAccess",
        DELETE,
        extra=(("cluster", "vpcConfig.publicAccessCidrs", DELETE),),
    ),
    Mutation("eks-control-plane-logging", "cluster", "enabledClusterLogTypes", ["api", "audit"]),
    Mutation("eks-control-plane-logging", "cluster", "enabledClusterLogTypes", DELETE),
    Mutation("eks-supported-version", "cluster", "version", "1.24"),
    Mutation("eks-supported-version", "cluster", "version", DELETE),
    Mutation("node-launch-template-imdsv2", "nodes-lt", "metadataOptions.httpTokens", "optional"),
    Mutation(
        "node-launch-template-imdsv2", "nodes-lt", "metadataOptions.httpPutResponseHopLimit", 5
    ),
    Mutation(
        "launch-template-volumes-encrypted",
        "nodes-lt",
        "blockDeviceMappings.0.ebs.encrypted",
        "false",
    ),
    Mutation(
        "launch-template-volumes-encrypted",
        "nodes-lt",
        "blockDeviceMappings.0.ebs.encrypted",
        DELETE,
    ),
    Mutation("eks-node-group-launch-template", "nodes", "launchTemplate", DELETE),
    # network
    Mutation("vpc-flow-logs", "vpc-flow-log", REMOVE, flagged="vpc"),
    Mutation("vpc-flow-logs", "vpc-flow-log", "trafficType", "REJECT", flagged="vpc"),
    Mutation("vpc-default-security-group-closed", "vpc-default-sg", "ingress", OPEN_ALL),
    Mutation("vpc-default-security-group-closed", "vpc-default-sg", "egress", OPEN_ALL),
    Mutation("vpc-default-security-group-closed", "vpc-default-sg", REMOVE, flagged="vpc"),
    Mutation(
        "security-group-no-internet-admin-ports", "db-sg", "ingress.0.cidrBlocks", ["0.0.0.0/0"]
    ),
    Mutation("security-group-no-internet-admin-ports", "db-sg", "ingress", SSH_V6),
    Mutation("security-group-no-internet-admin-ports", "db-sg", "ingress", OPEN_ALL),
    Mutation("security-group-no-internet-admin-ports", "nlb-https", "fromPort", 0),
    Mutation("security-group-no-internet-admin-ports", "db-from-nodes", "cidrIpv4", "0.0.0.0/0"),
    Mutation("security-group-no-internet-admin-ports", "db-from-nodes", "cidrIpv6", "::/0"),
    # inline ingress on aws.ec2.SecurityGroup: a range spanning every port, a numeric protocol
    Mutation("security-group-no-internet-admin-ports", "db-sg", "ingress", ALL_TCP),
    Mutation("security-group-no-internet-admin-ports", "db-sg", "ingress", RDP_NUMERIC),
    # aws.ec2.SecurityGroupRule: every protocol, and IPv6 on RDP
    Mutation("security-group-no-internet-admin-ports", "nlb-https", "protocol", "-1"),
    Mutation(
        "security-group-no-internet-admin-ports",
        "nlb-https",
        "ipv6CidrBlocks",
        ["::/0"],
        extra=(
            ("nlb-https", "cidrBlocks", DELETE),
            ("nlb-https", "fromPort", 3389),
            ("nlb-https", "toPort", 3389),
        ),
    ),
    # aws.vpc.SecurityGroupIngressRule: every protocol (no ports), and a range over 6379
    Mutation(
        "security-group-no-internet-admin-ports",
        "db-from-nodes",
        "ipProtocol",
        "-1",
        extra=(
            ("db-from-nodes", "fromPort", DELETE),
            ("db-from-nodes", "toPort", DELETE),
            ("db-from-nodes", "referencedSecurityGroupId", DELETE),
            ("db-from-nodes", "cidrIpv4", "0.0.0.0/0"),
        ),
    ),
    Mutation(
        "security-group-no-internet-admin-ports",
        "db-from-nodes",
        "cidrIpv6",
        "0::/0",
        extra=(("db-from-nodes", "fromPort", 6000), ("db-from-nodes", "toPort", 6500)),
    ),
    # edge
    Mutation("apigw-method-requires-auth", "proxy-any", "apiKeyRequired", False),
    Mutation(
        "apigw-method-requires-auth",
        "health-get",
        "@dependencies",
        [("aws:apigateway/restApi:RestApi", "api"), ("aws:apigateway/resource:Resource", "proxy")],
    ),
    Mutation("apigw-method-requires-auth", "health-get", "httpMethod", "POST"),
    Mutation(
        # {proxy+} hung off the root: every path, /admin/ included, reaches the backend.
        "apigw-no-root-proxy",
        "proxy",
        "@dependencies",
        [("aws:apigateway/restApi:RestApi", "api")],
        extra=(("proxy", "parentId", "root"),),
    ),
    Mutation(
        # A path parameter is no prefix: /{tenant}/{proxy+} still matches /admin/login/.
        "apigw-no-root-proxy",
        "api-prefix",
        "pathPart",
        "{tenant}",
        flagged="proxy",
    ),
    Mutation(
        # The prefix resource removed: the greedy path is left hanging off the root.
        "apigw-no-root-proxy",
        "api-prefix",
        REMOVE,
        flagged="proxy",
    ),
    Mutation("apigw-usage-plan-limits", "plan-free", "throttleSettings.rateLimit", DELETE),
    Mutation("apigw-usage-plan-limits", "plan-free", "throttleSettings.burstLimit", 0),
    Mutation("apigw-usage-plan-limits", "plan-free", "quotaSettings.limit", DELETE),
    Mutation("apigw-usage-plan-limits", "plan-free", "quotaSettings.period", "YEAR"),
    Mutation("apigw-usage-plan-limits", "plan-free", "apiStages", []),
    Mutation("apigw-usage-plan-tiers", "plan-enterprise", "throttleSettings.rateLimit", 1),
    Mutation("apigw-usage-plan-tiers", "plan-professional", "throttleSettings.burstLimit", 5),
    Mutation("apigw-usage-plan-tiers", "plan-starter", "quotaSettings.limit", 100),
    Mutation("apigw-usage-plan-tiers", "plan-starter", REMOVE, flagged=""),
    Mutation("apigw-usage-plan-tiers", "plan-free", "name", "hrms-basic"),
    Mutation("apigw-usage-plan-tiers", "plan-starter", "name", "hrms-free-extra"),
    Mutation(
        # No plan at all: the API keys are neither metered nor throttled.
        "apigw-usage-plan-tiers",
        "plan-free",
        REMOVE,
        flagged="stage",
        extra=(
            ("plan-starter", REMOVE, None),
            ("plan-professional", REMOVE, None),
            ("plan-enterprise", REMOVE, None),
        ),
    ),
    Mutation("apigw-stage-access-logging", "stage", "accessLogSettings", DELETE),
    Mutation("apigw-stage-access-logging", "stage", "accessLogSettings.format", DELETE),
    Mutation("apigw-stage-xray", "stage", "xrayTracingEnabled", False),
    Mutation("apigw-data-trace-off", "stage-settings", "settings.dataTraceEnabled", True),
    Mutation("apigw-waf-associated", "waf-assoc", REMOVE, flagged="stage"),
    Mutation("apigw-waf-associated", "waf-assoc", "@dependencies", [], flagged="stage"),
    # observability
    Mutation("alarms-cover-critical-resources", "db-cpu", REMOVE, flagged="db"),
    Mutation("alarms-cover-critical-resources", "db-cpu", "alarmActions", [], flagged="db"),
    Mutation("alarms-cover-critical-resources", "cluster-nodes", REMOVE, flagged="cluster"),
    Mutation("alarms-cover-critical-resources", "cache-cpu", REMOVE, flagged="cache"),
    Mutation("alarms-cover-critical-resources", "api-5xx", REMOVE, flagged="stage"),
    Mutation("container-insights-installed", "cluster-insights", REMOVE, flagged="cluster-nodes"),
    Mutation(
        "container-insights-installed",
        "cluster-insights",
        "addonName",
        "adot",
        flagged="cluster-nodes",
    ),
    Mutation(
        # Installed, but on another cluster than the one the alarm watches.
        "container-insights-installed",
        "cluster-insights",
        "@dependencies",
        [("aws:eks/nodeGroup:NodeGroup", "nodes")],
        flagged="cluster-nodes",
        extra=(("cluster-insights", "clusterName", "other-cluster"),),
    ),
    Mutation(
        # A metric-math alarm on ContainerInsights with no add-on is caught the same way.
        "container-insights-installed",
        "cluster-insights",
        REMOVE,
        flagged="cluster-nodes",
        extra=(
            ("cluster-nodes", "namespace", DELETE),
            ("cluster-nodes", "dimensions", DELETE),
            ("cluster-nodes", "metricQueries", INSIGHTS_MATH),
        ),
    ),
    Mutation("alarm-has-actions", "db-cpu", "alarmActions", []),
    Mutation("alarm-has-actions", "db-cpu", "okActions", DELETE),
    Mutation("alarm-has-actions", "db-cpu", "actionsEnabled", False),
    Mutation("log-group-encrypted-retention", "access-logs", "kmsKeyId", DELETE),
    Mutation("log-group-encrypted-retention", "access-logs", "retentionInDays", 0),
    Mutation("log-group-encrypted-retention", "access-logs", "retentionInDays", 7),
    Mutation("log-group-encrypted-retention", "access-logs", "retentionInDays", 30, stacks=PROD),
    Mutation("sns-topic-encrypted", "alerts", "kmsMasterKeyId", DELETE),
    Mutation("kms-key-rotation", "kms", "enableKeyRotation", False),
    # kubernetes
    Mutation(
        "k8s-run-as-non-root", "app", "spec.template.spec.securityContext.runAsNonRoot", False
    ),
    Mutation("k8s-run-as-non-root", "app", f"{SC}.runAsNonRoot", False),
    Mutation("k8s-run-as-non-root", "migrate", "spec.template.spec.securityContext", DELETE),
    Mutation("k8s-read-only-root-filesystem", "app", f"{SC}.readOnlyRootFilesystem", False),
    Mutation("k8s-no-privilege-escalation", "app", f"{SC}.allowPrivilegeEscalation", True),
    Mutation("k8s-no-privilege-escalation", "app", f"{SC}.allowPrivilegeEscalation", DELETE),
    Mutation("k8s-no-privilege-escalation", "app", f"{SC}.privileged", True),
    Mutation("k8s-resources-set", "app", f"{CONTAINER}.resources.requests.cpu", DELETE),
    Mutation("k8s-resources-set", "app", f"{CONTAINER}.resources.requests.memory", DELETE),
    Mutation("k8s-resources-set", "migrate", f"{CONTAINER}.resources.limits.memory", DELETE),
    Mutation("k8s-probes-set", "app", f"{CONTAINER}.readinessProbe", DELETE),
    Mutation("k8s-probes-set", "app", f"{CONTAINER}.livenessProbe", DELETE),
    Mutation("k8s-image-pinned-by-digest", "app", f"{CONTAINER}.image", "hrms/api:latest"),
    Mutation("k8s-image-pinned-by-digest", "migrate", f"{CONTAINER}.image", "hrms/api@sha256:1"),
    Mutation("k8s-pdb-per-deployment", "app-pdb", REMOVE, flagged="app"),
    Mutation(
        "k8s-pdb-per-deployment",
        "app-pdb",
        "spec.selector.matchLabels",
        {"app": "other"},
        flagged="app",
    ),
    Mutation("k8s-pdb-per-deployment", "app-pdb", "metadata.namespace", "other", flagged="app"),
    Mutation("k8s-namespace-network-policy", "default-deny", REMOVE, flagged="ns"),
    Mutation(
        "k8s-namespace-network-policy",
        "default-deny",
        "metadata.namespace",
        "other",
        flagged="ns",
    ),
    Mutation("k8s-namespace-pod-security", "ns", "metadata.labels", {}),
    Mutation(
        "k8s-namespace-pod-security",
        "ns",
        "metadata.labels",
        {"pod-security.kubernetes.io/enforce": "baseline"},
    ),
    Mutation(
        "backup-copy-other-region",
        "backup-plan",
        "rules.0.copyActions.0.destinationVaultArn",
        "arn:aws:backup:eu-west-1:111122223333:backup-vault:hrms-dr",
    ),
    Mutation(
        "backup-copy-other-region",
        "backup-plan",
        "rules.0.copyActions.0.destinationVaultArn",
        "arn:aws:s3:::hrms-dr",
    ),
    # encryption at rest and in transit
    Mutation("elasticache-encrypted-at-rest-cmk", "cache", "atRestEncryptionEnabled", False),
    Mutation("elasticache-encrypted-at-rest-cmk", "cache", "kmsKeyId", DELETE),
    Mutation("elasticache-encrypted-at-rest-cmk", "cache", "kmsKeyId", "alias/aws/elasticache"),
    Mutation("elasticache-encrypted-in-transit", "cache", "transitEncryptionEnabled", False),
    Mutation("elasticache-encrypted-in-transit", "cache", "transitEncryptionMode", "preferred"),
    Mutation("elasticache-encrypted-in-transit", "cache", "authToken", DELETE),
    Mutation("ecr-repository-encrypted-cmk", "registry", "encryptionConfigurations", DELETE),
    Mutation(
        "ecr-repository-encrypted-cmk",
        "registry",
        "encryptionConfigurations",
        [{"encryptionType": "AES256"}],
    ),
    Mutation("secretsmanager-secret-cmk", "app-secret", "kmsKeyId", DELETE),
    Mutation("secretsmanager-secret-cmk", "app-secret", "kmsKeyId", "alias/aws/secretsmanager"),
    Mutation("backup-vault-encrypted-cmk", "vault", "kmsKeyArn", DELETE),
    Mutation("s3-bucket-encrypted-cmk", "exports-sse", REMOVE, flagged="exports"),
    Mutation(
        "s3-bucket-encrypted-cmk",
        "exports-sse",
        "rules.0.applyServerSideEncryptionByDefault.sseAlgorithm",
        "AES256",
        flagged="exports",
    ),
    Mutation("s3-bucket-tls-only", "exports-policy", REMOVE, flagged="exports"),
    Mutation(
        "s3-bucket-tls-only",
        "exports-policy",
        "policy",
        '{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}]}',
        flagged="exports",
    ),
    Mutation("sns-topic-encrypted", "alerts", "kmsMasterKeyId", "alias/aws/sns"),
    # tagging
    Mutation("aws-required-tags", "db", "tags", DELETE),
    Mutation("aws-required-tags", "kms", "tags.Owner", DELETE),
    Mutation("aws-required-tags", "vpc", "tags.DataClassification", ""),
    Mutation("aws-required-tags", "cluster", "tags.Environment", "qa"),
    Mutation(
        "s3-bucket-public-access-blocked",
        "backups-public-access",
        "restrictPublicBuckets",
        False,
        flagged="backups-bucket",
    ),
    Mutation(
        "s3-bucket-versioned",
        "backups-versioning",
        "versioningConfiguration.status",
        "Suspended",
        flagged="backups-bucket",
    ),
    Mutation(
        "s3-bucket-lifecycle",
        "backups-lifecycle",
        "rules.0.expiration",
        DELETE,
        flagged="backups-bucket",
    ),
    Mutation(
        "s3-bucket-lifecycle",
        "backups-lifecycle",
        "rules.0.noncurrentVersionExpiration",
        DELETE,
        flagged="backups-bucket",
    ),
]

# Compliant variations: each must leave its rule silent (no false positive on the edge case).
PASSING: list[Mutation] = [
    Mutation(
        "kms-key-rotation",
        "kms",
        "enableKeyRotation",
        False,
        extra=(("kms", "customerMasterKeySpec", "RSA_2048"), ("kms", "keyUsage", "SIGN_VERIFY")),
    ),
    Mutation(
        "eks-public-endpoint-restricted",
        "cluster",
        "vpcConfig.endpointPublicAccess",
        False,
        extra=(("cluster", "vpcConfig.publicAccessCidrs", DELETE),),
    ),
    Mutation(
        "security-group-no-internet-admin-ports",
        "nlb-https",
        "type",
        "egress",
        extra=(("nlb-https", "fromPort", 22), ("nlb-https", "toPort", 22)),
    ),
    Mutation(
        "security-group-no-internet-admin-ports",
        "db-sg",
        "ingress",
        [{"protocol": "icmp", "fromPort": -1, "toPort": -1, "cidrBlocks": ["0.0.0.0/0"]}],
    ),
    Mutation(
        "security-group-no-internet-admin-ports",
        "db-sg",
        "ingress",
        [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["10.0.0.0/8"]}],
    ),
    Mutation("security-group-no-internet-admin-ports", "db-from-nodes", "cidrIpv4", "10.20.0.0/16"),
    Mutation("apigw-method-requires-auth", "health-get", "httpMethod", "HEAD"),
    Mutation(
        "apigw-method-requires-auth",
        "proxy-any",
        "apiKeyRequired",
        False,
        extra=(("proxy-any", "authorization", "AWS_IAM"),),
    ),
    Mutation("backup-plan-covers-databases", "backup-selection", "resources", ["*"]),
    Mutation("rds-auto-minor-version-upgrade", "db", "autoMinorVersionUpgrade", DELETE),
    Mutation(
        "launch-template-volumes-encrypted", "nodes-lt", "blockDeviceMappings.0.ebs.encrypted", True
    ),
    # A cache that authenticates through RBAC user groups needs no auth token.
    Mutation(
        "elasticache-encrypted-in-transit",
        "cache",
        "authToken",
        DELETE,
        extra=(("cache", "userGroupIds", ["hrms-users"]),),
    ),
    # Default transit mode (unset) is "required" once transit encryption is on.
    Mutation("elasticache-encrypted-in-transit", "cache", "transitEncryptionMode", DELETE),
]
