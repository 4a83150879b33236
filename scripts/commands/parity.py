"""``hrmsctl parity``: compare the staging and prod plans against the declared differences."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from scripts.commands.errors import EXIT_FOUND, fail
from scripts.commands.plans import required_plan


def parity(
    staging: Annotated[
        Path | None,
        typer.Option("--staging", help="staging plan JSON (default: build/plan/staging.json)"),
    ] = None,
    prod: Annotated[
        Path | None,
        typer.Option("--prod", help="prod plan JSON (default: build/plan/prod.json)"),
    ] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="write the comparison as JSON here")
    ] = None,
    allowed: Annotated[
        Path | None,
        typer.Option("--allowed", help="declared differences file (default: stacks/parity.yaml)"),
    ] = None,
    show_declared: Annotated[
        bool,
        typer.Option(
            "--show-declared",
            "--verbose",
            "-v",
            help="also list every declared difference and its reason",
        ),
    ] = False,
) -> None:
    """Exit 1 when the plans differ in any way stacks/parity.yaml does not declare, or when
    a declaration there matches no difference (stale).

    Prints the undeclared differences and stale declarations, then a summary; the declared
    differences only with --show-declared (--json always has all of them). The last line is
    the verdict.
    """
    from scripts.commands.annotations import annotation, emit
    from stacks.offline.console import (
        make_console,
        parity_summary,
        parity_table,
        stale_declarations_table,
        verdict_line,
    )
    from stacks.offline.parity import PARITY_FILE, ParityConfigError, compare, load_allowed
    from stacks.offline.plan import Plan, PlanFormatError

    console = make_console()
    staging = required_plan("staging", staging)
    prod = required_plan("prod", prod)
    declarations = allowed or PARITY_FILE
    try:
        staging_plan = Plan.load(staging)
        prod_plan = Plan.load(prod)
        declared = load_allowed(declarations)
    except PlanFormatError as exc:
        fail(str(exc))
    except ParityConfigError as exc:
        fail(str(exc), where=str(declarations))
    report = compare(staging_plan, prod_plan, declared)
    if json_path is not None:
        report.write(json_path)
    # Full values in logs; a terminal gets them cut to keep the table readable.
    limit = 60 if console.is_terminal else None
    if show_declared and report.declared:
        console.print(parity_table(report, declared=True, limit=limit))
    if report.unused:
        console.print(stale_declarations_table(report))
    if report.undeclared:
        console.print(parity_table(report, limit=limit))
    console.print(parity_summary(report))
    emit(
        [
            annotation(
                f"{d.key} {d.path}: {staging_plan.stack}={d.staging!r} {prod_plan.stack}="
                f"{d.prod!r}; declare it with a reason or remove the difference",
                title="parity: undeclared difference",
                file="stacks/parity.yaml",
            )
            for d in report.undeclared
        ]
        + [
            annotation(
                f"{u.resource} {u.property} matches no difference; remove it or fix its pattern",
                title="parity: stale declaration",
                file="stacks/parity.yaml",
            )
            for u in report.unused
        ]
    )
    pair = f"{staging_plan.stack} vs {prod_plan.stack}"
    if not report.ok:
        if not show_declared and report.declared:
            console.print(f"{len(report.declared)} declared difference(s) not shown (--verbose)")
        console.print(
            verdict_line(
                False,
                f"parity {pair}: {len(report.undeclared)} undeclared difference(s), "
                f"{len(report.unused)} stale declaration(s); declare intended differences with "
                "a reason in stacks/parity.yaml and remove declarations that match nothing",
            )
        )
        raise typer.Exit(EXIT_FOUND)
    hidden = "" if show_declared or not report.declared else " (--verbose lists them)"
    console.print(
        verdict_line(True, f"parity {pair}: parity holds, every difference is declared{hidden}")
    )


def register(app: typer.Typer) -> None:
    app.command("parity")(parity)
