"""Ordering across components: hand a component's depends_on to the children that need it."""

from __future__ import annotations

import pulumi


def explicit_dependencies(opts: pulumi.ResourceOptions | None) -> list[pulumi.Resource]:
    """The resources a component was told to wait for, for its own children to wait on.

    Pulumi does not make a component's children wait for the component's ``depends_on``
    (only resources that depend on the component wait for its children), so a component
    that promises an ordering must pass these on to the children it applies to.
    """
    depends_on = opts.depends_on if opts is not None else None
    if depends_on is None:
        return []
    if isinstance(depends_on, pulumi.Resource):
        return [depends_on]
    if isinstance(depends_on, list):
        found = [d for d in depends_on if isinstance(d, pulumi.Resource)]
        if len(found) == len(depends_on):
            return found
    raise TypeError("components take depends_on as a resource or a list of resources, not outputs")
