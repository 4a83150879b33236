"""Shared fixtures for the policy pack tests: the compliant baseline plans."""

from __future__ import annotations

import copy
import functools
from typing import Any

import pytest

from stacks.offline.policy import PolicyReport, evaluate_plan, load_policy_config
from tests.policies.plans import baseline

STACKS = ("staging", "prod")


@functools.cache
def _policy_config(stack: str) -> dict[str, dict[str, Any]]:
    return load_policy_config(stack)


def policy_config(stack: str) -> dict[str, dict[str, Any]]:
    """The stack's real policy config, read and validated once per test process (the mutation
    tests evaluate hundreds of plans); a copy, so no evaluation can change the next one's."""
    return copy.deepcopy(_policy_config(stack))


def run(plan: dict[str, Any]) -> PolicyReport:
    """Evaluate through the CLI's path: the stack's real policy config, all rules."""
    return evaluate_plan(plan, config=policy_config(plan["stack"]))


@pytest.fixture(params=STACKS)
def stack(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def baseline_plan(stack: str) -> dict[str, Any]:
    return baseline(stack)
