"""What every component's settings dataclass shares: one error naming the field, and the checks
they repeat (ranges, patterns, choices, CIDR blocks).

A settings class holds a component's stack-tunable values (``Pulumi.<stack>.yaml``, one section
per class) and checks them once in ``__post_init__``. It raises ``SettingError`` with the field
name (``public_subnet_cidrs[2]``, ``addon_versions.coredns``) so that ``stacks/config.py`` can
name the stack file and key; messages may name other fields, which the reader renders as keys.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence


class SettingError(ValueError):
    """A settings value is invalid: ``field`` is the dataclass field (with any index)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def within(field: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        shown = (f"{low:g}", f"{high:g}") if isinstance(value, float) else (low, high)
        raise SettingError(field, f"{value} is outside {shown[0]}..{shown[1]}")


def matching(field: str, value: str, pattern: re.Pattern[str], what: str) -> None:
    if not pattern.match(value):
        raise SettingError(field, f"{value!r} is not {what}")


def one_of(field: str, value: str, choices: Sequence[str]) -> None:
    if value not in choices:
        raise SettingError(field, f"{value!r} is not one of {', '.join(choices)}")


def cidr_block(field: str, value: str) -> ipaddress.IPv4Network:
    try:
        return ipaddress.IPv4Network(value, strict=True)
    except ValueError as exc:
        raise SettingError(field, f"{value!r} is not an IPv4 CIDR block ({exc})") from None
