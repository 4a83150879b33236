"""``hrmsctl accept``: would AWS and the Kubernetes API server accept a stack's plan?"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from scripts.commands.errors import EXIT_FOUND, fail
from scripts.commands.plans import chosen_stacks, saved_plan

if TYPE_CHECKING:
    from stacks.offline.acceptance.check import Acceptance


def _check(stack: str, plan: Path | None) -> tuple[Acceptance, int]:
    from stacks.offline.acceptance.check import accept
    from stacks.offline.engine import StackConfigError, load_stack_config, preview_stack
    from stacks.offline.plan import Plan, PlanFormatError

    path = plan or saved_plan(stack)
    try:
        config = load_stack_config(stack)
        loaded = Plan.load(path) if path is not None else preview_stack(stack)
    except (StackConfigError, PlanFormatError, ValueError) as exc:
        fail(str(exc), where=f"Pulumi.{stack}.yaml")
    if loaded.stack != stack:
        fail(f"plan {path} is for stack {loaded.stack!r}, not {stack!r}", where=str(path))
    return accept(loaded, config), len(loaded.resources)


def accept(
    stack: Annotated[
        str | None,
        typer.Option("--stack", help="staging or prod (default: every stack in build/plan)"),
    ] = None,
    plan: Annotated[
        Path | None,
        typer.Option(
            "--plan",
            help="a saved plan JSON (default: build/plan/<stack>.json, else a fresh preview)",
        ),
    ] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="write the findings as JSON here")
    ] = None,
) -> None:
    """Check the plan against AWS's published constraints, the Kubernetes API server's
    validation and node capacity; exit 1 on any finding (each names key, rule and source).
    The last line is the verdict."""
    from scripts.commands.annotations import annotation, config_key_line, emit
    from stacks.offline.console import folding_table, make_console, verdict_line

    console = make_console()
    stacks = chosen_stacks(stack)
    if len(stacks) > 1 and (json_path is not None or plan is not None):
        fail("--json and --plan need --stack (they name one stack's files)")
    findings_per_stack: dict[str, int] = {}
    for name in stacks:
        result, resources = _check(name, plan)
        findings_per_stack[name] = len(result.findings)
        if json_path is not None:
            json_path.parent.mkdir(parents=True, exist_ok=True)
            body = {
                "stack": name,
                "rulesChecked": result.rules_checked,
                "findings": [f.to_dict() for f in result.findings],
            }
            json_path.write_text(json.dumps(body, indent=2, default=str) + "\n", encoding="utf-8")
        if result.findings:
            table = folding_table(
                f"{name}: values AWS or Kubernetes would reject",
                "rule",
                "config key",
                "resource.property",
                "value",
                "problem",
                "source",
            )
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
        console.print(
            f"acceptance {name}: {len(result.findings)} finding(s) from "
            f"{result.rules_checked} rules on {resources} resources"
        )
        emit(
            [
                annotation(
                    f"{f.resource}.{f.property} = {json.dumps(f.value, default=str)}: "
                    f"{f.message} (source: {f.source})",
                    title=f"acceptance {f.rule} ({name})"
                    + (f" {f.config_key}" if f.config_key else ""),
                    file=f"Pulumi.{name}.yaml",
                    line=config_key_line(name, f.config_key),
                )
                for f in result.findings
            ]
        )
    counts = ", ".join(f"{name} {n}" for name, n in findings_per_stack.items())
    failing = any(findings_per_stack.values())
    console.print(verdict_line(not failing, f"acceptance {', '.join(stacks)}: findings: {counts}"))
    if failing:
        raise typer.Exit(EXIT_FOUND)


def register(app: typer.Typer) -> None:
    app.command("accept")(accept)
