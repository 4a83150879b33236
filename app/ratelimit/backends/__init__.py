"""Limiter backends: one interface, a Redis implementation and an in-process one."""

from __future__ import annotations

from typing import Protocol

from app.ratelimit.bucket import Decision
from app.ratelimit.limits import Limits


class LimiterUnavailable(RuntimeError):
    """The shared limiter state could not be reached; the caller decides open or closed."""


class Limiter(Protocol):
    name: str

    def hit(self, key: str, limits: Limits) -> Decision:
        """Spend one request for ``key``; raise ``LimiterUnavailable`` if state is unreachable."""
        ...
