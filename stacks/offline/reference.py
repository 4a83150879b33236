"""Generated references: every stack config key (docs/reference/config.md) and every stack
export (docs/reference/outputs.md), so the docs cannot drift from the code.

The config reference is built from the config's public shape only: the dataclass fields of
``StackConfig`` and its sections (keys are the camelCase field names), the stack files, and
what ``parse_stack_config`` answers. The default is what the parser yields with the key
removed, the allowed values are what it says when given a value out of any range; so the page
stays right however the validation is organised. A field may carry ``metadata={"doc": ...}``
to describe itself; otherwise its section's entry in ``SECTION_DRIVES`` does.
"""

from __future__ import annotations

import dataclasses
import json
import re
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stacks import config as stack_config
from stacks import outputs

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG_DOC = Path("docs/reference/config.md")
OUTPUTS_DOC = Path("docs/reference/outputs.md")
STACKS = ("staging", "prod")
NAMESPACE = stack_config.PROJECT

# What each section of the stack file drives (the component that takes it).
SECTION_DRIVES: dict[str, str] = {
    "environment": "the `Environment` tag, stack-dependent policy config and defaults",
    "disposable": "whether `make destroy` may delete the stack and its data",
    "tags": "the mandatory tags on every taggable resource (`infra/tagging.py`)",
    "network": "the VPC, subnets, NAT gateways and flow logs (`infra/network/vpc.py`)",
    "database": "the RDS PostgreSQL instance, its parameters and logs "
    "(`infra/database/postgres.py`)",
    "backup": "AWS Backup plan, cross-region copy, restore testing and logical backups "
    "(`infra/database/backups.py`, `infra/workload/backup_jobs.py`)",
    "cache": "the ElastiCache replication group for rate-limit state (`infra/cache/redis.py`)",
    "cluster": "the EKS cluster, node group and add-ons (`infra/cluster/`)",
    "loadBalancer": "the internal NLB and target group (`infra/loadbalancer/nlb.py`)",
    "workload": "the app Deployment, HPA, Service and migration Job (`infra/workload/app.py`)",
    "edge": "API Gateway stage throttling, WAF and access logs (`infra/edge/`)",
    "alarms": "CloudWatch alarm thresholds and the alert topic's subscribers "
    "(`infra/observability/`)",
}


def camel(name: str) -> str:
    return re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), name)


@dataclass(frozen=True, kw_only=True)
class KeyRow:
    key: str  # hrms:database.instanceClass
    type: str
    allowed: str
    default: str
    values: dict[str, str]
    drives: str


def _raw_config(stack: str) -> dict[str, str]:
    from stacks.offline.engine import load_stack_config

    return load_stack_config(stack, REPO_ROOT)


def _parse(stack: str, raw: Mapping[str, str]) -> Any:
    region = raw.get("aws:region")
    return stack_config.parse_stack_config(
        stack, lambda k: raw.get(f"{NAMESPACE}:{k}"), region, keys=sorted(raw)
    )


def _with(raw: Mapping[str, str], section: str | None, key: str, value: Any) -> dict[str, str]:
    """``raw`` with one key set (or removed when ``value`` is ``...``)."""
    changed = dict(raw)
    if section is None:
        if value is ...:
            changed.pop(f"{NAMESPACE}:{key}", None)
        else:
            changed[f"{NAMESPACE}:{key}"] = (
                json.dumps(value) if not isinstance(value, str) else value
            )
        return changed
    body = json.loads(changed.get(f"{NAMESPACE}:{section}", "{}"))
    if value is ...:
        body.pop(key, None)
    else:
        body[key] = value
    changed[f"{NAMESPACE}:{section}"] = json.dumps(body)
    return changed


def _problem(stack: str, raw: Mapping[str, str], full_key: str) -> str | None:
    """What the parser says about ``full_key`` for ``raw``, or None when it accepts it."""
    try:
        _parse(stack, raw)
    except stack_config.ConfigError as exc:
        for line in str(exc).splitlines():
            marker = f"{full_key}: "
            if marker in line:
                return line.split(marker, 1)[1]
        return str(exc).splitlines()[0].split(": ", 2)[-1]
    return None


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(_show(v) for v in value) or "(empty)"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_show(v)}" for k, v in value.items()) or "(empty)"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return ", ".join(_show(v) for v in dataclasses.asdict(value).values())
    return str(value)


def _type_name(hint: Any) -> str:
    text = getattr(hint, "__name__", None) if not typing.get_args(hint) else None
    return text or str(hint).replace("typing.", "")


_PROBES: dict[str, Any] = {"int": -(10**12), "float": -(10**12), "bool": "not-a-boolean"}


def _allowed(stack: str, raw: Mapping[str, str], section: str | None, key: str, kind: str) -> str:
    """The parser's own words for a value it cannot accept (a range, a list of choices)."""
    full = f"{NAMESPACE}:{section}.{key}" if section else f"{NAMESPACE}:{key}"
    probe = _PROBES.get(kind, "\x01not a valid value\x01")
    said = _problem(stack, _with(raw, section, key, probe), full)
    if said is None:
        return "any"
    said = said.replace(str(probe), "").replace(repr(probe), "").strip(" :")
    expected = re.match(r"expected (.+?)(, got .*)?$", said)
    if expected:
        return expected.group(1)
    match = re.search(r"outside (\S+)", said)
    if match:
        return match.group(1)
    match = re.search(r"is not (one of .+|an? .+|PostgreSQL .+)", said)
    if match:
        return match.group(1)
    return said or "see the error it gives"


def _default(stack: str, raw: Mapping[str, str], section: str | None, key: str, attr: str) -> str:
    full = f"{NAMESPACE}:{section}.{key}" if section else f"{NAMESPACE}:{key}"
    without = _with(raw, section, key, ...)
    said = _problem(stack, without, full)
    if said is not None:
        return "required" if "missing" in said or "required" in said else f"required ({said})"
    parsed = _parse(stack, without)
    node = getattr(parsed, camel_to_attr(section)) if section else parsed
    return _show(getattr(node, attr, None))


def camel_to_attr(section: str | None) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), section or "")


def _leaf_fields(cls: type) -> list[tuple[str, dataclasses.Field[Any], Any, str]]:
    """(key, field, type hint, attribute path) of a section, nested settings flattened."""
    hints = typing.get_type_hints(cls)
    rows = []
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        if dataclasses.is_dataclass(hint) and isinstance(hint, type):
            for key, inner, inner_hint, path in _leaf_fields(hint):
                rows.append((key, inner, inner_hint, f"{f.name}.{path}"))
        else:
            rows.append((camel(f.name), f, hint, f.name))
    return rows


def config_rows() -> list[KeyRow]:
    raws = {stack: _raw_config(stack) for stack in STACKS}
    parsed = {stack: _parse(stack, raw) for stack, raw in raws.items()}
    base_stack = STACKS[0]
    rows: list[KeyRow] = []
    hints = typing.get_type_hints(stack_config.StackConfig)
    for top in dataclasses.fields(stack_config.StackConfig):
        hint = hints[top.name]
        section = camel(top.name)
        if not (dataclasses.is_dataclass(hint) and isinstance(hint, type)):
            if f"{NAMESPACE}:{section}" not in raws[base_stack] and section != "disposable":
                continue  # derived (stack name, region), not a key of the hrms namespace
            kind = _type_name(hint)
            rows.append(
                KeyRow(
                    key=f"{NAMESPACE}:{section}",
                    type=kind,
                    allowed=_allowed(base_stack, raws[base_stack], None, section, kind),
                    default=_default(base_stack, raws[base_stack], None, section, top.name),
                    values={s: _show(getattr(parsed[s], top.name)) for s in STACKS},
                    drives=str(top.metadata.get("doc") or SECTION_DRIVES.get(section, "")),
                )
            )
            continue
        present = {
            k for raw in raws.values() for k in json.loads(raw.get(f"{NAMESPACE}:{section}", "{}"))
        }
        matched: set[str] = set()
        for key, f, field_hint, path in _leaf_fields(hint):
            if key not in present and not _reads(base_stack, raws[base_stack], section, key):
                continue  # not a stack-file key (derived or assembled from other keys)
            matched.add(key)
            kind = _type_name(field_hint)

            def value(stack: str, path: str = path, attr: str = top.name) -> str:
                node = getattr(parsed[stack], attr)
                for part in path.split("."):
                    node = getattr(node, part)
                return _show(node)

            rows.append(
                KeyRow(
                    key=f"{NAMESPACE}:{section}.{key}",
                    type=kind,
                    allowed=_allowed(base_stack, raws[base_stack], section, key, kind),
                    default=_default_at(base_stack, raws[base_stack], section, key, top.name, path),
                    values={s: value(s) for s in STACKS},
                    drives=str(f.metadata.get("doc") or SECTION_DRIVES.get(section, "")),
                )
            )
        for key in sorted(present - matched):
            # Keys assembled into another field (alert emails -> subscribers).
            rows.append(
                KeyRow(
                    key=f"{NAMESPACE}:{section}.{key}",
                    type="list of str",
                    allowed=_allowed(base_stack, raws[base_stack], section, key, "list"),
                    default=_default_raw(base_stack, raws[base_stack], section, key),
                    values={
                        s: _show(json.loads(raws[s].get(f"{NAMESPACE}:{section}", "{}")).get(key))
                        for s in STACKS
                    },
                    drives=SECTION_DRIVES.get(section, ""),
                )
            )
    return rows


def _reads(stack: str, raw: Mapping[str, str], section: str, key: str) -> bool:
    """Whether the parser reads ``section.key`` (an unread key is reported as unknown)."""
    said = _problem(
        stack, _with(raw, section, key, "\x01probe\x01"), f"{NAMESPACE}:{section}.{key}"
    )
    return said is None or "unknown key" not in said


def _default_at(
    stack: str, raw: Mapping[str, str], section: str, key: str, top: str, path: str
) -> str:
    full = f"{NAMESPACE}:{section}.{key}"
    without = _with(raw, section, key, ...)
    said = _problem(stack, without, full)
    if said is not None:
        return "required"
    node = getattr(_parse(stack, without), top)
    for part in path.split("."):
        node = getattr(node, part)
    return _show(node)


def _default_raw(stack: str, raw: Mapping[str, str], section: str, key: str) -> str:
    said = _problem(stack, _with(raw, section, key, ...), f"{NAMESPACE}:{section}.{key}")
    return "none" if said is None else "required"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


HEADER = "<!-- generated by `hrmsctl docs` (stacks/offline/reference.py); do not edit by hand -->\n"


def _section(key: str) -> str:
    return key.split(":", 1)[1].split(".", 1)[0]


def render_config(rows: list[KeyRow] | None = None) -> str:
    rows = config_rows() if rows is None else rows
    lines = [
        HEADER,
        "# Stack config reference",
        "",
        f"Every key of the `{NAMESPACE}` namespace in `Pulumi.<stack>.yaml`, read and validated "
        "by `stacks/config.py`. *Allowed* is what the validator accepts (its own words for a "
        "value out of range); *default* is the value used when the key is left out. Values "
        "that differ between the stacks are declared in `stacks/parity.yaml`.",
        "",
        f"{len(rows)} keys.",
    ]
    sections: dict[str, list[KeyRow]] = {}
    for row in rows:
        sections.setdefault(_section(row.key), []).append(row)
    for section, members in sections.items():
        drives = SECTION_DRIVES.get(section, "")
        lines += ["", f"## {section}", ""]
        if drives:
            lines += [f"Drives {drives}.", ""]
        lines += [
            "| key | type | allowed | default | " + " | ".join(STACKS) + " | notes |",
            "|---|---|---|---|" + "---|" * len(STACKS) + "---|",
        ]
        for row in members:
            values = " | ".join(f"`{_cell(row.values[s])}`" for s in STACKS)
            note = "" if row.drives == drives else row.drives
            lines.append(
                f"| `{row.key}` | {_cell(row.type)} | {_cell(row.allowed)} | "
                f"`{_cell(row.default)}` | {values} | {_cell(note)} |"
            )
    return "\n".join(lines) + "\n"


def _export_comments() -> dict[str, str]:
    comments = {}
    source = (REPO_ROOT / "stacks" / "outputs.py").read_text(encoding="utf-8")
    for match in re.finditer(r'^([A-Z0-9_]+): Final = "[^"]+"(?:\s*#\s*(.*))?$', source, re.M):
        comment = match.group(2) or ""
        comments[match.group(1)] = "" if comment.startswith("noqa") else comment
    return comments


def export_keys() -> dict[str, str]:
    """Constant name -> export key, as ``stacks/outputs.py`` defines them."""
    return {
        name: value
        for name, value in vars(outputs).items()
        if name.isupper() and isinstance(value, str)
    }


def render_outputs(exported: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    """The export keys, the constant behind each and whether each stack exports it."""
    exported = _stack_exports() if exported is None else exported
    comments = _export_comments()
    lines = [
        HEADER,
        "# Stack outputs reference",
        "",
        "Every export key, defined once in `stacks/outputs.py` and used by the program, the "
        "tests and `hrmsctl` (`pulumi stack output <key>`). A stack that leaves a key out "
        "does not create what it names yet (see docs/stacks.md, first deploy).",
        "",
        f"{len(export_keys())} keys.",
        "",
        "| key | constant | " + " | ".join(STACKS) + " | note |",
        "|---|---|" + "---|" * len(STACKS) + "---|",
    ]
    for name, key in sorted(export_keys().items(), key=lambda item: item[1].lower()):
        marks = " | ".join("yes" if key in exported.get(s, {}) else "no" for s in STACKS)
        lines.append(f"| `{key}` | `{name}` | {marks} | {_cell(comments.get(name, ''))} |")
    return "\n".join(lines) + "\n"


def _stack_exports() -> dict[str, dict[str, Any]]:
    from stacks.offline.engine import preview_stack

    return {stack: dict(preview_stack(stack).outputs) for stack in STACKS}


GENERATED: dict[Path, Callable[[], str]] = {
    CONFIG_DOC: render_config,
    OUTPUTS_DOC: render_outputs,
}


def write_all(root: Path = REPO_ROOT) -> list[Path]:
    """Both references, then the figures quoted in the prose of docs/ and the README."""
    written = []
    for relative, render in GENERATED.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(), encoding="utf-8")
        written.append(path)
    return written + write_figures(root)


# --- figures quoted in prose --------------------------------------------------------------
# A figure in docs/ or the README is written between markers, ``<!-- fig:NAME -->258<!-- /fig -->``;
# `hrmsctl docs` fills it in and tests/docs/test_reference_docs.py fails when one is stale.

FIGURE = re.compile(r"<!-- fig:([a-z0-9-]+) -->(.*?)<!-- /fig -->")
FIGURE_FILES = ("README.md", "docs")


def figures(plans: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Every named figure, computed from the committed stacks and the code."""
    from policies.registry import all_policies
    from stacks.offline.parity import compare, load_allowed

    if plans is None:
        from stacks.offline.engine import preview_stack

        plans = {stack: preview_stack(stack) for stack in STACKS}
    parity = compare(plans["staging"], plans["prod"], load_allowed())
    taggable = json.loads(
        (REPO_ROOT / "policies" / "data" / "taggable_aws_types.json").read_text(encoding="utf-8")
    )
    values = {
        "declared-differences": len(parity.declared),
        "policy-rules": len(all_policies()),
        "taggable-types": len(
            taggable if isinstance(taggable, list) else taggable.get("types", [])
        ),
        "config-keys": len(config_rows()),
        "export-keys": len(export_keys()),
    }
    for stack, plan in plans.items():
        values[f"{stack}-resources"] = sum(plan.counts_by_type().values())
    figures_ = {name: str(value) for name, value in values.items()}
    figures_.update(tested_versions())
    return figures_


def tested_versions() -> dict[str, str]:
    """The Pulumi CLI release CI installs and the SDK pins of requirements/base.txt."""
    pins = {}
    for line in (REPO_ROOT / "requirements" / "base.txt").read_text(encoding="utf-8").splitlines():
        name, sep, version = line.partition("==")
        if sep and name in {"pulumi", "pulumi-aws", "pulumi-kubernetes", "pulumi-policy"}:
            pins[name] = version.strip()
    workflow = (REPO_ROOT / ".github" / "workflows" / "main.yml").read_text(encoding="utf-8")
    cli = re.search(r'PULUMI_VERSION: "([^"]+)"', workflow)
    pins["pulumi-cli"] = cli.group(1) if cli else "unknown"
    return pins


def figure_files(root: Path = REPO_ROOT) -> list[Path]:
    found = []
    for entry in FIGURE_FILES:
        path = root / entry
        found += sorted(path.rglob("*.md")) if path.is_dir() else [path]
    return [p for p in found if FIGURE.search(p.read_text(encoding="utf-8"))]


def with_figures(text: str, values: Mapping[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"unknown figure {name!r} (known: {', '.join(sorted(values))})")
        return f"<!-- fig:{name} -->{values[name]}<!-- /fig -->"

    return FIGURE.sub(fill, text)


def write_figures(root: Path = REPO_ROOT, values: Mapping[str, str] | None = None) -> list[Path]:
    values = figures() if values is None else values
    written = []
    for path in figure_files(root):
        text = path.read_text(encoding="utf-8")
        updated = with_figures(text, values)
        if updated != text:
            path.write_text(updated, encoding="utf-8")
            written.append(path)
    return written
