"""``hrmsctl policy``: evaluate the CrossGuard pack on a stack's offline plan."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console


def _plan_for(stack: str, plan_path: Path | None) -> dict[str, Any]:
    from stacks.offline.policy import load_plan

    if plan_path is not None:
        return load_plan(plan_path)
    from stacks.offline.engine import preview_stack

    return preview_stack(stack).to_dict()


def policy(
    stack: Annotated[str, typer.Option("--stack", help="staging or prod")],
    plan: Annotated[
        Path | None,
        typer.Option("--plan", help="a saved plan JSON (default: run the offline preview)"),
    ] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="write the verdicts as JSON here")
    ] = None,
) -> None:
    """Evaluate the policy pack; exit 1 on any mandatory violation."""
    from stacks.offline.policy import (
        PolicyInputError,
        available_configs,
        evaluate_plan,
        load_policy_config,
    )
    from stacks.offline.policy_view import print_report

    console = Console()
    err = Console(stderr=True)
    if stack not in available_configs():
        err.print(f"[red]unknown stack {stack!r}[/]; choose one of {available_configs()}")
        raise typer.Exit(2)
    try:
        config = load_policy_config(stack)
        plan_data = _plan_for(stack, plan)
        recorded = plan_data.get("stack")
        if recorded and recorded != stack:
            raise PolicyInputError(f"plan {plan} is for stack {recorded!r}, not {stack!r}")
        report = evaluate_plan(plan_data, stack=stack, config=config)
    except (PolicyInputError, ValueError) as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    print_report(report, console)
    if json_path is not None:
        report.write_json(json_path)
        console.print(f"verdicts written to {json_path}")
    if report.mandatory:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("policy")(policy)
