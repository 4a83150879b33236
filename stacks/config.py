"""Typed, validated stack configuration: the only reader of ``pulumi.Config``.

Every value that differs between staging and prod lives in ``Pulumi.<stack>.yaml``. Each
section (``hrms:database``, ``hrms:cache``, ...) is one component's settings dataclass
(``SECTIONS``): its keys are the camelCase field names, its values are type-checked here from
the field annotations and validated by the dataclass itself, and any problem is reported with
the stack file and key named. Only the checks that span sections (or the stack's region and
environment) live in this module.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
import types
import typing
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import pulumi

from infra.cache.redis import CacheSettings
from infra.cluster.eks import OPEN_CIDRS, ClusterSettings
from infra.database.backup_windows import BackupScheduleError, schedule_conflicts
from infra.database.backups import START_WINDOW_MINUTES, BackupSettings
from infra.database.postgres import DatabaseSettings
from infra.edge.api import EdgeSettings
from infra.loadbalancer.nlb import LoadBalancerSettings
from infra.network.vpc import NetworkSettings
from infra.observability.monitoring import AlarmSettings
from infra.settings import SettingError
from infra.tagging import TagSettings
from infra.workload.app import WorkloadSettings

PROJECT = "hrms"
ENVIRONMENTS: tuple[str, ...] = ("staging", "prod")
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")

S = TypeVar("S")

# Stack config section -> the settings dataclass it fills (and the StackConfig attribute,
# the section name in snake_case).
SECTIONS: dict[str, type[Any]] = {
    "tags": TagSettings,
    "network": NetworkSettings,
    "database": DatabaseSettings,
    "backup": BackupSettings,
    "cache": CacheSettings,
    "cluster": ClusterSettings,
    "loadBalancer": LoadBalancerSettings,
    "workload": WorkloadSettings,
    "edge": EdgeSettings,
    "alarms": AlarmSettings,
}

# Keys that used to exist: a hint on what replaced them beats "unknown key".
RETIRED_KEYS: dict[tuple[str, str], str] = {
    ("workload", "defaultTier"): (
        "removed: nothing read it (the pods got HRMS_DEFAULT_TIER, which the app never used); a "
        "tenant's tier is chosen explicitly at onboarding (`tenant create --tier`)"
    ),
    ("workload", "replicas"): (
        "the HPA owns the replica count (the HorizontalPodAutoscaler); remove this key and set "
        "minReplicas (the scale every deploy starts from)"
    ),
}


class ConfigError(ValueError):
    """A stack config value is missing or invalid; the message names key and file."""


def did_you_mean(key: str, known: Collection[str]) -> str:
    """``; did you mean 'x'?`` for the closest known key, or a list of the known keys."""
    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
    if close:
        return f"unknown key; did you mean {close[0]!r}?"
    return f"unknown key; expected one of {', '.join(sorted(known))}"


def config_key(field_name: str) -> str:
    """The stack-file key of a settings field: ``backup_retention_days`` ->
    ``backupRetentionDays`` (an index or sub-key suffix, ``[2]``/``.coredns``, is kept)."""
    return re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), field_name)


def _field_key(field: str) -> str:
    head = re.match(r"[a-z0-9_]*", field)
    name = head.group(0) if head else ""
    return config_key(name) + field[len(name) :]


# ---------------------------------------------------------------------------- sections


def _kind(hint: Any) -> str:
    if hint is bool:
        return "true or false"
    if hint is int:
        return "an integer"
    if hint is float:
        return "a number"
    if hint is str:
        return "a string"
    origin = typing.get_origin(hint)
    if origin is tuple:
        return "a list of strings"
    if origin is dict:
        return "a mapping"
    return str(hint)


class _SectionReader:
    """Fills one settings dataclass from one config object (``hrms:<section>``)."""

    def __init__(self, section: str, data: Mapping[str, Any], *, source: str) -> None:
        self._section = section
        self._data = data
        self._source = source
        self._known: dict[str, str] = {}  # key -> field name, nested settings included

    def fail(self, key: str, problem: str) -> ConfigError:
        suffix = f".{key}" if key else ""
        return ConfigError(f"{self._source}: {PROJECT}:{self._section}{suffix}: {problem}")

    def read(self, cls: type[S]) -> S:
        """The settings, or ConfigError with the first bad value then every unknown key."""
        self._learn(cls)
        try:
            settings = self._build(cls)
        except ConfigError as exc:
            problems = [str(exc)]
        else:
            problems = []
        problems.extend(self._unknown())
        if problems:
            raise ConfigError("\n".join(problems))
        return settings

    def _learn(self, cls: type[Any]) -> None:
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if dataclasses.is_dataclass(hints[f.name]):
                # A nested settings class (alarm thresholds) reads its keys from this section.
                self._learn(hints[f.name])
            else:
                self._known[config_key(f.name)] = f.name

    def _build(self, cls: type[S]) -> S:
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            hint = hints[f.name]
            if dataclasses.is_dataclass(hint):
                values[f.name] = self._build(hint)  # type: ignore[arg-type]
                continue
            key = config_key(f.name)
            value = self._data.get(key)
            if value is None:
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    raise self.fail(key, "missing required value")
                continue
            values[f.name] = self._coerce(key, hint, value)
        try:
            return cls(**values)
        except SettingError as exc:
            raise self.fail(_field_key(exc.field), self._keys_in(exc.problem)) from None

    def _keys_in(self, problem: str) -> str:
        """A settings message names other fields; the reader of a stack file knows keys."""
        for key, name in self._known.items():
            if key != name:
                problem = re.sub(rf"\b{name}\b", key, problem)
        return problem

    def _coerce(self, key: str, hint: Any, value: Any) -> Any:
        if isinstance(hint, types.UnionType):  # ``X | None``: None was handled by the caller
            hint = next(a for a in typing.get_args(hint) if a is not type(None))
        origin = typing.get_origin(hint) or hint
        expected: Any = {tuple: list, float: (int, float)}.get(origin, origin)
        if isinstance(value, bool) is not (origin is bool) or not isinstance(value, expected):
            numeric = origin in (int, float) and isinstance(value, bool)
            shown = repr(value) if numeric else f"{type(value).__name__} {value!r}"
            raise self.fail(key, f"expected {_kind(hint)}, got {shown}")
        if origin is str and not value.strip():
            raise self.fail(key, "must not be empty")
        if origin is float:
            return float(value)
        if origin is tuple:
            if not all(isinstance(v, str) and v for v in value):
                raise self.fail(key, f"expected a list of non-empty strings, got {value!r}")
            return tuple(value)
        if origin is dict:
            if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
                raise self.fail(key, "expected a mapping of strings to strings")
            return dict(value)
        return value

    def _unknown(self) -> list[str]:
        """Keys nothing reads: a misspelt optional key (``copyregion``) would otherwise
        silently fall back to its default, e.g. prod losing its cross-region backup copy."""
        return [
            str(
                self.fail(
                    key, RETIRED_KEYS.get((self._section, key)) or did_you_mean(key, self._known)
                )
            )
            for key in sorted(set(self._data) - set(self._known))
        ]


def read_settings(section: str, cls: type[S], data: Mapping[str, Any], *, source: str) -> S:
    """One section of a stack file as its settings dataclass (ConfigError names the key)."""
    return _SectionReader(section, data, source=source).read(cls)


@dataclass(frozen=True, kw_only=True)
class StackConfig:
    stack: str
    environment: str
    region: str
    # `make destroy` may delete the stack with its data (recovery points, images, automated
    # backups); never prod.
    disposable: bool
    tags: TagSettings
    network: NetworkSettings
    database: DatabaseSettings
    backup: BackupSettings
    cache: CacheSettings
    cluster: ClusterSettings
    load_balancer: LoadBalancerSettings
    workload: WorkloadSettings
    edge: EdgeSettings
    alarms: AlarmSettings

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"

    @property
    def name_prefix(self) -> str:
        return f"{PROJECT}-{self.stack}"


# ---------------------------------------------------------------------------- cross-section


def _region_checks(parsed: Mapping[str, Any], region: str, environment: str) -> list[str]:
    """What a section cannot know by itself: the stack's region and environment."""
    problems: list[str] = []
    network: NetworkSettings | None = parsed.get("network")
    if network is not None and region:
        for zone in network.availability_zones:
            if not (zone.startswith(region) and len(zone) == len(region) + 1):
                problems.append(
                    f"{PROJECT}:network.availabilityZones: {zone!r} is not a zone of region "
                    f"{region}"
                )
                break
    backup: BackupSettings | None = parsed.get("backup")
    if backup is not None and region and backup.copy_region == region:
        problems.append(f"{PROJECT}:backup.copyRegion: must differ from the stack region {region}")
    cluster: ClusterSettings | None = parsed.get("cluster")
    if cluster is not None and environment == "prod":
        for index, cidr in enumerate(cluster.public_access_cidrs):
            if cidr in OPEN_CIDRS:
                problems.append(
                    f"{PROJECT}:cluster.publicAccessCidrs[{index}]: 0.0.0.0/0 would expose the "
                    "prod Kubernetes API to the internet"
                )
                break
    return problems


def _check_backup_schedule(database: DatabaseSettings, backup: BackupSettings, source: str) -> None:
    """AWS Backup will not start an RDS snapshot in (or the hour before) the instance's
    backup or maintenance window: a job due then never makes its recovery point."""
    key = f"{PROJECT}:backup.schedule"
    try:
        conflicts = schedule_conflicts(
            schedule=backup.schedule,
            start_window_minutes=START_WINDOW_MINUTES,
            backup_window=database.backup_window,
            maintenance_window=database.maintenance_window,
        )
    except BackupScheduleError as exc:
        raise ConfigError(f"{source}: {key}: {exc}") from None
    if conflicts:
        more = f" (and {len(conflicts) - 1} more)" if len(conflicts) > 1 else ""
        raise ConfigError(
            f"{source}: {key}: {backup.schedule} with its {START_WINDOW_MINUTES}-minute start "
            f"window is not clear of the database's windows (hrms:database.backupWindow "
            f"{database.backup_window}, maintenanceWindow {database.maintenance_window}): "
            f"{conflicts[0]}{more}. AWS Backup does not start an RDS snapshot then; pick a "
            "start at least an hour before either window and after both have ended"
        )


def _object(raw: Callable[[str], str | None], key: str, source: str) -> Mapping[str, Any]:
    text = raw(key)
    if text is None:
        raise ConfigError(f"{source}: {PROJECT}:{key}: missing required value")
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise ConfigError(f"{source}: {PROJECT}:{key}: expected an object, got {text!r}") from None
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: {PROJECT}:{key}: expected an object, got {value!r}")
    return value


# The hrms:<key> entries parse_stack_config reads; any other hrms: key is a typo or a leftover.
TOP_LEVEL_KEYS: tuple[str, ...] = ("environment", "disposable", *SECTIONS)


def _attribute(section: str) -> str:
    """The StackConfig attribute of a section: ``loadBalancer`` -> ``load_balancer``."""
    return re.sub(r"([A-Z])", lambda m: f"_{m.group(1).lower()}", section)


def _top_level(raw: Callable[[str], str | None], source: str) -> tuple[str | None, bool, list[str]]:
    """``hrms:environment`` and ``hrms:disposable``, with their problems."""
    environment = raw("environment")
    disposable: Any = {"true": True, "false": False}.get(raw("disposable") or "false")
    problems: list[str] = []
    if environment is None:
        problems.append(f"{source}: {PROJECT}:environment: missing required value")
    elif environment not in ENVIRONMENTS:
        problems.append(
            f"{source}: {PROJECT}:environment: {environment!r} is not one of "
            f"{', '.join(ENVIRONMENTS)}"
        )
        environment = None
    if disposable is None:
        problems.append(
            f"{source}: {PROJECT}:disposable: expected true or false, got {raw('disposable')!r}"
        )
        disposable = False
    elif disposable and environment == "prod":
        problems.append(
            f"{source}: {PROJECT}:disposable: prod keeps its data on destroy; set false"
        )
    return environment, bool(disposable), problems


def parse_stack_config(
    stack: str,
    raw: Callable[[str], str | None],
    region: str | None,
    keys: Collection[str] = (),
) -> StackConfig:
    """Build a ``StackConfig`` from raw values (``raw(key)`` as the CLI gives them).

    Every problem of the run is reported at once (one line each): each section is read even
    when another failed, and unknown keys (``keys``: the stack's ``<namespace>:<key>`` names)
    get a "did you mean". A section stops at its first bad value, as later checks build on it.
    """
    source = f"Pulumi.{stack}.yaml"
    problems: list[str] = []
    unknown = sorted(
        k for k in keys if k.startswith(f"{PROJECT}:") and k.split(":", 1)[1] not in TOP_LEVEL_KEYS
    )
    for key in unknown:
        hint = did_you_mean(key.split(":", 1)[1], TOP_LEVEL_KEYS)
        problems.append(f"{source}: {key}: {hint}")
    environment, disposable, top_problems = _top_level(raw, source)
    problems.extend(top_problems)
    if region is None:
        problems.append(f"{source}: aws:region: missing required value")
    elif not _REGION.match(region):
        problems.append(f"{source}: aws:region: {region!r} is not an AWS region")
    parsed: dict[str, Any] = {}
    for section, cls in SECTIONS.items():
        try:
            parsed[_attribute(section)] = read_settings(
                section, cls, _object(raw, section, source), source=source
            )
        except ConfigError as exc:
            problems.extend(str(exc).splitlines())
    problems.extend(
        f"{source}: {p}" for p in _region_checks(parsed, region or "", environment or "")
    )
    if problems:
        raise ConfigError("\n".join(dict.fromkeys(problems)))
    config = StackConfig(
        stack=stack,
        environment=environment or "",
        region=region or "",
        disposable=disposable,
        **parsed,
    )
    # Cross-section checks, once every section parsed.
    _check_backup_schedule(config.database, config.backup, source)
    _check_disposable(config, source)
    return config


def _check_disposable(config: StackConfig, source: str) -> None:
    """A destroy must not stop halfway on a resource that refuses deletion."""
    if not config.disposable:
        return
    for key, protected in (
        ("database.deletionProtection", config.database.deletion_protection),
        ("database.finalSnapshot", config.database.final_snapshot),
        ("loadBalancer.deletionProtection", config.load_balancer.deletion_protection),
    ):
        if protected:
            raise ConfigError(
                f"{source}: {PROJECT}:{key}: must be false in a disposable stack "
                f"({PROJECT}:disposable: true), or `make destroy` stops at it"
            )


def load_stack_config() -> StackConfig:
    """Read and validate the current stack's config (call before declaring resources)."""
    from pulumi.runtime import config as runtime_config

    # Every key the stack sets: the CLI passes them in PULUMI_CONFIG, the offline engine sets
    # them in the runtime's config map.
    keys = {*runtime_config.CONFIG.get(), *runtime_config.get_config_env()}
    project = pulumi.Config(PROJECT)
    return parse_stack_config(
        pulumi.get_stack(), project.get, pulumi.Config("aws").get("region"), keys=sorted(keys)
    )
