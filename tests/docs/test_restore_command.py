"""The runbook's point-in-time restore reproduces the instance the database component builds."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import botocore.session
from botocore import xform_name

from infra.database.postgres import LOG_EXPORTS

OPERATIONS = Path(__file__).resolve().parents[2] / "docs" / "runbooks" / "operations.md"
COMMAND = "restore-db-instance-to-point-in-time"

# What the component sets on the instance that a restore does not carry over by itself
# (network placement, parameter group, managed secret, exports, IAM auth, protections).
REQUIRED = {
    "--source-db-instance-identifier",
    "--target-db-instance-identifier",
    "--db-instance-class",
    "--db-subnet-group-name",
    "--vpc-security-group-ids",
    "--db-parameter-group-name",
    "--no-publicly-accessible",
    "--manage-master-user-password",
    "--master-user-secret-kms-key-id",
    "--enable-iam-database-authentication",
    "--enable-cloudwatch-logs-exports",
    "--copy-tags-to-snapshot",
    "--deletion-protection",
    "--storage-type",
}


def restore_commands(markdown: str) -> list[list[str]]:
    """Each restore command in the page's bash blocks, continuation lines joined, tokenised."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", markdown, flags=re.DOTALL):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            if f"aws rds {COMMAND}" in line:
                commands.append(shlex.split(line, comments=True))
    return commands


def cli_options() -> set[str]:
    """The options the AWS CLI accepts for the restore, booleans with their --no- form."""
    model = botocore.session.get_session().get_service_model("rds")
    shape = model.operation_model("RestoreDBInstanceToPointInTime").input_shape
    assert shape is not None
    options = set()
    for name, member in shape.members.items():
        option = "--" + xform_name(name, "-")
        options.add(option)
        if member.type_name == "boolean":
            options.add("--no-" + option.removeprefix("--"))
    return options


def flags(tokens: list[str]) -> list[str]:
    return [t for t in tokens if t.startswith("--")]


def values(tokens: list[str], flag: str) -> list[str]:
    start = tokens.index(flag) + 1
    taken = []
    for token in tokens[start:]:
        if token.startswith("--"):
            break
        taken.append(token)
    return taken


def test_the_runbook_has_one_restore_command() -> None:
    assert len(restore_commands(OPERATIONS.read_text(encoding="utf-8"))) == 1


def test_every_restore_option_exists_in_the_api() -> None:
    (tokens,) = restore_commands(OPERATIONS.read_text(encoding="utf-8"))
    unknown = sorted(set(flags(tokens)) - cli_options())
    assert not unknown, unknown


def test_restore_recreates_what_the_component_configures() -> None:
    (tokens,) = restore_commands(OPERATIONS.read_text(encoding="utf-8"))
    missing = sorted(REQUIRED - set(flags(tokens)))
    assert not missing, missing
    assert ("--restore-time" in tokens) != ("--use-latest-restorable-time" in tokens)
    assert "--publicly-accessible" not in tokens
    assert values(tokens, "--enable-cloudwatch-logs-exports") == list(LOG_EXPORTS)
    assert values(tokens, "--storage-type") == ["gp3"]


def test_the_checker_sees_an_option_the_api_lacks() -> None:
    page = "```bash\naws rds restore-db-instance-to-point-in-time \\\n  --kms-key-id k\n```\n"
    (tokens,) = restore_commands(page)
    assert set(flags(tokens)) - cli_options() == {"--kms-key-id"}
