"""One error format for every hrmsctl command: ``hrmsctl: error: <what> (<where>)`` on stderr.

Exit codes: 1 when a check ran and found something (drift, a violation, a failed drill);
2 when the command could not run as asked (usage, a missing or malformed input, config).
"""

from __future__ import annotations

import sys
from typing import NoReturn

import typer

EXIT_FOUND = 1
EXIT_USAGE = 2


def format_error(what: str, where: str | None = None) -> str:
    """``hrmsctl: error: what (where)``, on one line whatever ``what`` holds."""
    text = " ".join(str(what).split())
    return f"hrmsctl: error: {text}" + (f" ({where})" if where else "")


def report_error(what: str, where: str | None = None) -> None:
    print(format_error(what, where), file=sys.stderr)


def fail(what: str, *, where: str | None = None, code: int = EXIT_USAGE) -> NoReturn:
    """Print the error in the one format and stop with ``code`` (2: usage or config)."""
    report_error(what, where)
    raise typer.Exit(code)
