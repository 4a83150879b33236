"""The local AWS sandbox: moto's server on loopback with a stack's recorded plan applied to it.

``build/sandbox/<stack>.json`` says where it runs and what the stack exported::

    {"endpoint_url": "http://127.0.0.1:PORT", "pid": 1234, "outputs": {...},
     "region": "eu-west-1", "unsupported": [...], "out_of_scope": [...]}

``outputs`` carries the stack's real export names (``stacks/outputs.py``) with the sandbox's
ids; ``unsupported`` lists the resources moto cannot hold (never faked).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts.ops.apply import ApplyResult, apply_plan
from scripts.ops.aws import Account
from stacks.offline.engine import REPO_ROOT, load_stack_config
from stacks.offline.invokes import DEFAULT_REGION
from stacks.offline.plan import Plan

SANDBOX_DIR = REPO_ROOT / "build" / "sandbox"
LOOPBACK = "127.0.0.1"
START_TIMEOUT_S = 30.0


class SandboxError(RuntimeError):
    """The sandbox could not be started, found or stopped."""


@dataclass(frozen=True, kw_only=True)
class SandboxState:
    endpoint_url: str
    pid: int
    outputs: dict[str, Any]
    region: str = DEFAULT_REGION
    unsupported: list[dict[str, str]] = field(default_factory=list)
    out_of_scope: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "endpoint_url": self.endpoint_url,
            "pid": self.pid,
            "outputs": self.outputs,
            "region": self.region,
            "unsupported": self.unsupported,
            "out_of_scope": self.out_of_scope,
        }

    @property
    def account(self) -> Account:
        return Account(region=self.region, endpoint_url=self.endpoint_url)


def state_path(stack: str, directory: Path = SANDBOX_DIR) -> Path:
    return directory / f"{stack}.json"


def read_state(stack: str, directory: Path = SANDBOX_DIR) -> SandboxState:
    path = state_path(stack, directory)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SandboxError(
            f"no sandbox for stack '{stack}' ({path} missing): run "
            f"'hrmsctl sandbox up --stack {stack}' first"
        ) from exc
    return SandboxState(
        endpoint_url=data["endpoint_url"],
        pid=int(data["pid"]),
        outputs=dict(data.get("outputs") or {}),
        region=str(data.get("region") or DEFAULT_REGION),
        unsupported=list(data.get("unsupported") or []),
        out_of_scope=list(data.get("out_of_scope") or []),
    )


def stack_plan(stack: str, plan_path: Path | None = None) -> Plan:
    """The stack's plan: a saved plan JSON when given, else the offline engine's, in-process."""
    if plan_path is not None:
        plan = Plan.load(plan_path)
        if plan.stack != stack:
            raise ValueError(f"{plan_path} is the plan of stack '{plan.stack}', not '{stack}'")
        return plan
    from stacks.offline.engine import preview_stack

    return preview_stack(stack)


def stack_region(stack: str) -> str:
    return load_stack_config(stack).get("aws:region", DEFAULT_REGION)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _answers(endpoint_url: str) -> bool:
    try:
        # moto's own health endpoint; loopback only.
        with urllib.request.urlopen(f"{endpoint_url}/moto-api/", timeout=1):  # noqa: S310
            return True
    except (urllib.error.URLError, OSError):
        return False


def start_server(port: int, log_path: Path) -> subprocess.Popen[bytes]:
    """moto's server as a detached process on loopback; returns once it answers."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("ab")
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # outlives this command; `sandbox down` stops it
    )
    log.close()
    endpoint = f"http://{LOOPBACK}:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SandboxError(f"moto server exited with {process.returncode}; see {log_path}")
        if _answers(endpoint):
            return process
        time.sleep(0.1)
    process.terminate()
    raise SandboxError(f"moto server did not answer on {endpoint} within {START_TIMEOUT_S:g}s")


def seed_image(account: Account, outputs: dict[str, Any]) -> None:
    """Put a manifest under the declared digest, as the main pipeline pushes before ``up``."""
    from stacks.outputs import ECR_REPOSITORY_URL, IMAGE_DIGEST

    digest, url = outputs.get(IMAGE_DIGEST), outputs.get(ECR_REPOSITORY_URL)
    if not isinstance(digest, str) or not isinstance(url, str):
        return
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest},
        "layers": [],
    }
    account.client("ecr").put_image(
        repositoryName=url.split("/", 1)[1],
        imageManifest=json.dumps(manifest),
        imageDigest=digest,
        imageTag="sandbox",
    )


def sandbox_up(
    stack: str,
    *,
    plan: Plan,
    port: int | None = None,
    directory: Path = SANDBOX_DIR,
) -> tuple[SandboxState, ApplyResult]:
    """Start a sandbox for ``stack``, apply ``plan`` to it and write its state file."""
    path = state_path(stack, directory)
    if path.exists():
        existing = read_state(stack, directory)
        if _alive(existing.pid):
            raise SandboxError(
                f"a sandbox for '{stack}' already runs (pid {existing.pid}, "
                f"{existing.endpoint_url}); 'hrmsctl sandbox down --stack {stack}' first"
            )
    region = stack_region(stack)
    port = port or free_port()
    process = start_server(port, directory / f"{stack}.log")
    account = Account(region=region, endpoint_url=f"http://{LOOPBACK}:{port}")
    try:
        result = apply_plan(plan, account, region=region)
        seed_image(account, result.outputs)
    except BaseException:
        _stop(process.pid)
        raise
    state = SandboxState(
        endpoint_url=account.endpoint_url or "",
        pid=process.pid,
        outputs=result.outputs,
        region=region,
        unsupported=[s.to_dict() for s in result.unsupported],
        out_of_scope=[s.to_dict() for s in result.out_of_scope],
    )
    directory.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(state.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return state, result


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop(pid: int, timeout: float = 10.0) -> None:
    if not _alive(pid):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            # Our own child (same process) must be reaped; a detached one is not ours.
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except ChildProcessError:
            if not _alive(pid):
                return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)


def _is_moto(pid: int) -> bool:
    """Only ever signal the process the state file names if it is still moto's server."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"moto.server" in cmdline


def sandbox_down(stack: str, directory: Path = SANDBOX_DIR) -> SandboxState:
    state = read_state(stack, directory)
    if _is_moto(state.pid):
        _stop(state.pid)
    state_path(stack, directory).unlink(missing_ok=True)
    return state


def running_stacks(directory: Path = SANDBOX_DIR) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.json"))
