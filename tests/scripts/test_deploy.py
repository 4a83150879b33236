"""make up / make destroy: pre-flight refusals, and the exact command a stand-in `pulumi`
executable on PATH receives (policy pack with the same per-stack config the preview uses)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from scripts.deploy.placeholders import find_placeholders, is_made_up_digest
from stacks.offline.policy import CONFIG_DIR

REPO = Path(__file__).resolve().parents[2]
REAL_DIGEST = "sha256:" + hashlib.sha256(b"hrms app image").hexdigest()


def committed(stack: str) -> dict[str, Any]:
    return yaml.safe_load((REPO / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def deployable(stack: str) -> dict[str, Any]:
    """The committed stack file with every sample value replaced by a real-looking one."""
    document = committed(stack)
    config = document["config"]
    config["hrms:cluster"]["publicAccessCidrs"] = ["100.64.10.0/24"]
    config["hrms:workload"]["imageDigest"] = REAL_DIGEST
    config["hrms:workload"]["allowedHosts"] = [f"api.{stack}.acme-hr.eu"]
    config["hrms:alarms"]["alertEmails"] = ["oncall@acme-hr.eu"]
    return document


def project(tmp_path: Path, stack: str, document: dict[str, Any]) -> Path:
    root = tmp_path / "project"
    root.mkdir(exist_ok=True)
    shutil.copy(REPO / "Pulumi.yaml", root / "Pulumi.yaml")
    (root / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    if not (root / "policies").exists():
        (root / "policies").symlink_to(REPO / "policies")
    return root


def stand_in_pulumi(tmp_path: Path) -> tuple[Path, Path]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "args.txt"
    fake = bin_dir / "pulumi"
    fake.write_text(f'#!/bin/sh\nfor a in "$@"; do echo "$a"; done > {record}\n')
    fake.chmod(0o755)
    return bin_dir, record


def hrmsctl(
    *args: str, path: str, home: Path, credentials: bool = True
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"PATH": path, "HOME": str(home), "PYTHONPATH": str(REPO)})
    if credentials:
        env.update({"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "example"})
    return subprocess.run(
        [sys.executable, "-m", "scripts.hrmsctl", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
    )


# --- placeholders -------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_every_sample_value_of_the_committed_files_is_reported_at_once(stack: str) -> None:
    found = {p.key: p for p in find_placeholders(committed(stack)["config"])}
    cidrs = committed(stack)["config"]["hrms:cluster"]["publicAccessCidrs"]
    assert set(found) == {
        *(f"hrms:cluster.publicAccessCidrs[{i}]" for i in range(len(cidrs))),
        "hrms:workload.imageDigest",
        "hrms:workload.allowedHosts[0]",
        "hrms:alarms.alertEmails[0]",
    }
    assert "RFC 5737" in found["hrms:cluster.publicAccessCidrs[0]"].problem
    assert "endpointPublicAccess: false" in found["hrms:cluster.publicAccessCidrs[0]"].hint
    assert "delete this key" in found["hrms:workload.imageDigest"].hint
    assert "example.com" in found["hrms:alarms.alertEmails[0]"].problem


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_a_real_deployment_file_has_no_placeholder(stack: str) -> None:
    assert find_placeholders(deployable(stack)["config"]) == []


@pytest.mark.parametrize(
    ("value", "flagged"),
    [
        ("192.0.2.0/24", True),
        ("198.51.100.17/32", True),
        ("203.0.113.0/25", True),
        ("2001:db8::/48", True),
        ("203.0.0.0/16", True),  # contains a documentation range
        ("100.64.0.0/24", False),
        ("api.hrms.example.org", True),
        ("ops@alerts.example.net", True),
        ("https://hooks.example/page", True),
        ("api.acme-hr.eu", False),
        ("eu-west-1", False),
    ],
)
def test_documentation_ranges_and_reserved_names(value: str, flagged: bool) -> None:
    assert bool(find_placeholders({"hrms:x": {"y": [value]}})) is flagged


def test_made_up_digests() -> None:
    assert is_made_up_digest("sha256:" + "0" * 64)
    assert is_made_up_digest("sha256:" + "4d3c2b1a" * 8)
    assert is_made_up_digest("sha256:" + "0123456789abcdef" * 4)
    assert not is_made_up_digest(REAL_DIGEST)


# --- make up ------------------------------------------------------------------------------


def test_up_refuses_sample_values_naming_every_key_before_calling_pulumi(tmp_path: Path) -> None:
    bin_dir, record = stand_in_pulumi(tmp_path)
    root = project(tmp_path, "staging", committed("staging"))
    result = hrmsctl(
        "up", "--stack", "staging", "--project-dir", str(root),
        path=f"{bin_dir}:/usr/bin:/bin", home=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    for key in (
        "hrms:cluster.publicAccessCidrs[0]",
        "hrms:cluster.publicAccessCidrs[1]",
        "hrms:workload.imageDigest",
        "hrms:workload.allowedHosts[0]",
        "hrms:alarms.alertEmails[0]",
    ):
        assert key in result.stderr
    assert not record.exists()


def test_up_without_cli_or_credentials_explains_and_exits_2(tmp_path: Path) -> None:
    root = project(tmp_path, "staging", deployable("staging"))
    result = hrmsctl(
        "up", "--stack", "staging", "--project-dir", str(root),
        path="/usr/bin:/bin", home=tmp_path, credentials=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "the Pulumi CLI" in result.stderr
    assert "AWS credentials" in result.stderr
    assert "make preview" in result.stderr


def test_unknown_stack_is_named(tmp_path: Path) -> None:
    result = hrmsctl("up", "--stack", "qa", path="/usr/bin:/bin", home=tmp_path)
    assert result.returncode == 2
    assert "unknown stack 'qa'" in result.stderr
    assert "staging" in result.stderr


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_up_enforces_the_policy_pack_with_the_config_the_preview_evaluates(
    tmp_path: Path, stack: str
) -> None:
    bin_dir, record = stand_in_pulumi(tmp_path)
    root = project(tmp_path, stack, deployable(stack))
    result = hrmsctl(
        "up", "--stack", stack, "--project-dir", str(root),
        path=f"{bin_dir}:/usr/bin:/bin", home=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    args = record.read_text().split("\n")[:-1]
    assert args == [
        "up",
        "--stack",
        stack,
        "--policy-pack",
        str(root / "policies"),
        "--policy-pack-config",
        str(root / "policies" / "config" / f"{stack}.json"),
    ]
    # The very file `hrmsctl policy` (make preview) loads for this stack.
    assert Path(args[-1]).resolve() == (CONFIG_DIR / f"{stack}.json").resolve()


# --- make destroy -------------------------------------------------------------------------


def test_destroy_staging_runs_pulumi_destroy(tmp_path: Path) -> None:
    bin_dir, record = stand_in_pulumi(tmp_path)
    root = project(tmp_path, "staging", committed("staging"))
    result = hrmsctl(
        "destroy", "--stack", "staging", "--project-dir", str(root),
        path=f"{bin_dir}:/usr/bin:/bin", home=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert record.read_text().split() == ["destroy", "--stack", "staging"]


def test_destroy_prod_refuses_without_calling_pulumi(tmp_path: Path) -> None:
    bin_dir, record = stand_in_pulumi(tmp_path)
    document = committed("prod")
    document["config"]["hrms:disposable"] = True  # even if someone flips the flag
    root = project(tmp_path, "prod", document)
    result = hrmsctl(
        "destroy", "--stack", "prod", "--project-dir", str(root),
        path=f"{bin_dir}:/usr/bin:/bin", home=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    assert "refusing to destroy stack 'prod'" in result.stderr
    assert not record.exists()


def test_destroy_refuses_a_stack_that_is_not_declared_disposable(tmp_path: Path) -> None:
    bin_dir, record = stand_in_pulumi(tmp_path)
    document = committed("staging")
    del document["config"]["hrms:disposable"]
    root = project(tmp_path, "staging", document)
    result = hrmsctl(
        "destroy", "--stack", "staging", "--project-dir", str(root),
        path=f"{bin_dir}:/usr/bin:/bin", home=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    assert "hrms:disposable: true" in result.stderr
    assert not record.exists()


def test_make_targets_go_through_hrmsctl() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    for target in ("bootstrap", "up", "destroy"):
        assert f"hrmsctl {target} --stack $(STACK)" in makefile
