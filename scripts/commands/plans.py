"""Where ``make preview`` leaves its outputs, so the offline commands find them without flags."""

from __future__ import annotations

from pathlib import Path

from scripts.commands.errors import fail

BUILD = Path("build")
PLAN_DIR = BUILD / "plan"
STACK_ORDER = ("staging", "prod")


def plan_path(stack: str, plan_dir: Path = PLAN_DIR) -> Path:
    """``build/plan/<stack>.json``, as ``make preview`` writes it."""
    return plan_dir / f"{stack}.json"


def saved_plan(stack: str, plan_dir: Path = PLAN_DIR) -> Path | None:
    path = plan_path(stack, plan_dir)
    return path if path.is_file() else None


def stacks_with_plans(plan_dir: Path = PLAN_DIR) -> list[str]:
    """Stacks that have a saved plan, staging first, then prod, then the rest by name."""
    names = sorted(p.stem for p in plan_dir.glob("*.json")) if plan_dir.is_dir() else []

    def rank(name: str) -> tuple[int, str]:
        return (STACK_ORDER.index(name) if name in STACK_ORDER else len(STACK_ORDER), name)

    return sorted(names, key=rank)


def required_plan(stack: str, given: Path | None, plan_dir: Path = PLAN_DIR) -> Path:
    """``given``, or the plan ``make preview`` wrote for ``stack``; a usage error when neither."""
    path = given or plan_path(stack, plan_dir)
    if not path.is_file():
        hint = "pass its path" if given is None else "check the path"
        fail(f"no {stack} plan at {path}; run `make preview` or {hint}", where=str(path))
    return path


def chosen_stacks(stack: str | None, plan_dir: Path = PLAN_DIR) -> list[str]:
    """``[stack]``, or every stack ``make preview`` saved a plan for when none is named."""
    if stack is not None:
        return [stack]
    found = stacks_with_plans(plan_dir)
    if not found:
        fail(
            f"no saved plans in {plan_dir}; run `make preview` or name one with --stack",
            where=str(plan_dir),
        )
    return found
