"""After gunicorn's config and the app are loaded, requests import no standard-library module.

(The same probe checks that ``app.wsgi`` freezes what it loaded out of the collector.)

A worker that dropped root (``make serve`` as root) cannot read an interpreter installed
under a private home, so anything the request path imports lazily must already have
been imported by the master: a new lazy import shows up here before it is a 500 there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

PROBE = r"""
import gc, json, os, sys, sysconfig
stdlib = sysconfig.get_paths()["stdlib"]
import app.wsgi  # what preload_app imports in the master
frozen = {"frozen": gc.get_freeze_count(), "tracked": len(gc.get_objects()),
          "views": "app.people.views" in sys.modules}
config = open("app/gunicorn.conf.py").read()
exec(compile(config, "app/gunicorn.conf.py", "exec"), {"__name__": "gunicorn_conf"})
demo = json.loads(sys.argv[1])["tenants"][-1]

def loaded():
    return {n for n, m in list(sys.modules.items())
            if (getattr(m, "__file__", None) or "").startswith(stdlib)}

before = loaded()
from django.test import Client
client = Client(HTTP_X_API_KEY=demo["api_key"], HTTP_AUTHORIZATION="Bearer " + demo["admin_token"],
                HTTP_HOST="localhost", raise_request_exception=False)
statuses = []
for url in [
    "/api/v1/employees/?hired_after=2020-01-01&hired_before=2030-12-31&last_name=a",
    "/api/v1/employees/?hired_after=31/12/2020&department=x&page_size=x&cursor=x",
    "/api/v1/leave-requests/?starts_after=2020-01-01&ends_before=2040-01-01&status=pending",
    "/api/v1/departments/", "/api/v1/leave-types/", "/api/v1/audit-events/?action=x",
    "/api/schema/", "/api/docs/", "/readyz", "/healthz", "/nowhere", "/admin/login/",
]:
    statuses.append(client.get(url).status_code)
employee = {"employee_number": "LZ-1", "first_name": "L", "last_name": "Z", "job_title": "j",
            "email": "lz@b\u00fccher.example", "hire_date": "2024-01-02"}
JSON = "application/json"
for body in [employee, {**employee, "email": "lz@example.com", "hire_date": "02/01/2024"},
             {**employee, "employee_number": "LZ-2", "email": "lz2@example.com"}]:
    statuses.append(client.post("/api/v1/employees/", body, content_type=JSON).status_code)
leave = {"leave_type": 1, "start_date": "2031-01-06", "end_date": "2031-01-07", "reason": "\u00e9"}
statuses.append(client.post("/api/v1/leave-requests/", leave, content_type=JSON).status_code)
statuses.append(client.post("/api/v1/employees/", "{bad", content_type=JSON).status_code)
statuses.append(client.post("/api/v1/employees/", "x" * 70000, content_type=JSON).status_code)
statuses.append(client.get("/api/v1/employees/", HTTP_HOST="evil.example").status_code)
print(json.dumps({"new": sorted(loaded() - before), "statuses": statuses, **frozen}))
"""


@pytest.mark.slow
def test_requests_import_no_standard_library_module_lazily(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "PYTHONPATH": str(REPO),
        "DJANGO_SETTINGS_MODULE": "app.settings.local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    python = str(BIN / "python")
    seeded = subprocess.run(
        [python, "app/manage.py", "seed_demo", "--json"],
        env=env,
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    probe = subprocess.run(
        [python, "-c", PROBE, seeded.stdout],
        env=env,
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    result = json.loads(probe.stdout.strip().splitlines()[-1])
    assert 500 not in result["statuses"], result
    assert 201 in result["statuses"], result  # the writes really ran
    assert result["new"] == [], "preload these in app/gunicorn.conf.py"
    # app.wsgi loads every view, then freezes what it loaded out of the cyclic collector:
    # only what the probe made since is left for it to walk.
    assert result["views"], result
    assert result["frozen"] > 50_000, result
    assert result["tracked"] < 1_000, result
