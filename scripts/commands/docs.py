"""``hrmsctl docs``: regenerate the config and outputs references under docs/reference/."""

from __future__ import annotations

import typer


def docs() -> None:
    """Write docs/reference/config.md (from stacks/config.py and the stack files) and
    docs/reference/outputs.md (from stacks/outputs.py and the stacks' exports)."""
    from stacks.offline.reference import write_all

    for path in write_all():
        typer.echo(f"written: {path}")


def register(app: typer.Typer) -> None:
    app.command("docs")(docs)
