"""The catalog refresh: instance types from moto's EC2 over real HTTP; add-on and engine versions
from stubbed clients (moto has neither call) whose requests and replies botocore validates."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from moto.server import ThreadedMotoServer

from scripts.local_services.postgres import free_port
from stacks.offline.acceptance import refresh


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def _client(service: str, endpoint: str | None = None) -> object:
    return boto3.client(
        service,
        region_name="eu-west-1",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.mark.slow
def test_instance_types_from_describe_instance_types(moto_endpoint: str) -> None:
    types = refresh.instance_types(_client("ec2", moto_endpoint))
    assert types["m7i.large"] == {"vcpus": 2, "memoryMiB": 8192, "maxEnis": 3, "ipv4PerEni": 10}
    assert "t3.bogus" not in types
    assert len(types) > 500


def test_addon_versions_keep_their_kubernetes_versions() -> None:
    eks = _client("eks")
    stub = Stubber(eks)
    stub.add_response(
        "describe_addon_versions",
        {
            "addons": [
                {
                    "addonName": "kube-proxy",
                    "addonVersions": [
                        {
                            "addonVersion": "v1.35.0-eksbuild.2",
                            "compatibilities": [{"clusterVersion": "1.35"}],
                        },
                        {
                            "addonVersion": "v1.34.1-eksbuild.2",
                            "compatibilities": [{"clusterVersion": "1.34"}],
                        },
                    ],
                }
            ]
        },
        {"addonName": "kube-proxy"},
    )
    with stub:
        versions = refresh.addon_versions(eks, ["kube-proxy"])
    assert versions == {
        "kube-proxy": {"v1.34.1-eksbuild.2": ["1.34"], "v1.35.0-eksbuild.2": ["1.35"]}
    }


def test_cache_engine_versions_include_major_minor() -> None:
    cache = _client("elasticache")
    stub = Stubber(cache)
    stub.add_response(
        "describe_cache_engine_versions",
        {"CacheEngineVersions": [{"Engine": "valkey", "EngineVersion": "8.0.1"}]},
        {"Engine": "valkey"},
    )
    with stub:
        assert refresh.cache_engine_versions(cache, ["valkey"]) == {"valkey": ["8.0", "8.0.1"]}


def test_write_snapshot_round_trips(tmp_path: Path) -> None:
    data = {"generated": "2026-01-01", "sources": {}, "instanceTypes": {}}
    path = refresh.write_snapshot(data, tmp_path / "catalog.json")
    assert path.read_text().startswith("{")
