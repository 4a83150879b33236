"""Shared building blocks for the pack's rules: metadata, property access, stack lookups."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

CIS_NAME = "CIS AWS Foundations Benchmark"
CIS_VERSION = "3.0.0"
SOC2_NAME = "SOC 2 Trust Services Criteria"
SOC2_VERSION = "2017 (rev. 2022)"


@dataclass(frozen=True)
class ComplianceRef:
    """One control a rule evidences, e.g. CIS 2.3.1 or SOC 2 CC6.1."""

    name: str
    version: str
    reference: str

    def label(self) -> str:
        short = "CIS" if self.name == CIS_NAME else "SOC 2" if self.name == SOC2_NAME else self.name
        return f"{short} {self.reference}"

    def to_framework(self) -> PolicyComplianceFramework:
        return PolicyComplianceFramework(
            name=self.name, version=self.version, reference=self.reference
        )


def CIS(reference: str) -> ComplianceRef:
    return ComplianceRef(CIS_NAME, CIS_VERSION, reference)


def SOC2(reference: str) -> ComplianceRef:
    return ComplianceRef(SOC2_NAME, SOC2_VERSION, reference)


ResourceCheck = Callable[[ResourceValidationArgs, ReportViolation], None]
StackCheck = Callable[[StackValidationArgs, ReportViolation], None]


def _metadata_kwargs(
    *,
    frameworks: Sequence[ComplianceRef],
    tags: Sequence[str],
) -> dict[str, Any]:
    # Pulumi carries one framework per policy; the full list travels in tags so the CLI
    # and Pulumi Cloud still show every control the rule evidences.
    return {
        "framework": frameworks[0].to_framework() if frameworks else None,
        "tags": [*tags, *(f.label() for f in frameworks)],
    }


def _check_enforcement(name: str, level: EnforcementLevel, reason: str | None) -> None:
    if level is not EnforcementLevel.MANDATORY and not reason:
        raise ValueError(f"policy {name!r} is {level.value} without a written reason")


class HrmsResourcePolicy(ResourceValidationPolicy):
    """A resource rule that knows which resource types it guards.

    The type list lets the evaluator count the resources each rule checked for the
    auditor view, and keeps the validator free of type guards.
    """

    def __init__(
        self,
        *,
        name: str,
        description: str,
        resource_types: Sequence[str],
        check: ResourceCheck,
        severity: Severity,
        frameworks: Sequence[ComplianceRef] = (),
        remediation: str,
        enforcement: EnforcementLevel = EnforcementLevel.MANDATORY,
        advisory_reason: str | None = None,
        config_schema: PolicyConfigSchema | None = None,
        tags: Sequence[str] = (),
        inspects: Sequence[str] = (),
    ) -> None:
        _check_enforcement(name, enforcement, advisory_reason)
        self.resource_types: tuple[str, ...] = tuple(resource_types)
        # Further types the rule reads to decide (a selection, a parameter group): they count
        # as guarded in the coverage matrix, not as resources the rule reports on.
        self.inspects: tuple[str, ...] = tuple(inspects)
        self.frameworks: tuple[ComplianceRef, ...] = tuple(frameworks)
        self.advisory_reason = advisory_reason
        self._check = check
        super().__init__(
            name=name,
            description=description,
            validate=self._validate,
            enforcement_level=enforcement,
            config_schema=config_schema,
            severity=severity,
            remediation_steps=remediation,
            **_metadata_kwargs(frameworks=frameworks, tags=tags),
        )

    def applies_to(self, resource_type: str) -> bool:
        return resource_type in self.resource_types

    def _validate(self, args: ResourceValidationArgs, report: ReportViolation) -> None:
        if self.applies_to(args.resource_type):
            self._check(args, report)


class HrmsStackPolicy(StackValidationPolicy):
    """A stack rule; ``resource_types`` are the resources whose coverage it asserts."""

    def __init__(
        self,
        *,
        name: str,
        description: str,
        resource_types: Sequence[str],
        check: StackCheck,
        severity: Severity,
        frameworks: Sequence[ComplianceRef] = (),
        remediation: str,
        enforcement: EnforcementLevel = EnforcementLevel.MANDATORY,
        advisory_reason: str | None = None,
        config_schema: PolicyConfigSchema | None = None,
        tags: Sequence[str] = (),
        inspects: Sequence[str] = (),
    ) -> None:
        _check_enforcement(name, enforcement, advisory_reason)
        self.resource_types: tuple[str, ...] = tuple(resource_types)
        # Further types the rule reads to decide (a selection, a parameter group): they count
        # as guarded in the coverage matrix, not as resources the rule reports on.
        self.inspects: tuple[str, ...] = tuple(inspects)
        self.frameworks: tuple[ComplianceRef, ...] = tuple(frameworks)
        self.advisory_reason = advisory_reason
        super().__init__(
            name=name,
            description=description,
            validate=check,
            enforcement_level=enforcement,
            config_schema=config_schema,
            severity=severity,
            remediation_steps=remediation,
            **_metadata_kwargs(frameworks=frameworks, tags=tags),
        )

    def applies_to(self, resource_type: str) -> bool:
        return resource_type in self.resource_types


HrmsPolicy = HrmsResourcePolicy | HrmsStackPolicy


# --- reporting -----------------------------------------------------------------------------


def violation(report: ReportViolation, message: str, urn: str | None = None) -> None:
    """Report with an explicit urn slot: ReportViolation's urn is positional in the SDK."""
    report(message, urn)


# --- property access -----------------------------------------------------------------------

_MISSING = object()


def get_path(props: Mapping[str, Any], path: str, default: Any = None) -> Any:
    """Read ``a.b.c`` from (proxied) inputs; absent or null steps yield ``default``.

    Unknown values still raise ``UnknownValueError`` through the proxy, as in the engine.
    """
    current: Any = props
    for part in path.split("."):
        if not isinstance(current, Mapping):
            return default
        current = current.get(part, _MISSING)
        if current is _MISSING or current is None:
            return default
    return current


def is_true(value: Any) -> bool:
    """Strictly ``True``: the engine sends booleans, never truthy strings or numbers."""
    return value is True


def as_bool(value: Any, default: bool) -> bool:
    return value if isinstance(value, bool) else default


def as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    return None


def as_list(value: Any) -> list[Any]:
    if value is None or isinstance(value, str | bytes | Mapping):
        return []
    if isinstance(value, Sequence):
        return list(value)
    return []


def is_customer_key(value: Any) -> bool:
    """Whether ``value`` names a customer-managed KMS key (id, ARN or alias).

    ``alias/aws/<service>`` (bare or as an alias ARN) is the AWS-managed key: its policy cannot
    be restricted, it cannot be disabled, and data encrypted with it cannot be shared or copied
    across accounts.
    """
    return isinstance(value, str) and bool(value) and "alias/aws/" not in value


def is_whole_internet(cidr: str) -> bool:
    """Whether ``cidr`` is a zero-length prefix: "0.0.0.0/0", "::/0", "0::/0" and the like."""
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False).prefixlen == 0
    except ValueError:
        return False


def config_value(args: ResourceValidationArgs | StackValidationArgs, key: str, default: Any) -> Any:
    """A policy config value, falling back to the schema default the CLI would inject."""
    config = args.get_config()
    value = config.get(key) if config else None
    return default if value is None else value


# --- stack lookups ---------------------------------------------------------------------------


def resources_of(resources: Iterable[PolicyResource], *types: str) -> list[PolicyResource]:
    return [r for r in resources if r.resource_type in types]


def resource_identity(resource: PolicyResource, *keys: str) -> set[str]:
    """Literal identifiers a resource is known by in other resources' inputs."""
    ids: set[str] = set()
    for key in keys:
        value = get_path(resource.props, key)
        if isinstance(value, str) and value:
            ids.add(value)
    return ids


def related(
    source: PolicyResource,
    target: PolicyResource,
    *,
    literal_ids: set[str] | None = None,
    values: Iterable[Any] = (),
) -> bool:
    """Whether ``source`` refers to ``target``.

    Outputs such as ARNs are not known in a preview, so the engine's dependency edges
    are the primary link; a literal identifier match covers references by name.
    """
    if any(dep.urn == target.urn for dep in source.dependencies):
        return True
    for deps in source.property_dependencies.values():
        if any(dep.urn == target.urn for dep in deps):
            return True
    if literal_ids:
        for value in values:
            if isinstance(value, str) and any(
                value == ident or value.endswith(f":{ident}") or value.endswith(f"/{ident}")
                for ident in literal_ids
            ):
                return True
    return False


def bucket_configs(
    bucket: PolicyResource, resources: list[PolicyResource], type_: str
) -> list[PolicyResource]:
    """The resources of ``type_`` that configure ``bucket`` (versioning, SSE, policy, ...)."""
    ids = resource_identity(bucket, "bucket")
    return [
        r
        for r in resources_of(resources, type_)
        if related(r, bucket, literal_ids=ids, values=[get_path(r.props, "bucket")])
    ]
