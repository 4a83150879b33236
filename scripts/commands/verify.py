"""``hrmsctl verify``: the pre-launch checks of one stack, on the live account and API."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from scripts.commands.errors import report_error

STATUS_STYLE = {"pass": "[green]pass[/]", "fail": "[red]FAIL[/]", "skip": "[yellow]skip[/]"}


def verify(
    stack: Annotated[str, typer.Option("--stack", help="staging or prod")],
    endpoint_url: Annotated[
        str | None,
        typer.Option("--endpoint-url", help="AWS endpoint (default: the sandbox file, else AWS)"),
    ] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="the API's base URL for the smoke checks")
    ] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="write the verify record (JSON) here")
    ] = None,
    allow_skip: Annotated[
        list[str] | None,
        typer.Option("--allow-skip", help="a check that may be skipped without failing (repeat)"),
    ] = None,
    plan_path: Annotated[
        Path | None, typer.Option("--plan", help="the stack's saved plan (default: build it)")
    ] = None,
) -> None:
    """Run every check; exit 0 only when each passed (or was skipped and allowed)."""
    from scripts.ops.aws import Account
    from scripts.ops.pulumi_cli import PulumiCli, PulumiError
    from scripts.ops.sandbox import SandboxError, read_state, stack_plan, stack_region
    from scripts.ops.verify import CHECK_NAMES, Target, run_checks
    from stacks.offline.console import make_console

    console, err = make_console(), make_console(stderr=True)
    unknown = sorted(set(allow_skip or []) - set(CHECK_NAMES))
    if unknown:
        report_error(f"unknown check(s) for --allow-skip: {unknown}")
        raise typer.Exit(2)
    try:
        sandbox = None
        with contextlib.suppress(SandboxError):
            sandbox = read_state(stack)
        if sandbox is not None and endpoint_url in (None, sandbox.endpoint_url):
            account, outputs = sandbox.account, sandbox.outputs
        else:
            account = Account(region=stack_region(stack), endpoint_url=endpoint_url)
            outputs = PulumiCli().outputs(stack)
        plan = stack_plan(stack, plan_path)
    except (PulumiError, ValueError) as exc:
        report_error(str(exc))
        raise typer.Exit(2) from exc
    target = Target(
        stack=stack,
        account=account,
        outputs=outputs,
        plan=plan,
        base_url=base_url,
        free_key=os.environ.get("HRMS_VERIFY_FREE_KEY"),
        free_token=os.environ.get("HRMS_VERIFY_FREE_TOKEN"),
    )
    report = run_checks(target, allow_skip=allow_skip or [])
    table = Table(title=f"verify {stack} ({account.endpoint_url or 'AWS'})")
    table.add_column("check")
    table.add_column("result")
    table.add_column("detail", overflow="fold")
    for result in report.results:
        style = STATUS_STYLE[result.status]
        if result.status == "skip" and result.name in report.allow_skip:
            style += " (allowed)"
        table.add_row(result.name, style, escape(result.detail))
    console.print(table)
    if json_path is not None:
        report.write(json_path)
        console.print(f"verify record written to {json_path}")
    if not report.passed:
        names = ", ".join(r.name for r in report.blocking)
        err.print(f"[red]verify {stack} failed:[/] {names}")
        raise typer.Exit(1)
    console.print(f"[green]verify {stack} passed[/] ({len(report.results)} checks)")


def register(app: typer.Typer) -> None:
    app.command("verify")(verify)
