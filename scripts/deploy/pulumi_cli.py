"""The real Pulumi CLI behind ``make up`` / ``make destroy``: pre-flight checks, then one command.

``make up`` enforces exactly what ``make preview`` evaluates: the policy pack in
``policies/`` with the stack's ``policies/config/<stack>.json``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import yaml

from scripts.deploy.placeholders import stack_file_placeholders

REPO_ROOT = Path(__file__).resolve().parents[2]
POLICY_PACK = "policies"
POLICY_CONFIG_DIR = Path("policies") / "config"


class DeployRefused(RuntimeError):
    """A pre-flight check failed; the message says what is missing and what to do."""


def stack_file(stack: str, root: Path = REPO_ROOT) -> Path:
    path = root / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        known = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml"))
        raise DeployRefused(
            f"unknown stack '{stack}' (no Pulumi.{stack}.yaml); known stacks: "
            f"{' '.join(known) or 'none'}"
        )
    return path


def _has_aws_credentials(env: Mapping[str, str]) -> bool:
    if env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"):
        return True
    if env.get("AWS_PROFILE") or env.get("AWS_WEB_IDENTITY_TOKEN_FILE"):
        return True
    if env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") or env.get(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI"
    ):
        return True
    home = Path(env.get("HOME", "~")).expanduser()
    if Path(env.get("AWS_SHARED_CREDENTIALS_FILE", home / ".aws" / "credentials")).is_file():
        return True
    config = Path(env.get("AWS_CONFIG_FILE", home / ".aws" / "config"))
    if config.is_file():
        text = config.read_text(encoding="utf-8", errors="replace")
        return any(marker in text for marker in ("sso_", "credential_process", "role_arn"))
    return False


def require_cli_and_credentials(stack: str, command: str, env: Mapping[str, str]) -> str:
    """Path of the ``pulumi`` executable, or a refusal naming everything that is missing."""
    missing: list[str] = []
    pulumi = shutil.which("pulumi", path=env.get("PATH"))
    if pulumi is None:
        missing.append("the Pulumi CLI (https://www.pulumi.com/docs/install/) on PATH")
    if not _has_aws_credentials(env):
        missing.append(
            "AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, web "
            "identity or ~/.aws/credentials)"
        )
    if missing:
        lines = "\n".join(f"  - {item}" for item in missing)
        raise DeployRefused(
            f"cannot run 'pulumi {command} --stack {stack}': missing\n{lines}\n"
            "The offline equivalent needs neither: 'make preview' (plans, policy, parity, "
            "HTML report)."
        )
    assert pulumi is not None  # noqa: S101 - narrowed by the check above
    return pulumi


def require_no_placeholders(stack: str, root: Path = REPO_ROOT) -> None:
    path = stack_file(stack, root)
    found = stack_file_placeholders(path)
    if found:
        lines = "\n".join(f"  - {p}" for p in found)
        raise DeployRefused(
            f"{path.name} still holds {len(found)} sample value(s) a real deploy cannot use:\n"
            f"{lines}\n"
            "Edit them in the stack file (docs/stacks.md, 'First deploy into an empty "
            "account'); 'make preview' keeps working either way."
        )


def policy_pack_args(stack: str, root: Path = REPO_ROOT) -> list[str]:
    """The policy pack and the stack's policy config, exactly as ``make preview`` evaluates
    them; every engine run that can change a stack (up, promotion preview) passes these."""
    config = root / POLICY_CONFIG_DIR / f"{stack}.json"
    if not config.is_file():
        raise DeployRefused(f"no policy config for stack '{stack}': {config} is missing")
    return ["--policy-pack", str(root / POLICY_PACK), "--policy-pack-config", str(config)]


def up_command(stack: str, root: Path = REPO_ROOT) -> list[str]:
    """``pulumi up`` with the same policy pack and per-stack policy config as the preview."""
    return ["up", "--stack", stack, *policy_pack_args(stack, root)]


def require_disposable(stack: str, root: Path = REPO_ROOT) -> None:
    """Only a stack whose file says ``hrms:disposable: true`` (never prod) may be destroyed."""
    path = stack_file(stack, root)
    config = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("config") or {}
    environment = config.get("hrms:environment")
    if environment == "prod" or config.get("hrms:disposable") is not True:
        raise DeployRefused(
            f"refusing to destroy stack '{stack}': {path.name} does not set "
            f"hrms:disposable: true (environment {environment}). Its data stays protected "
            "(deletion protection, final snapshot, backup vaults that keep their recovery "
            "points); a production stack is never torn down with `make destroy`."
        )


def destroy_command(stack: str) -> list[str]:
    return ["destroy", "--stack", stack]


def run_pulumi(pulumi: str, args: list[str], root: Path, env: Mapping[str, str]) -> int:
    """Run the CLI from the project root with the project's virtualenv first on PATH."""
    run_env = dict(env)
    run_env["PATH"] = os.pathsep.join([str(root / ".venv" / "bin"), env.get("PATH", "")])
    return subprocess.run([pulumi, *args], cwd=root, env=run_env, check=False).returncode  # noqa: S603
