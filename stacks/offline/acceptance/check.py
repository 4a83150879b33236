"""Run every acceptance layer on a plan: API models, catalogs and cross-field rules, the
Kubernetes API server's checks, and capacity; findings carry the config key behind the value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Importing the rule modules registers their rules.
from stacks.offline.acceptance import capacity, kubernetes_api, models, rules  # noqa: F401
from stacks.offline.acceptance.findings import Finding
from stacks.offline.acceptance.provenance import attach_keys
from stacks.offline.acceptance.registry import RULES, Context
from stacks.offline.invokes import DEFAULT_REGION
from stacks.offline.plan import Plan


class AcceptanceError(ValueError):
    """AWS or the Kubernetes API server would reject (or never run) what the plan creates."""

    def __init__(self, findings: list[Finding]) -> None:
        lines = "\n".join(f"  - {f}" for f in findings)
        super().__init__(f"{len(findings)} value(s) AWS or Kubernetes would reject:\n{lines}")
        self.findings = findings


@dataclass(frozen=True, kw_only=True)
class Acceptance:
    stack: str
    findings: list[Finding]
    rules_checked: int


def accept(plan: Plan, config: Mapping[str, str] | None = None) -> Acceptance:
    """Every finding for ``plan``; ``config`` (the stack's raw config) names keys and region."""
    values = dict(config or {})
    ctx = Context(plan=plan, region=values.get("aws:region", DEFAULT_REGION))
    findings = models.check_plan(plan)
    for rule in RULES.values():
        if rule.check is not None:
            findings.extend(rule.check(ctx))
    if values:
        findings = attach_keys(findings, values)
    findings.sort(key=lambda f: (f.rule, f.urn, f.property))
    return Acceptance(stack=plan.stack, findings=findings, rules_checked=len(RULES))
