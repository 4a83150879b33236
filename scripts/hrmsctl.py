"""hrmsctl: the platform's ops CLI, a thin Typer layer over importable functions."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="hrmsctl",
    help="HRMS platform ops: offline preview, parity, policy verdicts, report, deploy.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Keep hrmsctl a command group even while only one command is registered."""


# Each command module exposes ``register(app)``; keep this list sorted.
COMMAND_MODULES: tuple[str, ...] = (
    "scripts.commands.accept",
    "scripts.commands.backup",
    "scripts.commands.catalog",
    "scripts.commands.deploy",
    "scripts.commands.drill",
    "scripts.commands.parity",
    "scripts.commands.policy",
    "scripts.commands.preview",
    "scripts.commands.promote",
    "scripts.commands.report",
    "scripts.commands.sandbox",
    "scripts.commands.verify",
)


def _register_all() -> None:
    import importlib

    for module in COMMAND_MODULES:
        importlib.import_module(module).register(app)


def main() -> None:
    _register_all()
    app()


if __name__ == "__main__":
    main()
