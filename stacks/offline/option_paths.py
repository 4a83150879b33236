"""ignoreChanges / replaceOnChanges paths resolved against the SDK's own input type metadata.

The engine matches these paths against the resource's inputs by their engine (camelCase)
names. A path that names nothing is silently a no-op in a real ``pulumi up``: an ignored
property is not ignored, a replacement trigger never fires. The Python SDK translates only
whole top-level names (``secret_string`` -> ``secretString``), so a nested snake_case path
such as ``scaling_config.desired_size`` reaches the engine unchanged and matches nothing.
"""

from __future__ import annotations

import collections.abc
import difflib
import importlib
import re
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from stacks.offline.plan import PlanResource

CHECKED_OPTIONS = ("ignoreChanges", "replaceOnChanges")
_WILDCARD = "*"


class OptionPathError(ValueError):
    """At least one ignoreChanges / replaceOnChanges path names no input of its resource."""

    def __init__(self, findings: list[OptionPathFinding]) -> None:
        self.findings = findings
        lines = "\n".join(f"  - {f.message()}" for f in findings)
        super().__init__(f"{len(findings)} resource option path(s) name no input:\n{lines}")


@dataclass(frozen=True, kw_only=True)
class OptionPathFinding:
    urn: str
    type: str
    option: str
    path: str
    problem: str
    # Valid names at the step that failed, closest first; and the whole path corrected, if
    # translating each step to its engine name resolves.
    nearest: tuple[str, ...] = ()
    did_you_mean: str | None = None

    def message(self) -> str:
        hint = f"; did you mean '{self.did_you_mean}'?" if self.did_you_mean else ""
        near = f" (nearest valid names: {', '.join(self.nearest)})" if self.nearest else ""
        return f"{self.urn}: {self.option} '{self.path}': {self.problem}{near}{hint}"


# --- path syntax (the engine's property paths: a.b, a[0], a[*], a["k.ey"], *) ------------------

_TOKEN = re.compile(r'\.?([^.\[\]"]+)|\[(\d+|\*)\]|\["((?:[^"\\]|\\.)*)"\]')


def parse_path(path: str) -> list[str | int] | None:
    """Segments of ``path`` (names as str, indices as int, ``*`` wildcards); None if malformed."""
    segments: list[str | int] = []
    pos = 0
    while pos < len(path):
        match = _TOKEN.match(path, pos)
        if match is None or (pos == 0 and path.startswith(".")):
            return None
        name, index, quoted = match.groups()
        if name is not None:
            segments.append(name)
        elif index is not None:
            segments.append(_WILDCARD if index == _WILDCARD else int(index))
        else:
            segments.append(quoted.replace('\\"', '"'))
        pos = match.end()
    return segments or None


# --- the SDK's type metadata ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Object:
    """An input object type: engine name -> type, python name -> engine name."""

    fields: dict[str, Any]
    py_names: dict[str, str]


def _object(cls: type) -> _Object:
    from pulumi import _types

    return _Object(
        fields=dict(_types.input_type_types(cls)),
        py_names=dict(_types.input_type_py_to_pulumi_names(cls)),
    )


def _strip(tp: Any) -> Any:
    """Input[T] / Optional[T] / Union[T, TDict, Awaitable[T], Output[T]] -> T."""
    from pulumi import Output

    while typing.get_origin(tp) is typing.Union:
        members = [
            m
            for m in typing.get_args(tp)
            if m is not type(None)
            and typing.get_origin(m) not in (collections.abc.Awaitable, Output)
            and m is not Output
        ]
        if not members:
            return Any
        tp = members[0]
    return tp


@cache
def _resource_class(type_token: str) -> type | None:
    """The SDK class registered for ``type_token`` (pulumi_aws / pulumi_kubernetes modules)."""
    import pulumi_aws  # noqa: F401 - registers the resource modules
    import pulumi_kubernetes  # noqa: F401
    from pulumi.runtime import rpc

    parts = type_token.split(":")
    if len(parts) != 3:
        return None
    pkg, mod, _ = parts
    if pkg == "pulumi" and mod == "providers":
        package = rpc.get_resource_package(parts[2], "")
        info = getattr(package, "pkg_info", None)
        if not info:
            return None
        cls = getattr(importlib.import_module(info["fqn"]), info["class"], None)
        return cls if isinstance(cls, type) else None
    module = rpc.get_resource_module(pkg, mod, "")
    info = getattr(module, "mod_info", None)
    if not info or type_token not in info.get("classes", {}):
        return None
    cls = getattr(importlib.import_module(info["fqn"]), info["classes"][type_token], None)
    return cls if isinstance(cls, type) else None


@cache
def input_schema(type_token: str) -> _Object | None:
    """The top-level inputs of ``type_token`` from its ``<Class>Args`` input type, if known."""
    cls = _resource_class(type_token)
    if cls is None:
        return None
    args = getattr(importlib.import_module(cls.__module__), f"{cls.__name__}Args", None)
    if not isinstance(args, type):
        return None
    return _object(args)


def _nearest(wanted: str, names: Iterable[str], py_names: dict[str, str]) -> tuple[str, ...]:
    names = sorted(names)
    out: list[str] = []
    if wanted in py_names:
        out.append(py_names[wanted])
    folded = {n.lower(): n for n in names}
    key = wanted.replace("_", "").replace("-", "").lower()
    if key in folded and folded[key] not in out:
        out.append(folded[key])
    for name in difflib.get_close_matches(wanted, names, n=3, cutoff=0.6):
        if name not in out:
            out.append(name)
    return tuple(out[:3])


def _resolve(
    schema: _Object, segments: list[str | int]
) -> tuple[str, tuple[str, ...], list[str | int]] | None:
    """None if the path resolves; else (problem, nearest names, the path with names fixed)."""
    current: Any = schema
    fixed: list[str | int] = []
    problem: tuple[str, tuple[str, ...]] | None = None
    for depth, segment in enumerate(segments):
        where = _render(segments[:depth]) or "the resource"
        if isinstance(current, _Object):
            if segment == _WILDCARD:
                fixed.append(segment)
                current = Any
                continue
            if not isinstance(segment, str) or segment not in current.fields:
                nearest = _nearest(str(segment), current.fields, current.py_names)
                if problem is None:
                    problem = (f"{where} has no input '{segment}'", nearest)
                if not nearest or nearest[0] not in current.fields:
                    return problem[0], problem[1], []
                segment = nearest[0]
            fixed.append(segment)
            current = _descend(current.fields[segment])
            continue
        origin = typing.get_origin(current)
        if origin in (collections.abc.Sequence, list):
            if not isinstance(segment, int) and segment != _WILDCARD:
                problem = problem or (f"{where} is a list: index it with [N] or [*]", ())
                return problem[0], problem[1], []
            fixed.append(segment)
            current = _descend(typing.get_args(current)[0] if typing.get_args(current) else Any)
            continue
        if origin in (collections.abc.Mapping, dict):
            fixed.append(segment)
            args = typing.get_args(current)
            current = _descend(args[1] if len(args) == 2 else Any)
            continue
        if current is Any:
            # Free-form (e.g. a JSON document): the SDK knows nothing below this point.
            fixed.extend(segments[depth:])
            break
        problem = problem or (f"{where} is a scalar and has no '{segment}'", ())
        return problem[0], problem[1], []
    if problem is None:
        return None
    return problem[0], problem[1], fixed


def _descend(tp: Any) -> Any:
    from pulumi import _types

    tp = _strip(tp)
    if isinstance(tp, type) and _types.is_input_type(tp):
        return _object(tp)
    return tp


def _render(segments: list[str | int]) -> str:
    out = ""
    for segment in segments:
        if isinstance(segment, int) or (segment == _WILDCARD and out):
            out += f"[{segment}]"
        elif re.fullmatch(r"[A-Za-z_$][\w$-]*", segment) or segment == _WILDCARD:
            out += f".{segment}" if out else segment
        else:
            out += '["' + segment.replace('"', '\\"') + '"]'
    return out


def check_resource(resource: PlanResource) -> list[OptionPathFinding]:
    """Findings for every ignoreChanges / replaceOnChanges path of ``resource`` naming nothing."""
    paths = [(o, p) for o in CHECKED_OPTIONS for p in resource.options.get(o) or []]
    if not paths or not resource.custom:
        # Components have no engine inputs to diff; their options do not reach a provider.
        return []
    schema = input_schema(resource.type)
    findings: list[OptionPathFinding] = []
    for option, path in paths:
        problem, nearest, fix = _problem(schema, resource.type, path)
        if problem is not None:
            findings.append(
                OptionPathFinding(
                    urn=resource.urn,
                    type=resource.type,
                    option=option,
                    path=path,
                    problem=problem,
                    nearest=nearest,
                    did_you_mean=fix,
                )
            )
    return findings


def _problem(
    schema: _Object | None, type_token: str, path: str
) -> tuple[str | None, tuple[str, ...], str | None]:
    """(problem, nearest names, corrected path) of one path; problem None when it resolves."""
    if schema is None:
        return f"no SDK type metadata for {type_token} to resolve it against", (), None
    segments = parse_path(path)
    if segments is None:
        return 'not a property path (a.b, a[0], a[*], a["key"])', (), None
    result = _resolve(schema, segments)
    if result is None:
        return None, (), None
    problem, nearest, fixed = result
    fix = _render(fixed) if fixed and _resolve(schema, fixed) is None else None
    return problem, nearest, fix


def check_option_paths(resources: Iterable[PlanResource]) -> list[OptionPathFinding]:
    return [f for r in resources for f in check_resource(r)]
