"""The shared mock fixture for component tests: synthesize a program offline, assert on its plan."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

import pytest

from stacks.offline.engine import synthesize
from stacks.offline.plan import Plan

DEFAULT_CONFIG: dict[str, str] = {"aws:region": "eu-west-1"}


class Synth(Protocol):
    def __call__(
        self,
        program: Callable[[], object],
        *,
        stack: str = ...,
        config: Mapping[str, str] | None = ...,
    ) -> Plan: ...


@pytest.fixture
def synth() -> Synth:
    """``synth(lambda: MyComponent("x", MyArgs(...)))`` -> the Plan of everything it registered.

    Runs under the same strict mocks as ``hrmsctl preview``: an invoke without a handler in
    ``stacks/offline/invokes.py`` fails the test with its token named.
    """

    def run(
        program: Callable[[], object],
        *,
        stack: str = "test",
        config: Mapping[str, str] | None = None,
    ) -> Plan:
        def body() -> None:
            program()

        return synthesize(body, stack=stack, config={**DEFAULT_CONFIG, **(config or {})})

    return run


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Everything under tests/infra runs Pulumi programs under the mock runtime.
    for item in items:
        if "tests/infra/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.infra)
