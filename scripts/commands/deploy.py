"""``hrmsctl bootstrap|up|destroy``: the real deploy, behind ``make bootstrap|up|destroy``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from scripts.commands.errors import report_error

StackOption = Annotated[str, typer.Option("--stack", help="stack name (Pulumi.<stack>.yaml)")]
ProjectOption = Annotated[
    Path | None,
    typer.Option("--project-dir", help="the Pulumi project directory (default: this repository)"),
]


def _refuse(message: str) -> typer.Exit:
    report_error(message)
    return typer.Exit(2)


def up(stack: StackOption, project_dir: ProjectOption = None) -> None:
    """`pulumi up` with the policy pack and the stack's policy config, as `make preview` checks.

    Refuses while the stack file still holds sample values (naming every key) or when the
    Pulumi CLI or AWS credentials are missing.
    """
    from scripts.deploy.pulumi_cli import (
        REPO_ROOT,
        DeployRefused,
        require_cli_and_credentials,
        require_no_placeholders,
        run_pulumi,
        up_command,
    )

    root = project_dir or REPO_ROOT
    env = dict(os.environ)
    try:
        require_no_placeholders(stack, root)
        args = up_command(stack, root)
        pulumi = require_cli_and_credentials(stack, "up", env)
    except DeployRefused as exc:
        raise _refuse(str(exc)) from exc
    raise typer.Exit(run_pulumi(pulumi, args, root, env))


def destroy(stack: StackOption, project_dir: ProjectOption = None) -> None:
    """`pulumi destroy` of a disposable stack (hrms:disposable: true); prod always refuses."""
    from scripts.deploy.pulumi_cli import (
        REPO_ROOT,
        DeployRefused,
        destroy_command,
        require_cli_and_credentials,
        require_disposable,
        run_pulumi,
    )

    root = project_dir or REPO_ROOT
    env = dict(os.environ)
    try:
        require_disposable(stack, root)
        pulumi = require_cli_and_credentials(stack, "destroy", env)
    except DeployRefused as exc:
        raise _refuse(str(exc)) from exc
    raise typer.Exit(run_pulumi(pulumi, destroy_command(stack), root, env))


def bootstrap(
    stack: StackOption,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="only say what would be created")
    ] = False,
) -> None:
    """Create the account singletons the stack looks up, in its account and region.

    Once per account and region, before the first `make up`; running it again changes nothing.
    """
    import boto3
    import yaml

    from scripts.deploy.bootstrap import bootstrap_account
    from scripts.deploy.pulumi_cli import DeployRefused, stack_file

    try:
        path = stack_file(stack)
    except DeployRefused as exc:
        raise _refuse(str(exc)) from exc
    config = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("config") or {}
    region = str(config.get("aws:region") or "")
    if not region:
        raise _refuse(f"{path.name}: aws:region is not set")
    session = boto3.session.Session(region_name=region)
    endpoint = os.environ.get("HRMS_AWS_ENDPOINT_URL")  # a local emulator, for drills

    def client(service: str) -> object:
        return session.client(service, endpoint_url=endpoint)  # type: ignore[call-overload]

    for step in bootstrap_account(client, dry_run=dry_run):
        typer.echo(str(step))


def register(app: typer.Typer) -> None:
    app.command("bootstrap")(bootstrap)
    app.command("up")(up)
    app.command("destroy")(destroy)
