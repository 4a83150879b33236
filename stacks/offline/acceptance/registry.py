"""The rule registry: every acceptance rule with its id, what it enforces and its source."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from stacks.offline.acceptance.findings import Finding
from stacks.offline.plan import Plan, PlanResource


@dataclass(frozen=True, kw_only=True)
class Context:
    """What a rule sees: the plan and the stack's region."""

    plan: Plan
    region: str

    def finding(
        self, resource: PlanResource, prop: str, value: Any, rule_id: str, message: str
    ) -> Finding:
        return Finding(
            stack=self.plan.stack,
            urn=resource.urn,
            resource=resource.name,
            property=prop,
            value=value,
            rule=rule_id,
            message=message,
            source=RULES[rule_id].source,
        )


Check = Callable[[Context], Iterable[Finding]]


@dataclass(frozen=True, kw_only=True)
class Rule:
    id: str
    summary: str
    source: str
    # None: the findings come from a layer that checks many properties at once (models.py).
    check: Check | None = None


RULES: dict[str, Rule] = {}


def register(rule_id: str, summary: str, source: str) -> Callable[[Check], Check]:
    def add(check: Check) -> Check:
        if rule_id in RULES:
            raise ValueError(f"acceptance rule {rule_id} registered twice")
        RULES[rule_id] = Rule(id=rule_id, summary=summary, source=source, check=check)
        return check

    return add


def declare(rule_id: str, summary: str, source: str) -> None:
    RULES[rule_id] = Rule(id=rule_id, summary=summary, source=source)


_BOTOCORE = "botocore service model (botocore/data/<service>/<version>/service-2.json)"
declare("api-required", "a member the create call requires is set", _BOTOCORE)
declare("api-enum", "a value is one of the member's enum", _BOTOCORE)
declare("api-range", "a number is within the member's min/max", _BOTOCORE)
declare("api-length", "a string or list length is within the member's min/max", _BOTOCORE)
declare("api-pattern", "a string matches the member's pattern", _BOTOCORE)
