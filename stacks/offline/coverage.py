"""Writes the policy coverage matrix of docs/policies.md from the types the stacks create.

The matrix itself (which rule guards which type, and the exemptions) belongs to the pack in
``policies/coverage.py``; finding the types takes the offline engine, so the writer lives here.
"""

from __future__ import annotations

from pathlib import Path

from policies.coverage import DOC, coverage_matrix, render_markdown, uncovered, with_matrix
from stacks.offline.engine import REPO_ROOT, available_stacks, preview_stack


def stack_types() -> set[str]:
    """Every type the committed stacks create (runs both programs offline)."""
    return {r.type for stack in available_stacks() for r in preview_stack(stack).resources}


def main() -> None:
    path = Path(REPO_ROOT) / DOC
    types = stack_types()
    missing = uncovered(types)
    if missing:
        raise SystemExit(f"uncovered AWS types (add a rule or an EXEMPT reason): {missing}")
    path.write_text(with_matrix(path.read_text("utf-8"), render_markdown(types)), "utf-8")
    print(f"coverage matrix of {len(coverage_matrix(types))} AWS types written to {path}")


if __name__ == "__main__":
    main()
