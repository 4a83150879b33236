"""``hrmsctl preview``: the offline plan of one stack, its Kubernetes objects and their schema."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape


def preview(
    stack: Annotated[str, typer.Option("--stack", help="stack to preview: staging or prod")],
    json_path: Annotated[
        Path | None, typer.Option("--json", help="write the plan JSON here")
    ] = None,
    k8s_dir: Annotated[
        Path | None,
        typer.Option("--k8s-dir", help="write every Kubernetes object as YAML into this dir"),
    ] = None,
) -> None:
    """Run the stack program under strict mocks; exit 1 if a Kubernetes object is schema-invalid."""
    from stacks.offline.console import counts_table, kubernetes_table, make_console, plan_tree
    from stacks.offline.engine import StackConfigError, available_stacks, preview_stack
    from stacks.offline.invokes import UnhandledInvokeError
    from stacks.offline.kubernetes import KubernetesSchemaError, export_and_validate

    console = make_console()
    err = make_console(stderr=True)
    if stack not in available_stacks():
        known = ", ".join(available_stacks()) or "none"
        err.print("[red]error:[/] unknown stack", escape(repr(stack)), f"; known stacks: {known}")
        raise typer.Exit(2)
    try:
        plan = preview_stack(stack)
    except (StackConfigError, UnhandledInvokeError, ValueError) as exc:
        err.print(f"[red]error:[/] preview of {stack} failed:", escape(str(exc)))
        raise typer.Exit(1) from exc
    console.print(plan_tree(plan))
    console.print(counts_table(plan))
    if json_path is not None:
        plan.write(json_path)
        console.print(f"plan written to {json_path}")
    export = export_and_validate(plan, k8s_dir)
    console.print(kubernetes_table(export))
    if k8s_dir is not None:
        console.print(f"{len(export.written)} Kubernetes object(s) written to {k8s_dir}")
    if export.violations:
        err.print(
            "[red]error:[/]", escape(str(KubernetesSchemaError(export.violations, export.version)))
        )
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("preview")(preview)
