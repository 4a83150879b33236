"""``hrmsctl report``: the HTML preview report (tree, counts, parity, policy) from saved plans."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from scripts.commands.errors import fail
from scripts.commands.plans import PLAN_DIR


def report(
    plans: Annotated[
        Path, typer.Option("--plans", help="directory of <stack>.json plans")
    ] = PLAN_DIR,
    out: Annotated[Path, typer.Option("--out", help="output directory")] = Path("build/report"),
    policy_dir: Annotated[
        Path | None,
        typer.Option("--policy-dir", help="policy results dir (default: <plans>/../policy)"),
    ] = None,
) -> None:
    """Write <out>/index.html; the last line is the overall verdict the report shows.

    Exits 0 once the report is written, whatever the verdict (make preview decides)."""
    from stacks.offline.console import make_console, verdict_line
    from stacks.offline.report import ReportInputError, write_report_with_verdict

    try:
        index, verdict = write_report_with_verdict(plans, out, policy_dir=policy_dir)
    except ReportInputError as exc:
        fail(str(exc), where=str(plans))
    console = make_console()
    console.print(f"report written to {index}")
    for problem in verdict.problems:
        console.print(f"  - {problem}")
    what = "parity, policy and acceptance" + ("" if verdict.ok else " (see above and the report)")
    console.print(verdict_line(verdict.ok, f"preview: {what}"))


def register(app: typer.Typer) -> None:
    app.command("report")(report)
