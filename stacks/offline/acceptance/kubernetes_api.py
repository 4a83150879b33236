"""What the Kubernetes API server (and the controllers behind it) reject beyond the schema.

The OpenAPI schema check (``stacks/offline/kubernetes.py``) sees one object at a time; these
rules look inside and across objects: requests within limits, selectors matching template
labels, probe and Service ports that exist, HPA and PDB targets that exist.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from stacks.offline.acceptance.findings import Finding
from stacks.offline.acceptance.quantities import parse_quantity
from stacks.offline.acceptance.registry import Context, register
from stacks.offline.kubernetes import KubernetesObject, kubernetes_objects

_K8S = "https://kubernetes.io/docs/"
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job")


def pod_template(obj: KubernetesObject) -> Mapping[str, Any] | None:
    spec = obj.manifest.get("spec") or {}
    if obj.kind == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    template = spec.get("template")
    return template if isinstance(template, Mapping) else None


def containers(template: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    spec = template.get("spec") or {}
    out = []
    for field in ("initContainers", "containers"):
        for index, container in enumerate(spec.get(field) or ()):
            out.append((f"spec.template.spec.{field}[{index}]", container))
    return out


def _labels(template: Mapping[str, Any]) -> Mapping[str, str]:
    return (template.get("metadata") or {}).get("labels") or {}


def _selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


class _Objects:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.objects = kubernetes_objects(ctx.plan)
        self.resources = {r.urn: r for r in ctx.plan.resources}

    def finding(
        self, obj: KubernetesObject, prop: str, value: Any, rule_id: str, message: str
    ) -> Finding:
        return self.ctx.finding(
            self.resources[obj.urn], prop, value, rule_id, f"{obj.label}: {message}"
        )

    def workloads(self) -> Iterator[tuple[KubernetesObject, Mapping[str, Any]]]:
        for obj in self.objects:
            template = pod_template(obj)
            if template is not None:
                yield obj, template


@register(
    "k8s-requests-within-limits",
    "a container's resource requests do not exceed its limits",
    _K8S + "concepts/configuration/manage-resources-containers/ "
    "(apiserver: ValidateResourceRequirements)",
)
def _requests_within_limits(ctx: Context) -> Iterator[Finding]:
    objs = _Objects(ctx)
    for obj, template in objs.workloads():
        for path, container in containers(template):
            resources = container.get("resources") or {}
            requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
            for name, request in requests.items():
                want, cap = parse_quantity(request), parse_quantity(limits.get(name))
                if want is not None and cap is not None and want > cap:
                    yield objs.finding(
                        obj,
                        f"{path}.resources.requests.{name}",
                        request,
                        "k8s-requests-within-limits",
                        f"request {request} exceeds the limit {limits[name]}",
                    )


@register(
    "k8s-selector-matches-template",
    "a workload's selector matches its pod template's labels",
    _K8S + "concepts/workloads/controllers/deployment/#selector",
)
def _selector_matches(ctx: Context) -> Iterator[Finding]:
    objs = _Objects(ctx)
    for obj, template in objs.workloads():
        selector = ((obj.manifest.get("spec") or {}).get("selector") or {}).get("matchLabels")
        if obj.kind == "Job" and not (obj.manifest.get("spec") or {}).get("manualSelector"):
            continue  # the Job controller generates its selector
        if isinstance(selector, Mapping) and not _selects(selector, _labels(template)):
            yield objs.finding(
                obj,
                "spec.selector.matchLabels",
                dict(selector),
                "k8s-selector-matches-template",
                f"does not match the template labels {dict(_labels(template))}",
            )


def _ports(container: Mapping[str, Any]) -> tuple[set[str], set[int]]:
    named, numbers = set(), set()
    for port in container.get("ports") or ():
        if port.get("name"):
            named.add(str(port["name"]))
        if isinstance(port.get("containerPort"), int):
            numbers.add(port["containerPort"])
    return named, numbers


def _port_exists(port: Any, named: set[str], numbers: set[int]) -> bool:
    if isinstance(port, str):
        return port in named
    if isinstance(port, int):
        return not numbers or port in numbers  # undeclared ports are allowed if none declared
    return True


@register(
    "k8s-probe-port",
    "probe ports name a declared container port (a number must be a declared one when the "
    "container declares ports)",
    _K8S + "tasks/configure-pod-container/configure-liveness-readiness-startup-probes/",
)
def _probe_ports(ctx: Context) -> Iterator[Finding]:
    objs = _Objects(ctx)
    for obj, template in objs.workloads():
        for path, container in containers(template):
            named, numbers = _ports(container)
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                spec = container.get(probe) or {}
                for handler in ("httpGet", "tcpSocket", "grpc"):
                    port = (spec.get(handler) or {}).get("port")
                    if port is not None and not _port_exists(port, named, numbers):
                        yield objs.finding(
                            obj,
                            f"{path}.{probe}.{handler}.port",
                            port,
                            "k8s-probe-port",
                            f"container {container.get('name')} declares no port {port!r}",
                        )


@register(
    "k8s-service-target-port",
    "a Service selects pods, and each targetPort exists on a container of those pods",
    _K8S + "concepts/services-networking/service/#defining-a-service",
)
def _service_ports(ctx: Context) -> Iterator[Finding]:
    objs = _Objects(ctx)
    workloads = list(objs.workloads())
    for svc in objs.objects:
        if svc.kind != "Service":
            continue
        spec = svc.manifest.get("spec") or {}
        selector = spec.get("selector")
        if not selector:
            continue  # a Service without a selector is backed by hand-made endpoints
        pods = [
            t
            for w, t in workloads
            if w.namespace == svc.namespace and _selects(selector, _labels(t))
        ]
        if not pods:
            yield objs.finding(
                svc,
                "spec.selector",
                dict(selector),
                "k8s-service-target-port",
                "selects no pod template of any workload in the namespace",
            )
            continue
        for index, port in enumerate(spec.get("ports") or ()):
            target = port.get("targetPort", port.get("port"))
            ok = False
            for template in pods:
                for _, container in containers(template):
                    named, numbers = _ports(container)
                    if isinstance(target, str) and target in named:
                        ok = True
                    if isinstance(target, int) and (target in numbers or not numbers):
                        ok = True
            if not ok:
                yield objs.finding(
                    svc,
                    f"spec.ports[{index}].targetPort",
                    target,
                    "k8s-service-target-port",
                    f"no container of the selected pods declares port {target!r}",
                )


@register(
    "k8s-hpa-target",
    "an HPA's scaleTargetRef names an existing workload, minReplicas <= maxReplicas, and "
    "a CPU utilization target has CPU requests on every container to measure against",
    _K8S
    + "tasks/run-application/horizontal-pod-autoscale/#how-does-a-horizontalpodautoscaler-work",
)
def _hpa_target(ctx: Context) -> Iterator[Finding]:
    objs = _Objects(ctx)
    by_ref = {(o.kind, o.namespace, o.name): o for o in objs.objects}
    for hpa in objs.objects:
        if hpa.kind != "HorizontalPodAutoscaler":
            continue
        spec = hpa.manifest.get("spec") or {}
        ref = spec.get("scaleTargetRef") or {}
        target = by_ref.get((str(ref.get("kind")), hpa.namespace, str(ref.get("name"))))
        if target is None:
            yield objs.finding(
                hpa,
                "spec.scaleTargetRef",
                dict(ref),
                "k8s-hpa-target",
                f"no {ref.get('kind')} {hpa.namespace}/{ref.get('name')} in the plan",
            )
        low, high = spec.get("minReplicas", 1), spec.get("maxReplicas")
        if isinstance(low, int) and isinstance(high, int) and low > high:
            yield objs.finding(
                hpa,
                "spec.minReplicas",
                low,
                "k8s-hpa-target",
                f"minReplicas {low} exceeds maxReplicas {high}",
            )
        template = pod_template(target) if target is not None else None
        uses_cpu = any(
            (m.get("resource") or {}).get("name") == "cpu" for m in spec.get("metrics") or ()
        )
        if target is not None and template is not None and uses_cpu:
            for path, container in containers(template):
                if "initContainers" in path:
                    continue
                if "cpu" not in ((container.get("resources") or {}).get("requests") or {}):
                    yield objs.finding(
                        target,
                        f"{path}.resources.requests.cpu",
                        None,
                        "k8s-hpa-target",
                        f"HPA {hpa.name} scales on CPU utilization but container "
                        f"{container.get('name')} has no CPU request",
                    )


@register(
    "k8s-pdb-selector",
    "a PodDisruptionBudget's selector matches the pods of a workload in its namespace",
    _K8S + "tasks/run-application/configure-pdb/#specifying-a-poddisruptionbudget",
)
def _pdb_selector(ctx: Context) -> Iterator[Finding]:
    objs = _Objects(ctx)
    workloads = list(objs.workloads())
    for pdb in objs.objects:
        if pdb.kind != "PodDisruptionBudget":
            continue
        selector = ((pdb.manifest.get("spec") or {}).get("selector") or {}).get("matchLabels")
        if not isinstance(selector, Mapping):
            continue
        if not any(
            w.namespace == pdb.namespace and _selects(selector, _labels(t)) for w, t in workloads
        ):
            yield objs.finding(
                pdb,
                "spec.selector.matchLabels",
                dict(selector),
                "k8s-pdb-selector",
                "matches no pod template of any workload in the namespace",
            )
