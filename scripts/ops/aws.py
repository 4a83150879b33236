"""boto3 clients for one account: real AWS, or the local sandbox when an endpoint is given."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# moto accepts any credentials; real AWS never sees these because an endpoint is set with them.
SANDBOX_CREDENTIALS = {"aws_access_key_id": "sandbox", "aws_secret_access_key": "sandbox"}


@dataclass(frozen=True, kw_only=True)
class Account:
    """Where boto3 calls go: ``endpoint_url`` None means the real AWS endpoints."""

    region: str
    endpoint_url: str | None = None

    def client(self, service: str) -> Any:
        return _client(self, service)


@lru_cache(maxsize=64)
def _client(account: Account, service: str) -> Any:
    """One client per account and service: creating one costs far more than a call."""
    import boto3
    from botocore.config import Config

    kwargs: dict[str, Any] = {
        "region_name": account.region,
        "config": Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5),
    }
    if account.endpoint_url is not None:
        kwargs.update(endpoint_url=account.endpoint_url, **SANDBOX_CREDENTIALS)
    return boto3.client(service, **kwargs)  # type: ignore[call-overload]
