"""First deploy into an empty account: no workload before its image exists, and a digest
that is not in the stack's ECR repository fails before anything is declared."""

from __future__ import annotations

import functools
import json
import logging
from typing import Any

import pytest

from stacks import outputs
from stacks.config import ConfigError
from stacks.offline.engine import load_stack_config_with_secrets, synthesize
from stacks.offline.plan import Plan
from stacks.offline.policy import evaluate_plan
from stacks.program import main

pytestmark = pytest.mark.infra

STACKS = ("staging", "prod")
WORKLOAD_OUTPUTS = (
    outputs.IMAGE_DIGEST,
    outputs.IMAGE_REFERENCE,
    outputs.APP_NAMESPACE,
    outputs.APP_SERVICE_NAME,
    outputs.APP_ROLE_ARN,
    outputs.MIGRATION_JOB_NAME,
)


def _config_without_digest(stack: str) -> tuple[str, dict[str, str], list[str]]:
    project, config, secrets = load_stack_config_with_secrets(stack)
    workload = json.loads(config["hrms:workload"])
    del workload["imageDigest"]
    return project, {**config, "hrms:workload": json.dumps(workload)}, secrets


@functools.cache
def _first_deploy_plan(stack: str) -> tuple[Plan, tuple[str, ...]]:
    project, config, secrets = _config_without_digest(stack)
    records: list[str] = []
    handler = logging.Handler(level=logging.INFO)
    handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        plan = synthesize(main, stack=stack, project=project, config=config, secret_keys=secrets)
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
    return plan, tuple(records)


@pytest.mark.parametrize("stack", STACKS)
def test_without_a_digest_the_stack_creates_the_repository_and_skips_the_workload(
    stack: str,
) -> None:
    plan, logs = _first_deploy_plan(stack)
    (repository,) = plan.by_type("aws:ecr/repository:Repository")
    assert repository.inputs["name"] == f"hrms-{stack}/app"
    assert not plan.by_type("hrms:workload:HrmsWorkload"), "the workload waits for its image"
    # Only public images of cluster software may run yet (the autoscaler): nothing from
    # the stack's own repository, which is still empty.
    images = [
        str(container["image"])
        for r in plan.resources
        if r.type.startswith("kubernetes:")
        for container in _containers(r.inputs)
    ]
    assert images, "the cluster's own software is still deployed"
    assert not [i for i in images if "dkr.ecr" in i or "/app@" in i], (
        "nothing may pull an image that cannot exist yet"
    )
    # The only Kubernetes provider is the autoscaler's (cluster software, public image).
    providers = plan.by_type("pulumi:providers:kubernetes")
    assert [p.urn for p in providers if "hrms:cluster:ClusterAutoscaler" not in p.urn] == []
    # The rest of the stack is there: cluster, nodes, database, edge, alarms.
    for token in (
        "aws:eks/cluster:Cluster",
        "aws:eks/nodeGroup:NodeGroup",
        "aws:rds/instance:Instance",
        "aws:apigateway/stage:Stage",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
    ):
        assert plan.by_type(token), token
    assert outputs.ECR_REPOSITORY_URL in plan.outputs
    assert not set(WORKLOAD_OUTPUTS) & set(plan.outputs)
    (message,) = [m for m in logs if "imageDigest is not set" in m]
    assert "hrms:workload.imageDigest" in message
    assert f"hrms-{stack}/app" in message
    assert "make up" in message


@pytest.mark.parametrize("stack", STACKS)
def test_the_first_deploy_plan_passes_the_policy_pack_make_up_enforces(stack: str) -> None:
    plan, _logs = _first_deploy_plan(stack)
    report = evaluate_plan(plan.to_dict(), stack=stack)
    assert report.mandatory == [], [v.to_dict() for v in report.mandatory]


@pytest.mark.parametrize("stack", STACKS)
def test_a_digest_missing_from_ecr_fails_at_once_naming_key_and_repository(stack: str) -> None:
    project, config, secrets = load_stack_config_with_secrets(stack)
    digest = json.loads(config["hrms:workload"])["imageDigest"]
    with pytest.raises(ConfigError) as excinfo:
        synthesize(
            main,
            stack=stack,
            project=project,
            config=config,
            secret_keys=secrets,
            pushed_images=frozenset({"sha256:" + "0123456789abcdef" * 4}),
        )
    message = str(excinfo.value)
    assert message.startswith(f"Pulumi.{stack}.yaml: hrms:workload.imageDigest:")
    assert digest in message
    assert f"hrms-{stack}/app" in message
    assert "ImageNotFoundException" in message


@pytest.mark.parametrize("stack", STACKS)
def test_a_pushed_digest_deploys_the_workload_from_that_repository(stack: str) -> None:
    project, config, secrets = load_stack_config_with_secrets(stack)
    digest = json.loads(config["hrms:workload"])["imageDigest"]
    plan = synthesize(
        main,
        stack=stack,
        project=project,
        config=config,
        secret_keys=secrets,
        pushed_images=frozenset({digest}),
    )
    (job,) = plan.by_type("kubernetes:batch/v1:Job")
    image = job.inputs["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image.endswith(f"/hrms-{stack}/app@{digest}")
    assert plan.outputs[outputs.IMAGE_DIGEST] == digest


def _containers(inputs: dict[str, Any]) -> list[dict[str, Any]]:
    """Every container of a workload object's pod template (Deployment, Job, CronJob)."""
    spec = inputs.get("spec") or {}
    template = spec.get("template") or (spec.get("jobTemplate") or {}).get("spec", {}).get(
        "template", {}
    )
    pod = template.get("spec") or {}
    return [*pod.get("initContainers", []), *pod.get("containers", [])]
