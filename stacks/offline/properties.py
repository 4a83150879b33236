"""Resolve an engine property path (``scalingConfig.desiredSize``) against a resource type.

``ignore_changes`` (and ``replace_on_changes``) paths reach the engine as written, except
that the SDK renames a whole top-level Python name (``secret_string`` -> ``secretString``).
A nested snake_case path (``scaling_config.desired_size``) is passed through untouched and
the engine silently matches nothing. This module answers, from the SDK's own type metadata
(the ``@pulumi.getter(name=...)`` names of the resource's input types), whether a path names
a real input property: ``resolve_property_path("aws:eks/nodeGroup:NodeGroup",
"scalingConfig.desiredSize")``.
"""

from __future__ import annotations

import collections.abc
import importlib
import re
import types
import typing
from typing import Any

from pulumi._types import input_type_types, is_input_type
from pulumi.runtime.rpc import get_resource_module

# One path segment: a name, ``[0]``, ``[*]`` or ``["quoted.key"]`` (Pulumi's path syntax).
_SEGMENT = re.compile(r'\.?([A-Za-z_$][\w$-]*)|\[(\d+|\*)\]|\["((?:[^"\\]|\\.)*)"\]')
_PACKAGES = {"aws": "pulumi_aws", "kubernetes": "pulumi_kubernetes"}


class PropertyPathError(ValueError):
    """A path that names no input property of the resource type."""


def parse_property_path(path: str) -> list[str | int]:
    """``a.b[0]["c.d"]`` -> ``["a", "b", 0, "c.d"]``; ``[*]`` becomes ``-1`` (any element)."""
    parts: list[str | int] = []
    position = 0
    while position < len(path):
        match = _SEGMENT.match(path, position)
        if match is None or (position == 0 and path.startswith(".")):
            raise PropertyPathError(f"{path!r}: not a property path at offset {position}")
        name, index, quoted = match.groups()
        if name is not None:
            parts.append(name)
        elif index is not None:
            parts.append(-1 if index == "*" else int(index))
        else:
            parts.append(quoted.replace('\\"', '"'))
        position = match.end()
    if not parts or isinstance(parts[0], int):
        raise PropertyPathError(f"{path!r}: must start with a property name")
    return parts


def resource_args_type(type_token: str) -> type:
    """The SDK's input type (``NodeGroupArgs``) of a resource type token."""
    pkg, mod, _ = _split_token(type_token)
    module_name = _PACKAGES.get(pkg)
    if module_name is None:
        raise PropertyPathError(f"{type_token}: no SDK known for package {pkg!r}")
    importlib.import_module(module_name)  # registers the package's resource modules
    module = get_resource_module(pkg, mod, "")
    info = getattr(module, "mod_info", None)
    if not isinstance(info, dict) or type_token not in info.get("classes", {}):
        raise PropertyPathError(f"{type_token}: not a resource type of {module_name}")
    resource_cls = getattr(importlib.import_module(info["fqn"]), info["classes"][type_token])
    # The overload ``__init__(self, resource_name, args: XArgs, opts=None)`` names it.
    for overload in typing.get_overloads(resource_cls.__init__):
        hint = overload.__annotations__.get("args")
        if isinstance(hint, str):  # the SDK's annotations are forward references
            hint = eval(hint, overload.__globals__)  # noqa: S307 - the SDK's own annotation
        if hint is not None:
            for candidate in _candidates(hint):
                if is_input_type(candidate):
                    return candidate
    raise PropertyPathError(f"{type_token}: {resource_cls.__name__} declares no args type")


def resolve_property_path(type_token: str, path: str) -> str:
    """The path if it names an input property of ``type_token``; else PropertyPathError."""
    current: list[type] = [resource_args_type(type_token)]
    walked = ""
    for part in parse_property_path(path):
        step = f"[{part}]" if isinstance(part, int) else (f".{part}" if walked else part)
        following: list[type] = []
        for typ in current:
            following += _step(typ, part)
        if not following:
            known = _known_names(current)
            hint = f"; {walked or 'the resource'} has {', '.join(known)}" if known else ""
            raise PropertyPathError(
                f"{type_token}: {path!r}: {walked + step!r} is not an input property{hint}"
            )
        walked += step
        current = following
    return path


def _split_token(type_token: str) -> tuple[str, str, str]:
    parts = type_token.split(":")
    if len(parts) != 3 or not all(parts):
        raise PropertyPathError(f"{type_token!r} is not a type token like pkg:module:Type")
    return parts[0], parts[1], parts[2]


def _candidates(hint: Any) -> list[type]:
    """The concrete types a hint admits: unwraps Optional, Union and pulumi.Input."""
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        found: list[type] = []
        for arg in typing.get_args(hint):
            found += _candidates(arg)
        return found
    if origin is collections.abc.Awaitable:
        return []  # pulumi.Input's Awaitable[T] arm repeats T
    if getattr(origin or hint, "__name__", "") == "Output":
        return []  # pulumi.Input's Output[T] arm repeats T
    return [hint]


def _step(typ: Any, part: str | int) -> list[type]:
    """The types one path segment leads to from ``typ`` (empty: the segment is not there)."""
    origin = typing.get_origin(typ)
    if isinstance(part, int):
        if origin in (list, collections.abc.Sequence):
            return _candidates(typing.get_args(typ)[0])
        return []
    if origin in (dict, collections.abc.Mapping):
        return _candidates(typing.get_args(typ)[1])
    if isinstance(typ, type) and is_input_type(typ):
        field = input_type_types(typ).get(part)
        return [] if field is None else _candidates(field)
    if typ is Any:
        return [Any]  # free-form JSON (e.g. a CRD's spec): any key is a property
    return []


def _known_names(current: list[type]) -> list[str]:
    names: set[str] = set()
    for typ in current:
        if isinstance(typ, type) and is_input_type(typ):
            names.update(input_type_types(typ))
    return sorted(names)
