"""``hrmsctl catalog refresh``: regenerate the acceptance value catalog from AWS."""

from __future__ import annotations

from typing import Annotated

import typer

from scripts.commands.errors import report_error

catalog_app = typer.Typer(
    help="The acceptance layer's value catalog snapshot.", no_args_is_help=True
)


@catalog_app.command("refresh")
def refresh(
    region: Annotated[str, typer.Option("--region", help="region to describe")] = "eu-west-1",
    profile: Annotated[
        str | None, typer.Option("--profile", help="AWS profile (default: the environment's)")
    ] = None,
) -> None:
    """Describe instance types, EKS add-on versions and ElastiCache engine versions with the
    caller's AWS credentials and rewrite stacks/offline/acceptance/data/catalog.json (dated)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from stacks.offline.acceptance.refresh import build_snapshot, write_snapshot

    try:
        data = build_snapshot(boto3.Session(profile_name=profile), region)
    except (BotoCoreError, ClientError) as exc:
        report_error(f"cannot describe the catalog in {region}: {exc}")
        raise typer.Exit(1) from exc
    path = write_snapshot(data)
    typer.echo(
        f"{path}: {len(data['instanceTypes'])} instance types, "
        f"{sum(len(v) for v in data['eksAddonVersions'].values())} add-on versions, "
        f"generated {data['generated']}"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(catalog_app, name="catalog")
