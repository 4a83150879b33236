"""Which stack-file key produced a plan value: config leaves matched to findings by value.

The engine runs the program with the stack's config, so a rejected value that equals one config
leaf came from it. When several leaves hold the same value (``30`` days in four sections), the
one whose key words best match the resource and property wins (``hrms-prod-network-flow-logs``
-> ``hrms:network.flowLogRetentionDays``); with no unique best, no key is named.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from stacks.offline.acceptance.findings import Finding

# Words resources are named with -> the config section words they stand for.
_SYNONYMS = {
    "db": "database",
    "rds": "database",
    "postgres": "database",
    "eks": "cluster",
    "nodes": "cluster",
    "node": "cluster",
    "insights": "cluster",
    "addon": "cluster",
    "addons": "cluster",
    "gateway": "edge",
    "waf": "edge",
    "api": "edge",
    "vpc": "network",
    "flow": "network",
    "nlb": "loadbalancer",
    "hpa": "workload",
    "app": "workload",
    "deployment": "workload",
    "backups": "backup",
    "elasticache": "cache",
}


def config_leaves(config: Mapping[str, str]) -> list[tuple[str, Any]]:
    """Every scalar of the stack config as (``hrms:section.key[i]``, value)."""
    out: list[tuple[str, Any]] = []

    def walk(key: str, node: Any) -> None:
        if isinstance(node, Mapping):
            for k, v in node.items():
                walk(f"{key}.{k}", v)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(f"{key}[{i}]", v)
        else:
            out.append((key, node))

    for key, raw in config.items():
        value: Any = raw
        if raw[:1] in "{[":
            try:
                value = json.loads(raw)
            except json.JSONDecodeError:
                value = raw
        walk(key, value)
    return out


def _words(text: str) -> set[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    words = {w.lower() for w in re.split(r"[^A-Za-z0-9]+", spaced) if w}
    return words | {_SYNONYMS[w] for w in words if w in _SYNONYMS}


def _same(config_value: Any, value: Any) -> bool:
    if isinstance(config_value, bool) or isinstance(value, bool):
        return False  # true/false are everywhere; they name nothing
    if isinstance(config_value, int | float) and isinstance(value, int | float):
        return float(config_value) == float(value)
    if isinstance(config_value, str) and isinstance(value, str):
        return config_value == value
    if isinstance(config_value, str) and isinstance(value, int | float):
        return config_value == str(value)
    return False


def _scalars(value: Any) -> Iterator[Any]:
    if isinstance(value, Mapping):
        for v in value.values():
            yield from _scalars(v)
    elif isinstance(value, list):
        for v in value:
            yield from _scalars(v)
    else:
        yield value


def trace(finding: Finding, leaves: list[tuple[str, Any]]) -> str | None:
    values = list(_scalars(finding.value))
    candidates = [k for k, v in leaves if any(_same(v, x) for x in values)]
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    context = _words(f"{finding.resource} {finding.property}")
    scored = sorted(((len(_words(k) & context), k) for k in candidates), reverse=True)
    if scored[0][0] > scored[1][0]:
        return scored[0][1]
    return None


def attach_keys(findings: list[Finding], config: Mapping[str, str]) -> list[Finding]:
    leaves = config_leaves(config)
    return [f if f.config_key else f.with_key(trace(f, leaves)) for f in findings]
