"""Every mistake of the corpus, in both stacks, fails the preview naming its key and rule."""

from __future__ import annotations

import pytest

from stacks.config import ConfigError
from stacks.offline.acceptance.check import AcceptanceError, accept
from stacks.offline.engine import synthesize
from stacks.offline.plan import Plan
from tests.stacks.acceptance.conftest import STACKS
from tests.stacks.acceptance.corpus import CONFIG, MISTAKES, Mistake, apply

pytestmark = pytest.mark.infra


def _program() -> None:
    from stacks.program import main

    main()


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.id for m in MISTAKES])
def test_mistake_fails_the_preview(
    mistake: Mistake, stack: str, committed_configs: dict[str, dict[str, str]]
) -> None:
    config = apply(committed_configs[stack], mistake)
    try:
        plan = synthesize(_program, stack=stack, config=config)
    except ConfigError as exc:
        message = str(exc)
        assert mistake.rule == CONFIG, f"config refused it, not {mistake.rule}: {message}"
        assert f"{mistake.key}:" in message, message
        assert mistake.phrase in message, message
        return
    assert mistake.rule != CONFIG, "the config reader accepted it"
    findings = accept(plan, config).findings
    assert findings, "the preview would pass"
    message = str(AcceptanceError(findings))
    hits = [f for f in findings if f.rule == mistake.rule and f.config_key == mistake.key]
    assert hits, f"no {mistake.rule} finding naming {mistake.key}:\n{message}"
    assert mistake.key in message
    assert mistake.rule in message


def test_corpus_is_large_and_distinct() -> None:
    assert len(MISTAKES) >= 25
    assert len({m.id for m in MISTAKES}) == len(MISTAKES)


@pytest.mark.parametrize("stack", STACKS)
def test_committed_stacks_are_accepted(
    stack: str, committed_plans: dict[str, Plan], committed_configs: dict[str, dict[str, str]]
) -> None:
    assert [str(f) for f in accept(committed_plans[stack], committed_configs[stack]).findings] == []


def test_config_problems_are_reported_together(
    committed_configs: dict[str, dict[str, str]],
) -> None:
    by_id = {m.id: m for m in MISTAKES}
    config = apply(committed_configs["staging"], by_id["misspelled-key"])
    config = apply(config, by_id["misspelled-camel-case"])
    config = apply(config, by_id["backup-retention-40"])
    with pytest.raises(ConfigError) as raised:
        synthesize(_program, stack="staging", config=config)
    message = str(raised.value)
    for key in (
        "hrms:database.instanceClas: unknown key; did you mean 'instanceClass'?",
        "hrms:database.instanceClass: missing required value",
        "hrms:cluster.nodeMaxsize: unknown key; did you mean 'nodeMaxSize'?",
    ):
        assert key in message
