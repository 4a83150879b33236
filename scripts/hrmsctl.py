"""hrmsctl: the platform's ops CLI, a thin Typer layer over importable functions."""

from __future__ import annotations

import sys

import typer

from scripts.commands.errors import EXIT_USAGE, report_error

app = typer.Typer(
    name="hrmsctl",
    help="HRMS platform ops: offline preview, parity, policy verdicts, report, deploy.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from stacks.offline.provenance import version_line

        typer.echo(version_line())
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        callback=_print_version,
        is_eager=True,
        help="print hrmsctl's version and the Pulumi SDK versions, then exit",
    ),
) -> None:
    """HRMS platform ops: offline preview, parity, policy verdicts, report, deploy."""


# Each command module exposes ``register(app)``; keep this list sorted.
COMMAND_MODULES: tuple[str, ...] = (
    "scripts.commands.accept",
    "scripts.commands.backup",
    "scripts.commands.catalog",
    "scripts.commands.deploy",
    "scripts.commands.docs",
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


def run(argv: list[str] | None = None) -> int:
    """Run one command; usage errors come out in the one error format with exit code 2."""
    _register_all()
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="hrmsctl", standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        report_error("aborted")
        return 130
    except typer.TyperException as exc:  # Typer's usage errors: bad option, missing value
        ctx = getattr(exc, "ctx", None)
        where = f"see `{ctx.command_path} --help`" if ctx is not None else None
        format_message = getattr(exc, "format_message", None)
        message = format_message() if format_message else str(exc)
        if message.strip():  # empty when Typer already printed the help (no arguments)
            report_error(message, where)
        return EXIT_USAGE
    return result if isinstance(result, int) else 0


def main() -> None:
    sys.exit(run())


if __name__ == "__main__":
    main()
