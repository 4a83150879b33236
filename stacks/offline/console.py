"""Rich renderings of plans, Kubernetes validation and parity for the hrmsctl commands."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from stacks.offline.kubernetes import KubernetesExport
from stacks.offline.parity import ParityReport
from stacks.offline.plan import Plan
from stacks.offline.tree import TreeNode, component_tree


def make_console(*, stderr: bool = False) -> Console:
    """A console that keeps tables readable in CI logs, where no terminal width is known."""
    probe = Console(stderr=stderr)
    return Console(stderr=stderr, width=None if probe.is_terminal else 160)


def plan_tree(plan: Plan) -> Tree:
    """Components nested as in the program; each lists its own resources counted by type."""

    def label(node: TreeNode) -> Text:
        text = Text.assemble((node.name, "bold"), "  ", (node.type, "cyan"))
        text.append(f"  ({node.total})", style="dim")
        return text

    def add(branch: Tree, node: TreeNode) -> None:
        for type_, count in node.resource_counts.items():
            branch.add(Text.assemble((f"{count} x ", "dim"), type_))
        for child in node.children:
            add(branch.add(label(child)), child)

    root = component_tree(plan)
    tree = Tree(label(root))
    add(tree, root)
    return tree


def counts_table(plan: Plan) -> Table:
    table = Table(title=f"{plan.stack}: resources by type", title_justify="left")
    table.add_column("type")
    table.add_column("count", justify="right")
    counts = plan.counts_by_type()
    for type_, count in counts.items():
        table.add_row(Text(type_), str(count))
    table.add_section()
    table.add_row("total", str(sum(counts.values())), style="bold")
    return table


def kubernetes_table(export: KubernetesExport) -> Table:
    title = f"Kubernetes objects vs schema v{export.version.version} ({export.version.reason})"
    table = Table(title=title, title_justify="left")
    table.add_column("object")
    table.add_column("result")
    bad = {id(v.obj): v for v in export.violations}
    for obj in export.objects:
        violation = bad.get(id(obj))
        if violation is None:
            table.add_row(Text(obj.label), Text("valid", style="green"))
        else:
            at = f" at {violation.path}" if violation.path else ""
            table.add_row(Text(obj.label), Text(f"INVALID{at}: {violation.message}", style="red"))
    return table


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parity_table(report: ParityReport, *, declared: bool = False) -> Table:
    """The undeclared differences (the failures), or with ``declared`` the declared ones."""
    rows = report.declared if declared else report.undeclared
    title = (
        "Declared staging/prod differences" if declared else "Undeclared staging/prod differences"
    )
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("resource", overflow="fold")
    table.add_column("property", overflow="fold")
    table.add_column(report.staging_stack)
    table.add_column(report.prod_stack)
    table.add_column("reason" if declared else "status", overflow="fold")
    for diff in rows:
        status = (
            Text(diff.reason or "", style="green")
            if diff.allowed
            else Text("UNDECLARED", style="bold red")
        )
        table.add_row(
            Text(diff.key),
            Text(diff.path),
            Text(_short(diff.staging)),
            Text(_short(diff.prod)),
            status,
        )
    return table


def stale_declarations_table(report: ParityReport) -> Table:
    table = Table(
        title="Stale declarations (matched no difference; remove them or fix their patterns)",
        title_justify="left",
    )
    table.add_column("resource", overflow="fold")
    table.add_column("property", overflow="fold")
    table.add_column("reason", overflow="fold")
    for entry in report.unused:
        table.add_row(Text(entry.resource), Text(entry.property), Text(entry.reason))
    return table


def parity_summary(report: ParityReport) -> Text:
    """One line of counts: what was compared, what is declared, what fails, what is stale."""
    undeclared = len(report.undeclared)
    text = Text.assemble(
        f"{report.staging_stack} vs {report.prod_stack}: ",
        f"{report.resources_compared} resources compared, ",
        f"{len(report.differences)} difference(s): ",
        (f"{len(report.declared)} declared", "green"),
        ", ",
        (f"{undeclared} undeclared", "bold red" if undeclared else "green"),
        ", ",
        (f"{len(report.unused)} stale declaration(s)", "yellow" if report.unused else ""),
    )
    return text
