"""Kubernetes objects in a plan are written as YAML and schema-checked for the pinned version."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest
import yaml

from stacks.offline.engine import synthesize
from stacks.offline.kubernetes import (
    export_and_validate,
    kubernetes_objects,
    schema_version,
    validate_objects,
)
from stacks.offline.plan import Plan

pytestmark = pytest.mark.infra


def workload(*, cluster_version: str | None = "1.31", replicas: object = 2) -> Plan:
    def program() -> None:
        if cluster_version is not None:
            aws.eks.Cluster(
                "eks",
                role_arn="arn:aws:iam::123456789012:role/eks",
                version=cluster_version,
                vpc_config=aws.eks.ClusterVpcConfigArgs(subnet_ids=["subnet-a"]),
            )
        provider = k8s.Provider("k8s", kubeconfig="{}")
        opts = pulumi.ResourceOptions(provider=provider)
        ns = k8s.core.v1.Namespace("ns", metadata={"name": "hrms"}, opts=opts)
        k8s.apps.v1.Deployment(  # type: ignore[call-overload]  # replicas may be deliberately bad
            "web",
            metadata={"namespace": ns.metadata.name, "name": "web"},
            spec={
                "replicas": replicas,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "app@sha256:" + "a" * 64}]},
                },
            },
            opts=opts,
        )
        k8s.core.v1.Secret(
            "creds",
            metadata={"namespace": "hrms"},
            string_data=pulumi.Output.secret({"DATABASE_URL": "postgres://u:p@db/hrms"}),
            opts=opts,
        )

    return synthesize(program, stack="staging")


def test_objects_exclude_the_provider_and_get_a_name() -> None:
    plan = workload()
    objects = kubernetes_objects(plan)
    assert sorted(o.kind for o in objects) == ["Deployment", "Namespace", "Secret"]
    secret = next(o for o in objects if o.kind == "Secret")
    # Autonamed objects carry their logical name; secret values keep their keys, not values.
    assert secret.name == "creds"
    assert secret.manifest["stringData"] == {"DATABASE_URL": "[secret]"}


def test_valid_objects_are_written_and_pass(tmp_path: Path) -> None:
    out = tmp_path / "k8s"
    out.mkdir()
    (out / "stale_old.yaml").write_text("# Rendered offline by `hrmsctl preview` from x\n{}\n")
    (out / "mine.yaml").write_text("kind: keep-me\n")
    export = export_and_validate(workload(), out)
    assert export.violations == []
    assert export.version.version == "1.31"
    assert "pinned by eks" in export.version.reason
    names = sorted(p.name for p in out.glob("*.yaml"))
    assert names == [
        "deployment_hrms_web.yaml",
        "mine.yaml",
        "namespace_hrms.yaml",
        "secret_hrms_creds.yaml",
    ]
    doc = yaml.safe_load((out / "deployment_hrms_web.yaml").read_text())
    assert doc["apiVersion"] == "apps/v1"
    assert doc["spec"]["replicas"] == 2
    assert "postgres://" not in (out / "secret_hrms_creds.yaml").read_text()


def test_schema_error_is_caught_with_object_and_path() -> None:
    export = export_and_validate(workload(replicas="two"), None)
    assert len(export.violations) == 1
    violation = export.violations[0]
    assert violation.obj.label == "Deployment hrms/web"
    assert violation.path == "spec.replicas"
    assert "'two'" in violation.message
    assert "Deployment hrms/web" in str(violation)


def test_unknown_field_is_an_error_in_strict_mode() -> None:
    plan = workload()
    [deployment] = [o for o in kubernetes_objects(plan) if o.kind == "Deployment"]
    deployment.manifest["spec"]["replica"] = 3
    [violation] = validate_objects([deployment], schema_version(plan))
    assert "'replica' was unexpected" in violation.message
    # Objects are copies: editing one never changes the recorded plan.
    assert export_and_validate(plan, None).violations == []


def test_version_falls_back_to_newest_bundled_schema() -> None:
    newest = ".".join(kubernetes_validate.latest_version().split(".")[:2])
    no_cluster = schema_version(workload(cluster_version=None))
    assert no_cluster.version == newest
    assert "newest" in no_cluster.reason
    too_new = schema_version(workload(cluster_version="9.99"))
    assert too_new.version == newest
    assert "9.99" in too_new.reason
