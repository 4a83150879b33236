"""Terminal view of a policy report: violations grouped by severity, with urns (Rich)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from stacks.offline.policy import SEVERITY_ORDER, PolicyReport

_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}


def print_report(report: PolicyReport, console: Console) -> None:
    violations = report.sorted_violations()
    if violations:
        table = Table(title=f"Policy violations — {report.stack}", show_lines=False)
        table.add_column("severity")
        table.add_column("enforcement")
        table.add_column("rule")
        table.add_column("resource")
        table.add_column("message", overflow="fold")
        for v in violations:
            style = _STYLE.get(v.severity, "")
            table.add_row(
                f"[{style}]{v.severity}[/]" if style else v.severity,
                v.enforcement,
                v.rule,
                v.urn or "(stack)",
                v.message,
            )
        console.print(table)
    counts: dict[str, int] = {}
    for v in report.mandatory:
        counts[v.severity] = counts.get(v.severity, 0) + 1
    by_severity = ", ".join(
        f"{n} {sev}" for sev, n in sorted(counts.items(), key=lambda i: SEVERITY_ORDER[i[0]])
    )
    checked = sum(len(r.checked) for r in report.rules)
    console.print(
        f"[bold]{report.stack}[/]: {len(report.rules)} rules, {checked} resource checks, "
        f"{len(report.mandatory)} mandatory violation(s)"
        + (f" ({by_severity})" if by_severity else "")
        + f", {len(report.advisory)} advisory."
    )
