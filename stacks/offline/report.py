"""The HTML preview report: a per-stack summary, the auditor view, then trees, parity, verdicts."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2

from stacks.offline.key_settings import key_settings
from stacks.offline.parity import (
    Difference,
    ParityConfigError,
    ParityReport,
    compare,
    load_allowed,
)
from stacks.offline.plan import Plan, PlanFormatError
from stacks.offline.provenance import git_commit, tool_versions
from stacks.offline.tree import component_tree

TEMPLATES = Path(__file__).resolve().parent / "templates"
STACK_ORDER = ("staging", "prod")


class ReportInputError(ValueError):
    """The plans or policy results given to the report are missing or malformed."""


@dataclass(frozen=True, kw_only=True)
class RuleRow:
    """One auditor-view row: a rule and its verdict in each stack."""

    name: str
    description: str
    frameworks: list[str]
    enforcement: str
    severity: str
    status: dict[str, str]
    resources_checked: dict[str, int]
    violations: dict[str, list[dict[str, str]]]
    remediation: str = ""


def load_plans(plans_dir: Path) -> list[Plan]:
    if not plans_dir.is_dir():
        raise ReportInputError(
            f"plans directory {plans_dir} not found; run `hrmsctl preview` first"
        )
    plans = [Plan.load(path) for path in sorted(plans_dir.glob("*.json"))]
    if not plans:
        raise ReportInputError(f"no plan JSON files in {plans_dir}")

    def order(plan: Plan) -> tuple[int, str]:
        rank = STACK_ORDER.index(plan.stack) if plan.stack in STACK_ORDER else len(STACK_ORDER)
        return rank, plan.stack

    return sorted(plans, key=order)


def load_policy(path: Path) -> dict[str, Any] | None:
    """Policy results written by ``hrmsctl policy`` for one stack, if present."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ReportInputError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(data, Mapping) or not isinstance(data.get("rules"), list):
        raise ReportInputError(f"{path}: expected an object with a 'rules' list")
    if not isinstance(data.get("violations", []), list):
        raise ReportInputError(f"{path}: 'violations' must be a list")
    for index, rule in enumerate(data["rules"]):
        if not isinstance(rule, Mapping) or not isinstance(rule.get("name"), str):
            raise ReportInputError(f"{path}: rules[{index}] needs a string 'name'")
    return dict(data)


def _status(rule: Mapping[str, Any], violations: list[dict[str, str]]) -> str:
    """The rule's verdict in one stack; a waived rule is "not applicable" with its reason."""
    if violations:
        enforcement = str(rule.get("enforcement", "mandatory"))
        word = "warn" if enforcement == "advisory" else "fail"
        return f"{word} ({len(violations)})"
    status = str(rule.get("status", "pass"))
    if status == "disabled":
        return "disabled"
    if status == "not-applicable":
        reasons = sorted(
            {str(e.get("reason", "")) for e in rule.get("not_applicable") or [] if e.get("reason")}
        )
        why = "; ".join(reasons) or "no resource of the types it checks in this stack"
        return f"not applicable: {why}"
    return "pass"


def rule_rows(policies: Mapping[str, dict[str, Any]]) -> list[RuleRow]:
    rows: dict[str, RuleRow] = {}
    for stack, result in policies.items():
        by_rule: dict[str, list[dict[str, str]]] = {}
        for violation in result.get("violations", []):
            by_rule.setdefault(str(violation.get("rule", "")), []).append(
                {k: str(v) for k, v in violation.items()}
            )
        for rule in result["rules"]:
            name = rule["name"]
            frameworks = rule.get("frameworks") or []
            if isinstance(frameworks, Mapping):
                frameworks = [f"{k} {v}" for k, v in frameworks.items()]
            row = rows.setdefault(
                name,
                RuleRow(
                    name=name,
                    description=str(rule.get("description", "")),
                    frameworks=[str(f) for f in frameworks],
                    enforcement=str(rule.get("enforcement", "")),
                    severity=str(rule.get("severity", "")),
                    status={},
                    resources_checked={},
                    violations={},
                    remediation=str(rule.get("remediation", "") or ""),
                ),
            )
            found = by_rule.get(name, [])
            for violation in found:
                violation["remediation"] = row.remediation
            row.status[stack] = _status(rule, found)
            row.resources_checked[stack] = int(rule.get("resources_checked", 0) or 0)
            row.violations[stack] = found
    return sorted(rows.values(), key=lambda r: r.name)


@dataclass(frozen=True, kw_only=True)
class SummaryRow:
    """One stack at a glance: size, parity with its sibling, and the policy verdict."""

    stack: str
    resources: int
    parity: str
    parity_ok: bool | None  # None: not compared
    policy: str
    mandatory: int | None  # None: not evaluated
    advisory: int | None


def _parity_status(
    parity: ParityReport | None, parity_error: str | None
) -> tuple[str, bool | None]:
    if parity_error:
        return "declarations invalid", False
    if parity is None:
        return "not compared", None
    if parity.ok:
        return "holds", True
    problems = [f"{len(parity.undeclared)} undeclared"] if parity.undeclared else []
    problems += [f"{len(parity.unused)} stale"] if parity.unused else []
    return ", ".join(problems), False


def summary_rows(
    plans: list[Plan],
    parity: ParityReport | None,
    policies: Mapping[str, dict[str, Any]],
    parity_error: str | None = None,
) -> list[SummaryRow]:
    parity_text, parity_ok = _parity_status(parity, parity_error)
    rows = []
    for plan in plans:
        result = policies.get(plan.stack)
        mandatory: int | None = None
        advisory: int | None = None
        verdict = "not evaluated"
        if result is not None:
            levels = [str(v.get("enforcement", "mandatory")) for v in result.get("violations", [])]
            # The engine reports "remediate" as mandatory; only advisory findings pass.
            advisory = sum(level == "advisory" for level in levels)
            mandatory = len(levels) - advisory
            verdict = f"{mandatory} mandatory, {advisory} advisory"
        rows.append(
            SummaryRow(
                stack=plan.stack,
                resources=sum(plan.counts_by_type().values()),
                parity=parity_text,
                parity_ok=parity_ok,
                policy=verdict,
                mandatory=mandatory,
                advisory=advisory,
            )
        )
    return rows


@dataclass(frozen=True, kw_only=True)
class CoverageRow:
    """One coverage-matrix row: an AWS type the plans create and what guards it."""

    type: str
    rules: list[str]
    exemption: str | None
    counts: dict[str, int]

    @property
    def covered(self) -> bool:
        return bool(self.rules) or self.exemption is not None


def coverage_rows(plans: list[Plan]) -> list[CoverageRow]:
    """The policy coverage matrix (type x rules) for every AWS type in ``plans``."""
    from policies.coverage import EXEMPT, coverage_matrix

    counts = {plan.stack: plan.counts_by_type() for plan in plans}
    types = {t for by_type in counts.values() for t in by_type}
    return [
        CoverageRow(
            type=type_,
            rules=rules,
            exemption=None if rules else EXEMPT.get(type_),
            counts={stack: by_type.get(type_, 0) for stack, by_type in counts.items()},
        )
        for type_, rules in coverage_matrix(types).items()
    ]


@dataclass(frozen=True, kw_only=True)
class DifferenceGroup:
    """Differences with the same property and the same values, on one or more resources."""

    path: str
    staging: Any
    prod: Any
    allowed: bool
    reason: str | None
    keys: list[str]


def parity_groups(parity: ParityReport) -> list[DifferenceGroup]:
    """Undeclared differences first; identical differences on many resources in one row."""
    groups: dict[tuple[str, str, str, bool, str], DifferenceGroup] = {}

    def key(d: Difference) -> tuple[str, str, str, bool, str]:
        dump = json.dumps
        return (
            d.path,
            dump(d.staging, sort_keys=True),
            dump(d.prod, sort_keys=True),
            d.allowed,
            d.reason or "",
        )

    for diff in parity.differences:
        group = groups.setdefault(
            key(diff),
            DifferenceGroup(
                path=diff.path,
                staging=diff.staging,
                prod=diff.prod,
                allowed=diff.allowed,
                reason=diff.reason,
                keys=[],
            ),
        )
        group.keys.append(diff.key)
    return sorted(groups.values(), key=lambda g: (g.allowed, g.path, g.keys[0]))


@dataclass(frozen=True, kw_only=True)
class Verdict:
    ok: bool
    problems: list[str]


def overall_verdict(
    plans: list[Plan],
    parity: ParityReport | None,
    policies: Mapping[str, dict[str, Any]],
    parity_error: str | None,
    acceptance: Mapping[str, dict[str, Any]],
) -> Verdict:
    """PASS only when parity holds and every stack was judged by policy and acceptance."""
    problems = []
    if parity_error:
        problems.append(f"parity declarations invalid: {parity_error}")
    elif parity is None:
        problems.append("parity not compared (needs a staging and a prod plan)")
    elif not parity.ok:
        problems.append(
            f"parity: {len(parity.undeclared)} undeclared difference(s), "
            f"{len(parity.unused)} stale declaration(s)"
        )
    for plan in plans:
        result = policies.get(plan.stack)
        if result is None:
            problems.append(f"policy not evaluated for {plan.stack}")
        else:
            mandatory = [
                v for v in result.get("violations", []) if v.get("enforcement") != "advisory"
            ]
            if mandatory:
                problems.append(f"policy {plan.stack}: {len(mandatory)} mandatory violation(s)")
        accepted = acceptance.get(plan.stack)
        if accepted is None:
            problems.append(f"acceptance not checked for {plan.stack}")
        elif accepted.get("findings"):
            problems.append(f"acceptance {plan.stack}: {len(accepted['findings'])} finding(s)")
    return Verdict(ok=not problems, problems=problems)


def build_context(
    plans: list[Plan],
    parity: ParityReport | None,
    policies: Mapping[str, dict[str, Any]],
    parity_error: str | None = None,
    acceptance: Mapping[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    acceptance = acceptance or {}
    commit = git_commit()
    return {
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": str(commit) if commit else "not a git checkout",
        "versions": tool_versions(),
        "verdict": overall_verdict(plans, parity, policies, parity_error, acceptance),
        "key_settings": key_settings(plans),
        "remediation": {
            str(rule.get("name")): str(rule.get("remediation", "") or "")
            for result in policies.values()
            for rule in result.get("rules", [])
        },
        "parity_groups": parity_groups(parity) if parity is not None else [],
        "stacks": [
            {
                "plan": plan,
                "tree": component_tree(plan),
                "counts": plan.counts_by_type(),
                "total": sum(plan.counts_by_type().values()),
                "policy": policies.get(plan.stack),
                "acceptance": acceptance.get(plan.stack),
            }
            for plan in plans
        ],
        "stack_names": [plan.stack for plan in plans],
        "parity": parity,
        "parity_error": parity_error,
        "rules": rule_rows(policies),
        "coverage": coverage_rows(plans),
        "summary": summary_rows(plans, parity, policies, parity_error),
    }


def render(context: Mapping[str, Any]) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("report.html.j2").render(**context)


def write_report(
    plans_dir: Path,
    out_dir: Path,
    *,
    policy_dir: Path | None = None,
    parity_file: Path | None = None,
) -> Path:
    """Render ``out_dir/index.html`` from the plans (and policy results when they exist)."""
    index, _ = write_report_with_verdict(
        plans_dir, out_dir, policy_dir=policy_dir, parity_file=parity_file
    )
    return index


def write_report_with_verdict(
    plans_dir: Path,
    out_dir: Path,
    *,
    policy_dir: Path | None = None,
    parity_file: Path | None = None,
) -> tuple[Path, Verdict]:
    """``write_report``, also returning the overall verdict the report's banner shows."""
    try:
        plans = load_plans(plans_dir)
    except PlanFormatError as exc:
        raise ReportInputError(str(exc)) from exc
    by_stack = {plan.stack: plan for plan in plans}
    parity: ParityReport | None = None
    parity_error: str | None = None
    if "staging" in by_stack and "prod" in by_stack:
        try:
            allowed = load_allowed(parity_file) if parity_file else load_allowed()
        except ParityConfigError as exc:
            parity_error = str(exc)
        else:
            parity = compare(by_stack["staging"], by_stack["prod"], allowed)
    policy_root = policy_dir if policy_dir is not None else plans_dir.parent / "policy"
    policies = {}
    for plan in plans:
        result = load_policy(policy_root / f"{plan.stack}.json")
        if result is not None:
            policies[plan.stack] = result
    acceptance = {}
    for plan in plans:
        # Written by ``hrmsctl accept --json``; read as is (its own command validated it).
        path = plans_dir.parent / "acceptance" / f"{plan.stack}.json"
        if path.is_file():
            try:
                acceptance[plan.stack] = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise ReportInputError(f"{path}: not valid JSON ({exc})") from exc
    context = build_context(plans, parity, policies, parity_error, acceptance)
    out_dir.mkdir(parents=True, exist_ok=True)
    index = out_dir / "index.html"
    index.write_text(render(context), encoding="utf-8")
    verdict: Verdict = context["verdict"]
    return index, verdict
