"""Kubernetes rules: container hardening, resources, probes, digests, PDBs, namespace guards."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pulumi_policy import (
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)

from policies.common import (
    SOC2,
    HrmsPolicy,
    HrmsResourcePolicy,
    HrmsStackPolicy,
    as_list,
    config_value,
    get_path,
    is_true,
    related,
    resources_of,
    violation,
)

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
DAEMON_SET = "kubernetes:apps/v1:DaemonSet"
JOB = "kubernetes:batch/v1:Job"
CRON_JOB = "kubernetes:batch/v1:CronJob"
POD = "kubernetes:core/v1:Pod"
NAMESPACE = "kubernetes:core/v1:Namespace"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"

POD_SPEC_PATHS: dict[str, str] = {
    DEPLOYMENT: "spec.template.spec",
    STATEFUL_SET: "spec.template.spec",
    DAEMON_SET: "spec.template.spec",
    JOB: "spec.template.spec",
    CRON_JOB: "spec.jobTemplate.spec.template.spec",
    POD: "spec",
}
WORKLOADS = list(POD_SPEC_PATHS)
LONG_RUNNING = [DEPLOYMENT, STATEFUL_SET, DAEMON_SET]
DIGEST_RE = re.compile(r"@sha256:[0-9a-f]{64}$")
PSS_ENFORCE = "pod-security.kubernetes.io/enforce"


def _containers(
    args: ResourceValidationArgs, *, init: bool = True
) -> Iterator[tuple[str, Mapping[str, Any], Mapping[str, Any]]]:
    """Yield (label, container, pod security context) for every container of the workload."""
    pod = get_path(args.props, POD_SPEC_PATHS[args.resource_type], {})
    pod_sc = get_path(pod, "securityContext", {})
    kinds = ("initContainers", "containers") if init else ("containers",)
    for kind in kinds:
        for container in as_list(get_path(pod, kind)):
            yield f"{kind}[{get_path(container, 'name', '?')}]", container, pod_sc


def _non_root(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for label, c, pod_sc in _containers(args):
        own = get_path(c, "securityContext.runAsNonRoot")
        effective = own if isinstance(own, bool) else get_path(pod_sc, "runAsNonRoot")
        if not is_true(effective):
            violation(report, f"{label}: runAsNonRoot must be true (container or pod level).")


def _read_only_root(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for label, c, _ in _containers(args):
        if not is_true(get_path(c, "securityContext.readOnlyRootFilesystem")):
            violation(report, f"{label}: securityContext.readOnlyRootFilesystem must be true.")


def _no_escalation(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for label, c, _ in _containers(args):
        if get_path(c, "securityContext.allowPrivilegeEscalation") is not False:
            violation(report, f"{label}: securityContext.allowPrivilegeEscalation must be false.")
        if is_true(get_path(c, "securityContext.privileged")):
            violation(report, f"{label}: securityContext.privileged must not be true.")


def _resources(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for label, c, _ in _containers(args):
        for key in ("requests.cpu", "requests.memory", "limits.memory"):
            if not get_path(c, f"resources.{key}"):
                violation(report, f"{label}: resources.{key} must be set.")


def _probes(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for label, c, _ in _containers(args, init=False):
        for probe in ("readinessProbe", "livenessProbe"):
            if not get_path(c, probe):
                violation(report, f"{label}: {probe} must be set.")


def _digest(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for label, c, _ in _containers(args):
        image = str(get_path(c, "image", ""))
        if not DIGEST_RE.search(image):
            violation(
                report, f"{label}: image {image or '(unset)'} must be pinned by @sha256 digest."
            )


def _namespace_of(resource: PolicyResource) -> str | None:
    value = get_path(resource.props, "metadata.namespace")
    return value if isinstance(value, str) else None


def _same_namespace(a: PolicyResource, b: PolicyResource) -> bool:
    # A namespace taken from another resource's output is not a literal in preview;
    # only literals that disagree prove two objects live apart.
    na, nb = _namespace_of(a), _namespace_of(b)
    return na is None or nb is None or na == nb


def _pdb_per_deployment(args: StackValidationArgs, report: ReportViolation) -> None:
    pdbs = resources_of(args.resources, PDB)
    for deployment in resources_of(args.resources, DEPLOYMENT):
        labels = get_path(deployment.props, "spec.template.metadata.labels", {})
        covered = False
        for pdb in pdbs:
            selector = get_path(pdb.props, "spec.selector.matchLabels", {})
            if not selector or not _same_namespace(deployment, pdb):
                continue
            if all(labels.get(k) == v for k, v in selector.items()):
                covered = True
                break
        if not covered:
            violation(
                report, "no PodDisruptionBudget selects this Deployment's pods.", deployment.urn
            )


def _network_policy_per_namespace(args: StackValidationArgs, report: ReportViolation) -> None:
    policies = resources_of(args.resources, NETWORK_POLICY)
    for namespace in resources_of(args.resources, NAMESPACE):
        name = get_path(namespace.props, "metadata.name")
        covered = False
        for policy in policies:
            target = _namespace_of(policy)
            # Literal names decide; the dependency edge only links names known after apply.
            if isinstance(name, str) and target is not None:
                covered = target == name
            else:
                covered = related(policy, namespace)
            if covered:
                break
        if not covered:
            violation(report, "no NetworkPolicy applies in this namespace.", namespace.urn)


def _pod_security_labels(args: ResourceValidationArgs, report: ReportViolation) -> None:
    level = str(config_value(args, "level", "restricted"))
    labels = get_path(args.props, "metadata.labels", {})
    if labels.get(PSS_ENFORCE) != level:
        violation(report, f'metadata.labels["{PSS_ENFORCE}"] must be "{level}".')


CONTAINER_FRAMEWORKS = [SOC2("CC6.8")]


def _workload_rule(
    name: str,
    description: str,
    check: Callable[[ResourceValidationArgs, ReportViolation], None],
    severity: Severity,
    remediation: str,
    types: list[str] = WORKLOADS,
) -> HrmsResourcePolicy:
    return HrmsResourcePolicy(
        name=name,
        description=description,
        resource_types=types,
        check=check,
        severity=severity,
        frameworks=CONTAINER_FRAMEWORKS,
        remediation=remediation,
    )


POLICIES: list[HrmsPolicy] = [
    _workload_rule(
        "k8s-run-as-non-root",
        "Containers run as a non-root user.",
        _non_root,
        Severity.HIGH,
        "Set securityContext.runAsNonRoot=true with a numeric runAsUser on the pod or container.",
    ),
    _workload_rule(
        "k8s-read-only-root-filesystem",
        "Containers have a read-only root filesystem.",
        _read_only_root,
        Severity.MEDIUM,
        "Set securityContext.readOnlyRootFilesystem=true and mount an emptyDir for /tmp.",
    ),
    _workload_rule(
        "k8s-no-privilege-escalation",
        "Containers cannot escalate privileges and are not privileged.",
        _no_escalation,
        Severity.HIGH,
        "Set securityContext.allowPrivilegeEscalation=false, drop ALL capabilities and never "
        "set privileged.",
    ),
    _workload_rule(
        "k8s-resources-set",
        "Containers request CPU and memory and cap memory.",
        _resources,
        Severity.MEDIUM,
        "Set resources.requests.cpu, resources.requests.memory and resources.limits.memory.",
    ),
    _workload_rule(
        "k8s-probes-set",
        "Long-running containers have readiness and liveness probes.",
        _probes,
        Severity.MEDIUM,
        "Add readinessProbe (/readyz) and livenessProbe (/healthz).",
        types=LONG_RUNNING,
    ),
    _workload_rule(
        "k8s-image-pinned-by-digest",
        "Container images are pinned by immutable sha256 digest.",
        _digest,
        Severity.HIGH,
        "Reference images as <repository>@sha256:<digest> from the stack config.",
    ),
    HrmsStackPolicy(
        name="k8s-pdb-per-deployment",
        description="Every Deployment has a PodDisruptionBudget selecting its pods.",
        resource_types=[DEPLOYMENT],
        check=_pdb_per_deployment,
        severity=Severity.MEDIUM,
        frameworks=[SOC2("A1.2")],
        remediation="Add a policy/v1 PodDisruptionBudget whose selector matches the pod "
        "template labels in the same namespace.",
    ),
    HrmsStackPolicy(
        name="k8s-namespace-network-policy",
        description="Every namespace has at least one NetworkPolicy (default deny first).",
        resource_types=[NAMESPACE],
        check=_network_policy_per_namespace,
        severity=Severity.HIGH,
        frameworks=[SOC2("CC6.6")],
        remediation="Add a default-deny NetworkPolicy in the namespace, then allow only the "
        "traffic the app needs.",
    ),
    HrmsResourcePolicy(
        name="k8s-namespace-pod-security",
        description="Namespaces enforce the Pod Security Standard.",
        resource_types=[NAMESPACE],
        check=_pod_security_labels,
        severity=Severity.MEDIUM,
        frameworks=[SOC2("CC6.8")],
        remediation='Label the namespace pod-security.kubernetes.io/enforce="restricted".',
        config_schema=PolicyConfigSchema(
            properties={
                "level": {
                    "type": "string",
                    "enum": ["restricted", "baseline"],
                    "default": "restricted",
                }
            }
        ),
    ),
]
