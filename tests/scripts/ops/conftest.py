"""One sandbox per stack per test session: moto's server with the stack's real plan applied."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from scripts.local_services.postgres import free_port
from scripts.local_services.redis import RedisServer
from scripts.ops.sandbox import SandboxState, sandbox_down, sandbox_up, stack_plan
from stacks.offline.plan import Plan

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def staging_plan() -> Plan:
    return stack_plan("staging")


@pytest.fixture(scope="session")
def sandbox_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sandbox")


@pytest.fixture(scope="session")
def staging_sandbox(staging_plan: Plan, sandbox_dir: Path) -> Iterator[SandboxState]:
    state, _ = sandbox_up("staging", plan=staging_plan, directory=sandbox_dir)
    try:
        yield state
    finally:
        sandbox_down("staging", sandbox_dir)


@dataclass(frozen=True)
class AppServer:
    base_url: str
    keys: dict[str, tuple[str, str]]  # tier -> (API key, user token)


@pytest.fixture(scope="session")
def app_server(redis_server: RedisServer) -> Iterator[AppServer]:
    """The HRMS app as `make serve` runs it (gunicorn, demo tenants), limiter on real Redis."""
    work = Path(tempfile.mkdtemp(prefix="hrms-verify-app-"))
    work.chmod(0o755)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(work),
        "DJANGO_SETTINGS_MODULE": "app.settings.local",
        "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",
        "REDIS_URL": redis_server.url,
        "WEB_CONCURRENCY": "2",
    }
    python = str(BIN / "python")
    subprocess.run(
        [python, "app/manage.py", "migrate", "--noinput", "-v", "0"],
        env=env,
        cwd=REPO,
        check=True,
        timeout=300,
    )
    seeded = subprocess.run(
        [python, "app/manage.py", "seed_demo", "--json"],
        env=env,
        cwd=REPO,
        check=True,
        timeout=300,
        capture_output=True,
        text=True,
    )
    keys = {
        t["tier"]: (t["api_key"], t["admin_token"]) for t in json.loads(seeded.stdout)["tenants"]
    }
    if os.geteuid() == 0:
        subprocess.run(["chown", "-R", "nobody", str(work)], check=True)
    port = free_port()
    log = work / "gunicorn.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "app/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"],
            env=env,
            cwd=REPO,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not come up:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        yield AppServer(base_url=base, keys=keys)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(work, ignore_errors=True)
