"""The component hierarchy of a plan: components as nodes, their resources counted by type."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from stacks.offline.plan import STACK_TYPE, Plan, PlanResource


@dataclass(frozen=True, kw_only=True)
class TreeNode:
    """A component (or the stack) with its child components and counts of its own resources."""

    name: str
    type: str
    urn: str | None
    children: list[TreeNode] = field(default_factory=list)
    resource_counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Resources at or below this node, components included."""
        own = sum(self.resource_counts.values())
        return own + sum(1 + child.total for child in self.children)


def _by_name(resource: PlanResource) -> str:
    return resource.name


def component_tree(plan: Plan) -> TreeNode:
    """Nest components under their parents; leaf (custom) resources become per-type counts."""

    def build(urn: str | None, name: str, type_: str) -> TreeNode:
        kids = plan.children(urn)
        components = [k for k in kids if not k.custom]
        counts = Counter(k.type for k in kids if k.custom)
        return TreeNode(
            name=name,
            type=type_,
            urn=urn,
            children=[
                build(c.urn, c.name, c.type) for c in sorted(components, key=lambda c: c.name)
            ],
            resource_counts=dict(sorted(counts.items())),
        )

    return build(None, f"{plan.project}-{plan.stack}", STACK_TYPE)
