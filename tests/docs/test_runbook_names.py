"""Runbook commands name resources that exist in the real staging and prod plans."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stacks.offline.plan import Plan
from stacks.outputs import APP_SERVICE_NAME
from tests.infra.plans import STACKS, stack_plan

RUNBOOKS = Path(__file__).resolve().parents[2] / "docs" / "runbooks"
STACK_OUTPUT = re.compile(r"pulumi stack output (\w+)")
# kubectl objects addressed by name: deploy/x, "get hpa x", "get configmap x", ...
KUBE_NAMED = re.compile(
    r"\b(deploy|deployment|hpa|configmap|svc|service)[/ ]((?:\$\w+|[a-z0-9][\w.-]*))"
)
LABEL_SELECTOR = re.compile(r"\s-l\s+([\w./-]+)=([\w.-]+)")
STACK_NAME = re.compile(r"hrms-\$STACK-[\w<>-]*")
KUBE_KIND = {
    "deploy": "kubernetes:apps/v1:Deployment",
    "deployment": "kubernetes:apps/v1:Deployment",
    "hpa": "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    "configmap": "kubernetes:core/v1:ConfigMap",
    "svc": "kubernetes:core/v1:Service",
    "service": "kubernetes:core/v1:Service",
}
# Variables the runbooks set from stack outputs (alarms.md "Before you start").
VARIABLE_OUTPUT = {"$APP": APP_SERVICE_NAME}


def commands() -> str:
    """Every fenced block and inline code span of the runbooks, one string."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(RUNBOOKS.glob("*.md")))
    blocks = re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.DOTALL)
    spans = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.DOTALL))
    return "\n".join(blocks + spans)


def physical_names(plan: Plan) -> set[str]:
    names: set[str] = set()
    for resource in plan.resources:
        for key in ("name", "identifier", "clusterName", "topicName", "dashboardName"):
            value = resource.inputs.get(key)
            if isinstance(value, str):
                names.add(value)
        names.update(str(v) for v in plan.outputs.values() if isinstance(v, str))
    return names


def kube_names(plan: Plan, kind: str) -> set[str]:
    return {r.inputs["metadata"]["name"] for r in plan.by_type(KUBE_KIND[kind])}


def test_scanner_finds_the_references_it_checks() -> None:
    sample = (
        "kubectl -n $NS rollout undo deploy/hrms-app\n"
        "kubectl -n $NS get hpa $APP -l app.kubernetes.io/name=hrms\n"
        "aws elasticache describe-replication-groups --replication-group-id hrms-$STACK-cache\n"
    )
    assert KUBE_NAMED.findall(sample) == [("deploy", "hrms-app"), ("hpa", "$APP")]
    assert LABEL_SELECTOR.findall(sample) == [("app.kubernetes.io/name", "hrms")]
    assert STACK_NAME.findall(sample) == ["hrms-$STACK-cache"]


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_output_the_runbooks_read_is_exported(stack: str) -> None:
    plan = stack_plan(stack)
    used = set(STACK_OUTPUT.findall(commands()))
    assert used, "runbooks read no stack outputs"
    missing = sorted(used - set(plan.outputs))
    assert not missing, f"{stack}: runbooks read outputs the stack does not export: {missing}"


@pytest.mark.parametrize("stack", STACKS)
def test_kubectl_names_exist_in_the_plan(stack: str) -> None:
    plan = stack_plan(stack)
    wrong = []
    for kind, name in KUBE_NAMED.findall(commands()):
        resolved = plan.outputs[VARIABLE_OUTPUT[name]] if name in VARIABLE_OUTPUT else name
        if name.startswith("$") and name not in VARIABLE_OUTPUT:
            wrong.append(f"{kind} {name}: variable not set from a stack output")
        elif resolved not in kube_names(plan, kind):
            wrong.append(f"{kind}/{name} ({resolved}): no such {KUBE_KIND[kind]}")
    assert not wrong, f"{stack}: {wrong}"


@pytest.mark.parametrize("stack", STACKS)
def test_app_variable_names_the_deployment_the_hpa_scales(stack: str) -> None:
    plan = stack_plan(stack)
    app = plan.outputs[APP_SERVICE_NAME]
    assert app in kube_names(plan, "deploy")
    targets = {r.inputs["spec"]["scaleTargetRef"]["name"] for r in plan.by_type(KUBE_KIND["hpa"])}
    assert app in targets


@pytest.mark.parametrize("stack", STACKS)
def test_label_selectors_match_the_app_pods(stack: str) -> None:
    plan = stack_plan(stack)
    # Each selector must match the pods of some Deployment (the app's, the autoscaler's).
    pod_labels = [
        deployment.inputs["spec"]["template"]["metadata"]["labels"]
        for deployment in plan.by_type(KUBE_KIND["deploy"])
    ]
    selectors = LABEL_SELECTOR.findall(commands())
    wrong = [f"{k}={v}" for k, v in selectors if not any(p.get(k) == v for p in pod_labels)]
    assert not wrong, f"{stack}: selectors match no app pod: {wrong}"


@pytest.mark.parametrize("stack", STACKS)
def test_hard_coded_stack_names_exist(stack: str) -> None:
    """``hrms-$STACK-x`` is only safe for names the program sets explicitly (not auto-named)."""
    plan = stack_plan(stack)
    names = physical_names(plan)
    wrong = []
    for pattern in set(STACK_NAME.findall(commands())):
        concrete = pattern.replace("$STACK", stack)
        if "<" in concrete:  # a documented placeholder, e.g. hrms-$STACK-<key>
            prefix = concrete.split("<", 1)[0]
            if not any(n.startswith(prefix) for n in names):
                wrong.append(pattern)
        elif concrete.rstrip("-") not in names and not any(
            n.startswith(concrete) for n in names if concrete.endswith("-")
        ):
            wrong.append(pattern)
    assert not wrong, f"{stack}: runbook names no resource of the plan: {sorted(wrong)}"
