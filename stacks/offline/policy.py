"""Offline evaluation of the pack on a recorded plan, the way the Pulumi engine runs it.

Each resource's recorded inputs go through the same wire conversion the engine applies
(a protobuf ``Struct``, so every number arrives as a float), then pulumi_policy's
``deserialize_properties`` and ``unknown_checking_proxy``; policies that touch a value
unknown during preview are reported as advisory, exactly like ``pulumi preview``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from inspect import isawaitable
from pathlib import Path
from typing import Any

import jsonschema
from google.protobuf import json_format, struct_pb2
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ReportViolation,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY, deserialize_properties
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

import policies
from policies.common import HrmsPolicy, HrmsResourcePolicy
from policies.registry import PACK_NAME, all_policies
from stacks.offline.plan import REDACTED, UNKNOWN, PlanFormatError, PlanResource

# The per-stack enforcement config stays with the pack (what `pulumi up --policy-pack-config`
# passes); only its offline evaluation lives next to the engine.
CONFIG_DIR = Path(policies.__file__).with_name("config")
PACK_VERSION = "0.1.0"

SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "unspecified": 4}


class PolicyInputError(ValueError):
    """A plan or policy config that the evaluator cannot use, with what is wrong."""


class PolicyEvaluationError(RuntimeError):
    """A rule raised while validating; the real engine would fail the preview too."""


@dataclass(frozen=True)
class Violation:
    rule: str
    urn: str
    message: str
    enforcement: str
    severity: str

    def to_dict(self) -> dict[str, str]:
        return {
            "rule": self.rule,
            "urn": self.urn,
            "message": self.message,
            "enforcement": self.enforcement,
            "severity": self.severity,
        }


@dataclass
class RuleResult:
    name: str
    description: str
    kind: str
    enforcement: str
    severity: str
    frameworks: list[str]
    remediation: str
    advisory_reason: str | None
    checked: list[str] = field(default_factory=list)
    not_applicable: list[dict[str, str]] = field(default_factory=list)

    @property
    def waived(self) -> bool:
        """Nothing to check, or the stack's config waives the rule wherever it applies
        (a waived rule is "not applicable" with its reason, never a pass)."""
        skipped = {entry["urn"] for entry in self.not_applicable}
        return not self.checked or "" in skipped or set(self.checked) <= skipped

    def to_dict(self, violations: Sequence[Violation]) -> dict[str, Any]:
        mine = [v for v in violations if v.rule == self.name]
        if self.enforcement == "disabled":
            status = "disabled"
        elif not mine and self.waived:
            status = "not-applicable"
        elif any(v.enforcement == "mandatory" for v in mine):
            status = "fail"
        elif mine:
            status = "warn"
        else:
            status = "pass"
        return {
            "name": self.name,
            "description": self.description,
            "kind": self.kind,
            "enforcement": self.enforcement,
            "severity": self.severity,
            "frameworks": self.frameworks,
            "remediation": self.remediation,
            "advisory_reason": self.advisory_reason,
            "resources_checked": len(self.checked),
            "checked_urns": self.checked,
            "not_applicable": self.not_applicable,
            "status": status,
            "violations": len(mine),
        }


@dataclass
class PolicyReport:
    stack: str
    rules: list[RuleResult]
    violations: list[Violation]

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.enforcement == "mandatory"]

    @property
    def advisory(self) -> list[Violation]:
        return [v for v in self.violations if v.enforcement == "advisory"]

    def for_rule(self, name: str) -> list[Violation]:
        return [v for v in self.violations if v.rule == name]

    def sorted_violations(self) -> list[Violation]:
        return sorted(
            self.violations,
            key=lambda v: (SEVERITY_ORDER.get(v.severity, 9), v.enforcement != "mandatory", v.rule),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "pack": {"name": PACK_NAME, "version": PACK_VERSION},
            "rules": [r.to_dict(self.violations) for r in self.rules],
            "violations": [v.to_dict() for v in self.sorted_violations()],
            "summary": {
                "rules": len(self.rules),
                "mandatory_violations": len(self.mandatory),
                "advisory_violations": len(self.advisory),
            },
        }

    def write_json(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return path


# --- policy config -------------------------------------------------------------------------


def available_configs(config_dir: Path = CONFIG_DIR) -> list[str]:
    return sorted(p.stem for p in config_dir.glob("*.json"))


def load_policy_config(stack: str, config_dir: Path = CONFIG_DIR) -> dict[str, dict[str, Any]]:
    """The per-stack policy config (Pulumi's ``--policy-pack-config`` format)."""
    path = config_dir / f"{stack}.json"
    if not path.is_file():
        known = ", ".join(available_configs(config_dir)) or "none"
        raise PolicyInputError(f"no policy config for stack {stack!r}: {path} (stacks: {known})")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise PolicyInputError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise PolicyInputError(f"{path}: must be an object keyed by policy name")
    return resolve_config(data, where=str(path))


def resolve_config(
    raw: Mapping[str, Any],
    *,
    policies: Sequence[HrmsPolicy] | None = None,
    where: str = "policy config",
) -> dict[str, dict[str, Any]]:
    """Validate config against each policy's schema and fill schema defaults, as the CLI does."""
    policies = list(policies) if policies is not None else all_policies()
    by_name = {p.name: p for p in policies}
    unknown = sorted(set(raw) - set(by_name))
    if unknown:
        raise PolicyInputError(f"{where}: unknown policy name(s) {unknown}")
    resolved: dict[str, dict[str, Any]] = {}
    for policy in policies:
        entry = raw.get(policy.name, {})
        if isinstance(entry, str):
            entry = {"enforcementLevel": entry}
        if not isinstance(entry, Mapping):
            raise PolicyInputError(f"{where}: {policy.name} must be an object or a level")
        values = dict(entry)
        level = values.pop("enforcementLevel", None)
        if level is not None and level not in {e.value for e in EnforcementLevel}:
            raise PolicyInputError(f"{where}: {policy.name}.enforcementLevel {level!r} is invalid")
        schema = policy.config_schema
        properties = schema.properties if schema else {}
        extra = sorted(set(values) - set(properties))
        if extra:
            raise PolicyInputError(f"{where}: {policy.name} has no setting(s) {extra}")
        for key, prop in properties.items():
            if key not in values and "default" in prop:
                values[key] = prop["default"]
        if schema:
            json_schema = {
                "type": "object",
                "properties": properties,
                "required": schema.required or [],
            }
            try:
                jsonschema.validate(values, json_schema)
            except jsonschema.ValidationError as exc:
                path = ".".join(str(p) for p in exc.absolute_path) or "(root)"
                raise PolicyInputError(f"{where}: {policy.name}.{path}: {exc.message}") from exc
        if level is not None:
            values["enforcementLevel"] = level
        resolved[policy.name] = values
    return resolved


# --- wire conversion -----------------------------------------------------------------------


def _to_wire(node: Any) -> Any:
    """Plan JSON back to what the engine sends: unknown and secret markers restored."""
    if isinstance(node, dict):
        return {k: _to_wire(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_to_wire(v) for v in node]
    if node == UNKNOWN:
        return UNKNOWN_STRING_VALUE
    if node == REDACTED:
        return {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": REDACTED}
    return node


def engine_properties(inputs: Mapping[str, Any], *, where: str) -> dict[str, Any]:
    """Inputs exactly as the analyzer receives them: protobuf Struct -> dict (floats)."""
    struct = struct_pb2.Struct()
    try:
        struct.update(_to_wire(dict(inputs)))
    except (ValueError, TypeError) as exc:
        raise PolicyInputError(f"{where}: inputs are not JSON-like ({exc})") from exc
    wire: dict[str, Any] = json_format.MessageToDict(struct)
    return wire


@dataclass(frozen=True)
class _PlanEntry:
    urn: str
    type: str
    name: str
    parent: str | None
    provider: str | None
    dependencies: tuple[str, ...]
    property_dependencies: dict[str, tuple[str, ...]]
    wire: dict[str, Any]


def _plan_entries(plan: Mapping[str, Any]) -> list[_PlanEntry]:
    resources = plan.get("resources")
    if not isinstance(resources, list):
        raise PolicyInputError("plan: 'resources' must be a list")
    entries = []
    for i, raw in enumerate(resources):
        where = f"plan resources[{i}]"
        try:
            resource = PlanResource.from_dict(raw, where=where)
        except PlanFormatError as exc:
            raise PolicyInputError(str(exc)) from None
        provider = resource.provider
        entries.append(
            _PlanEntry(
                urn=resource.urn,
                type=resource.type,
                name=resource.name,
                parent=resource.parent,
                provider=provider.rsplit("::", 1)[0] if provider and "::" in provider else None,
                dependencies=resource.dependencies,
                property_dependencies=resource.property_dependencies,
                wire=engine_properties(resource.inputs, where=f"{where} ({resource.urn})"),
            )
        )
    return entries


def _props(entry: _PlanEntry) -> Mapping[str, Any]:
    # Fresh per policy, as the engine deserializes the request once per policy.
    proxied: Mapping[str, Any] = unknown_checking_proxy(deserialize_properties(entry.wire))
    return proxied


def _options(entry: _PlanEntry) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], entry.parent
    )


def _provider(entry: _PlanEntry, by_urn: Mapping[str, _PlanEntry]) -> PolicyProviderResource | None:
    if entry.provider is None:
        return None
    found = by_urn.get(entry.provider)
    if found is None:
        return None
    return PolicyProviderResource(found.type, _props(found), found.urn, found.name)


# --- evaluation ----------------------------------------------------------------------------


def _enforcement(policy: HrmsPolicy, config: Mapping[str, Any]) -> EnforcementLevel:
    level = config.get("enforcementLevel")
    if level is not None:
        return EnforcementLevel(level)
    return policy.enforcement_level or EnforcementLevel.MANDATORY


def _run(result: Any) -> None:
    if isawaitable(result):
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(result)
        finally:
            loop.close()


def evaluate_plan(
    plan: Mapping[str, Any],
    *,
    stack: str | None = None,
    config: Mapping[str, Mapping[str, Any]] | None = None,
    policies: Sequence[HrmsPolicy] | None = None,
) -> PolicyReport:
    """Run every policy on ``plan`` (the offline preview's JSON) and collect the verdicts."""
    policies = list(policies) if policies is not None else all_policies()
    stack_name = stack or str(plan.get("stack") or "")
    if not stack_name:
        raise PolicyInputError("plan: no stack name given and none recorded in the plan")
    if config is None:
        config = load_policy_config(stack_name)
    entries = _plan_entries(plan)
    violations: list[Violation] = []
    results = [
        _evaluate_policy(policy, entries, dict(config.get(policy.name, {})), violations)
        for policy in policies
    ]
    return PolicyReport(stack=stack_name, rules=results, violations=violations)


class _Recorder:
    """The ``report_violation`` callback and the engine's preview diagnostics for one rule."""

    def __init__(self, policy: HrmsPolicy, level: EnforcementLevel, sink: list[Violation]) -> None:
        self.policy = policy
        self.level = level
        self.severity = policy.severity.value if policy.severity else "unspecified"
        self.sink = sink

    def reporter(self, default_urn: str) -> ReportViolation:
        def report(message: str, urn: str | None = None) -> None:
            self.sink.append(
                Violation(
                    self.policy.name, urn or default_urn, message, self.level.value, self.severity
                )
            )

        return report

    def unknown(self, exc: UnknownValueError, urn: str) -> None:
        self.sink.append(
            Violation(
                self.policy.name,
                urn,
                f"can't run policy '{self.policy.name}' from policy pack "
                f"'{PACK_NAME}@v{PACK_VERSION}' during preview: {exc.message}",
                EnforcementLevel.ADVISORY.value,
                self.severity,
            )
        )


def _evaluate_policy(
    policy: HrmsPolicy,
    entries: Sequence[_PlanEntry],
    policy_config: dict[str, Any],
    sink: list[Violation],
) -> RuleResult:
    from pulumi_policy.policy import _NotApplicableError

    level = _enforcement(policy, policy_config)
    policy_config.pop("enforcementLevel", None)
    if level is EnforcementLevel.REMEDIATE:
        # As in the engine: a violation left after remediation is reported as mandatory.
        level = EnforcementLevel.MANDATORY
    recorder = _Recorder(policy, level, sink)
    result = RuleResult(
        name=policy.name,
        description=policy.description,
        kind="resource" if isinstance(policy, HrmsResourcePolicy) else "stack",
        enforcement=level.value,
        severity=recorder.severity,
        frameworks=[f.label() for f in policy.frameworks],
        remediation=policy.remediation_steps or "",
        advisory_reason=policy.advisory_reason,
    )
    if level is EnforcementLevel.DISABLED:
        return result
    by_urn = {e.urn: e for e in entries}

    if isinstance(policy, HrmsResourcePolicy):
        for entry in entries:
            if not policy.applies_to(entry.type):
                continue
            result.checked.append(entry.urn)
            args = ResourceValidationArgs(
                entry.type,
                _props(entry),
                entry.urn,
                entry.name,
                _options(entry),
                _provider(entry, by_urn),
                policy_config,
                {},
            )
            try:
                _run(policy.validate(args, recorder.reporter(entry.urn)))
            except UnknownValueError as exc:
                recorder.unknown(exc, entry.urn)
            except _NotApplicableError as exc:
                result.not_applicable.append({"urn": entry.urn, "reason": exc.reason or ""})
            except Exception as exc:
                raise PolicyEvaluationError(
                    f"policy {policy.name} failed on {entry.urn}: {exc!r}"
                ) from exc
        return result

    result.checked.extend(e.urn for e in entries if policy.applies_to(e.type))
    stack_args = StackValidationArgs(_stack_resources(entries, by_urn), policy_config, {})
    try:
        _run(policy.validate(stack_args, recorder.reporter("")))
    except UnknownValueError as exc:
        recorder.unknown(exc, "")
    except _NotApplicableError as exc:
        result.not_applicable.append({"urn": "", "reason": exc.reason or ""})
    except Exception as exc:
        raise PolicyEvaluationError(f"policy {policy.name} failed: {exc!r}") from exc
    return result


def _stack_resources(
    entries: Sequence[_PlanEntry], by_urn: Mapping[str, _PlanEntry]
) -> list[PolicyResource]:
    resources = {
        e.urn: PolicyResource(
            e.type, _props(e), e.urn, e.name, _options(e), _provider(e, by_urn), None, [], {}
        )
        for e in entries
    }
    for e in entries:
        resource = resources[e.urn]
        if e.parent in resources:
            resource.parent = resources[e.parent]
        resource.dependencies.extend(resources[d] for d in e.dependencies if d in resources)
        for prop, urns in e.property_dependencies.items():
            resource.property_dependencies[prop] = [resources[u] for u in urns if u in resources]
    return list(resources.values())


def load_plan(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyInputError(f"cannot read plan {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise PolicyInputError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise PolicyInputError(f"{path}: a plan must be a JSON object")
    return data
