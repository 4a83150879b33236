"""``make mutation``: mutation scores of the core modules with mutmut.

Each target runs in its own scratch copy of the tracked tree under
``build/mutation/work/<target>/`` (mutmut mutates a copy in ``mutants/`` there and runs
only the tests that reach each mutant), so targets are independent and the working
tree is never touched. Writes ``build/mutation/summary.json`` as
``{"module": {"killed": N, "survived": N, "score": x}}`` and ``build/mutation/survivors.txt``
with every surviving mutant's diff. A benchmark-like job, not part of ``make test``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "mutation"
# Importable packages are copied as mutmut "source"; everything else the tests read is copied too.
SOURCE_DIRS = ("app", "infra", "policies", "scripts", "stacks")
PRELOAD = (
    "yaml",
    "pulumi",
    "pulumi_aws",
    "pulumi_aws.ec2",
    "pulumi_aws.rds",
    "pulumi_aws.s3",
    "pulumi_aws.iam",
    "pulumi_aws.eks",
    "pulumi_kubernetes",
    "django",
    "django.db.models",
    "rest_framework",
    "django.test",
    "pytest_django.plugin",
    "_hypothesis_pytestplugin",
    "hypothesis",
    "psycopg",
    "redis",
    # Last: app settings and every installed app, from the mutated copy (seconds per session).
    "tests.fixtures.django_warmup",
)
# Only the plugins the guarding tests use: autoloading every installed pytest plugin
# (schemathesis, locust, testinfra, xdist, ...) costs seconds of imports per mutant.
PYTEST_PLUGINS = ("pytest_django.plugin", "_hypothesis_pytestplugin")
# Surviving mutants that cannot change behaviour, with the reason. Names are mutmut's and
# shift when the function changes; a stale name simply stops matching.
EQUIVALENT: dict[str, str] = {
    "stacks.offline.parity.x_load_allowed__mutmut_3": (
        "read_text(encoding=None) reads the locale encoding, UTF-8 wherever hrmsctl runs "
        "(Python coerces the C locale to UTF-8)"
    ),
    "stacks.offline.parity.x_load_allowed__mutmut_6": (
        '"UTF-8" and "utf-8" name the same codec (codec lookup ignores case)'
    ),
    **dict.fromkeys(
        (
            "stacks.offline.parity.xǁParityReportǁwrite__mutmut_8",
            "stacks.offline.parity.xǁParityReportǁwrite__mutmut_10",
        ),
        "json.dumps escapes every non-ASCII character (ensure_ascii), so the file is ASCII and "
        "the locale encoding writes the same bytes as UTF-8",
    ),
    "stacks.offline.parity.xǁParityReportǁwrite__mutmut_19": (
        '"UTF-8" and "utf-8" name the same codec (codec lookup ignores case)'
    ),
    "stacks.offline.parity.xǁParityReportǁwrite__mutmut_16": (
        "indent=3 for indent=2: the same JSON for every reader (hrmsctl report, CI), still "
        "indented for people; only the layout's width changes"
    ),
    **dict.fromkeys(
        (
            "stacks.offline.parity.x__diff__mutmut_29",
            "stacks.offline.parity.x__diff__mutmut_32",
            "stacks.offline.parity.x__diff__mutmut_33",
        ),
        "zip's strict check only fires on lists of different lengths, and the branch is taken "
        "only when len(a) == len(b)",
    ),
    "stacks.offline.parity.x_compare__mutmut_81": (
        "the inputs are always a dict, and for a dict's keys a path of None and '' both give "
        "the bare key (`if path` is false for both)"
    ),
    **dict.fromkeys(
        (
            "stacks.config.x_did_you_mean__mutmut_8",
            "stacks.config.x_did_you_mean__mutmut_9",
            "stacks.config.x_did_you_mean__mutmut_11",
        ),
        "n=1 for difflib's default n=3 or n=2, or cutoff=0.6 left to its default (0.6): only "
        "the best match (close[0]) is used, and the matches come best first",
    ),
    **dict.fromkeys(
        ("stacks.config.x__field_key__mutmut_10", "stacks.config.x__field_key__mutmut_13"),
        "re.match(r'[a-z0-9_]*', field) matches every string (the empty prefix at worst), so "
        "head is never None and the else branch is never taken",
    ),
    "stacks.config.x__top_level__mutmut_26": (
        "after an unknown environment the run always fails with that problem, and None and '' "
        "read alike there (`environment or ''`, `== 'prod'`)"
    ),
    **dict.fromkeys(
        ("stacks.config.x__top_level__mutmut_32", "stacks.config.x__top_level__mutmut_33"),
        "disposable None or True for False after an unreadable hrms:disposable: the run fails "
        "with that problem, so the value returned is never used (nor read before it returns)",
    ),
    "stacks.config.x_parse_stack_config__mutmut_70": (
        "an absent or unknown environment reaches the region checks only as `== 'prod'`, false "
        "for '' and 'XXXX' alike"
    ),
    **dict.fromkeys(
        (
            "stacks.config.x_parse_stack_config__mutmut_86",
            "stacks.config.x_parse_stack_config__mutmut_88",
        ),
        "StackConfig is built only when there was no problem, so environment and region are "
        "set there: the fallback after `or` is never used",
    ),
    "stacks.config.x__kind__mutmut_21": (
        "the fallback is never reached: every settings field is bool, int, float, str, a tuple "
        "of strings or a dict of strings (or one of those | None), each named above it"
    ),
    "stacks.config.x_load_stack_config__mutmut_3": (
        "pulumi.Config() without a name reads the running project's namespace, and the "
        "project (Pulumi.yaml) is hrms, PROJECT"
    ),
    "infra.settings.x_within__mutmut_5": (
        "bounds printed with str instead of :g for a float value: the one float setting "
        "(edge.throttleRateLimit) has integer bounds 1..10000, which print the same either way"
    ),
    "infra.settings.x_cidr_block__mutmut_4": (
        "IPv4Network(value) without strict: strict defaults to True, the value it had"
    ),
    "app.tenants.authentication.x_bearer_token__mutmut_9": (
        "request.headers (Django's HttpHeaders) is case-insensitive: 'authorization' reads "
        "the same header"
    ),
    "app.tenants.authentication.x_bearer_token__mutmut_10": (
        "request.headers is case-insensitive: 'AUTHORIZATION' reads the same header"
    ),
    "app.tenants.authentication.x_bearer_token__mutmut_11": (
        "a missing header read as 'XXXX' instead of '' is still one word with no bearer "
        "scheme: None either way"
    ),
    "app.tenants.authentication.xǁTenantTokenAuthenticationǁauthenticate__mutmut_6": (
        "TenantMiddleware (always installed) sets request.tenant on every request, None "
        "without a key, so getattr's default is never used"
    ),
    "app.tenants.authentication.xǁTenantTokenAuthenticationǁauthenticate__mutmut_46": (
        "nothing reads request.auth.tenant: views take request.auth.membership, whose tenant "
        "is the same one"
    ),
    "app.tenants.selectors.x_request_credentials__mutmut_19": (
        "getattr's default is only read through `not`, and `not None` is `not False`: a "
        "backend without defers_tenant_binding (SQLite) takes the selectors either way"
    ),
    "app.tenants.selectors.x__credentials_in_one_message__mutmut_66": (
        "every concrete field's column is selected, so from_db builds the instance from the "
        "values alone: it reads field_names only when fewer values than fields come"
    ),
    "app.leave.services.x__locked__mutmut_4": (
        "the row is re-read by its own primary key, so tenant_id=leave_request.tenant_id "
        "compares the row with its own tenant: always true (callers pass selector results)"
    ),
    "app.people.services.x__check_no_management_cycle__mutmut_15": (
        "break and return both leave the loop, and nothing follows it in the function"
    ),
    "app.people.services.x__require_free_seat__mutmut_5": (
        "the statement only takes the tenant row's lock (select_for_update); the value "
        "it reads is discarded, so the shape of values_list does not matter"
    ),
    "app.people.services.x__require_free_seat__mutmut_6": (
        "the statement only takes the tenant row's lock (select_for_update); the value "
        "it reads is discarded, so the shape of values_list does not matter"
    ),
    "app.people.services.x__require_free_seat__mutmut_7": (
        "the statement only takes the tenant row's lock (select_for_update); the value "
        "it reads is discarded, so the shape of values_list does not matter"
    ),
    "app.people.services.x__require_free_seat__mutmut_11": (
        "the statement only takes the tenant row's lock (select_for_update); the value "
        "it reads is discarded, so the shape of values_list does not matter"
    ),
    "app.ratelimit.bucket.x_take__mutmut_16": (
        "refilling when now == ts adds (now - ts) * rate = 0 tokens and sets ts to the value "
        "it already has"
    ),
}
SHARED_ENV = "HRMS_TEST_POSTGRES"  # read by tests/fixtures/postgres_server.py
KILLED = {1, 3, 24, -24, 36, 152, 255, -9, -11}  # failed tests, timeouts, crashes
SURVIVED = {0, 5, 33}  # tests passed, or no test reached the mutant


@dataclass(frozen=True, kw_only=True)
class Target:
    modules: tuple[str, ...]  # files to mutate, relative to the repository
    tests: tuple[str, ...]  # the tests that guard them
    # One PostgreSQL server for every mutant's session (tests/fixtures/postgres_server.py).
    postgres: bool = False
    # Guarding tests left out of the per-mutant runs, as pytest node ids, where one costs far
    # more than what it adds (named with the reason at the target).
    deselect: tuple[str, ...] = ()
    # Mutants at a time; 1 where a guarding test changes the shared server for a moment
    # (BYPASSRLS on the runtime role), which a concurrent session would see.
    max_children: int | None = None


TARGETS: dict[str, Target] = {
    "tenancy": Target(
        modules=("app/tenants/selectors.py", "app/tenants/authentication.py"),
        tests=(
            "tests/app/test_selectors_without_rls.py",
            "tests/app/test_authentication.py",
            # The key and token lookup in one bound message (request_credentials).
            "tests/app/test_request_credentials.py",
            "tests/app/test_query_counts.py::test_key_and_token_are_one_bound_message",
            "tests/app/test_query_counts.py::test_list_round_trips",
            "tests/app/test_query_counts.py::test_key_and_token_are_one_message_on_a_new_connection",
            # Its other 60 cases are layer 2 and the views, at a second each per mutant.
            "tests/app/test_cross_tenant.py::test_token_of_other_tenant_is_rejected_with_own_key",
        ),
        postgres=True,
        max_children=1,
    ),
    "leave": Target(
        modules=("app/leave/services.py", "app/leave/selectors.py"),
        tests=(
            "tests/app/test_services_direct.py",
            "tests/app/test_leave_workflow.py",
            "tests/app/test_audit_completeness.py",
        ),
        postgres=True,
    ),
    "people": Target(
        modules=("app/people/services.py", "app/people/selectors.py"),
        tests=(
            "tests/app/test_services_direct.py",
            "tests/app/test_seat_limits.py",
            "tests/app/test_audit_completeness.py",
            "tests/app/test_audit_events.py",
        ),
        postgres=True,
    ),
    "limiter": Target(
        modules=("app/ratelimit/bucket.py", "app/ratelimit/limits.py"),
        tests=("tests/app/ratelimit/test_units.py", "tests/app/ratelimit/test_redis_limiter.py"),
    ),
    # The stack config reader, the checks every settings class uses, and the backup-schedule
    # check the reader runs across sections. The settings classes themselves share their files
    # with the Pulumi components (hundreds of resource-declaring lines each), which mutmut would
    # mutate whole; their rules go through infra/settings.py and are exercised here through
    # the stack files' keys.
    "config": Target(
        modules=("stacks/config.py", "infra/settings.py", "infra/database/backup_windows.py"),
        tests=(
            "tests/stacks/test_config.py",
            "tests/stacks/test_stack_config_loading.py",
            "tests/stacks/test_backup_schedule.py",
            "tests/infra/test_observability_config.py",
        ),
        # Synthesizes the whole prod program (30 s a mutant); it guards the program's
        # order. load_stack_config itself is covered by a one-resource program in
        # tests/stacks/test_config.py.
        deselect=(
            "tests/stacks/test_config.py::test_program_fails_before_any_resource_is_declared",
        ),
    ),
    "parity": Target(
        modules=("stacks/offline/parity.py",),
        tests=("tests/stacks/test_parity.py",),
    ),
}


def _toml_list(items: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(json.dumps(i) for i in items) + "]"


def _pytest_args(target: Target) -> list[str]:
    plugins = [arg for name in PYTEST_PLUGINS for arg in ("-p", name)]
    deselected = [arg for test in target.deselect for arg in ("--deselect", test)]
    return [*plugins, "-p", "no:cacheprovider", "-q", *deselected]


def _prepare(name: str, target: Target) -> Path:
    """A fresh copy of the tracked tree with this target's mutmut settings."""
    work = OUT / "work" / name
    shutil.rmtree(work, ignore_errors=True)
    tracked = subprocess.run(
        ["git", "ls-files", "-z"],  # noqa: S607 - git from PATH, as the Makefile uses it
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\0")
    for rel in filter(None, tracked):
        source = ROOT / rel
        if source.is_file():
            (work / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, work / rel)
    preload = work / "mutation-preload.txt"
    preload.write_text("\n".join(PRELOAD) + "\n", encoding="utf-8")
    others = sorted({rel.split("/")[0] for rel in tracked if rel} - set(SOURCE_DIRS))
    settings = (
        "\n[tool.mutmut]\n"
        f"source_paths = {_toml_list(SOURCE_DIRS)}\n"
        f"only_mutate = {_toml_list(target.modules)}\n"
        f"also_copy = {_toml_list(others)}\n"
        f"pytest_add_cli_args_test_selection = {_toml_list(target.tests)}\n"
        f"pytest_add_cli_args = {_toml_list(_pytest_args(target))}\n"
        # A fresh process per mutant: forking a process that already ran the Pulumi mock
        # runtime (gRPC threads) or holds database connections hangs or shares them.
        'process_isolation = "forkserver"\n'
        # The fork server imports only third-party packages (seconds of CPU for pulumi-aws),
        # so mutants skip that cost; nothing it imports starts threads or connections.
        'forkserver_warmup = "import"\n'
        f"preload_modules_file = {json.dumps(str(preload))}\n"
        # Slack for the imports the per-test estimate mutmut times out on does not include.
        "timeout_constant = 60.0\n"
    )
    pyproject = work / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8") + settings, encoding="utf-8")
    return work


def _mutmut(
    work: Path, *args: str, database: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # never the real tree
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # PYTEST_PLUGINS are named on the command line
    env.pop(SHARED_ENV, None)
    if database is not None:
        env[SHARED_ENV] = str(database)
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "mutmut", *args],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def _results(work: Path, module: str) -> dict[str, int | None]:
    meta = work / "mutants" / f"{module}.meta"
    if not meta.exists():
        return {}
    codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
    return codes


def _results_count(work: Path, target: Target) -> int:
    return sum(1 for m in target.modules for code in _results(work, m).values() if code is not None)


def _survivors(work: Path, target: Target) -> list[str]:
    return sorted(
        mutant
        for module in target.modules
        for mutant, code in _results(work, module).items()
        if code in SURVIVED and mutant not in EQUIVALENT
    )


def _keep_earlier_results(
    work: Path, target: Target, earlier: dict[str, dict[str, int | None]], rerun: list[str]
) -> None:
    """Put back the verdicts of the mutants a re-run of the survivors did not run.

    mutmut forgets every result when the target's test list changes (its test-selection
    fingerprint), then runs only the mutants named, which would leave all the others
    without a result; a re-run of the survivors keeps their verdicts by design.
    """
    for module in target.modules:
        meta = work / "mutants" / f"{module}.meta"
        if not meta.exists():
            continue
        data = json.loads(meta.read_text())
        codes = data["exit_code_by_key"]
        for mutant, code in earlier.get(module, {}).items():
            # Still a mutant, left without a result, and not one this re-run ran.
            if mutant in codes and codes[mutant] is None and mutant not in rerun:
                codes[mutant] = code
        meta.write_text(json.dumps(data))


def _refresh_tests(work: Path, target: Target) -> None:
    """The current tests, and the target's current list of them, into an earlier run's copy.

    mutmut copies the tests on into mutants/ and collects its coverage stats for tests it
    has not seen before, so a guarding test added since the first run reaches the mutants.
    """
    shutil.rmtree(work / "tests")
    shutil.copytree(ROOT / "tests", work / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    pyproject = work / "pyproject.toml"
    selection = f"pytest_add_cli_args_test_selection = {_toml_list(target.tests)}"
    text = re.sub(
        r"^pytest_add_cli_args_test_selection = .*$",
        lambda _: selection,
        pyproject.read_text(encoding="utf-8"),
        flags=re.MULTILINE,
    )
    pyproject.write_text(text, encoding="utf-8")


@contextlib.contextmanager
def _shared_postgres(work: Path, target: Target) -> Iterator[Path | None]:
    """One server for the whole target instead of one per mutant's test session."""
    if not target.postgres:
        yield None
        return
    from scripts.local_services.postgres import (
        app_database_save,
        postgres_app_database,
        postgres_running,
    )

    with postgres_running(fast=True) as server:
        described = work / "postgres.json"
        app_database_save(postgres_app_database(server, owner_createdb=True), described)
        yield described


def run_target(
    name: str,
    target: Target,
    max_children: int,
    *,
    report_only: bool = False,
    rerun_survivors: bool = False,
    resume: bool = False,
) -> tuple[dict[str, object], str]:
    work = OUT / "work" / name
    started = time.monotonic()
    tried = 0
    if not report_only:
        # mutmut keeps each mutant's result, so a plain run in the same copy resumes.
        before = _results_count(work, target) if resume else 0
        earlier: dict[str, dict[str, int | None]] = {}
        if rerun_survivors:
            earlier = {module: _results(work, module) for module in target.modules}
            names = _survivors(work, target)
            _refresh_tests(work, target)
        else:
            names = []
            if not resume:
                work = _prepare(name, target)
        children = str(target.max_children or max_children)
        with _shared_postgres(work, target) as database:
            if not rerun_survivors or names:
                ran = _mutmut(work, "run", "--max-children", children, *names, database=database)
                log = OUT / f"{name}.log"
                with log.open("a" if rerun_survivors or resume else "w", encoding="utf-8") as out:
                    out.write(ran.stdout + ran.stderr)
                if rerun_survivors:
                    _keep_earlier_results(work, target, earlier, names)
        # An interrupted run leaves some without a result.
        tried = len(names) if rerun_survivors else _results_count(work, target) - before
    elapsed = time.monotonic() - started
    summary: dict[str, object] = {}
    survivors = []
    for module in target.modules:
        codes = _results(work, module)
        killed = sum(1 for c in codes.values() if c in KILLED)
        lived = sorted(m for m, c in codes.items() if c in SURVIVED)
        total = killed + len(lived)
        summary[module] = {
            "killed": killed,
            "survived": len(lived),
            "score": round(killed / total, 3) if total else None,
        }
        for mutant in lived:
            shown = _mutmut(work, "show", mutant).stdout.strip()
            verdict = f"equivalent: {EQUIVALENT[mutant]}" if mutant in EQUIVALENT else "to kill"
            survivors.append(f"## {module}  {mutant}  (exit {codes[mutant]}; {verdict})\n{shown}\n")
    rate = f", {tried / elapsed * 60:.1f} mutants/min" if tried and elapsed > 1 else ""
    print(f"{name}: {json.dumps(summary)} in {elapsed:.0f}s ({tried} mutants run{rate})")
    return summary, "\n".join(survivors)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=sorted(TARGETS), help="repeatable")
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="summarise the last (possibly interrupted) run's results without running",
    )
    parser.add_argument(
        "--rerun-survivors",
        action="store_true",
        help="in the last run's copy, with the current tests: run only its survivors again",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="in an interrupted run's copy: run the mutants that have no result yet",
    )
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    summary_path = OUT / "summary.json"
    # Targets run one at a time; a partial run keeps the other targets' last figures.
    summary: dict[str, object] = (
        json.loads(summary_path.read_text()) if summary_path.exists() else {}
    )
    texts = []
    for name in args.only or sorted(TARGETS):
        result, text = run_target(
            name,
            TARGETS[name],
            args.max_children,
            report_only=args.report_only,
            rerun_survivors=args.rerun_survivors,
            resume=args.resume,
        )
        summary.update(result)
        texts.append(f"# {name}\n{text or '(no survivors)'}\n")
    summary_path.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    (OUT / "survivors.txt").write_text("\n".join(texts), encoding="utf-8")
    print(f"wrote {summary_path} and {OUT / 'survivors.txt'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
