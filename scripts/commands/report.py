"""``hrmsctl report``: the HTML preview report (tree, counts, parity, policy) from saved plans."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape


def report(
    plans: Annotated[Path, typer.Option("--plans", help="directory of <stack>.json plans")] = Path(
        "build/plan"
    ),
    out: Annotated[Path, typer.Option("--out", help="output directory")] = Path("build/report"),
    policy_dir: Annotated[
        Path | None,
        typer.Option("--policy-dir", help="policy results dir (default: <plans>/../policy)"),
    ] = None,
) -> None:
    """Write <out>/index.html."""
    from stacks.offline.console import make_console
    from stacks.offline.report import ReportInputError, write_report

    try:
        index = write_report(plans, out, policy_dir=policy_dir)
    except ReportInputError as exc:
        make_console(stderr=True).print("[red]error:[/]", escape(str(exc)))
        raise typer.Exit(2) from exc
    make_console().print(f"report written to {index}")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
