"""Loading Pulumi.yaml + Pulumi.<stack>.yaml into the runtime's config form."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stacks.offline.engine import (
    SECRET_PLACEHOLDER,
    StackConfigError,
    load_stack_config,
    load_stack_config_with_secrets,
)


def _project(
    root: Path, stack_yaml: str, project_yaml: str = "name: hrms\nruntime: python\n"
) -> Path:
    (root / "Pulumi.yaml").write_text(project_yaml)
    (root / "Pulumi.staging.yaml").write_text(stack_yaml)
    return root


def test_keys_are_namespaced_and_values_stringified(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        """
config:
  aws:region: eu-west-1
  replicas: 3
  multiAz: false
  backupRetentionDays: 7
  publicAccessCidrs: [203.0.113.0/24]
  tags: {Owner: platform}
  cacheAuthToken:
    secure: AAABAKxyz
""",
    )
    project, config, secrets = load_stack_config_with_secrets("staging", root)
    assert project == "hrms"
    assert config["aws:region"] == "eu-west-1"
    assert config["hrms:replicas"] == "3"
    assert config["hrms:multiAz"] == "false"
    assert json.loads(config["hrms:publicAccessCidrs"]) == ["203.0.113.0/24"]
    assert json.loads(config["hrms:tags"]) == {"Owner": "platform"}
    assert config["hrms:cacheAuthToken"] == SECRET_PLACEHOLDER
    assert "AAABAKxyz" not in json.dumps(config)
    assert secrets == ["hrms:cacheAuthToken"]


def test_nested_secure_values_are_redacted(tmp_path: Path) -> None:
    root = _project(tmp_path, "config:\n  alerts:\n    webhook:\n      secure: v1:abc\n")
    _, config, secrets = load_stack_config_with_secrets("staging", root)
    assert json.loads(config["hrms:alerts"]) == {"webhook": SECRET_PLACEHOLDER}
    assert secrets == ["hrms:alerts"]


def test_project_defaults_apply_and_stack_wins(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        "config:\n  replicas: 4\n",
        "name: hrms\nruntime: python\nconfig:\n  replicas:\n    default: 2\n"
        "  logLevel:\n    default: info\n",
    )
    config = load_stack_config("staging", root)
    assert config["hrms:replicas"] == "4"
    assert config["hrms:logLevel"] == "info"


def test_unknown_stack_names_the_file_and_known_stacks(tmp_path: Path) -> None:
    root = _project(tmp_path, "config: {}\n")
    with pytest.raises(StackConfigError, match=r"unknown stack 'qa'.*Pulumi\.qa\.yaml.*staging"):
        load_stack_config("qa", root)


def test_missing_project_file(tmp_path: Path) -> None:
    with pytest.raises(StackConfigError, match=r"Pulumi\.yaml not found"):
        load_stack_config("staging", tmp_path)


def test_invalid_yaml_names_the_file(tmp_path: Path) -> None:
    root = _project(tmp_path, "config: [unclosed\n")
    with pytest.raises(StackConfigError, match=r"Pulumi\.staging\.yaml is not valid YAML"):
        load_stack_config("staging", root)


def test_config_must_be_a_mapping(tmp_path: Path) -> None:
    root = _project(tmp_path, "config:\n  - a\n")
    with pytest.raises(
        StackConfigError, match=r"Pulumi\.staging\.yaml: 'config' must be a mapping"
    ):
        load_stack_config("staging", root)


def test_empty_value_is_rejected_with_its_key(tmp_path: Path) -> None:
    root = _project(tmp_path, "config:\n  replicas:\n")
    with pytest.raises(StackConfigError, match=r"'hrms:replicas' has no value"):
        load_stack_config("staging", root)


def test_project_without_name(tmp_path: Path) -> None:
    root = _project(tmp_path, "config: {}\n", "runtime: python\n")
    with pytest.raises(
        StackConfigError, match=r"Pulumi\.yaml: must be a mapping with a string 'name'"
    ):
        load_stack_config("staging", root)
