"""``make mutation``'s re-run of survivors uses the tests as they are now (scripts/mutation.py)."""

from __future__ import annotations

import json
from pathlib import Path

from scripts import mutation


def test_a_rerun_takes_the_current_tests_and_the_targets_current_list(tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "tests").mkdir(parents=True)
    (work / "tests" / "test_stale.py").write_text("# from the first run\n", encoding="utf-8")
    (work / "pyproject.toml").write_text(
        '[tool.mutmut]\npytest_add_cli_args_test_selection = ["tests/app/test_old.py"]\n'
        'only_mutate = ["app/tenants/selectors.py"]\n',
        encoding="utf-8",
    )
    target = mutation.TARGETS["tenancy"]
    mutation._refresh_tests(work, target)
    assert not (work / "tests" / "test_stale.py").exists()
    assert (work / "tests" / "scripts" / "test_mutation_script.py").is_file()
    text = (work / "pyproject.toml").read_text(encoding="utf-8")
    assert "tests/app/test_old.py" not in text
    assert "tests/app/test_request_credentials.py" in text
    assert 'only_mutate = ["app/tenants/selectors.py"]' in text  # the rest is kept


def test_a_rerun_keeps_the_verdicts_of_the_mutants_it_did_not_run(tmp_path: Path) -> None:
    """mutmut forgets every result when the test list changes; the re-run puts back those
    of the mutants it did not run, and keeps its own."""
    target = mutation.TARGETS["tenancy"]
    module = target.modules[0]
    meta = tmp_path / "mutants" / f"{module}.meta"
    meta.parent.mkdir(parents=True)
    earlier = {module: {"m_killed": 1, "m_equivalent": 0, "m_survivor": 0, "m_gone": 1}}
    # After the re-run of m_survivor: the others reset, m_gone no longer a mutant.
    forgotten = {"m_killed": None, "m_equivalent": None, "m_survivor": 1}
    meta.write_text(json.dumps({"exit_code_by_key": forgotten, "durations_by_key": {}}))
    mutation._keep_earlier_results(tmp_path, target, earlier, ["m_survivor"])
    data = json.loads(meta.read_text())
    assert data["exit_code_by_key"] == {"m_killed": 1, "m_equivalent": 0, "m_survivor": 1}
    assert data["durations_by_key"] == {}
