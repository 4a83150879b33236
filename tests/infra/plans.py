"""Plans of the committed staging and prod stacks, synthesized once per test process (each
xdist worker): every test that needs the plan of a committed stack takes it from here."""

from __future__ import annotations

import functools
from typing import Any

from stacks.offline.engine import preview_stack
from stacks.offline.plan import Plan, PlanResource

STACKS: tuple[str, ...] = ("staging", "prod")


@functools.cache
def stack_plan(stack: str) -> Plan:
    return preview_stack(stack)


def one(plan: Plan, type_: str, *, within: str | None = None) -> PlanResource:
    """The only resource of ``type_``; ``within`` names the component type it belongs to
    (``"HrmsWorkload"``) where several components create that type."""
    found = [r for r in plan.by_type(type_) if within is None or f":{within}$" in r.urn]
    assert len(found) == 1, f"expected one {type_} (within {within}), found {len(found)}"
    return found[0]


def dig(inputs: dict[str, Any], path: str) -> Any:
    node: Any = inputs
    for part in path.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node
