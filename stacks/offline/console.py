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

# Width for logs (CI, pipes): wide enough that tables keep their columns; cells fold, never cut.
LOG_WIDTH = 200


def make_console(*, stderr: bool = False) -> Console:
    """A console that keeps tables readable in CI logs, where no terminal width is known."""
    probe = Console(stderr=stderr)
    return Console(stderr=stderr, width=None if probe.is_terminal else LOG_WIDTH)


def folding_table(title: str, *columns: str) -> Table:
    """A table whose every cell wraps instead of ending in "…": nothing is lost in a log."""
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def verdict_line(ok: bool, what: str) -> Text:
    """The last line a command prints: PASS or FAIL, then what was decided."""
    return Text.assemble(("PASS" if ok else "FAIL", "bold green" if ok else "bold red"), f" {what}")


def preview_summary(plan: Plan, export: KubernetesExport) -> Text:
    """One line per stack: what the program created and how its Kubernetes objects fared."""
    counts = plan.counts_by_type()
    invalid = len(export.violations)
    parts = [
        f"{plan.stack}: {sum(counts.values())} resources of {len(counts)} types",
        f"in {_components(component_tree(plan))} components",
        f"{len(export.objects)} Kubernetes objects "
        + (f"({invalid} INVALID)" if invalid else "valid")
        + f" against schema v{export.version.version}",
    ]
    return Text(", ".join(parts))


def _components(node: TreeNode) -> int:
    return sum(1 + _components(child) for child in node.children)


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


def kubernetes_table(export: KubernetesExport, *, only_invalid: bool = False) -> Table:
    title = f"Kubernetes objects vs schema v{export.version.version} ({export.version.reason})"
    table = folding_table(title, "object", "result")
    bad = {id(v.obj): v for v in export.violations}
    for obj in export.objects:
        violation = bad.get(id(obj))
        if violation is None:
            if only_invalid:
                continue
            table.add_row(Text(obj.label), Text("valid", style="green"))
        else:
            at = f" at {violation.path}" if violation.path else ""
            table.add_row(Text(obj.label), Text(f"INVALID{at}: {violation.message}", style="red"))
    return table


def _short(value: Any, limit: int | None = 60) -> str:
    text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else value
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def parity_table(report: ParityReport, *, declared: bool = False, limit: int | None = 60) -> Table:
    """The undeclared differences (the failures), or with ``declared`` the declared ones."""
    rows = report.declared if declared else report.undeclared
    title = (
        "Declared staging/prod differences" if declared else "Undeclared staging/prod differences"
    )
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("resource", overflow="fold")
    table.add_column("property", overflow="fold")
    table.add_column(report.staging_stack, overflow="fold")
    table.add_column(report.prod_stack, overflow="fold")
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
            Text(_short(diff.staging, limit)),
            Text(_short(diff.prod, limit)),
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
