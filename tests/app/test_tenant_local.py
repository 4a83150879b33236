"""``manage.py tenant`` against the local SQLite app (``make serve``), and owner URL lookup."""

from __future__ import annotations

import json
import os
import shlex
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from app.tenants.offboarding import export_verify, owner_url_resolve

REPO = Path(__file__).resolve().parents[2]


# ``app/manage.py`` run once per command, as ``python app/manage.py ...`` would, but all in one
# child process: the SQLite file carries the state from one command to the next, and the
# interpreter, Django and the app start once instead of five times.
MANAGE_EACH = """
import contextlib, io, json, runpy, sys
manage, commands, outputs = sys.argv[1], json.loads(sys.argv[2]), []
for command in commands:
    sys.argv = [manage, *command]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            runpy.run_path(manage, run_name="__main__")
        except SystemExit as exc:
            if exc.code not in (None, 0):
                print(f"{command} exited {exc.code}", file=sys.stderr)
                raise
    outputs.append(out.getvalue())
print(json.dumps(outputs))
"""


@pytest.mark.slow
def test_lifecycle_on_sqlite_from_onboarding_to_erasure(tmp_path: Path) -> None:
    database = tmp_path / "hrms.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "app.settings.local",
        "DATABASE_URL": f"sqlite:///{database}",
    }
    env.pop("REDIS_URL", None)
    commands = [
        ["migrate", "-v0"],
        shlex.split(
            "tenant onboard --slug acme --name Acme --tier free --admin-email a@acme.test --json"
        ),
        shlex.split(
            "tenant onboard --slug other --name Other --tier free --admin-email o@other.test --json"
        ),
        shlex.split("tenant issue-token --slug acme --email e@acme.test --role employee --json"),
        ["tenant", "offboard", "--slug", "acme", "--export", "out", "--json"],
    ]
    done = subprocess.run(
        [sys.executable, "-c", MANAGE_EACH, str(REPO / "app" / "manage.py"), json.dumps(commands)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    outputs = json.loads(done.stdout.splitlines()[-1])
    for output in outputs[1:4]:
        json.loads(output)  # as before: each --json command printed one JSON document
    result = json.loads(outputs[4])
    assert result["status"] == "offboarded"
    assert export_verify(directory=tmp_path / "out")["tenants.membership"] == 2

    with sqlite3.connect(database) as conn:
        acme_id = conn.execute("SELECT id FROM tenants_tenant WHERE slug = 'acme'").fetchone()[0]
        tables = [
            r[0]
            for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if any(c[1] == "tenant_id" for c in conn.execute(f'PRAGMA table_info("{r[0]}")'))
        ]
        for table in tables:
            count = conn.execute(
                f'SELECT count(*) FROM "{table}" WHERE tenant_id = ?',  # noqa: S608
                [acme_id],
            ).fetchone()[0]
            assert count == 0, table
        users = [r[0] for r in conn.execute("SELECT username FROM auth_user")]
    assert users == ["o@other.test"]


def test_owner_url_comes_from_the_flag_then_env_then_the_services_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = tmp_path / "services.json"
    monkeypatch.delenv("DATABASE_OWNER_URL", raising=False)
    assert owner_url_resolve(None, services_file=services) is None
    services.write_text(
        json.dumps({"database": {"runtime_url": "postgres://rt", "owner_url": "postgres://own"}})
    )
    assert owner_url_resolve(None, services_file=services) == "postgres://own"
    monkeypatch.setenv("DATABASE_OWNER_URL", "postgres://env")
    assert owner_url_resolve(None, services_file=services) == "postgres://env"
    assert owner_url_resolve("postgres://flag", services_file=services) == "postgres://flag"
