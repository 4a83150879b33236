"""``hrmsctl accept``: would AWS and the Kubernetes API server accept a stack's plan?"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape


def accept(
    stack: Annotated[str, typer.Option("--stack", help="staging or prod")],
    plan: Annotated[
        Path | None,
        typer.Option("--plan", help="a saved plan JSON (default: run the offline preview)"),
    ] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="write the findings as JSON here")
    ] = None,
) -> None:
    """Check the plan against AWS's published constraints, the Kubernetes API server's
    validation and node capacity; exit 1 on any finding (each names key, rule and source)."""
    from rich.table import Table

    from stacks.offline.acceptance.check import AcceptanceError, accept
    from stacks.offline.console import make_console
    from stacks.offline.engine import StackConfigError, load_stack_config, preview_stack
    from stacks.offline.plan import Plan, PlanFormatError

    console = make_console()
    err = make_console(stderr=True)
    try:
        config = load_stack_config(stack)
        loaded = Plan.load(plan) if plan is not None else preview_stack(stack)
    except (StackConfigError, PlanFormatError, ValueError) as exc:
        err.print("[red]error:[/]", escape(str(exc)))
        raise typer.Exit(2) from exc
    if loaded.stack != stack:
        err.print(f"[red]error:[/] plan {plan} is for stack {loaded.stack!r}, not {stack!r}")
        raise typer.Exit(2)
    result = accept(loaded, config)
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        body = {
            "stack": stack,
            "rulesChecked": result.rules_checked,
            "findings": [f.to_dict() for f in result.findings],
        }
        json_path.write_text(json.dumps(body, indent=2, default=str) + "\n", encoding="utf-8")
    if not result.findings:
        console.print(
            f"[green]acceptance:[/] {stack}: no findings ({result.rules_checked} rules, "
            f"{len(loaded.resources)} resources)"
        )
        return
    table = Table(title=f"{stack}: values AWS or Kubernetes would reject")
    for column in ("rule", "config key", "resource.property", "value", "problem", "source"):
        table.add_column(column, overflow="fold")
    for f in result.findings:
        table.add_row(
            f.rule,
            f.config_key or "-",
            f"{f.resource}.{f.property}",
            escape(json.dumps(f.value, default=str)),
            escape(f.message),
            escape(f.source),
        )
    console.print(table)
    err.print("[red]error:[/]", escape(str(AcceptanceError(result.findings))))
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("accept")(accept)
