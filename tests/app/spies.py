"""Recording the calls of a method while it still runs, for tests that count them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


def calls_of(
    monkeypatch: pytest.MonkeyPatch,
    owner: type,
    name: str,
    record: Callable[..., Any] = lambda *args, **kwargs: args[0],
) -> list[Any]:
    """Each later call of ``owner.name``, as ``record(*args, **kwargs)``: by default, self."""
    seen: list[Any] = []
    original = getattr(owner, name)

    def recording(*args: Any, **kwargs: Any) -> Any:
        seen.append(record(*args, **kwargs))
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, recording)
    return seen
