"""``hrmsctl backup run|verify|status``: logical backups to S3, their restore check, freshness."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from scripts.commands.errors import report_error

backup_app = typer.Typer(
    name="backup",
    help="Logical backups (pg_dump to S3 with a manifest), their verification and status.",
    no_args_is_help=True,
)

EndpointOption = Annotated[
    str | None,
    typer.Option("--endpoint-url", help="AWS endpoint (default: the sandbox file, else AWS)"),
]


def _write_json(path: Path | None, payload: dict[str, Any]) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")


@backup_app.command("run")
def run(
    stack: Annotated[str, typer.Option("--stack", help="staging or prod")],
    json_path: Annotated[Path, typer.Option("--json", help="write the manifest (JSON) here")],
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="the backup role's URL (default: deployed env, else build/serve/services.json)",
        ),
    ] = None,
    endpoint_url: EndpointOption = None,
    spool_dir: Annotated[
        Path | None, typer.Option("--spool-dir", help="where the dump spools before upload")
    ] = None,
    spool_limit_bytes: Annotated[
        int | None,
        typer.Option("--spool-limit-bytes", help="fail cleanly before the spool disk is full"),
    ] = None,
) -> None:
    """Dump with pg_dump, checksum every table, upload (SSE-KMS); exit 0 only when complete."""
    from scripts.ops.backup import BackupError, BackupTarget, resolve_database, run_backup
    from scripts.ops.stack_outputs import stack_account_outputs
    from stacks import outputs as keys

    console, err = Console(), Console(stderr=True)
    try:
        account, outputs = stack_account_outputs(stack, endpoint_url)
        target = BackupTarget(
            account=account,
            bucket=str(outputs[keys.LOGICAL_BACKUP_BUCKET]),
            kms_key_arn=str(outputs[keys.LOGICAL_BACKUP_KMS_KEY_ARN]),
            stack=stack,
        )
        database = resolve_database(database_url)
    except (BackupError, KeyError, RuntimeError, ValueError) as exc:
        report_error(str(exc))
        raise typer.Exit(2) from exc
    try:
        manifest = run_backup(
            database=database,
            target=target,
            spool_dir=spool_dir,
            spool_limit_bytes=spool_limit_bytes,
        )
    except BackupError as exc:
        # The failed run's manifest: the same keys as a complete one, never complete.
        failed = exc.manifest.to_dict() if exc.manifest is not None else {}
        failed.update(complete=False, error=str(exc), stack=stack)
        failed.setdefault("object", None)
        failed.setdefault("tables", {})
        _write_json(json_path, failed)
        err.print(f"[red]backup failed:[/] {escape(str(exc))}")
        raise typer.Exit(1) from exc
    _write_json(json_path, manifest.to_dict())
    rows = sum(int(t["rows"]) for t in manifest.tables.values())
    console.print(
        f"backup complete: {manifest.object} ({manifest.bytes} bytes, {len(manifest.tables)} "
        f"tables, {rows} rows, {len(manifest.tenants)} tenants, {manifest.duration_seconds}s)"
    )


@backup_app.command("verify")
def verify(
    manifest_path: Annotated[Path, typer.Option("--manifest", help="a backup run's manifest")],
    json_path: Annotated[Path, typer.Option("--json", help="write the result (JSON) here")],
    endpoint_url: EndpointOption = None,
    scratch_url: Annotated[
        str | None,
        typer.Option(
            "--scratch-url",
            help="a server to restore into (role with CREATEDB; default: a throwaway local one)",
        ),
    ] = None,
) -> None:
    """Restore the dump into a scratch database; exit 0 only when every table matches."""
    from scripts.ops.aws import Account
    from scripts.ops.backup import BackupError, verify_backup
    from scripts.ops.sandbox import stack_region
    from scripts.ops.stack_outputs import stack_account_outputs

    console, err = Console(), Console(stderr=True)
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    stack = str(manifest.get("stack") or "staging")
    if endpoint_url is None:
        account, _ = stack_account_outputs(stack, None)
    else:
        account = Account(region=stack_region(stack), endpoint_url=endpoint_url)
    try:
        report = verify_backup(manifest, account=account, scratch_url=scratch_url)
    except BackupError as exc:
        _write_json(json_path, {"ok": False, "tables": {}, "problems": [str(exc)]})
        err.print(f"[red]verify failed:[/] {escape(str(exc))}")
        raise typer.Exit(1) from exc
    _write_json(json_path, report.to_dict())
    table = Table(title=f"verify {report.object}")
    for column in ("table", "expected", "restored", "sha256"):
        table.add_column(column)
    for name, entry in report.tables.items():
        table.add_row(
            name,
            str(entry["expected"]),
            str(entry["restored"]),
            "match" if entry["sha256_match"] else "[red]DIFFERS[/]",
        )
    console.print(table)
    if not report.ok:
        for problem in report.problems:
            err.print(f"[red]FAIL:[/] {escape(problem)}")
        raise typer.Exit(1)
    console.print(f"verify ok: {len(report.tables)} tables, 0 rows lost")


@backup_app.command("status")
def status(
    stack: Annotated[str, typer.Option("--stack", help="staging or prod")],
    endpoint_url: EndpointOption = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="write the status (JSON) here")
    ] = None,
    publish: Annotated[
        bool, typer.Option("--publish", help="publish BackupChecksFailing to CloudWatch")
    ] = False,
) -> None:
    """Exit 0 when every backup layer is fresh, 1 when a check fails, 2 when it cannot run."""
    from scripts.ops.backup_status import EXIT_ERROR, EXIT_FAILING, backup_status
    from scripts.ops.backup_status import publish as publish_metrics
    from scripts.ops.stack_outputs import stack_account_outputs

    console = Console()
    try:
        account, outputs = stack_account_outputs(stack, endpoint_url)
        checks = backup_status(account=account, outputs=outputs, stack=stack)
        if publish:
            publish_metrics(account, stack, checks)
    except Exception as exc:
        _write_json(json_path, {"ok": False, "error": str(exc), "checks": []})
        report_error(str(exc))
        raise typer.Exit(EXIT_ERROR) from exc
    ok = all(c.ok for c in checks)
    _write_json(json_path, {"ok": ok, "stack": stack, "checks": [c.to_dict() for c in checks]})
    table = Table(title=f"backup status {stack}")
    for column in ("check", "result", "detail"):
        table.add_column(column)
    for check in checks:
        table.add_row(
            check.name, "[green]pass[/]" if check.ok else "[red]FAIL[/]", escape(check.detail)
        )
    console.print(table)
    if not ok:
        raise typer.Exit(EXIT_FAILING)


def register(app: typer.Typer) -> None:
    app.add_typer(backup_app)
