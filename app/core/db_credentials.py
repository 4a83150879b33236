"""The runtime role's password, fetched for every new connection so rotation needs no restart.

Two sources (docs/app.md, "Credential rotation"):

* ``rds-iam``: an RDS IAM authentication token, signed locally with the pod's IRSA
  credentials. A token is valid for 15 minutes but is checked only at login, so each
  new connection gets a fresh one and open connections are unaffected when it expires.
* ``file``: a file a secret store keeps current (a mounted Kubernetes Secret, or the
  local rotation test); read again for every new connection.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from mypy_boto3_rds import RDSClient

RDS_IAM = "rds-iam"
FILE = "file"
SOURCES = (RDS_IAM, FILE)


@cache
def _rds_client(region: str) -> RDSClient:
    # One client per process: building it costs far more than signing a token, and
    # botocore refreshes the web-identity credentials underneath it.
    import boto3

    return boto3.client("rds", region_name=region)


def rds_iam_token(
    *, host: str, port: int, user: str, region: str, client: RDSClient | None = None
) -> str:
    """A fresh IAM authentication token: computed offline from the current AWS credentials."""
    rds = client or _rds_client(region)
    return rds.generate_db_auth_token(
        DBHostname=host, Port=int(port), DBUsername=user, Region=region
    )


def password_from_file(path: str) -> str:
    try:
        password = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ImproperlyConfigured(
            f"cannot read database password file {path}: {type(exc).__name__}"
        ) from exc
    if not password:
        raise ImproperlyConfigured(f"database password file {path} is empty")
    return password


def validate_source(source: Mapping[str, Any]) -> None:
    kind = source.get("kind")
    if kind not in SOURCES:
        raise ImproperlyConfigured(f"PASSWORD_SOURCE kind must be one of {SOURCES}, not {kind!r}")
    required = {RDS_IAM: "region", FILE: "path"}[str(kind)]
    if not source.get(required):
        raise ImproperlyConfigured(f"PASSWORD_SOURCE of kind {kind} needs {required!r}")


def connection_password(source: Mapping[str, Any], *, host: str, port: int, user: str) -> str:
    validate_source(source)
    if source["kind"] == RDS_IAM:
        return rds_iam_token(host=host, port=port, user=user, region=str(source["region"]))
    return password_from_file(str(source["path"]))
