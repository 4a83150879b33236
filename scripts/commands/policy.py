"""``hrmsctl policy``: evaluate the CrossGuard pack on a stack's offline plan."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from scripts.commands.errors import EXIT_FOUND, fail
from scripts.commands.plans import chosen_stacks, saved_plan

if TYPE_CHECKING:
    from stacks.offline.policy import PolicyReport


def _plan_for(stack: str, plan_path: Path | None) -> tuple[dict[str, Any], str]:
    """The plan to judge and where it came from: --plan, build/plan/<stack>.json, or a run."""
    from stacks.offline.policy import load_plan

    path = plan_path or saved_plan(stack)
    if path is not None:
        return load_plan(path), str(path)
    from stacks.offline.engine import preview_stack

    return preview_stack(stack).to_dict(), "a fresh offline preview"


def _evaluate(stack: str, plan: Path | None) -> tuple[PolicyReport, str]:
    from stacks.offline.policy import PolicyInputError, evaluate_plan, load_policy_config

    try:
        config = load_policy_config(stack)
        plan_data, source = _plan_for(stack, plan)
        recorded = plan_data.get("stack")
        if recorded and recorded != stack:
            raise PolicyInputError(f"plan {source} is for stack {recorded!r}, not {stack!r}")
        return evaluate_plan(plan_data, stack=stack, config=config), source
    except (PolicyInputError, ValueError) as exc:
        fail(str(exc), where=f"policies/config/{stack}.json")


def _annotations(report: PolicyReport) -> list[str]:
    from scripts.commands.annotations import annotation, rule_file

    remediation = {r.name: r.remediation for r in report.rules}
    return [
        annotation(
            f"{v.urn or '(stack)'}: {v.message} Fix: {remediation.get(v.rule, '')}".strip(),
            title=f"policy {v.rule} ({report.stack}, {v.enforcement})",
            file=rule_file(v.rule),
            level="error" if v.enforcement == "mandatory" else "warning",
        )
        for v in report.sorted_violations()
    ]


def policy(
    stack: Annotated[
        str | None,
        typer.Option("--stack", help="staging or prod (default: every stack in build/plan)"),
    ] = None,
    plan: Annotated[
        Path | None,
        typer.Option(
            "--plan",
            help="a saved plan JSON (default: build/plan/<stack>.json, else a fresh preview)",
        ),
    ] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="write the verdicts as JSON here")
    ] = None,
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="also list every rule, its status and reason"),
    ] = False,
) -> None:
    """Evaluate the policy pack; exit 1 on any mandatory violation. The last line is the
    verdict."""
    from scripts.commands.annotations import emit
    from stacks.offline.console import make_console, verdict_line
    from stacks.offline.policy import available_configs
    from stacks.offline.policy_view import print_report

    console = make_console()
    stacks = chosen_stacks(stack)
    if len(stacks) > 1 and (json_path is not None or plan is not None):
        fail("--json and --plan need --stack (they name one stack's files)")
    for name in stacks:
        if name not in available_configs():
            fail(f"unknown stack {name!r}; choose one of {available_configs()}")
    reports = []
    for name in stacks:
        report, source = _evaluate(name, plan)
        if verbose:
            console.print(f"{name}: plan from {source}")
        print_report(report, console, verbose=verbose)
        emit(_annotations(report))
        if json_path is not None:
            report.write_json(json_path)
            console.print(f"verdicts written to {json_path}")
        reports.append(report)
    failing = [r.stack for r in reports if r.mandatory]
    counts = ", ".join(f"{r.stack} {len(r.mandatory)}" for r in reports)
    console.print(
        verdict_line(
            not failing, f"policy {', '.join(stacks)}: mandatory violations per stack: {counts}"
        )
    )
    if failing:
        raise typer.Exit(EXIT_FOUND)


def register(app: typer.Typer) -> None:
    app.command("policy")(policy)
