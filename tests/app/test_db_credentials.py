"""The deployed runtime login: an RDS IAM token per connection, signed with IRSA credentials.

The pod's credentials come the way EKS gives them (a web-identity token file and a role
ARN), exchanged by botocore at moto's STS over HTTP; the token is computed offline from
them, as ``rds.generate_db_auth_token`` does in the pod.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from moto.server import ThreadedMotoServer

from scripts.local_services.postgres import free_port

REPO = Path(__file__).resolve().parents[2]
HOST = "hrms-staging.abcdefghij.eu-west-1.rds.amazonaws.com"


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def test_every_new_connection_gets_a_fresh_iam_token(moto_endpoint: str, tmp_path: Path) -> None:
    web_identity = tmp_path / "token"
    web_identity.write_text("eyJhbGciOiJSUzI1NiJ9.e30.c2ln")  # what EKS projects into the pod
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "PYTHONPATH": str(REPO),
        "DJANGO_SETTINGS_MODULE": "app.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "api.example.com",
        "DATABASE_IAM_AUTH": "true",
        "DATABASE_HOST": HOST,
        "DATABASE_NAME": "hrms",
        "DATABASE_USER": "hrms_app",
        "AWS_REGION": "eu-west-1",
        "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/hrms-staging-app-irsa",
        "AWS_WEB_IDENTITY_TOKEN_FILE": str(web_identity),
        "AWS_ENDPOINT_URL_STS": moto_endpoint,
    }
    # Two connection attempts a second apart, the way Django opens them after CONN_MAX_AGE.
    code = (
        "import json, time, django; django.setup(); from django.db import connection; "
        "from django.conf import settings; d = settings.DATABASES['default']; "
        "first = connection.get_connection_params(); time.sleep(1.1); "
        "second = connection.get_connection_params(); "
        "print(json.dumps({'engine': d['ENGINE'], 'password': d.get('PASSWORD', ''), "
        "'max_age': d['CONN_MAX_AGE'], 'sslmode': first['sslmode'], "
        "'user': first['user'], 'tokens': [first['password'], second['password']]}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["engine"] == "app.core.db_backend"
    assert out["password"] == "", "no password in settings: only per-connection tokens"
    assert (out["user"], out["sslmode"]) == ("hrms_app", "require")
    first, second = out["tokens"]
    assert first != second, "each new connection signs its own token"
    for token in (first, second):
        parts = urlsplit(f"https://{token}")
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        assert (parts.hostname, parts.port) == (HOST, 5432)
        assert query["Action"] == "connect"
        assert query["DBUser"] == "hrms_app"
        assert query["X-Amz-Expires"] == "900"
        access_key, _date, region, service, _ = query["X-Amz-Credential"].split("/")
        # Temporary credentials from AssumeRoleWithWebIdentity, not long-lived keys.
        assert access_key.startswith("ASIA")
        assert (region, service) == ("eu-west-1", "rds-db")
        assert "X-Amz-Security-Token" in query


@pytest.mark.parametrize(
    ("missing", "message"),
    [("DATABASE_USER", "DATABASE_USER is required"), ("AWS_REGION", "AWS_REGION is required")],
)
def test_iam_settings_name_what_is_missing(missing: str, message: str) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(REPO),
        "DJANGO_SETTINGS_MODULE": "app.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "x",
        "DATABASE_IAM_AUTH": "true",
        "DATABASE_HOST": HOST,
        "DATABASE_NAME": "hrms",
        "DATABASE_USER": "hrms_app",
        "AWS_REGION": "eu-west-1",
    }
    del env[missing]
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert message in result.stderr


def test_migration_job_acts_as_the_owner() -> None:
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(REPO),
        "DJANGO_SETTINGS_MODULE": "app.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "x",
        "DATABASE_URL": "postgres://master:pw@db.internal:5432/hrms",
        "DATABASE_ASSUME_ROLE": "hrms_owner",
    }
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.DATABASES['default']['OPTIONS']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"sslmode": "require", "assume_role": "hrms_owner"}
