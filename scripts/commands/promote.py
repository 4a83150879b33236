"""``hrmsctl promote``: staging -> prod by image digest, verified, with rollback."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from scripts.commands.errors import report_error

EXIT = {"promoted": 0, "dry-run": 0, "unchanged": 0, "refused": 1, "rolled-back": 1}


def promote(
    source: Annotated[str, typer.Option("--from", help="stack whose running digest to promote")],
    target: Annotated[str, typer.Option("--to", help="stack to deploy it to")],
    dry_run: Annotated[
        bool | None,
        typer.Option(
            "--dry-run/--no-dry-run",
            help="only say what would change (default when run from a terminal)",
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="same as --no-dry-run (for CI)")] = False,
    verify_record: Annotated[
        Path | None,
        typer.Option(
            "--verify-record", help="source's verify JSON (default build/verify/FROM.json)"
        ),
    ] = None,
    allow_skip: Annotated[
        list[str] | None,
        typer.Option("--allow-skip", help="check the target's verify may skip (repeat)"),
    ] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="target API base URL for the smoke checks")
    ] = None,
) -> None:
    """Promote what FROM runs to TO. Dry run unless --yes/--no-dry-run, or stdin is not a tty."""
    import os

    from scripts.ops.aws import Account
    from scripts.ops.promote import VERIFY_DIR, Promotion
    from scripts.ops.pulumi_cli import PulumiCli
    from scripts.ops.sandbox import stack_plan, stack_region
    from scripts.ops.verify import Target, VerifyReport, run_checks
    from stacks.offline.console import make_console

    console, err = make_console(), make_console(stderr=True)
    if source == target:
        report_error("--from and --to name the same stack")
        raise typer.Exit(2)
    # Interactive use previews by default; CI (no tty) must still say --yes or --no-dry-run.
    dry = not yes if dry_run is None else dry_run
    if yes and dry_run:
        report_error("--yes and --dry-run contradict each other")
        raise typer.Exit(2)
    if dry_run is None and not yes and not sys.stdin.isatty():
        console.print("no --yes/--no-dry-run given: dry run")
    cli = PulumiCli()

    def verifier(stack: str) -> VerifyReport:
        target_ = Target(
            stack=stack,
            account=Account(region=stack_region(stack)),
            outputs=cli.outputs(stack),
            plan=stack_plan(stack),
            base_url=base_url,
            free_key=os.environ.get("HRMS_VERIFY_FREE_KEY"),
            free_token=os.environ.get("HRMS_VERIFY_FREE_TOKEN"),
        )
        return run_checks(target_, allow_skip=allow_skip or [])

    promotion = Promotion(
        source=source,
        target=target,
        cli=cli,
        verifier=verifier,
        source_account=Account(region=stack_region(source)),
        target_account=Account(region=stack_region(target)),
        verify_record=verify_record or VERIFY_DIR / f"{source}.json",
        dry_run=dry,
    )
    record = promotion.run()
    for step in record.steps:
        console.print(f"  {step['status']:>4}  {escape(step['step'])}  {escape(step['detail'])}")
    path = record.write()
    message = f"{record.outcome}: {escape(record.reason)}"
    (console if EXIT.get(record.outcome, 3) == 0 else err).print(message)
    console.print(f"promotion record written to {path}")
    raise typer.Exit(EXIT.get(record.outcome, 3))


def register(app: typer.Typer) -> None:
    app.command("promote")(promote)
