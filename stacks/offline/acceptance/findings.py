"""One acceptance finding: what AWS or the API server would reject, where, and why."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True, kw_only=True)
class Finding:
    """A rejected value: the resource and property, the rule and its published source.

    ``config_key`` is the stack-file key the value came from (``hrms:database.instanceClass``),
    filled in by ``stacks.offline.acceptance.provenance`` when one can be traced.
    """

    stack: str
    urn: str
    resource: str
    property: str
    value: Any
    rule: str
    message: str
    source: str
    config_key: str | None = None

    def with_key(self, key: str | None) -> Finding:
        return replace(self, config_key=key)

    def __str__(self) -> str:
        key = f" [config {self.config_key}]" if self.config_key else ""
        shown = json.dumps(self.value, default=str)
        if len(shown) > 120:
            shown = shown[:117] + "..."
        return (
            f"{self.stack}: {self.resource}.{self.property} = {shown}{key}: {self.message} "
            f"(rule {self.rule}; source {self.source}; urn {self.urn})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "urn": self.urn,
            "resource": self.resource,
            "property": self.property,
            "value": self.value,
            "rule": self.rule,
            "message": self.message,
            "source": self.source,
            "configKey": self.config_key,
        }
