"""``hrmsctl sandbox up|down``: a stack's recorded plan on moto's server on loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from scripts.commands.errors import report_error

sandbox_app = typer.Typer(
    name="sandbox",
    help="Local AWS sandbox: the stack's plan applied to moto's server on 127.0.0.1.",
    no_args_is_help=True,
)


@sandbox_app.command("up")
def up(
    stack: Annotated[str, typer.Option("--stack", help="staging or prod")],
    port: Annotated[
        int | None, typer.Option("--port", help="loopback port (default: free)")
    ] = None,
    plan_path: Annotated[
        Path | None, typer.Option("--plan", help="a saved plan JSON (default: build it now)")
    ] = None,
) -> None:
    """Start moto's server, apply the stack's plan through boto3, write build/sandbox/STACK.json."""
    from scripts.ops.apply import SandboxApplyError
    from scripts.ops.sandbox import SandboxError, sandbox_up, stack_plan, state_path
    from stacks.offline.console import make_console
    from stacks.offline.engine import StackConfigError, available_stacks

    console = make_console()
    if stack not in available_stacks():
        report_error(f"unknown stack {stack!r}; known: {available_stacks()}")
        raise typer.Exit(2)
    try:
        plan = stack_plan(stack, plan_path)
        state, result = sandbox_up(stack, plan=plan, port=port)
    except (SandboxError, SandboxApplyError, StackConfigError, ValueError) as exc:
        report_error(f"sandbox up for {stack} failed: {exc}")
        raise typer.Exit(1) from exc
    table = Table(title=f"sandbox {stack}: not created", show_lines=False)
    table.add_column("type")
    table.add_column("resource")
    table.add_column("why")
    for item in result.unsupported:
        table.add_row(item.type, item.name, f"[yellow]unsupported:[/] {escape(item.reason)}")
    console.print(table)
    console.print(
        f"{len(result.applied)} resource(s) created, {len(result.unsupported)} unsupported "
        f"by moto, {len(result.out_of_scope)} not read by ops commands (listed in the file)"
    )
    console.print(f"sandbox for {stack} on {state.endpoint_url} (pid {state.pid})")
    console.print(f"state written to {state_path(stack)}")


@sandbox_app.command("down")
def down(
    stack: Annotated[
        str | None, typer.Option("--stack", help="stop this stack's sandbox (default: all)")
    ] = None,
) -> None:
    """Stop the sandbox of STACK (every running one when omitted) and remove its state file."""
    from scripts.ops.sandbox import SandboxError, running_stacks, sandbox_down
    from stacks.offline.console import make_console

    console = make_console()
    stacks = [stack] if stack else running_stacks()
    if not stacks:
        console.print("no sandbox is running")
        return
    for name in stacks:
        try:
            state = sandbox_down(name)
        except SandboxError as exc:
            report_error(str(exc))
            raise typer.Exit(1) from exc
        console.print(f"sandbox for {name} stopped (pid {state.pid})")


def register(app: typer.Typer) -> None:
    app.add_typer(sandbox_app)
