"""Staging/prod parity: every difference between the two plans must be declared with a reason."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from stacks.offline.plan import STACK_TYPE, Plan

PARITY_FILE = Path(__file__).resolve().parents[1] / "parity.yaml"
PRESENCE = "(resource)"
# Resource options are compared under this prefix, e.g. "(options).protect".
OPTIONS = "(options)"
_ENTRY_KEYS = {"resource", "property", "reason"}


class ParityConfigError(ValueError):
    """The declared-differences file is malformed."""


@dataclass(frozen=True, kw_only=True)
class AllowedDifference:
    """``resource`` globs ``<type>::<name>`` (stack as ``{stack}``); ``property`` globs a path."""

    resource: str
    property: str
    reason: str

    def matches(self, key: str, path: str) -> bool:
        return _glob(self.resource).fullmatch(key) is not None and (
            _glob(self.property).fullmatch(path) is not None
        )


def _glob(pattern: str) -> re.Pattern[str]:
    # Only ``*`` is special: property paths contain brackets and dots that fnmatch would misread.
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")))


def load_allowed(path: Path = PARITY_FILE) -> list[AllowedDifference]:
    try:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ParityConfigError(f"{path} not found") from exc
    except yaml.YAMLError as exc:
        raise ParityConfigError(f"{path} is not valid YAML: {exc}") from exc
    if doc is None:
        return []
    if not isinstance(doc, Mapping) or not isinstance(doc.get("allowed", []), list):
        raise ParityConfigError(f"{path}: expected a mapping with an 'allowed' list")
    entries = []
    for index, raw in enumerate(doc.get("allowed") or []):
        where = f"{path}: allowed[{index}]"
        if not isinstance(raw, Mapping):
            raise ParityConfigError(f"{where} must be a mapping")
        unknown = set(raw) - _ENTRY_KEYS
        if unknown:
            raise ParityConfigError(f"{where} has unknown key(s) {sorted(unknown)}")
        for key in ("resource", "property"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise ParityConfigError(f"{where} needs a non-empty '{key}' pattern")
        reason = raw.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise ParityConfigError(
                f"{where} ({raw['resource']} {raw['property']}) has no reason: every allowed "
                "difference must say why staging and prod differ"
            )
        entries.append(
            AllowedDifference(
                resource=raw["resource"].strip(),
                property=raw["property"].strip(),
                reason=reason.strip(),
            )
        )
    return entries


@dataclass(frozen=True, kw_only=True)
class Difference:
    key: str
    path: str
    staging: Any
    prod: Any
    reason: str | None = None

    @property
    def allowed(self) -> bool:
        return self.reason is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "resource": self.key,
            "property": self.path,
            "staging": self.staging,
            "prod": self.prod,
            "allowed": self.allowed,
            "reason": self.reason,
        }


@dataclass(frozen=True, kw_only=True)
class ParityReport:
    staging_stack: str
    prod_stack: str
    resources_compared: int
    differences: list[Difference] = field(default_factory=list)
    unused: list[AllowedDifference] = field(default_factory=list)

    @property
    def undeclared(self) -> list[Difference]:
        return [d for d in self.differences if not d.allowed]

    @property
    def declared(self) -> list[Difference]:
        return [d for d in self.differences if d.allowed]

    @property
    def ok(self) -> bool:
        # A declaration that matches nothing is stale: it would silently allow the next
        # drift that happens to fit its pattern, so it fails like an undeclared difference.
        return not self.undeclared and not self.unused

    def to_dict(self) -> dict[str, Any]:
        return {
            "staging": self.staging_stack,
            "prod": self.prod_stack,
            "ok": self.ok,
            "resourcesCompared": self.resources_compared,
            "declaredCount": len(self.declared),
            "undeclaredCount": len(self.undeclared),
            "staleCount": len(self.unused),
            "differences": [d.to_dict() for d in self.differences],
            "unusedDeclarations": [
                {"resource": u.resource, "property": u.property, "reason": u.reason}
                for u in self.unused
            ],
        }

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return path


def _normaliser(stack: str) -> re.Pattern[str]:
    # The stack name as a whole token: "hrms-prod-db" normalises, "production" does not.
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(stack)}(?![A-Za-z0-9])")


def _normalise(value: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        return pattern.sub("{stack}", value)
    if isinstance(value, dict):
        return {pattern.sub("{stack}", k): _normalise(v, pattern) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v, pattern) for v in value]
    return value


def _keyed(plan: Plan) -> dict[str, dict[str, Any]]:
    pattern = _normaliser(plan.stack)
    out: dict[str, dict[str, Any]] = {}
    for resource in plan.resources:
        if resource.type == STACK_TYPE:
            continue
        key = f"{resource.type}::{pattern.sub('{stack}', resource.name)}"
        if key in out:
            # Same type and name under different parents: fall back to the full URN.
            key = pattern.sub("{stack}", resource.urn)
        parent = pattern.sub("{stack}", resource.parent) if resource.parent else None
        out[key] = {
            "inputs": _normalise(resource.inputs, pattern),
            "options": _normalise(resource.options, pattern),
            "parent": parent,
        }
    return out


_MISSING = object()


def _diff(path: str, a: Any, b: Any) -> Iterator[tuple[str, Any, Any]]:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            sub = f"{path}.{key}" if path else key
            yield from _diff(sub, a.get(key, _MISSING), b.get(key, _MISSING))
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            yield from _diff(f"{path}[{index}]", x, y)
    elif a != b:
        yield path, (None if a is _MISSING else a), (None if b is _MISSING else b)


def compare(
    staging: Plan, prod: Plan, allowed: list[AllowedDifference] | None = None
) -> ParityReport:
    """Every resource-presence, input and option difference, each marked with its reason."""
    declared = load_allowed() if allowed is None else allowed
    used: set[int] = set()
    left, right = _keyed(staging), _keyed(prod)
    differences = []

    def reason_for(key: str, path: str) -> str | None:
        for index, entry in enumerate(declared):
            if entry.matches(key, path):
                used.add(index)
                return entry.reason
        return None

    for key in sorted(set(left) | set(right)):
        if key not in right or key not in left:
            differences.append(
                Difference(
                    key=key,
                    path=PRESENCE,
                    staging="present" if key in left else "absent",
                    prod="present" if key in right else "absent",
                    reason=reason_for(key, PRESENCE),
                )
            )
            continue
        if left[key]["parent"] != right[key]["parent"]:
            differences.append(
                Difference(
                    key=key,
                    path="(parent)",
                    staging=left[key]["parent"],
                    prod=right[key]["parent"],
                    reason=reason_for(key, "(parent)"),
                )
            )
        for path, a, b in [
            *_diff("", left[key]["inputs"], right[key]["inputs"]),
            *_diff(OPTIONS, left[key]["options"], right[key]["options"]),
        ]:
            differences.append(
                Difference(key=key, path=path, staging=a, prod=b, reason=reason_for(key, path))
            )
    return ParityReport(
        staging_stack=staging.stack,
        prod_stack=prod.stack,
        resources_compared=len(set(left) & set(right)),
        differences=differences,
        unused=[entry for index, entry in enumerate(declared) if index not in used],
    )
