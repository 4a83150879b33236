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
    show_declared: Annotated[
        bool,
        typer.Option("--show-declared", help="also list every declared difference and its reason"),
    ] = False,
) -> None:
    """Exit 1 when the plans differ in any way stacks/parity.yaml does not declare, or when
    a declaration there matches no difference (stale).

    Prints a summary, the undeclared differences and stale declarations; the declared
    differences only with --show-declared (--json always has all of them).
    """
    from stacks.offline.console import (
        make_console,
        parity_summary,
        parity_table,
        stale_declarations_table,
    )
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
    if show_declared and report.declared:
        console.print(parity_table(report, declared=True))
    if report.unused:
        console.print(stale_declarations_table(report))
    if report.undeclared:
        console.print(parity_table(report))
    console.print(parity_summary(report))
    hidden = "" if show_declared or not report.declared else " (--show-declared lists them)"
    if not report.ok:
        if hidden:
            console.print(f"{len(report.declared)} declared difference(s) not shown{hidden}")
        err.print(
            f"[red]parity fails:[/] {len(report.undeclared)} undeclared difference(s) and "
            f"{len(report.unused)} stale declaration(s) between {staging_plan.stack} and "
            f"{prod_plan.stack}; declare intended differences with a reason in "
            "stacks/parity.yaml and remove declarations that match nothing"
        )
        raise typer.Exit(1)
    console.print(f"[green]parity holds[/]: every difference is declared{hidden}")


def register(app: typer.Typer) -> None:
    app.command("parity")(parity)
