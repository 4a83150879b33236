"""``make mutation``'s re-run of survivors uses the tests as they are now (scripts/mutation.py)."""

from __future__ import annotations

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
