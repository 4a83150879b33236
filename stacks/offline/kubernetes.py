"""Kubernetes objects of a plan: written as YAML, validated against the cluster's schema."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml
from kubernetes_validate.utils import SchemaNotFoundError, VersionNotSupportedError

from stacks.offline.plan import Plan, PlanResource

CLUSTER_TYPE = "aws:eks/cluster:Cluster"
HEADER = "# Rendered offline by `hrmsctl preview` from {urn}\n"
_UNSAFE = re.compile(r"[^a-z0-9.-]+")


@dataclass(frozen=True, kw_only=True)
class KubernetesObject:
    """One object pulumi-kubernetes would apply: the resource it comes from and its manifest."""

    urn: str
    manifest: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.manifest.get("kind", ""))

    @property
    def name(self) -> str:
        return str((self.manifest.get("metadata") or {}).get("name", ""))

    @property
    def namespace(self) -> str:
        return str((self.manifest.get("metadata") or {}).get("namespace") or "")

    @property
    def label(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"

    @property
    def filename(self) -> str:
        parts = [self.kind, self.namespace, self.name] if self.namespace else [self.kind, self.name]
        return "_".join(_UNSAFE.sub("-", p.lower()).strip("-") or "x" for p in parts) + ".yaml"


@dataclass(frozen=True, kw_only=True)
class SchemaVersion:
    version: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class SchemaViolation:
    obj: KubernetesObject
    message: str
    path: str

    def __str__(self) -> str:
        at = f" at {self.path}" if self.path else ""
        return f"{self.obj.label} ({self.obj.urn}){at}: {self.message}"


class KubernetesSchemaError(ValueError):
    """At least one rendered object does not match the Kubernetes OpenAPI schema."""

    def __init__(self, violations: list[SchemaViolation], version: SchemaVersion) -> None:
        lines = "\n".join(f"  - {v}" for v in violations)
        super().__init__(
            f"{len(violations)} Kubernetes object(s) invalid against the v{version.version} "
            f"schema ({version.reason}):\n{lines}"
        )
        self.violations = violations
        self.version = version


def _is_object(resource: PlanResource) -> bool:
    # Provider resources are "pulumi:providers:kubernetes"; Helm releases and YAML components
    # have no apiVersion/kind of their own.
    return (
        resource.type.startswith("kubernetes:")
        and resource.custom
        and "apiVersion" in resource.inputs
        and "kind" in resource.inputs
    )


def kubernetes_objects(plan: Plan) -> list[KubernetesObject]:
    objects = []
    for resource in plan.resources:
        if not _is_object(resource):
            continue
        manifest = copy.deepcopy(resource.inputs)
        metadata = dict(manifest.get("metadata") or {})
        # Without an explicit name the provider autonames from the logical name.
        metadata.setdefault("name", resource.name)
        manifest["metadata"] = metadata
        objects.append(KubernetesObject(urn=resource.urn, manifest=manifest))
    return sorted(objects, key=lambda o: (o.kind, o.namespace, o.name))


def schema_version(plan: Plan) -> SchemaVersion:
    """The EKS cluster's pinned version when the plan has one and the bundle covers it."""
    newest = kubernetes_validate.latest_version()
    for cluster in plan.by_type(CLUSTER_TYPE):
        pinned = cluster.inputs.get("version")
        if isinstance(pinned, str) and re.fullmatch(r"\d+\.\d+(\.\d+)?", pinned):
            minor = ".".join(pinned.split(".")[:2])
            bundled = {".".join(v.split(".")[:2]) for v in kubernetes_validate.utils.all_versions()}
            if minor in bundled:
                return SchemaVersion(version=minor, reason=f"pinned by {cluster.name} version")
            return SchemaVersion(
                version=".".join(newest.split(".")[:2]),
                reason=f"{cluster.name} pins {pinned}, which the schema bundle lacks; newest used",
            )
    return SchemaVersion(
        version=".".join(newest.split(".")[:2]),
        reason="no EKS cluster version in the plan; newest bundled schema",
    )


def validate_objects(
    objects: Iterable[KubernetesObject], version: SchemaVersion
) -> list[SchemaViolation]:
    """Strict validation: unknown fields are errors too, so a misspelt key cannot slip through."""
    violations = []
    for obj in objects:
        try:
            kubernetes_validate.validate(obj.manifest, version.version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(p) for p in exc.absolute_path)
            violations.append(SchemaViolation(obj=obj, message=exc.message, path=path))
        except SchemaNotFoundError as exc:
            violations.append(SchemaViolation(obj=obj, message=exc.message, path="apiVersion"))
        except VersionNotSupportedError as exc:
            violations.append(SchemaViolation(obj=obj, message=exc.message, path=""))
    return violations


def write_objects(objects: Iterable[KubernetesObject], out_dir: Path) -> list[Path]:
    """Write one YAML file per object; stale files from an earlier preview are removed."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.yaml"):
        if old.read_text(encoding="utf-8").startswith("# Rendered offline by `hrmsctl preview`"):
            old.unlink()
    written = []
    for obj in objects:
        path = out_dir / obj.filename
        body = yaml.safe_dump(obj.manifest, sort_keys=False, default_flow_style=False)
        path.write_text(HEADER.format(urn=obj.urn) + body, encoding="utf-8")
        written.append(path)
    return written


@dataclass(frozen=True, kw_only=True)
class KubernetesExport:
    version: SchemaVersion
    objects: list[KubernetesObject]
    written: list[Path]
    violations: list[SchemaViolation]


def export_and_validate(plan: Plan, out_dir: Path | None) -> KubernetesExport:
    objects = kubernetes_objects(plan)
    version = schema_version(plan)
    written = write_objects(objects, out_dir) if out_dir is not None else []
    return KubernetesExport(
        version=version,
        objects=objects,
        written=written,
        violations=validate_objects(objects, version),
    )
