"""Plans of the committed stacks, built once per test process (each xdist worker builds its own)."""

from __future__ import annotations

import pytest

from stacks.offline.engine import load_stack_config
from stacks.offline.plan import Plan
from tests.infra.plans import stack_plan

STACKS = ("staging", "prod")


@pytest.fixture(scope="session")
def committed_plans() -> dict[str, Plan]:
    return {stack: stack_plan(stack) for stack in STACKS}


@pytest.fixture(scope="session")
def committed_configs() -> dict[str, dict[str, str]]:
    return {stack: load_stack_config(stack) for stack in STACKS}
