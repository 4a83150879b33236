"""One sandbox per stack per test session: moto's server with the stack's real plan applied."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.ops.sandbox import SandboxState, sandbox_down, sandbox_up, stack_plan
from stacks.offline.plan import Plan


@pytest.fixture(scope="session")
def staging_plan() -> Plan:
    return stack_plan("staging")


@pytest.fixture(scope="session")
def sandbox_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sandbox")


@pytest.fixture(scope="session")
def staging_sandbox(staging_plan: Plan, sandbox_dir: Path) -> Iterator[SandboxState]:
    state, _ = sandbox_up("staging", plan=staging_plan, directory=sandbox_dir)
    try:
        yield state
    finally:
        sandbox_down("staging", sandbox_dir)
