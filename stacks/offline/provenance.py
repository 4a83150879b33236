"""What produced a plan or report: the git commit and the versions of the tools behind it."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

# Distribution name -> how the report and ``hrmsctl --version`` label it.
TOOLS: tuple[tuple[str, str], ...] = (
    ("hrms-platform", "hrmsctl"),
    ("pulumi", "pulumi"),
    ("pulumi-aws", "pulumi-aws"),
    ("pulumi-kubernetes", "pulumi-kubernetes"),
    ("pulumi-policy", "pulumi-policy"),
)


def tool_versions() -> dict[str, str]:
    """Installed versions of hrmsctl and the Pulumi SDKs the plans were recorded with."""
    versions = {}
    for dist, label in TOOLS:
        try:
            versions[label] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[label] = "not installed"
    return versions


@dataclass(frozen=True, kw_only=True)
class Commit:
    sha: str
    dirty: bool

    def __str__(self) -> str:
        return self.sha[:12] + (" (with uncommitted changes)" if self.dirty else "")


def git_commit(root: Path = REPO_ROOT) -> Commit | None:
    """The checked-out commit of ``root``, or None outside a git checkout."""
    git = shutil.which("git")
    if git is None:
        return None

    def run(*args: str) -> str | None:
        done = subprocess.run(  # noqa: S603 - git with fixed arguments
            [git, "-C", str(root), *args], capture_output=True, text=True, check=False
        )
        return done.stdout.strip() if done.returncode == 0 else None

    sha = run("rev-parse", "HEAD")
    if not sha:
        return None
    status = run("status", "--porcelain", "--untracked-files=no")
    return Commit(sha=sha, dirty=bool(status))


def version_line() -> str:
    """``hrmsctl 0.1.0 (pulumi 3.x, pulumi-aws 7.x, ...)`` for ``hrmsctl --version``."""
    versions = tool_versions()
    own = versions.pop("hrmsctl")
    return f"hrmsctl {own} (" + ", ".join(f"{k} {v}" for k, v in versions.items()) + ")"
