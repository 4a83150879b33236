"""Terminal view of a policy report: violations grouped by severity, with urns (Rich)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from stacks.offline.policy import SEVERITY_ORDER, PolicyReport

_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}


def _table(title: str, *columns: str) -> Table:
    # Cells fold rather than end in "…": a CI log must carry the whole urn and message.
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def summary_line(report: PolicyReport) -> str:
    counts: dict[str, int] = {}
    for v in report.mandatory:
        counts[v.severity] = counts.get(v.severity, 0) + 1
    by_severity = ", ".join(
        f"{n} {sev}" for sev, n in sorted(counts.items(), key=lambda i: SEVERITY_ORDER[i[0]])
    )
    checked = sum(len(r.checked) for r in report.rules)
    waived = sum(1 for r in report.rules if r.waived)
    return (
        f"{report.stack}: {len(report.rules)} rules, {checked} resource checks, "
        f"{len(report.mandatory)} mandatory violation(s)"
        + (f" ({by_severity})" if by_severity else "")
        + f", {len(report.advisory)} advisory"
        + (f", {waived} rule(s) not applicable here" if waived else "")
    )


def rules_table(report: PolicyReport) -> Table:
    """Every rule with its status in this stack and, where it does not apply, why."""
    table = _table(
        f"Policy rules — {report.stack}", "rule", "status", "checked", "why / how to fix"
    )
    for rule in report.rules:
        status = str(rule.to_dict(report.violations)["status"])
        reasons = "; ".join(sorted({e["reason"] for e in rule.not_applicable if e["reason"]}))
        note = rule.remediation if status == "fail" else reasons
        table.add_row(rule.name, status, str(len(rule.checked)), note)
    return table


def print_report(report: PolicyReport, console: Console, *, verbose: bool = False) -> None:
    if verbose:
        console.print(rules_table(report))
    violations = report.sorted_violations()
    if violations:
        table = _table(
            f"Policy violations — {report.stack}",
            "severity",
            "enforcement",
            "rule",
            "resource",
            "message",
        )
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
    console.print(summary_line(report))
