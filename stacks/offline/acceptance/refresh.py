"""Regenerate ``data/catalog.json`` from AWS (``hrmsctl catalog refresh``, needs credentials)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from stacks.offline.acceptance.catalogs import SNAPSHOT

ADDONS: tuple[str, ...] = (
    "vpc-cni",
    "kube-proxy",
    "coredns",
    "eks-pod-identity-agent",
    "metrics-server",
    "amazon-cloudwatch-observability",
)
CACHE_ENGINES: tuple[str, ...] = ("valkey", "redis")


def instance_types(ec2: Any) -> dict[str, dict[str, int]]:
    """ec2:DescribeInstanceTypes -> the sizes capacity checks need, per instance type."""
    out: dict[str, dict[str, int]] = {}
    for page in ec2.get_paginator("describe_instance_types").paginate():
        for row in page["InstanceTypes"]:
            network = row.get("NetworkInfo", {})
            out[row["InstanceType"]] = {
                "vcpus": int(row["VCpuInfo"]["DefaultVCpus"]),
                "memoryMiB": int(row["MemoryInfo"]["SizeInMiB"]),
                "maxEnis": int(network.get("MaximumNetworkInterfaces", 1)),
                "ipv4PerEni": int(network.get("Ipv4AddressesPerInterface", 1)),
            }
    return dict(sorted(out.items()))


def addon_versions(eks: Any, addons: Iterable[str]) -> dict[str, dict[str, list[str]]]:
    """eks:DescribeAddonVersions -> add-on -> version -> Kubernetes versions it supports."""
    out: dict[str, dict[str, list[str]]] = {}
    for addon in addons:
        versions: dict[str, set[str]] = {}
        for page in eks.get_paginator("describe_addon_versions").paginate(addonName=addon):
            for entry in page["addons"]:
                for info in entry["addonVersions"]:
                    k8s = {c["clusterVersion"] for c in info.get("compatibilities", ())}
                    versions.setdefault(info["addonVersion"], set()).update(k8s)
        out[addon] = {v: sorted(k) for v, k in sorted(versions.items())}
    return out


def cache_engine_versions(elasticache: Any, engines: Iterable[str]) -> dict[str, list[str]]:
    """elasticache:DescribeCacheEngineVersions -> engine -> versions (major.minor as well)."""
    out: dict[str, list[str]] = {}
    for engine in engines:
        versions: set[str] = set()
        paginator = elasticache.get_paginator("describe_cache_engine_versions")
        for page in paginator.paginate(Engine=engine):
            for row in page["CacheEngineVersions"]:
                full = row["EngineVersion"]
                versions.add(full)
                versions.add(".".join(full.split(".")[:2]))
        out[engine] = sorted(versions)
    return out


def build_snapshot(session: Any, region: str) -> dict[str, Any]:
    today = datetime.date.today().isoformat()
    return {
        "generated": today,
        "sources": {
            "instanceTypes": {"source": f"ec2:DescribeInstanceTypes in {region}"},
            "eksAddonVersions": {"source": f"eks:DescribeAddonVersions in {region}"},
            "elasticacheEngineVersions": {
                "source": f"elasticache:DescribeCacheEngineVersions in {region}"
            },
        },
        "refresh": "hrmsctl catalog refresh --region " + region,
        "instanceTypes": instance_types(session.client("ec2", region_name=region)),
        "eksAddonVersions": addon_versions(session.client("eks", region_name=region), ADDONS),
        "elasticacheEngineVersions": cache_engine_versions(
            session.client("elasticache", region_name=region), CACHE_ENGINES
        ),
    }


def write_snapshot(data: dict[str, Any], path: Path = SNAPSHOT) -> Path:
    path.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    return path
