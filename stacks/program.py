"""The HRMS stack program: typed config in, one block per capability, exports out."""

from __future__ import annotations

from dataclasses import asdict

import pulumi

from infra.cache.redis import RateLimitCache, RateLimitCacheArgs
from infra.cluster.addons import (
    NODE_BOOTSTRAP_ADDONS,
    WORKLOAD_ADDONS,
    ClusterAddons,
    ClusterAddonsArgs,
)
from infra.cluster.autoscaler import ClusterAutoscaler, ClusterAutoscalerArgs
from infra.cluster.eks import EksCluster, EksClusterArgs
from infra.cluster.insights import (
    AGENT_EMF_ENDPOINT,
    AGENT_NAMESPACE,
    ContainerInsights,
    ContainerInsightsArgs,
    log_group_name,
)
from infra.cluster.nodes import NodeGroup, NodeGroupArgs
from infra.database.backups import DatabaseBackups, DatabaseBackupsArgs
from infra.database.logical_backups import LogicalBackupBucket, LogicalBackupBucketArgs
from infra.database.postgres import PostgresDatabase, PostgresDatabaseArgs
from infra.edge.api import TenantEdge, TenantEdgeArgs
from infra.image.registry import ImageNotPushedError, ImageRegistry, ImageRegistryArgs
from infra.kms import EncryptionKey, EncryptionKeyArgs
from infra.loadbalancer.nlb import InternalLoadBalancer, InternalLoadBalancerArgs
from infra.network.vpc import Network, NetworkArgs
from infra.observability.monitoring import PlatformMonitoring, PlatformMonitoringArgs
from infra.observability.signals import AlarmTargets
from infra.secrets import GeneratedSecret, GeneratedSecretArgs
from infra.tagging import MandatoryTags, apply_mandatory_tags
from infra.workload.app import HrmsWorkload, HrmsWorkloadArgs
from infra.workload.backup_jobs import BackupJobs, BackupJobsArgs
from stacks import outputs
from stacks.config import PROJECT, ConfigError, StackConfig, load_stack_config

NO_IMAGE_KEY = f"{PROJECT}:workload.imageDigest"


def main() -> None:
    # Validation first: a bad value must fail before anything is declared.
    cfg = load_stack_config()
    prefix = cfg.name_prefix
    apply_mandatory_tags(
        MandatoryTags(environment=cfg.environment, service="hrms", **asdict(cfg.tags))
    )
    cluster_name = f"{prefix}-eks"

    # Log encryption: one key every log group of the stack uses.
    logs_key = EncryptionKey(
        f"{prefix}-logs",
        EncryptionKeyArgs(description=f"CloudWatch Logs of {prefix}", service_principals=["logs"]),
    )

    # Network
    network = Network(
        f"{prefix}-network",
        NetworkArgs(
            settings=cfg.network, logs_kms_key_arn=logs_key.key_arn, cluster_name=cluster_name
        ),
    )
    cluster, nodes = _cluster(cfg, network, logs_key, cluster_name)
    database, backups, logical_backups, cache = _data(cfg, network, nodes, logs_key)

    # Image
    registry = ImageRegistry(
        f"{prefix}-registry",
        ImageRegistryArgs(repository_name=f"{prefix}/app", force_delete=cfg.disposable),
    )

    # Load balancer (internal; the API edge reaches it through a VPC Link)
    nlb = InternalLoadBalancer(
        f"{prefix}-nlb",
        InternalLoadBalancerArgs(
            vpc_id=network.vpc_id,
            vpc_cidr=cfg.network.vpc_cidr,
            subnet_ids=network.private_subnet_ids,
            node_port=cfg.workload.node_port,
            autoscaling_group_name=nodes.asg_name,
            settings=cfg.load_balancer,
        ),
    )

    # Workload
    deployed = _workload(cfg, registry, cluster, database, cache, nlb, nodes, cluster_name)

    # API edge: tenants reach the NLB only through API Gateway (usage plan per tier) and WAF
    edge = TenantEdge(
        f"{prefix}-edge",
        TenantEdgeArgs(
            nlb_arn=nlb.arn,
            nlb_dns_name=nlb.dns_name,
            backend_port=cfg.load_balancer.listener_port,
            log_kms_key_arn=logs_key.key_arn,
            settings=cfg.edge,
        ),
    )

    # Monitoring: alarms that page, and the dashboard they link to
    monitoring = _monitoring(cfg, edge, nlb, database, cluster, cache, backups, deployed)
    if deployed is not None:
        workload, image = deployed
        _backup_jobs(cfg, workload, image, cluster, database, backups, logical_backups)
    _export(
        cfg,
        network,
        logs_key,
        cluster,
        nodes,
        database,
        backups,
        logical_backups,
        cache,
        registry,
        nlb,
        deployed,
        edge,
        monitoring,
    )


def _monitoring(
    cfg: StackConfig,
    edge: TenantEdge,
    nlb: InternalLoadBalancer,
    database: PostgresDatabase,
    cluster: EksCluster,
    cache: RateLimitCache,
    backups: DatabaseBackups,
    deployed: tuple[HrmsWorkload, pulumi.Output[str]] | None,
) -> PlatformMonitoring:
    """Alarms that page on what the stack runs, and the dashboard they link to."""
    prefix = cfg.name_prefix
    return PlatformMonitoring(
        prefix,
        PlatformMonitoringArgs(
            targets=AlarmTargets(
                api_name=edge.rest_api_name,
                api_stage=edge.stage_name,
                load_balancer=nlb.arn_suffix,
                target_group=nlb.target_group_arn_suffix,
                db_instance_id=database.instance_identifier,
                eks_cluster_name=cluster.cluster_name,
                # Replication group members are named <group id>-001, -002, ...
                cache_node_ids=[
                    pulumi.Output.concat(cache.replication_group_id, f"-{n:03d}")
                    for n in range(1, cfg.cache.num_cache_clusters + 1)
                ],
                backup_vault_name=backups.vault_name,
                backup_copies=cfg.backup.copy_region is not None,
                # Published by the status CronJob, which runs with the workload.
                backup_status_stack=pulumi.get_stack() if deployed is not None else None,
            ),
            settings=cfg.alarms,
        ),
    )


def _cluster(
    cfg: StackConfig, network: Network, logs_key: EncryptionKey, cluster_name: str
) -> tuple[EksCluster, NodeGroup]:
    """The control plane, its add-ons, the node group, the autoscaler and Container Insights."""
    prefix = cfg.name_prefix
    # Cluster and nodes
    cluster = EksCluster(
        f"{prefix}-cluster",
        EksClusterArgs(
            cluster_name=cluster_name,
            subnet_ids=network.private_subnet_ids,
            logs_kms_key_arn=logs_key.key_arn,
            settings=cfg.cluster,
        ),
    )
    bootstrap_addons = ClusterAddons(
        f"{prefix}-addons-bootstrap",
        ClusterAddonsArgs(
            cluster_name=cluster.cluster_name, addons=NODE_BOOTSTRAP_ADDONS, settings=cfg.cluster
        ),
    )
    nodes = NodeGroup(
        f"{prefix}-nodes",
        NodeGroupArgs(
            cluster_name=cluster.cluster_name,
            cluster_security_group_id=cluster.cluster_security_group_id,
            vpc_id=network.vpc_id,
            vpc_cidr=cfg.network.vpc_cidr,
            subnet_ids=network.private_subnet_ids,
            node_port=cfg.workload.node_port,
            settings=cfg.cluster,
            labels={"hrms/pool": "general"},
        ),
        opts=pulumi.ResourceOptions(depends_on=[bootstrap_addons]),
    )
    ClusterAddons(
        f"{prefix}-addons-workload",
        ClusterAddonsArgs(
            cluster_name=cluster.cluster_name, addons=WORKLOAD_ADDONS, settings=cfg.cluster
        ),
        opts=pulumi.ResourceOptions(depends_on=[nodes]),
    )
    # Nodes follow pods: grows the node group when the HPA's pods cannot be scheduled.
    ClusterAutoscaler(
        f"{prefix}-autoscaler",
        ClusterAutoscalerArgs(
            cluster_name=cluster.cluster_name,
            kubeconfig=cluster.kubeconfig,
            region=cfg.region,
            autoscaling_group_names=[nodes.asg_name],
            settings=cfg.cluster,
        ),
        opts=pulumi.ResourceOptions(depends_on=[nodes]),
    )
    # Publishes the ContainerInsights metrics the node and filesystem alarms read.
    ContainerInsights(
        f"{prefix}-insights",
        ContainerInsightsArgs(
            cluster_name=cluster.cluster_name,
            logs_kms_key_arn=logs_key.key_arn,
            settings=cfg.cluster,
        ),
        opts=pulumi.ResourceOptions(depends_on=[nodes]),
    )

    return cluster, nodes


def _data(
    cfg: StackConfig, network: Network, nodes: NodeGroup, logs_key: EncryptionKey
) -> tuple[PostgresDatabase, DatabaseBackups, LogicalBackupBucket, RateLimitCache]:
    """Where tenant data lives: the database, its backups (AWS Backup and logical), the cache."""
    prefix = cfg.name_prefix
    # Database and its backups
    database = PostgresDatabase(
        f"{prefix}-db",
        PostgresDatabaseArgs(
            identifier=f"{prefix}-postgres",
            vpc_id=network.vpc_id,
            subnet_ids=network.isolated_subnet_ids,
            client_security_group_id=nodes.node_security_group_id,
            logs_kms_key_arn=logs_key.key_arn,
            settings=cfg.database,
            delete_automated_backups=cfg.disposable,
        ),
    )
    backups = DatabaseBackups(
        f"{prefix}-backups",
        DatabaseBackupsArgs(
            db_instance_arn=database.instance_arn,
            db_subnet_group_name=database.subnet_group_name,
            settings=cfg.backup,
            force_destroy=cfg.disposable,
        ),
    )

    # Logical backups (pg_dump) land in their own bucket; the workload's CronJob writes them.
    logical_backups = LogicalBackupBucket(
        f"{prefix}-logical-backups",
        LogicalBackupBucketArgs(
            settings=cfg.backup,
            force_destroy=not cfg.database.deletion_protection,
        ),
    )

    # Cache
    cache = RateLimitCache(
        f"{prefix}-cache",
        RateLimitCacheArgs(
            vpc_id=network.vpc_id,
            subnet_ids=network.isolated_subnet_ids,
            client_security_group_id=nodes.node_security_group_id,
            logs_kms_key_arn=logs_key.key_arn,
            settings=cfg.cache,
        ),
    )

    return database, backups, logical_backups, cache


def _backup_jobs(
    cfg: StackConfig,
    workload: HrmsWorkload,
    image: pulumi.Output[str],
    cluster: EksCluster,
    database: PostgresDatabase,
    backups: DatabaseBackups,
    logical_backups: LogicalBackupBucket,
) -> None:
    """The pg_dump and backup status CronJobs, next to the app they back up."""
    prefix = cfg.name_prefix
    BackupJobs(
        f"{prefix}-backup-jobs",
        BackupJobsArgs(
            provider=workload.provider,
            namespace=cfg.workload.namespace,
            stack=pulumi.get_stack(),
            image=image,
            region=cfg.region,
            oidc_provider_arn=cluster.oidc_provider_arn,
            oidc_issuer=cluster.oidc_issuer,
            vpc_cidr=cfg.network.vpc_cidr,
            database_host=database.address,
            database_port=database.port,
            database_name=database.database_name,
            database_resource_id=database.resource_id,
            database_instance_arn=database.instance_arn,
            bucket_name=logical_backups.bucket_name,
            bucket_arn=logical_backups.bucket_arn,
            bucket_kms_key_arn=logical_backups.kms_key_arn,
            backup_vault_arn=backups.vault_arn,
            stack_outputs={
                outputs.DB_INSTANCE_IDENTIFIER: database.instance_identifier,
                outputs.BACKUP_VAULT_NAME: backups.vault_name,
                outputs.LOGICAL_BACKUP_BUCKET: logical_backups.bucket_name,
                outputs.LOGICAL_BACKUP_KMS_KEY_ARN: logical_backups.kms_key_arn,
                outputs.BACKUP_RPO_SECONDS: str(cfg.backup.rpo_minutes * 60),
            },
            settings=cfg.backup,
        ),
        opts=pulumi.ResourceOptions(depends_on=[workload]),
    )


def _export(
    cfg: StackConfig,
    network: Network,
    logs_key: EncryptionKey,
    cluster: EksCluster,
    nodes: NodeGroup,
    database: PostgresDatabase,
    backups: DatabaseBackups,
    logical_backups: LogicalBackupBucket,
    cache: RateLimitCache,
    registry: ImageRegistry,
    nlb: InternalLoadBalancer,
    deployed: tuple[HrmsWorkload, pulumi.Output[str]] | None,
    edge: TenantEdge,
    monitoring: PlatformMonitoring,
) -> None:
    """The stack outputs hrmsctl and operators read (keys in stacks/outputs.py)."""
    exports: dict[str, object] = {
        outputs.VPC_ID: network.vpc_id,
        outputs.PRIVATE_SUBNET_IDS: network.private_subnet_ids,
        outputs.ISOLATED_SUBNET_IDS: network.isolated_subnet_ids,
        outputs.LOGS_KMS_KEY_ARN: logs_key.key_arn,
        **_data_exports(cfg, database, backups, logical_backups, cache),
        **_compute_exports(cfg, cluster, nodes, registry, nlb),
        **_app_exports(cfg, deployed, edge, monitoring),
    }
    if backups.copy_vault_arn is not None:
        exports[outputs.BACKUP_COPY_VAULT_ARN] = backups.copy_vault_arn
    for key, value in exports.items():
        pulumi.export(key, value)


def _data_exports(
    cfg: StackConfig,
    database: PostgresDatabase,
    backups: DatabaseBackups,
    logical_backups: LogicalBackupBucket,
    cache: RateLimitCache,
) -> dict[str, object]:
    """The database, its backups and the cache."""
    return {
        outputs.DB_INSTANCE_IDENTIFIER: database.instance_identifier,
        outputs.DB_INSTANCE_ARN: database.instance_arn,
        outputs.DB_ADDRESS: database.address,
        outputs.DB_SECRET_ARN: database.master_user_secret_arn,
        outputs.DB_KMS_KEY_ARN: database.kms_key_arn,
        outputs.DB_SUBNET_GROUP_NAME: database.subnet_group_name,
        outputs.DB_SECURITY_GROUP_ID: database.security_group_id,
        outputs.BACKUP_VAULT_NAME: backups.vault_name,
        outputs.BACKUP_VAULT_ARN: backups.vault_arn,
        outputs.BACKUP_PLAN_ID: backups.plan_id,
        outputs.BACKUP_ROLE_ARN: backups.role_arn,
        outputs.RESTORE_TESTING_PLAN_NAME: backups.restore_testing_plan_name,
        outputs.DB_PARAMETER_GROUP_NAME: database.parameter_group_name,
        outputs.LOGICAL_BACKUP_BUCKET: logical_backups.bucket_name,
        outputs.LOGICAL_BACKUP_KMS_KEY_ARN: logical_backups.kms_key_arn,
        outputs.BACKUP_RPO_SECONDS: cfg.backup.rpo_minutes * 60,
        outputs.CACHE_REPLICATION_GROUP_ID: cache.replication_group_id,
        outputs.CACHE_ENDPOINT: cache.primary_endpoint_address,
        outputs.CACHE_AUTH_SECRET_ARN: cache.auth_secret_arn,
    }


def _compute_exports(
    cfg: StackConfig,
    cluster: EksCluster,
    nodes: NodeGroup,
    registry: ImageRegistry,
    nlb: InternalLoadBalancer,
) -> dict[str, object]:
    """The cluster, its nodes, the image registry and the internal load balancer."""
    return {
        outputs.CLUSTER_NAME: cluster.cluster_name,
        outputs.CLUSTER_ENDPOINT: cluster.endpoint,
        outputs.CLUSTER_VERSION: cfg.cluster.kubernetes_version,
        outputs.OIDC_PROVIDER_ARN: cluster.oidc_provider_arn,
        outputs.KUBECONFIG: cluster.kubeconfig,
        outputs.NODE_GROUP_NAME: nodes.node_group_name,
        outputs.NODE_ASG_NAME: nodes.asg_name,
        outputs.NODE_SECURITY_GROUP_ID: nodes.node_security_group_id,
        outputs.ECR_REPOSITORY_URL: registry.repository_url,
        outputs.NLB_ARN: nlb.arn,
        outputs.NLB_ARN_SUFFIX: nlb.arn_suffix,
        outputs.NLB_DNS_NAME: nlb.dns_name,
        outputs.TARGET_GROUP_ARN: nlb.target_group_arn,
        outputs.TARGET_GROUP_ARN_SUFFIX: nlb.target_group_arn_suffix,
    }


def _app_exports(
    cfg: StackConfig,
    deployed: tuple[HrmsWorkload, pulumi.Output[str]] | None,
    edge: TenantEdge,
    monitoring: PlatformMonitoring,
) -> dict[str, object]:
    """The workload (when deployed), the tenant edge and the alerting."""
    exports: dict[str, object] = {}
    if deployed is not None:
        workload, image = deployed
        exports.update(
            {
                outputs.IMAGE_DIGEST: cfg.workload.image_digest,
                outputs.IMAGE_REFERENCE: image,
                outputs.APP_NAMESPACE: workload.namespace,
                outputs.APP_SERVICE_NAME: workload.service_name,
                outputs.APP_ROLE_ARN: workload.role_arn,
                outputs.MIGRATION_JOB_NAME: workload.migration_job_name,
            }
        )
    exports.update(
        {
            outputs.API_INVOKE_URL: edge.invoke_url,
            outputs.API_ID: edge.rest_api_id,
            outputs.API_STAGE_NAME: edge.stage_name,
            outputs.API_USAGE_PLAN_IDS: edge.usage_plan_ids,
            outputs.WEB_ACL_NAME: edge.web_acl_name,
            outputs.ALERT_TOPIC_ARN: monitoring.topic_arn,
            outputs.DASHBOARD_NAME: monitoring.dashboard_name,
        }
    )
    return exports


def _workload(
    cfg: StackConfig,
    registry: ImageRegistry,
    cluster: EksCluster,
    database: PostgresDatabase,
    cache: RateLimitCache,
    nlb: InternalLoadBalancer,
    nodes: NodeGroup,
    cluster_name: str,
) -> tuple[HrmsWorkload, pulumi.Output[str]] | None:
    """The app on EKS, once an image is pushed: without ``imageDigest`` nothing could run,
    and a migration Job pulling a missing image would hang the first deploy."""
    prefix = cfg.name_prefix
    # Created with or without an image, so the first deploy already holds it.
    django_key = GeneratedSecret(
        f"{prefix}-django-secret-key",
        GeneratedSecretArgs(
            description=f"Django SECRET_KEY of {prefix}", kms_key_arn=cluster.secrets_kms_key_arn
        ),
    )
    digest = cfg.workload.image_digest
    if digest is None:
        pulumi.log.info(
            f"{NO_IMAGE_KEY} is not set: deploying the infrastructure and the ECR repository "
            f"{cfg.name_prefix}/app without the workload (migration Job, Deployment, Service, "
            f"HPA). Push the app image there, set {NO_IMAGE_KEY} to its digest and run "
            "`make up` again (docs/stacks.md)."
        )
        return None
    try:
        image = registry.image(digest)
    except ImageNotPushedError as exc:
        raise ConfigError(
            f"Pulumi.{cfg.stack}.yaml: {NO_IMAGE_KEY}: {exc}. Push the image first "
            f"(docs/stacks.md), or leave the key out to deploy without the workload."
        ) from exc
    workload = HrmsWorkload(
        f"{prefix}-app",
        HrmsWorkloadArgs(
            kubeconfig=cluster.kubeconfig,
            image=image,
            oidc_provider_arn=cluster.oidc_provider_arn,
            oidc_issuer=cluster.oidc_issuer,
            region=cfg.region,
            database_host=database.address,
            database_port=database.port,
            database_name=database.database_name,
            database_resource_id=database.resource_id,
            database_secret_arn=database.master_user_secret_arn,
            readable_kms_key_arns=[database.kms_key_arn],
            cache_host=cache.primary_endpoint_address,
            cache_port=cache.port,
            cache_auth_token=cache.auth_token,
            django_secret_key=django_key.value,
            load_balancer_dns_name=nlb.dns_name,
            vpc_cidr=cfg.network.vpc_cidr,
            # Limiter metrics through the agent the insights add-on runs, into a log group
            # the stack creates (encrypted, with retention).
            metrics_agent_endpoint=AGENT_EMF_ENDPOINT,
            metrics_agent_namespace=AGENT_NAMESPACE,
            metrics_log_group=log_group_name(cluster_name, "application"),
            settings=cfg.workload,
        ),
        opts=pulumi.ResourceOptions(depends_on=[nodes]),
    )
    return workload, image
