"""``hrmsctl parity``: compare the staging and prod plans against the declared differences."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape


def parity(
    staging: Annotated[Path, typer.Option("--staging", help="staging plan JSON")],
    prod: Annotated[Path, typer.Option("--prod", help="prod plan JSON")],
    json_path: Annotated[
        Path | None, typer.Option("--json", help="write the comparison as JSON here")
    ] = None,
    allowed: Annotated[
        Path | None,
        typer.Option("--allowed", help="declared differences file (default: stacks/parity.yaml)"),
    ] = None,
) -> None:
    """Exit 1 when the plans differ in any way stacks/parity.yaml does not declare."""
    from stacks.offline.console import make_console, parity_table
    from stacks.offline.parity import PARITY_FILE, ParityConfigError, compare, load_allowed
    from stacks.offline.plan import Plan, PlanFormatError

    console = make_console()
    err = make_console(stderr=True)
    try:
        staging_plan = Plan.load(staging)
        prod_plan = Plan.load(prod)
        declared = load_allowed(allowed or PARITY_FILE)
    except (PlanFormatError, ParityConfigError) as exc:
        err.print("[red]error:[/]", escape(str(exc)))
        raise typer.Exit(2) from exc
    report = compare(staging_plan, prod_plan, declared)
    if json_path is not None:
        report.write(json_path)
    if report.ok and report.differences:
        console.print(parity_table(report))
    for entry in report.unused:
        console.print(
            "[yellow]note:[/] declared difference",
            escape(f"{entry.resource} {entry.property}"),
            "matched nothing; remove it if it is stale",
        )
    declared_count = len(report.differences) - len(report.undeclared)
    if not report.ok:
        console.print(parity_table(report, only_undeclared=True))
        err.print(
            f"[red]parity fails:[/] {len(report.undeclared)} undeclared difference(s) between "
            f"{staging_plan.stack} and {prod_plan.stack} (declared: {declared_count}); declare "
            "intended ones with a reason in stacks/parity.yaml"
        )
        raise typer.Exit(1)
    console.print(
        f"[green]parity holds:[/] {report.resources_compared} resources compared, "
        f"{declared_count} declared difference(s)"
    )


def register(app: typer.Typer) -> None:
    app.command("parity")(parity)
