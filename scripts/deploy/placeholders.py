"""Values in a stack file that only stand in for a real deployment's own.

The committed stack files preview offline as they are, so they carry sample values: RFC 5737
documentation address ranges, RFC 2606 ``example.com`` names, a made-up image digest. A real
deploy using them as is would open the Kubernetes API to nobody (or to whoever holds those
ranges), page nobody and pull an image that does not exist. ``make up`` refuses a stack file
that still holds any, and names every such key at once with what to put there.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# RFC 5737 (IPv4) and RFC 3849 (IPv6): reserved for documentation, never routed.
DOCUMENTATION_NETWORKS = tuple(
    ipaddress.ip_network(cidr)
    for cidr in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)
# RFC 2606 / RFC 6761: names that can never be a real deployment's.
RESERVED_DOMAINS = ("example.com", "example.net", "example.org")
RESERVED_TLDS = ("example", "test", "invalid", "localhost")
_DIGEST = re.compile(r"^sha256:([0-9a-f]{64})$")
_HOST_IN = re.compile(r"(?:@|//|^)([A-Za-z0-9.-]+\.[A-Za-z]{2,})(?=$|[/:?#])")

# What to put in each key instead; keys not listed get the generic advice.
HINTS: dict[str, str] = {
    "hrms:cluster.publicAccessCidrs": (
        "put the CIDRs your operators and CI reach the Kubernetes API from, or set "
        "endpointPublicAccess: false, delete publicAccessCidrs and run `make up` from "
        "inside the VPC"
    ),
    "hrms:workload.imageDigest": (
        "for the first deploy delete this key (the stack creates the ECR repository and "
        "skips the workload); then push the app image and put its digest here"
    ),
    "hrms:workload.allowedHosts": "put the public host names tenants call the API on",
    "hrms:alarms.alertEmails": "put the addresses of the people on call for this stack",
    "hrms:alarms.alertHttpsEndpoints": "put your paging service's HTTPS endpoint",
}
GENERIC_HINT = "put this deployment's own value"


@dataclass(frozen=True, kw_only=True)
class Placeholder:
    key: str  # e.g. hrms:cluster.publicAccessCidrs[0]
    value: str
    problem: str
    hint: str

    def __str__(self) -> str:
        return f"{self.key}: {self.value} {self.problem}; {self.hint}"


def _walk(node: Any, key: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for child, value in node.items():
            yield from _walk(value, f"{key}.{child}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{key}[{index}]")
    elif isinstance(node, str):
        yield key, node


def _hint(key: str) -> str:
    base = re.sub(r"\[\d+\]$", "", key)
    return HINTS.get(base, GENERIC_HINT)


def _documentation_range(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return None
    for reserved in DOCUMENTATION_NETWORKS:
        if network.version == reserved.version and network.overlaps(reserved):
            return reserved
    return None


def _reserved_domain(value: str) -> str | None:
    match = _HOST_IN.search(value.strip().lower())
    if match is None:
        return None
    host = match.group(1).rstrip(".")
    for domain in RESERVED_DOMAINS:
        if host == domain or host.endswith(f".{domain}"):
            return domain
    tld = host.rsplit(".", 1)[-1]
    return tld if tld in RESERVED_TLDS else None


def is_made_up_digest(digest: str) -> bool:
    """A digest nobody computed: one short pattern repeated (``4d3c2b1a...``, ``000...``).

    A real sha256 repeating a unit of 32 hex characters or fewer is astronomically unlikely.
    """
    match = _DIGEST.match(digest)
    if match is None:
        return False
    hexes = match.group(1)
    return any(hexes == (hexes[:size] * (64 // size + 1))[:64] for size in range(1, 33))


def find_placeholders(config: dict[str, Any]) -> list[Placeholder]:
    """Every placeholder in a stack file's ``config`` mapping, in file order."""
    found: list[Placeholder] = []
    for top, node in config.items():
        for key, value in _walk(node, str(top)):
            reserved = _documentation_range(value)
            if reserved is not None:
                problem = f"is inside the documentation range {reserved} (RFC 5737/3849)"
            elif (domain := _reserved_domain(value)) is not None:
                problem = f"uses the reserved name {domain} (RFC 2606)"
            elif key.endswith(".imageDigest") and is_made_up_digest(value):
                problem = "is a repeated sample pattern, not the digest of a pushed image"
            else:
                continue
            found.append(Placeholder(key=key, value=value, problem=problem, hint=_hint(key)))
    return found


def stack_file_placeholders(path: Path) -> list[Placeholder]:
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise ValueError(f"{path}: 'config' must be a mapping")
    return find_placeholders(config)
