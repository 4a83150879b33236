"""The one boundary to the Pulumi CLI: every engine call the ops commands make goes through here.

Tests put a stand-in ``pulumi`` executable first on PATH; it records its arguments and answers
with canned engine output, so every path through promote runs without a cloud.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.deploy.pulumi_cli import policy_pack_args
from stacks.offline.engine import REPO_ROOT

TIMEOUT_S = 3600  # a first EKS deploy takes most of an hour


class PulumiError(RuntimeError):
    """A Pulumi CLI call failed; the message carries the command and the end of its output."""

    def __init__(self, args: list[str], code: int, output: str) -> None:
        tail = "\n".join(output.strip().splitlines()[-15:])
        super().__init__(f"'pulumi {' '.join(args)}' exited {code}:\n{tail}")
        self.args_ = args
        self.code = code


@dataclass(frozen=True, kw_only=True)
class PulumiCli:
    cwd: Path = REPO_ROOT
    executable: str = "pulumi"

    def _run(self, *args: str) -> str:
        exe = shutil.which(self.executable)
        if exe is None:
            raise PulumiError(list(args), 127, f"{self.executable}: not found on PATH")
        result = subprocess.run(  # noqa: S603 - the Pulumi CLI with our own arguments
            [exe, *args, "--non-interactive"],
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
        if result.returncode != 0:
            raise PulumiError(list(args), result.returncode, result.stdout + result.stderr)
        return result.stdout

    def outputs(self, stack: str) -> dict[str, Any]:
        text = self._run("stack", "output", "--stack", stack, "--json", "--show-secrets")
        data = json.loads(text or "{}")
        if not isinstance(data, dict):
            raise PulumiError(["stack", "output", "--stack", stack], 0, "not a JSON object")
        return data

    def config_get(self, stack: str, key: str) -> str:
        return self._run("config", "get", key, "--stack", stack).strip()

    def config_set(self, stack: str, key: str, value: str) -> None:
        self._run("config", "set", "--path", key, value, "--stack", stack)

    def preview(self, stack: str) -> str:
        return self._run("preview", "--stack", stack, *policy_pack_args(stack, self.cwd), "--diff")

    def up(self, stack: str) -> str:
        return self._run(
            "up", "--stack", stack, *policy_pack_args(stack, self.cwd), "--yes", "--skip-preview"
        )
