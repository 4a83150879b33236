"""Offline answers to provider functions (invokes), keyed by token; results use camelCase keys."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

MOCK_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "eu-west-1"


@dataclass(frozen=True, kw_only=True)
class InvokeContext:
    """What the handlers may know about the stack being previewed."""

    stack: str
    project: str
    region: str = DEFAULT_REGION
    account_id: str = MOCK_ACCOUNT_ID
    # The stack's config (``<namespace>:<key>`` -> value as the CLI hands it over).
    config: Mapping[str, str] = dataclass_field(default_factory=dict)
    # Digests in the stack's ECR repository; None: the one the stack config names.
    pushed_images: frozenset[str] | None = None
    # IAM roles in the account; None: what `hrmsctl bootstrap` creates.
    iam_roles: frozenset[str] | None = None

    @property
    def partition(self) -> str:
        if self.region.startswith("cn-"):
            return "aws-cn"
        if self.region.startswith("us-gov-"):
            return "aws-us-gov"
        return "aws"


InvokeHandler = Callable[[Mapping[str, Any], InvokeContext], dict[str, Any]]


class InvokeFailedError(RuntimeError):
    """A provider function failed the way AWS would answer (e.g. a missing image)."""

    def __init__(self, token: str, message: str) -> None:
        super().__init__(f"invoke of {token} failed: {message}")
        self.token = token
        self.reason = message


class UnhandledInvokeError(RuntimeError):
    """The program called a provider function the offline engine has no answer for."""

    def __init__(self, token: str) -> None:
        super().__init__(
            f"unhandled invoke '{token}': the offline engine has no handler for it; "
            "add one to INVOKES in stacks/offline/invokes.py"
        )
        self.token = token


def _caller_identity(_args: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    return {
        "accountId": ctx.account_id,
        "arn": f"arn:{ctx.partition}:iam::{ctx.account_id}:user/offline-preview",
        "id": ctx.account_id,
        "userId": "AIDAOFFLINEPREVIEW",
    }


def _region(args: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    region = str(args.get("region") or args.get("name") or ctx.region)
    return {
        "id": region,
        "name": region,
        "region": region,
        "description": f"offline {region}",
        "endpoint": f"ec2.{region}.amazonaws.com",
    }


def _partition(_args: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    suffix = "amazonaws.com.cn" if ctx.partition == "aws-cn" else "amazonaws.com"
    return {
        "id": ctx.partition,
        "partition": ctx.partition,
        "dnsSuffix": suffix,
        "reverseDnsPrefix": ".".join(reversed(suffix.split("."))),
    }


def _availability_zones(args: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    region = str(args.get("region") or ctx.region)
    letters = "abc"
    excluded = set(args.get("excludeNames") or [])
    names = [f"{region}{letter}" for letter in letters if f"{region}{letter}" not in excluded]
    return {
        "id": region,
        "names": names,
        "zoneIds": [f"{region[:3]}{region[-1]}-az{i + 1}" for i in range(len(names))],
        "groupNames": [region] * len(names),
        "state": args.get("state") or "available",
    }


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _single_or_list(values: list[Any]) -> Any:
    # IAM renders one-element lists as scalars; keep that so documents compare cleanly.
    return values[0] if len(values) == 1 else values


def _render_statement(statement: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if statement.get("sid"):
        out["Sid"] = statement["sid"]
    out["Effect"] = statement.get("effect") or "Allow"
    for key, field in (
        ("Action", "actions"),
        ("NotAction", "notActions"),
        ("Resource", "resources"),
        ("NotResource", "notResources"),
    ):
        values = _as_list(statement.get(field))
        if values:
            out[key] = _single_or_list(sorted(values) if key.endswith("Action") else values)
    for key, field in (("Principal", "principals"), ("NotPrincipal", "notPrincipals")):
        principals = _as_list(statement.get(field))
        if principals:
            rendered: dict[str, Any] = {}
            for principal in principals:
                kind = str(principal.get("type", ""))
                ids = _as_list(principal.get("identifiers"))
                if kind == "*" and ids == ["*"]:
                    out[key] = "*"
                    break
                existing = _as_list(rendered.get(kind))
                rendered[kind] = _single_or_list(existing + ids)
            else:
                out[key] = rendered
    conditions = _as_list(statement.get("conditions"))
    if conditions:
        rendered_conditions: dict[str, dict[str, Any]] = {}
        for condition in conditions:
            test = str(condition.get("test", ""))
            variable = str(condition.get("variable", ""))
            values = _as_list(condition.get("values"))
            rendered_conditions.setdefault(test, {})[variable] = _single_or_list(values)
        out["Condition"] = rendered_conditions
    return out


def _policy_document(args: Mapping[str, Any], _ctx: InvokeContext) -> dict[str, Any]:
    statements: list[dict[str, Any]] = []
    for source in _as_list(args.get("sourcePolicyDocuments")):
        statements.extend(_as_list(json.loads(source).get("Statement")))
    statements.extend(_render_statement(s) for s in _as_list(args.get("statements")))
    for override in _as_list(args.get("overridePolicyDocuments")):
        # Same semantics as the provider: an override statement replaces the one with its Sid.
        for replacement in _as_list(json.loads(override).get("Statement")):
            sid = replacement.get("Sid")
            kept = [s for s in statements if not sid or s.get("Sid") != sid]
            statements = [*kept, replacement]
    document: dict[str, Any] = {"Version": args.get("version") or "2012-10-17"}
    if args.get("policyId"):
        document["Id"] = args["policyId"]
    document["Statement"] = statements
    minified = json.dumps(document, separators=(",", ":"))
    return {
        "id": hashlib.sha256(minified.encode()).hexdigest()[:10],
        "json": json.dumps(document, indent=2),
        "minifiedJson": minified,
        "statements": _as_list(args.get("statements")),
        "version": document["Version"],
    }


def _eks_addon_version(args: Mapping[str, Any], _ctx: InvokeContext) -> dict[str, Any]:
    addon = str(args.get("addonName", ""))
    k8s = str(args.get("kubernetesVersion", ""))
    return {
        "id": addon,
        "addonName": addon,
        "kubernetesVersion": k8s,
        "mostRecent": bool(args.get("mostRecent", False)),
        "version": f"v0.0.0-eksbuild.offline-{k8s}",
    }


def _random_password(args: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    # Deterministic so plans are reproducible; secret inputs are redacted in the plan anyway.
    length = int(args.get("passwordLength") or 32)
    seed = hashlib.sha256(f"{ctx.stack}:{sorted(args.items())}".encode()).hexdigest()
    value = ("Offline0" + seed * (length // len(seed) + 1))[:length]
    return {"id": "offline", "randomPassword": value}


def _secret_version(args: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    secret_id = str(args.get("secretId", ""))
    digest = hashlib.sha256(f"{ctx.stack}:{secret_id}".encode()).hexdigest()
    return {
        "id": f"{secret_id}|AWSCURRENT",
        "arn": secret_id,
        "secretId": secret_id,
        "secretString": f"Offline0{digest}",
        "versionId": digest[:32],
        "versionStage": str(args.get("versionStage") or "AWSCURRENT"),
        "versionStages": ["AWSCURRENT"],
        "createdDate": "2024-01-01T00:00:00Z",
    }


def _configured_image_digest(ctx: InvokeContext) -> str | None:
    try:
        workload = json.loads(ctx.config.get(f"{ctx.project}:workload") or "{}")
    except json.JSONDecodeError:
        return None
    digest = workload.get("imageDigest") if isinstance(workload, dict) else None
    return str(digest) if digest else None


def _ecr_image(args: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    token = "aws:ecr/getImage:getImage"  # noqa: S105 - an invoke token
    repository = str(args.get("repositoryName") or "")
    digest = args.get("imageDigest")
    registry = str(args.get("registryId") or ctx.account_id)
    if ctx.pushed_images is not None:
        pushed = ctx.pushed_images
    else:
        configured = _configured_image_digest(ctx)
        pushed = frozenset({configured} if configured else ())
    if not digest or digest not in pushed:
        # ECR's own answer (DescribeImages) for a digest the repository does not hold.
        raise InvokeFailedError(
            token,
            f"ImageNotFoundException: The image with imageId {{imageDigest:'{digest}'}} does "
            f"not exist within the repository with name '{repository}' in the registry with "
            f"id '{registry}'",
        )
    host = f"{registry}.dkr.ecr.{ctx.region}.amazonaws.com"
    return {
        "id": f"{registry}/{repository}@{digest}",
        "imageDigest": digest,
        "imagePushedAt": 1_704_067_200,
        "imageSizeInBytes": 123_456_789,
        "imageTags": [],
        "imageUri": f"{host}/{repository}@{digest}",
        "region": ctx.region,
        "registryId": registry,
        "repositoryName": repository,
    }


def _iam_role(args: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    from infra.account import APIGATEWAY_CLOUDWATCH_ROLE, AUTOSCALING_SERVICE_LINKED_ROLE

    name = str(args.get("name") or "")
    paths = {
        AUTOSCALING_SERVICE_LINKED_ROLE: "/aws-service-role/autoscaling.amazonaws.com/",
        APIGATEWAY_CLOUDWATCH_ROLE: "/",
    }
    roles = ctx.iam_roles if ctx.iam_roles is not None else frozenset(paths)
    if name not in roles:
        raise InvokeFailedError(
            "aws:iam/getRole:getRole",
            f"NoSuchEntity: The role with name {name} cannot be found.",
        )
    path = paths.get(name, "/")
    return {
        "id": name,
        "arn": f"arn:{ctx.partition}:iam::{ctx.account_id}:role{path}{name}",
        "assumeRolePolicy": "{}",
        "createDate": "2024-01-01T00:00:00Z",
        "description": "",
        "maxSessionDuration": 3600,
        "name": name,
        "path": path,
        "permissionsBoundary": "",
        "roleLastUseds": [],
        "tags": {},
        "uniqueId": "AROA" + hashlib.sha256(name.encode()).hexdigest()[:17].upper(),
    }


INVOKES: dict[str, InvokeHandler] = {
    "aws:index/getCallerIdentity:getCallerIdentity": _caller_identity,
    "aws:index/getRegion:getRegion": _region,
    "aws:index/getPartition:getPartition": _partition,
    "aws:index/getAvailabilityZones:getAvailabilityZones": _availability_zones,
    "aws:iam/getPolicyDocument:getPolicyDocument": _policy_document,
    "aws:eks/getAddonVersion:getAddonVersion": _eks_addon_version,
    "aws:secretsmanager/getRandomPassword:getRandomPassword": _random_password,
    "aws:secretsmanager/getSecretVersion:getSecretVersion": _secret_version,
    "aws:ecr/getImage:getImage": _ecr_image,
    "aws:iam/getRole:getRole": _iam_role,
}


def handle_invoke(token: str, args: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    """Answer ``token`` from the table, or fail naming the token (strict mocks)."""
    handler = INVOKES.get(token)
    if handler is None:
        raise UnhandledInvokeError(token)
    return handler(args, ctx)
