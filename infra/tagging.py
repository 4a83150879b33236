"""Mandatory cost/ownership tags applied to every taggable AWS resource in one place."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from infra.settings import one_of

# Resources whose ``tags`` is not a key/value map (e.g. autoscaling groups take a list of
# {key, value, propagateAtLaunch}); merging a dict into those would corrupt their inputs.
_NON_MAP_TAGS: frozenset[str] = frozenset({"aws:autoscaling/group:Group"})
_LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
# What a launch template's instances create; their tags come from tag specifications,
# not from the template's own tags.
_LAUNCHED_RESOURCE_TYPES: tuple[str, ...] = ("instance", "volume", "network-interface")


DATA_CLASSIFICATIONS: tuple[str, ...] = ("public", "internal", "confidential", "restricted")


@dataclass(frozen=True, kw_only=True)
class TagSettings:
    """The stack-tunable tag values (``hrms:tags``): who owns and pays for the stack."""

    owner: str
    cost_center: str
    data_classification: str

    def __post_init__(self) -> None:
        one_of("data_classification", self.data_classification, DATA_CLASSIFICATIONS)


@dataclass(frozen=True, kw_only=True)
class MandatoryTags:
    environment: str
    service: str
    owner: str
    cost_center: str
    data_classification: str

    def as_dict(self) -> dict[str, str]:
        return {
            "Environment": self.environment,
            "Service": self.service,
            "Owner": self.owner,
            "CostCenter": self.cost_center,
            "DataClassification": self.data_classification,
        }


_ACCEPTS_TAGS: dict[str, bool] = {}


def _accepts_tags(resource_class: type) -> bool:
    key = f"{resource_class.__module__}.{resource_class.__qualname__}"
    if key not in _ACCEPTS_TAGS:
        init = getattr(resource_class, "_internal_init", None)
        _ACCEPTS_TAGS[key] = init is not None and "tags" in inspect.signature(init).parameters
    return _ACCEPTS_TAGS[key]


def is_taggable(resource: pulumi.Resource, type_token: str) -> bool:
    """True for AWS custom resources whose ``tags`` input is a key/value map."""
    return (
        type_token.startswith("aws:")
        and type_token not in _NON_MAP_TAGS
        and isinstance(resource, pulumi.CustomResource)
        and not isinstance(resource, pulumi.ProviderResource)
        and _accepts_tags(type(resource))
    )


def merge_tags(mandatory: Mapping[str, str], existing: Any) -> pulumi.Output[dict[str, str]]:
    """Mandatory tags first so a resource's own tags (e.g. ``Name``) add to them, while a
    resource can never drop a mandatory key by omission."""

    def merge(current: Mapping[str, str] | None) -> dict[str, str]:
        merged = dict(mandatory)
        merged.update(current or {})
        return merged

    return pulumi.Output.from_input(existing).apply(merge)


def tagging_transformation(
    tags: MandatoryTags,
) -> pulumi.ResourceTransformation:
    """A stack transformation adding ``tags`` to every taggable AWS resource."""
    mandatory = tags.as_dict()

    def transform(
        args: pulumi.ResourceTransformationArgs,
    ) -> pulumi.ResourceTransformationResult | None:
        if not is_taggable(args.resource, args.type_):
            return None
        props = dict(args.props)
        props["tags"] = merge_tags(mandatory, props.get("tags"))
        if args.type_ == _LAUNCH_TEMPLATE and not props.get("tag_specifications"):
            props["tag_specifications"] = [
                {"resource_type": kind, "tags": dict(mandatory)}
                for kind in _LAUNCHED_RESOURCE_TYPES
            ]
        return pulumi.ResourceTransformationResult(props=props, opts=args.opts)

    return transform


def apply_mandatory_tags(tags: MandatoryTags) -> None:
    """Register the tagging transformation on the stack; call before declaring resources.

    A legacy stack transformation (not ``register_resource_transform``) because it runs
    inside this process: it behaves the same under ``pulumi up`` and the mock runtime
    used by the offline preview, which has no transform callback server.
    """
    pulumi.runtime.register_stack_transformation(tagging_transformation(tags))
