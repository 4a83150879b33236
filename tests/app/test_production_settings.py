"""Production settings: refuse to start when misconfigured, pass ``check --deploy``,
and read database credentials from Secrets Manager (moto server over real HTTP)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from django.core.exceptions import ImproperlyConfigured
from moto.server import ThreadedMotoServer

from app.core.db_secret import database_settings_from_secret
from scripts.local_services.postgres import free_port

REPO = Path(__file__).resolve().parents[2]
STRONG_KEY = secrets.token_urlsafe(64)


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    base = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "app.settings.production",
    }
    return subprocess.run(
        [sys.executable, str(REPO / "app" / "manage.py"), *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
    )


GOOD = {
    "SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": "api.example.com",
    "DATABASE_URL": "sqlite:////tmp/hrms-check.sqlite3",
}


def test_check_deploy_is_clean() -> None:
    result = _run(GOOD, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("SECRET_KEY", "SECRET_KEY is required"),
        ("ALLOWED_HOSTS", "ALLOWED_HOSTS is required"),
        ("DATABASE_URL", "DATABASE_URL is required"),
    ],
)
def test_refuses_to_start_without(missing: str, message: str) -> None:
    env = {k: v for k, v in GOOD.items() if k != missing}
    result = _run(env, "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_bad_boolean_env_is_named() -> None:
    result = _run({**GOOD, "DJANGO_SECURE_SSL_REDIRECT": "maybe"}, "check")
    assert result.returncode != 0
    assert "DJANGO_SECURE_SSL_REDIRECT='maybe' is not a boolean" in result.stderr


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
}


@pytest.fixture
def secrets_client(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> object:
    for key, value in AWS_ENV.items():
        monkeypatch.setenv(key, value)
    return boto3.client("secretsmanager", endpoint_url=moto_endpoint, region_name="eu-west-1")


def _secret(client: object, payload: object) -> str:
    name = f"rds!db-{secrets.token_hex(4)}"
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return client.create_secret(Name=name, SecretString=body)["ARN"]  # type: ignore[attr-defined,no-any-return]


def test_database_settings_from_rds_managed_secret(secrets_client: object) -> None:
    arn = _secret(secrets_client, {"username": "hrms_app", "password": "s3cr3t!"})
    config = database_settings_from_secret(
        secret_arn=arn,
        host="db.internal",
        port=5432,
        name="hrms",
        client=secrets_client,  # type: ignore[arg-type]
    )
    assert config["USER"] == "hrms_app"
    assert config["PASSWORD"] == "s3cr3t!"
    assert config["HOST"] == "db.internal"
    assert config["OPTIONS"] == {"sslmode": "require"}
    assert config["ATOMIC_REQUESTS"] is True


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("not json", "is not JSON"),
        (["a"], "is not a JSON object"),
        ({"username": "u"}, "lacks password"),
    ],
)
def test_bad_secret_is_named_without_leaking(
    secrets_client: object, payload: object, message: str
) -> None:
    arn = _secret(secrets_client, payload)
    with pytest.raises(ImproperlyConfigured, match=message) as excinfo:
        database_settings_from_secret(
            secret_arn=arn,
            host="h",
            port=5432,
            name="n",
            client=secrets_client,  # type: ignore[arg-type]
        )
    assert arn in str(excinfo.value)


def test_missing_secret_is_named(secrets_client: object) -> None:
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:nope-abc123"
    with pytest.raises(ImproperlyConfigured, match=r"cannot read database secret .*nope"):
        database_settings_from_secret(
            secret_arn=arn,
            host="h",
            port=5432,
            name="n",
            client=secrets_client,  # type: ignore[arg-type]
        )


def test_production_settings_load_credentials_from_secret_arn(
    secrets_client: object, moto_endpoint: str
) -> None:
    password = secrets.token_urlsafe(16)
    arn = _secret(secrets_client, {"username": "hrms_app", "password": password})
    env = {
        **AWS_ENV,
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": moto_endpoint,
        "SECRET_KEY": STRONG_KEY,
        "ALLOWED_HOSTS": "api.example.com",
        "DATABASE_SECRET_ARN": arn,
        "DATABASE_HOST": "db.internal",
        "DATABASE_NAME": "hrms",
    }
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        "d = settings.DATABASES['default']; "
        "print(json.dumps([d['USER'], d['HOST'], d['NAME'], d['OPTIONS'], "
        "d['PASSWORD'] == __import__('os').environ['EXPECTED']]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "app.settings.production",
            "PYTHONPATH": str(REPO),
            "EXPECTED": password,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        "hrms_app",
        "db.internal",
        "hrms",
        {"sslmode": "require"},
        True,
    ]
    assert password not in result.stderr


def test_secret_arn_without_host_is_refused(secrets_client: object) -> None:
    result = _run(
        {"SECRET_KEY": STRONG_KEY, "ALLOWED_HOSTS": "x", "DATABASE_SECRET_ARN": "arn:x"}, "check"
    )
    assert result.returncode != 0
    assert "DATABASE_HOST is required" in result.stderr


def test_dockerfile_is_hadolint_clean() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    result = subprocess.run(
        [str(hadolint), str(REPO / "app" / "Dockerfile")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_runs_as_non_root_without_build_tools() -> None:
    text = (REPO / "app" / "Dockerfile").read_text()
    stages = text.split("\nFROM ")
    assert len(stages) == 3, "a build stage and a runtime stage"
    runtime = stages[-1]
    assert "USER 10001:10001" in runtime
    for tool in ("gcc", "build-essential", "apt-get", "pip install"):
        assert tool not in runtime
    assert "COPY --from=build /opt/venv /opt/venv" in runtime
