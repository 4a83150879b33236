"""ignore_changes paths name real input properties, in the spelling the engine matches."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from stacks.offline import engine
from stacks.offline.engine import preview_stack, synthesize
from stacks.offline.properties import (
    PropertyPathError,
    parse_property_path,
    resolve_property_path,
)

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"


@pytest.mark.parametrize(
    ("type_token", "path"),
    [
        (NODE_GROUP, "scalingConfig.desiredSize"),
        (NODE_GROUP, "tags"),
        (NODE_GROUP, 'tags["Name"]'),
        ("aws:secretsmanager/secretVersion:SecretVersion", "secretString"),
        ("aws:ec2/securityGroup:SecurityGroup", "ingress[*].cidrBlocks[0]"),
        (DEPLOYMENT, "spec.replicas"),
        (DEPLOYMENT, "spec.template.spec.containers[0].image"),
        (DEPLOYMENT, 'metadata.annotations["checksum/config"]'),
    ],
)
def test_real_engine_paths_resolve(type_token: str, path: str) -> None:
    assert resolve_property_path(type_token, path) == path


@pytest.mark.parametrize(
    ("type_token", "path", "message"),
    [
        # The SDK passes a nested path through untranslated: it matches nothing.
        (NODE_GROUP, "scaling_config.desired_size", "'scaling_config' is not an input"),
        (NODE_GROUP, "scalingConfig.desired_size", "scalingConfig has desiredSize"),
        (NODE_GROUP, "scalingConfig.desiredSize.value", "'scalingConfig.desiredSize.value'"),
        (NODE_GROUP, "instanceTypes.first", "'instanceTypes.first'"),
        (DEPLOYMENT, "spec.template.spec.containers.image", "'spec.template.spec.containers"),
        (DEPLOYMENT, "status.replicas", "'status' is not an input"),
    ],
)
def test_paths_that_match_nothing_are_rejected(type_token: str, path: str, message: str) -> None:
    with pytest.raises(PropertyPathError, match="is not an input property") as caught:
        resolve_property_path(type_token, path)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    "token", ["aws:eks/nodeGroup", "aws:eks/nodeGroup:NodeGroupp", "gcp:compute/instance:Instance"]
)
def test_unknown_types_are_rejected(token: str) -> None:
    with pytest.raises(PropertyPathError):
        resolve_property_path(token, "tags")


def test_path_syntax() -> None:
    assert parse_property_path('a.b[0]["c.d"][*].e') == ["a", "b", 0, "c.d", -1, "e"]
    for bad in ("", "[0].a", ".a", "a..b", "a[x]"):
        with pytest.raises(PropertyPathError):
            parse_property_path(bad)


class _OptionRecorder(engine.RecordingMonitor):
    """Also keeps the ignoreChanges each registration hands the engine."""

    seen: list[tuple[str, str, list[str]]] = []

    def RegisterResource(self, request: Any) -> Any:
        if request.ignoreChanges:
            self.seen.append((request.type, request.name, list(request.ignoreChanges)))
        return super().RegisterResource(request)


def _engine_ignore_changes(
    monkeypatch: pytest.MonkeyPatch, run: Any
) -> list[tuple[str, str, list[str]]]:
    seen: list[tuple[str, str, list[str]]] = []
    monkeypatch.setattr(_OptionRecorder, "seen", seen)
    monkeypatch.setattr(engine, "RecordingMonitor", _OptionRecorder)
    run()
    return seen


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_every_ignore_changes_path_of_the_stacks_resolves(
    stack: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _engine_ignore_changes(monkeypatch, lambda: preview_stack(stack))
    assert any(t == NODE_GROUP for t, _, _ in seen), "the node group's ignore_changes is gone"
    problems = []
    for type_token, name, paths in seen:
        for path in paths:
            try:
                resolve_property_path(type_token, path)
            except PropertyPathError as exc:
                problems.append(f"{name}: {exc}")
    assert not problems, "\n".join(problems)


def test_the_recorder_sees_what_the_sdk_sends(monkeypatch: pytest.MonkeyPatch) -> None:
    """A nested snake_case path reaches the engine as written, so the check above catches it."""

    def program() -> None:
        aws.s3.Bucket(
            "b",
            opts=pulumi.ResourceOptions(
                ignore_changes=["force_destroy", "server_side_encryption_configuration.rule"]
            ),
        )

    seen = _engine_ignore_changes(
        monkeypatch,
        lambda: synthesize(program, stack="test", config={"aws:region": "eu-west-1"}),
    )
    [(_, _, paths)] = seen
    assert paths == ["forceDestroy", "server_side_encryption_configuration.rule"]
    with pytest.raises(PropertyPathError):
        resolve_property_path("aws:s3/bucket:Bucket", paths[1])
