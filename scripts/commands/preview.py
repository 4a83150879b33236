"""``hrmsctl preview``: the offline plan of one stack, its Kubernetes objects and their schema."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from scripts.commands.errors import EXIT_FOUND, fail


def preview(
    stack: Annotated[str, typer.Option("--stack", help="stack to preview: staging or prod")],
    json_path: Annotated[
        Path | None, typer.Option("--json", help="write the plan JSON here")
    ] = None,
    k8s_dir: Annotated[
        Path | None,
        typer.Option("--k8s-dir", help="write every Kubernetes object as YAML into this dir"),
    ] = None,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", help="also print the component tree, counts by type, every object"
        ),
    ] = False,
) -> None:
    """Run the stack program under strict mocks; exit 1 if a Kubernetes object is schema-invalid.

    Prints one summary line per stack (--verbose: the tree and tables too); the last line
    is the verdict.
    """
    from scripts.commands.annotations import annotation, emit
    from stacks.offline.console import (
        counts_table,
        kubernetes_table,
        make_console,
        plan_tree,
        preview_summary,
        verdict_line,
    )
    from stacks.offline.engine import StackConfigError, available_stacks, preview_stack
    from stacks.offline.invokes import UnhandledInvokeError
    from stacks.offline.kubernetes import export_and_validate

    console = make_console()
    if stack not in available_stacks():
        known = ", ".join(available_stacks()) or "none"
        fail(f"unknown stack {stack!r}; known stacks: {known}", where=f"Pulumi.{stack}.yaml")
    try:
        plan = preview_stack(stack)
    except (StackConfigError, UnhandledInvokeError, ValueError) as exc:
        fail(f"preview of {stack} failed: {exc}", where=f"Pulumi.{stack}.yaml")
    if verbose:
        console.print(plan_tree(plan))
        console.print(counts_table(plan))
    if json_path is not None:
        plan.write(json_path)
    export = export_and_validate(plan, k8s_dir)
    if verbose or export.violations:
        console.print(kubernetes_table(export, only_invalid=not verbose))
    console.print(preview_summary(plan, export))
    written = [f"plan {json_path}"] if json_path is not None else []
    written += [f"{len(export.written)} objects in {k8s_dir}"] if k8s_dir is not None else []
    if written:
        console.print("written: " + "; ".join(written))
    emit(
        [
            annotation(
                f"{v.obj.label}{' at ' + v.path if v.path else ''}: {v.message}",
                title=f"kubernetes schema ({stack})",
                file=f"Pulumi.{stack}.yaml",
            )
            for v in export.violations
        ]
    )
    if export.violations:
        console.print(
            verdict_line(
                False,
                f"preview {stack}: {len(export.violations)} Kubernetes object(s) invalid "
                f"against schema v{export.version.version}",
            )
        )
        raise typer.Exit(EXIT_FOUND)
    console.print(verdict_line(True, f"preview {stack}: plan recorded, Kubernetes objects valid"))


def register(app: typer.Typer) -> None:
    app.command("preview")(preview)
