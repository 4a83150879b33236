"""docs/reference/ is generated (`hrmsctl docs`); it fails here as soon as it is stale."""

from __future__ import annotations

from pathlib import Path

import pytest

from stacks.offline.reference import (
    CONFIG_DOC,
    OUTPUTS_DOC,
    config_rows,
    export_keys,
    render_config,
    render_outputs,
)
from tests.infra.plans import STACKS, stack_plan

ROOT = Path(__file__).resolve().parents[2]
STALE = "is stale: run `make docs` (hrmsctl docs) and commit the result"


def test_config_reference_is_current() -> None:
    assert (ROOT / CONFIG_DOC).read_text() == render_config(), f"{CONFIG_DOC} {STALE}"


def test_config_reference_covers_every_key_the_stack_files_set() -> None:
    import yaml

    documented = {row.key for row in config_rows()}
    for stack in STACKS:
        doc = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
        for key, value in doc.items():
            if not key.startswith("hrms:"):
                continue
            if isinstance(value, dict):
                for inner in value:
                    assert f"{key}.{inner}" in documented, (stack, key, inner)
            else:
                assert key in documented, (stack, key)


def test_config_reference_states_ranges_defaults_and_both_values() -> None:
    rows = {row.key: row for row in config_rows()}
    retention = rows["hrms:database.backupRetentionDays"]
    assert retention.allowed == "1..35"
    assert retention.default == "required"
    assert retention.values == {"staging": "7", "prod": "35"}
    logical = rows["hrms:backup.logicalRetentionDays"]
    assert logical.default == "35"
    assert rows["hrms:cache.engine"].allowed == "one of valkey, redis"
    assert rows["hrms:database.multiAz"].allowed == "true or false"


@pytest.mark.infra
def test_outputs_reference_is_current() -> None:
    exported = {stack: stack_plan(stack).outputs for stack in STACKS}
    assert (ROOT / OUTPUTS_DOC).read_text() == render_outputs(exported), f"{OUTPUTS_DOC} {STALE}"
    text = (ROOT / OUTPUTS_DOC).read_text()
    for name, key in export_keys().items():
        assert f"| `{key}` | `{name}` |" in text


@pytest.mark.infra
def test_figures_in_the_docs_are_current() -> None:
    from stacks.offline.reference import FIGURE, figure_files, figures

    values = figures({stack: stack_plan(stack) for stack in STACKS})
    files = figure_files(ROOT)
    assert {p.name for p in files} >= {"offline-preview.md", "policies.md", "stacks.md"}
    for path in files:
        for match in FIGURE.finditer(path.read_text()):
            name, shown = match.group(1), match.group(2)
            assert shown == values[name], f"{path.name}: figure {name} {STALE}"
