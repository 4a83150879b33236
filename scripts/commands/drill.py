"""``hrmsctl drill restore``: a measured point-in-time restore drill with evidence."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from scripts.commands.errors import report_error

drill_app = typer.Typer(
    name="drill", help="Restore drills: measured, checked, cleaned up.", no_args_is_help=True
)


@drill_app.command("restore")
def restore(
    stack: Annotated[str, typer.Option("--stack", help="staging or prod")],
    endpoint_url: Annotated[
        str | None,
        typer.Option("--endpoint-url", help="AWS endpoint (default: the sandbox file, else AWS)"),
    ] = None,
    json_path: Annotated[
        Path | None,
        typer.Option("--json", help="evidence JSON (Markdown next to it); default build/drills/"),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help="connection to the drill instance for data checks"),
    ] = None,
    manifest_path: Annotated[
        Path | None,
        typer.Option("--manifest", help="a logical backup manifest: restore to its moment"),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="print the plan without calling AWS")
    ] = False,
) -> None:
    """Restore, wait, check, measure RTO/RPO, write evidence, delete the drill instance."""
    from scripts.ops.backup import Database
    from scripts.ops.drill import (
        DRILL_DIR,
        DrillError,
        restore_request,
        run_drill,
        upload_evidence,
        write_evidence,
    )
    from scripts.ops.stack_outputs import stack_account_outputs
    from stacks import outputs as keys
    from stacks.offline.console import make_console

    console, err = make_console(), make_console(stderr=True)
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path else None
    try:
        account, outputs = stack_account_outputs(stack, endpoint_url)
    except Exception as exc:
        report_error(str(exc))
        raise typer.Exit(2) from exc
    if dry_run:
        request = restore_request(
            source=str(outputs.get(keys.DB_INSTANCE_IDENTIFIER)),
            target=f"{outputs.get(keys.DB_INSTANCE_IDENTIFIER)}-drill-<timestamp>",
            instance_class="<the source's class, from describe-db-instances>",
            outputs=outputs,
            restore_time=None,
        )
        if manifest and manifest.get("snapshot_at"):
            request.pop("UseLatestRestorableTime")
            request["RestoreTime"] = manifest["snapshot_at"]
        console.print(f"drill restore {stack} (dry run, no AWS call):")
        console.print("  1. restore_db_instance_to_point_in_time with:")
        for key, value in request.items():
            console.print(f"       {key} = {escape(str(value))}")
        console.print("  2. wait for db_instance_available")
        console.print(
            "  3. checks: placement, reachable, migrations-applied, tenant-row-counts, rpo, rto"
        )
        console.print("  4. write evidence JSON + Markdown; delete the drill instance (always)")
        return
    database = Database.from_url(database_url) if database_url else None
    try:
        evidence = run_drill(
            stack=stack, account=account, outputs=outputs, database=database, manifest=manifest
        )
    except DrillError as exc:
        report_error(str(exc))
        raise typer.Exit(2) from exc
    path = json_path or DRILL_DIR / f"{stack}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    markdown = write_evidence(evidence, path)
    try:
        stored = upload_evidence(account, outputs, evidence)
    except Exception as exc:  # the local evidence is written either way
        stored = None
        err.print(f"[yellow]warning:[/] evidence not stored in the bucket: {escape(str(exc))}")
    for check in evidence.checks:
        console.print(f"  {check.status:4}  {check.name}: {escape(check.detail)}")
    console.print(
        f"drill {evidence.result}: RTO {evidence.rto_seconds}s, RPO {evidence.rpo_seconds}s; "
        f"{evidence.cleanup}; evidence {path} and {markdown}" + (f", {stored}" if stored else "")
    )
    if evidence.result != "passed":
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(drill_app)
