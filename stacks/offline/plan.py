"""The plan model: every resource a stack program would register, as recorded offline."""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STACK_TYPE = "pulumi:pulumi:Stack"
# The plan's markers for values it cannot or must not show: the engine writes them, the policy
# evaluator turns them back into the engine's unknowns and secrets, acceptance skips them.
UNKNOWN = "[unknown]"
REDACTED = "[secret]"
MARKERS: frozenset[str] = frozenset({UNKNOWN, REDACTED})


class PlanFormatError(ValueError):
    """A plan file or dict does not have the documented shape."""


# Resource options as the engine receives them, under its camelCase names, with the value an
# unset option has. Every resource records all of them so consumers can index without guards.
OPTION_DEFAULTS: dict[str, Any] = {
    "aliases": [],
    "customTimeouts": {},
    "deleteBeforeReplace": False,
    "dependsOn": [],
    "ignoreChanges": [],
    "protect": False,
    "provider": None,
    "replaceOnChanges": [],
    "retainOnDelete": False,
}


def resource_options(**given: Any) -> dict[str, Any]:
    """All options, sorted by name: ``given`` over the defaults; unknown names are an error."""
    unknown = set(given) - set(OPTION_DEFAULTS)
    if unknown:
        raise PlanFormatError(f"unknown resource option(s) {sorted(unknown)}")
    return {
        key: copy.deepcopy(given.get(key, default))
        for key, default in sorted(OPTION_DEFAULTS.items())
    }


@dataclass(frozen=True, kw_only=True)
class PlanResource:
    """One registered resource: identity, position in the tree and its recorded inputs."""

    urn: str
    type: str
    name: str
    parent: str | None = None
    provider: str | None = None
    dependencies: tuple[str, ...] = ()
    # Per input property, the resources its value came from (what stack policies see).
    property_dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    custom: bool = True
    inputs: dict[str, Any] = field(default_factory=dict)
    # Resource options (OPTION_DEFAULTS' keys); ``dependsOn`` holds the dependencies no input
    # explains, i.e. what an explicit ``depends_on`` added.
    options: dict[str, Any] = field(default_factory=resource_options)

    def to_dict(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "provider": self.provider,
            "dependencies": list(self.dependencies),
            "propertyDependencies": {k: list(v) for k, v in self.property_dependencies.items()},
            "custom": self.custom,
            "options": self.options,
            "inputs": self.inputs,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "plan") -> PlanResource:
        if not isinstance(data, Mapping):
            raise PlanFormatError(
                f"{where}: a resource must be an object, got {type(data).__name__}"
            )
        missing = [key for key in ("urn", "type", "name") if not isinstance(data.get(key), str)]
        if missing:
            raise PlanFormatError(f"{where}: resource is missing string field(s) {missing}")
        inputs = data.get("inputs", {})
        if not isinstance(inputs, dict):
            raise PlanFormatError(f"{where}: 'inputs' of {data['urn']} must be an object")
        deps = data.get("dependencies", [])
        if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
            raise PlanFormatError(
                f"{where}: 'dependencies' of {data['urn']} must be a list of URNs"
            )
        prop_deps = data.get("propertyDependencies", {})
        if not isinstance(prop_deps, dict) or not all(
            isinstance(v, list) and all(isinstance(u, str) for u in v) for v in prop_deps.values()
        ):
            raise PlanFormatError(
                f"{where}: 'propertyDependencies' of {data['urn']} must map property names "
                "to lists of URNs"
            )
        options = data.get("options", {})
        if not isinstance(options, dict):
            raise PlanFormatError(f"{where}: 'options' of {data['urn']} must be an object")
        try:
            full_options = resource_options(**options)
        except PlanFormatError as exc:
            raise PlanFormatError(f"{where}: {data['urn']}: {exc}") from exc
        return cls(
            urn=data["urn"],
            type=data["type"],
            name=data["name"],
            parent=data.get("parent") or None,
            provider=data.get("provider") or None,
            dependencies=tuple(deps),
            property_dependencies={str(k): tuple(v) for k, v in prop_deps.items()},
            custom=bool(data.get("custom", True)),
            inputs=inputs,
            options=full_options,
        )


@dataclass(frozen=True, kw_only=True)
class Plan:
    """What one stack would create: its resources (sorted by URN) and its stack outputs."""

    stack: str
    project: str
    resources: tuple[PlanResource, ...] = ()
    outputs: dict[str, Any] = field(default_factory=dict)

    def by_type(self, token: str) -> list[PlanResource]:
        """Resources whose type token equals ``token``, in plan order."""
        return [r for r in self.resources if r.type == token]

    def find(self, token: str, name_suffix: str) -> PlanResource:
        """The single resource of ``token`` whose logical name ends with ``name_suffix``."""
        hits = [r for r in self.by_type(token) if r.name.endswith(name_suffix)]
        if len(hits) != 1:
            names = sorted(r.name for r in self.by_type(token))
            raise LookupError(
                f"expected one {token} named '*{name_suffix}', found {len(hits)}; "
                f"resources of that type: {names}"
            )
        return hits[0]

    def get(self, urn: str) -> PlanResource:
        for resource in self.resources:
            if resource.urn == urn:
                return resource
        raise LookupError(f"no resource with URN {urn}")

    def children(self, urn: str | None) -> list[PlanResource]:
        """Direct children of ``urn`` (``None``: resources parented to the stack itself)."""
        stack_urns = {r.urn for r in self.resources if r.type == STACK_TYPE}
        out = []
        for resource in self.resources:
            parent = resource.parent
            if urn is None:
                if resource.type != STACK_TYPE and (parent is None or parent in stack_urns):
                    out.append(resource)
            elif parent == urn:
                out.append(resource)
        return out

    def counts_by_type(self) -> dict[str, int]:
        counts = Counter(r.type for r in self.resources if r.type != STACK_TYPE)
        return dict(sorted(counts.items()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "project": self.project,
            "resources": [r.to_dict() for r in self.resources],
            "outputs": self.outputs,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "plan") -> Plan:
        if not isinstance(data, Mapping):
            raise PlanFormatError(f"{where}: a plan must be a JSON object")
        for key in ("stack", "project"):
            if not isinstance(data.get(key), str):
                raise PlanFormatError(f"{where}: missing string field '{key}'")
        resources = data.get("resources")
        if not isinstance(resources, list):
            raise PlanFormatError(f"{where}: 'resources' must be a list")
        outputs = data.get("outputs", {})
        if not isinstance(outputs, dict):
            raise PlanFormatError(f"{where}: 'outputs' must be an object")
        return cls(
            stack=data["stack"],
            project=data["project"],
            resources=tuple(PlanResource.from_dict(r, where=where) for r in resources),
            outputs=outputs,
        )

    @classmethod
    def load(cls, path: Path) -> Plan:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise PlanFormatError(f"cannot read plan {path}: {exc.strerror}") from exc
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise PlanFormatError(f"{path}: not valid JSON ({exc})") from exc
        return cls.from_dict(data, where=str(path))

    def write(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=False) + "\n", "utf-8")
        return path
