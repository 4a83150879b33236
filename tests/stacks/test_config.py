"""Stack config validation: every kind of bad value fails early, naming key and file."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pytest

from infra.cache.redis import CacheSettings
from infra.settings import SettingError
from stacks.config import (
    TOP_LEVEL_KEYS,
    ConfigError,
    StackConfig,
    config_key,
    parse_stack_config,
    read_settings,
)
from stacks.offline.engine import load_stack_config, synthesize

pytestmark = pytest.mark.infra


def committed(stack: str) -> dict[str, Any]:
    """The committed stack config as Python values (objects decoded)."""
    raw = load_stack_config(stack)
    values: dict[str, Any] = {}
    for key, value in raw.items():
        try:
            values[key] = json.loads(value) if value[:1] in "{[" else value
        except json.JSONDecodeError:
            values[key] = value
    return values


def parse(stack: str, values: dict[str, Any]) -> StackConfig:
    def raw(key: str) -> str | None:
        value = values.get(f"hrms:{key}")
        if value is None:
            return None
        return value if isinstance(value, str) else json.dumps(value)

    region = values.get("aws:region")
    return parse_stack_config(stack, raw, region)


def mutate(stack: str, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    values = committed(stack)
    change(values)
    return values


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_committed_configs_are_valid(stack: str) -> None:
    cfg = parse(stack, committed(stack))
    assert (cfg.stack, cfg.environment, cfg.region) == (stack, stack, "eu-west-1")
    assert cfg.name_prefix == f"hrms-{stack}"
    assert cfg.database.backup_retention_days == (35 if stack == "prod" else 7)
    assert cfg.network.nat_gateways == (3 if stack == "prod" else 1)
    assert cfg.is_prod is (stack == "prod")


def _set(section: str, key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(values: dict[str, Any]) -> None:
        values[f"hrms:{section}"][key] = value

    return change


def _drop(section: str, key: str) -> Callable[[dict[str, Any]], None]:
    def change(values: dict[str, Any]) -> None:
        del values[f"hrms:{section}"][key]

    return change


def _rename(section: str, key: str, new_key: str) -> Callable[[dict[str, Any]], None]:
    def change(values: dict[str, Any]) -> None:
        values[f"hrms:{section}"][new_key] = values[f"hrms:{section}"].pop(key)

    return change


BAD_VALUES = [
    # (stack, change, expected key in message, expected problem)
    (
        "staging",
        _drop("database", "backupRetentionDays"),
        "hrms:database.backupRetentionDays",
        "missing",
    ),
    (
        "staging",
        _set("database", "backupRetentionDays", 0),
        "hrms:database.backupRetentionDays",
        "outside 1..35",
    ),
    (
        "prod",
        _set("database", "backupRetentionDays", 36),
        "hrms:database.backupRetentionDays",
        "outside 1..35",
    ),
    (
        "staging",
        _set("database", "backupRetentionDays", "7"),
        "hrms:database.backupRetentionDays",
        "expected an integer",
    ),
    (
        "staging",
        _set("database", "multiAz", "yes"),
        "hrms:database.multiAz",
        "expected true or false",
    ),
    (
        "staging",
        _set("database", "engineVersion", "15.4"),
        "hrms:database.engineVersion",
        "PostgreSQL 16",
    ),
    ("staging", _set("database", "backupWindow", "2am"), "hrms:database.backupWindow", "window"),
    (
        "staging",
        _set("network", "vpcCidr", "10.20.0.0/33"),
        "hrms:network.vpcCidr",
        "not an IPv4 CIDR",
    ),
    (
        "staging",
        _set("network", "privateSubnetCidrs", ["10.20.32.0/19", "10.20.64.0/19", "10.99.0.0/19"]),
        "hrms:network.privateSubnetCidrs[2]",
        "does not fit in vpcCidr",
    ),
    (
        "staging",
        _set(
            "network", "isolatedSubnetCidrs", ["10.20.200.0/24", "10.20.201.0/24", "10.20.1.0/24"]
        ),
        "hrms:network.isolatedSubnetCidrs[2]",
        "overlaps publicSubnetCidrs[1]",
    ),
    (
        "staging",
        _set("network", "publicSubnetCidrs", ["10.20.0.0/24", "10.20.1.0/24"]),
        "hrms:network.publicSubnetCidrs",
        "one CIDR per zone",
    ),
    (
        "staging",
        _set("network", "availabilityZones", ["us-east-1a", "us-east-1b", "us-east-1c"]),
        "hrms:network.availabilityZones",
        "not a zone of region eu-west-1",
    ),
    ("staging", _set("network", "natGateways", 4), "hrms:network.natGateways", "outside 1..3"),
    (
        "prod",
        _set("cluster", "publicAccessCidrs", ["0.0.0.0/0"]),
        "hrms:cluster.publicAccessCidrs[0]",
        "0.0.0.0/0",
    ),
    (
        "staging",
        _set("cluster", "publicAccessCidrs", ["not-a-cidr"]),
        "hrms:cluster.publicAccessCidrs[0]",
        "not an IPv4 CIDR",
    ),
    (
        "staging",
        _set("cluster", "publicAccessCidrs", []),
        "hrms:cluster.publicAccessCidrs",
        "required when endpointPublicAccess",
    ),
    (
        "staging",
        _set("cluster", "addonVersions", {"vpc-cni": "v1.19.2-eksbuild.1"}),
        "hrms:cluster.addonVersions",
        "missing pinned versions",
    ),
    (
        "staging",
        _set(
            "cluster",
            "addonVersions",
            {**committed("staging")["hrms:cluster"]["addonVersions"], "aws-ebs-csi": "v1.0.0"},
        ),
        "hrms:cluster.addonVersions.aws-ebs-csi",
        "not an add-on this stack installs",
    ),
    (
        "staging",
        _set("database", "engineVersion", "16.4"),
        "hrms:database.engineVersion",
        "major version only",
    ),
    # A misspelt optional key must not silently drop a cross-region backup copy.
    ("staging", _set("backup", "copyregion", "eu-central-1"), "hrms:backup.copyregion", "unknown"),
    (
        "prod",
        _rename("backup", "copyRegion", "copyregion"),
        "hrms:backup.copyRetentionDays",
        "no effect without copyRegion",
    ),
    ("staging", _set("database", "multiAZ", True), "hrms:database.multiAZ", "unknown key"),
    ("staging", _set("edge", "stage", "x"), "hrms:edge.stage", "unknown key"),
    (
        "staging",
        _set("backup", "copyRetentionDays", 35),
        "hrms:backup.copyRetentionDays",
        "no effect without copyRegion",
    ),
    (
        "prod",
        _drop("backup", "copyRetentionDays"),
        "hrms:backup.copyRetentionDays",
        "required when copyRegion",
    ),
    (
        "staging",
        _set("cluster", "kubernetesVersion", "latest"),
        "hrms:cluster.kubernetesVersion",
        "not a version",
    ),
    (
        "staging",
        _set("cluster", "metadataHopLimit", 3),
        "hrms:cluster.metadataHopLimit",
        "outside 1..2",
    ),
    (
        "staging",
        _set("cluster", "createAutoscalingServiceLinkedRole", True),
        "hrms:cluster.createAutoscalingServiceLinkedRole",
        "unknown key",
    ),
    (
        "staging",
        _set("edge", "manageAccountLoggingRole", True),
        "hrms:edge.manageAccountLoggingRole",
        "unknown key",
    ),
    (
        "staging",
        _set("workload", "defaultTier", "free"),
        "hrms:workload.defaultTier",
        "removed: nothing read it",
    ),
    ("staging", _set("workload", "imageDigest", "latest"), "hrms:workload.imageDigest", "sha256"),
    ("staging", _set("workload", "replicas", 3), "hrms:workload.replicas", "HPA owns"),
    ("staging", _set("workload", "minReplicas", 9), "hrms:workload.minReplicas", "above max"),
    (
        "staging",
        _set("workload", "nodePort", 8080),
        "hrms:workload.nodePort",
        "outside 30000..32767",
    ),
    ("staging", _set("cache", "numCacheClusters", 1), "hrms:cache.numCacheClusters", None),
    ("prod", _set("cache", "numCacheClusters", 1), "hrms:cache.numCacheClusters", "multiAz needs"),
    (
        "staging",
        _set("cache", "engine", "memcached"),
        "hrms:cache.engine",
        "not one of valkey, redis",
    ),
    ("prod", _set("backup", "copyRegion", "eu-west-1"), "hrms:backup.copyRegion", "must differ"),
    *[
        (
            "prod",
            _set("workload", "allowedHosts", ["api.hrms.example.com", host]),
            "hrms:workload.allowedHosts",
            f"{host!r} is not an exact lowercase public host name",
        )
        # Wildcards and addresses would let the app answer for names it does not own.
        for host in ("*", ".hrms.example.com", "10.30.0.7", "localhost", "API.hrms.example.com")
    ],
    # Required in every stack: a forgotten key must not drop prod's protection to a default.
    (
        "prod",
        _drop("loadBalancer", "deletionProtection"),
        "hrms:loadBalancer.deletionProtection",
        "missing required value",
    ),
    (
        "staging",
        _set("tags", "dataClassification", "secret-ish"),
        "hrms:tags.dataClassification",
        "not one of",
    ),
]


@pytest.mark.parametrize(
    ("stack", "change", "key", "problem"),
    BAD_VALUES,
    ids=[f"{s}-{k}-{i}" for i, (s, _c, k, _p) in enumerate(BAD_VALUES)],
)
def test_bad_value_names_key_and_file(
    stack: str, change: Callable[[dict[str, Any]], None], key: str, problem: str | None
) -> None:
    values = mutate(stack, change)
    if problem is None:  # a valid change (staging may run a single cache node)
        parse(stack, values)
        return
    with pytest.raises(ConfigError) as excinfo:
        parse(stack, values)
    message = str(excinfo.value)
    assert message.startswith(f"Pulumi.{stack}.yaml: {key}:"), message
    assert problem in message


# Each kind of value, given the wrong type: the whole problem, as the stack file's reader sees it.
WRONG_TYPES = [
    ("database", "multiAz", "yes", "expected true or false, got str 'yes'"),
    ("database", "backupRetentionDays", "7", "expected an integer, got str '7'"),
    ("database", "backupRetentionDays", True, "expected an integer, got True"),
    ("edge", "throttleRateLimit", "fast", "expected a number, got str 'fast'"),
    ("edge", "throttleRateLimit", False, "expected a number, got False"),
    ("database", "engineVersion", 16, "expected a string, got int 16"),
    ("database", "engineVersion", "  ", "must not be empty"),
    (
        "network",
        "availabilityZones",
        "eu-west-1a",
        "expected a list of strings, got str 'eu-west-1a'",
    ),
    (
        "network",
        "availabilityZones",
        ["eu-west-1a", ""],
        "expected a list of non-empty strings, got ['eu-west-1a', '']",
    ),
    ("cluster", "addonVersions", ["coredns"], "expected a mapping, got list ['coredns']"),
    ("cluster", "addonVersions", {"coredns": 1}, "expected a mapping of strings to strings"),
]


# Values of the right type that a check refuses: the message names the whole problem.
CHECKED: list[tuple[str, str, Any, str]] = [
    # Host bits set: the block would silently become 10.20.0.0/16.
    (
        "network",
        "vpcCidr",
        "10.20.0.1/16",
        "'10.20.0.1/16' is not an IPv4 CIDR block (10.20.0.1/16 has host bits set)",
    ),
    # Bounds print in full, not as 2e+09.
    ("edge", "wafRateLimitPerIp", 50, "50 is outside 100..2000000000"),
]


@pytest.mark.parametrize(("section", "key", "value", "problem"), WRONG_TYPES + CHECKED)
def test_a_bad_value_says_what_is_wrong_with_it(
    section: str, key: str, value: Any, problem: str
) -> None:
    with pytest.raises(ConfigError) as excinfo:
        parse("staging", mutate("staging", _set(section, key, value)))
    assert str(excinfo.value) == f"Pulumi.staging.yaml: hrms:{section}.{key}: {problem}"


def test_a_float_setting_takes_an_integer_as_a_number() -> None:
    values = mutate("staging", _set("edge", "throttleRateLimit", 20))
    rate = parse("staging", values).edge.throttle_rate_limit
    assert (rate, type(rate)) == (20.0, float)


def test_an_unknown_key_without_a_close_match_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError) as excinfo:
        parse("staging", mutate("staging", _set("cache", "zzz", 1)))
    known = sorted(config_key(f.name) for f in dataclasses.fields(CacheSettings))
    assert str(excinfo.value) == (
        f"Pulumi.staging.yaml: hrms:cache.zzz: unknown key; expected one of {', '.join(known)}"
    )


def test_settings_built_in_code_name_the_field() -> None:
    network = parse("staging", committed("staging")).network
    with pytest.raises(SettingError) as excinfo:
        dataclasses.replace(network, nat_gateways=0)
    assert str(excinfo.value) == "nat_gateways: 0 is outside 1..3"


@dataclasses.dataclass(frozen=True, kw_only=True)
class _Limits:
    burst: int = 1


@dataclasses.dataclass(frozen=True, kw_only=True)
class _Gate:
    """A settings class shaped to reach every path of the reader: a nested class first."""

    limits: _Limits = dataclasses.field(default_factory=_Limits)
    rate_limit: int
    name: str = "gate"

    def __post_init__(self) -> None:
        if self.name == "closed" and self.rate_limit:
            raise SettingError("", "a closed gate takes no rateLimit")


def read_gate(data: dict[str, Any]) -> _Gate:
    return read_settings("gate", _Gate, data, source="Pulumi.test.yaml")


def test_the_reader_fills_nested_settings_and_the_fields_after_them() -> None:
    assert read_gate({"burst": 5, "rateLimit": 10, "name": "east"}) == _Gate(
        limits=_Limits(burst=5), rate_limit=10, name="east"
    )


def test_the_reader_reports_a_section_wide_problem_on_the_section() -> None:
    with pytest.raises(ConfigError) as excinfo:
        read_gate({"rateLimit": 10, "name": "closed"})
    assert str(excinfo.value) == "Pulumi.test.yaml: hrms:gate: a closed gate takes no rateLimit"


def test_the_reader_reports_a_missing_value_then_every_unknown_key_one_a_line() -> None:
    with pytest.raises(ConfigError) as excinfo:
        read_gate({"burts": 5, "nmae": "x"})
    assert str(excinfo.value).splitlines() == [
        "Pulumi.test.yaml: hrms:gate.rateLimit: missing required value",
        "Pulumi.test.yaml: hrms:gate.burts: unknown key; did you mean 'burst'?",
        "Pulumi.test.yaml: hrms:gate.nmae: unknown key; did you mean 'name'?",
    ]


@pytest.mark.parametrize(
    ("stack", "change", "message"),
    [
        # Only the first open block is named: one is enough to refuse prod.
        (
            "prod",
            _set("cluster", "publicAccessCidrs", ["10.0.0.0/8", "0.0.0.0/0", "0.0.0.0/0"]),
            "hrms:cluster.publicAccessCidrs[1]: 0.0.0.0/0 would expose the prod Kubernetes API "
            "to the internet",
        ),
        (
            "staging",
            _set("network", "availabilityZones", ["eu-west-1a", "us-east-1b", "us-east-1c"]),
            "hrms:network.availabilityZones: 'us-east-1b' is not a zone of region eu-west-1",
        ),
        (
            "staging",
            _set("network", "availabilityZones", ["eu-west-1a", "eu-west-1b", "eu-west-1bc"]),
            "hrms:network.availabilityZones: 'eu-west-1bc' is not a zone of region eu-west-1",
        ),
        (
            "prod",
            _set("backup", "copyRegion", "eu-west-1"),
            "hrms:backup.copyRegion: must differ from the stack region eu-west-1",
        ),
    ],
)
def test_checks_against_the_stacks_region_and_environment_say_what_is_wrong(
    stack: str, change: Callable[[dict[str, Any]], None], message: str
) -> None:
    with pytest.raises(ConfigError) as excinfo:
        parse(stack, mutate(stack, change))
    assert str(excinfo.value) == f"Pulumi.{stack}.yaml: {message}"


def test_a_stack_that_does_not_say_is_not_disposable() -> None:
    values = committed("staging")
    values.pop("hrms:disposable", None)
    assert parse("staging", values).disposable is False


def test_a_section_that_is_json_but_not_an_object_shows_the_value() -> None:
    values = committed("staging")
    values["hrms:cache"] = ["valkey"]
    with pytest.raises(ConfigError) as excinfo:
        parse("staging", values)
    assert (
        str(excinfo.value) == "Pulumi.staging.yaml: hrms:cache: expected an object, got ['valkey']"
    )


def test_a_missing_environment_or_region_and_an_unreadable_disposable_are_named() -> None:
    values = committed("prod")
    del values["hrms:environment"]
    with pytest.raises(ConfigError) as excinfo:
        parse("prod", values)
    assert str(excinfo.value) == "Pulumi.prod.yaml: hrms:environment: missing required value"
    values = committed("prod")
    del values["aws:region"]
    with pytest.raises(ConfigError) as excinfo:
        parse("prod", values)
    assert str(excinfo.value) == "Pulumi.prod.yaml: aws:region: missing required value"
    values = committed("prod")
    values["hrms:disposable"] = "yes"
    with pytest.raises(ConfigError) as excinfo:
        parse("prod", values)
    # Only what is wrong: an unreadable value is not taken for "true" in prod.
    assert str(excinfo.value) == (
        "Pulumi.prod.yaml: hrms:disposable: expected true or false, got 'yes'"
    )


def test_a_key_with_a_colon_in_its_name_is_unknown_as_a_whole() -> None:
    # hrms:cache:numCacheClusters is not a way to set one key of hrms:cache: nothing reads it.
    values = committed("staging")

    def raw(key: str) -> str | None:
        value = values.get(f"hrms:{key}")
        return value if value is None or isinstance(value, str) else json.dumps(value)

    keys = [*values, "hrms:cache:zzzzzzzzzzzz", "hrms:zzzzzzzzzzzz:cache"]
    with pytest.raises(ConfigError) as excinfo:
        parse_stack_config("staging", raw, values["aws:region"], keys=keys)
    known = ", ".join(sorted(TOP_LEVEL_KEYS))
    assert str(excinfo.value).splitlines() == [
        f"Pulumi.staging.yaml: hrms:cache:zzzzzzzzzzzz: unknown key; expected one of {known}",
        f"Pulumi.staging.yaml: hrms:zzzzzzzzzzzz:cache: unknown key; expected one of {known}",
    ]


def test_missing_section_and_not_an_object() -> None:
    values = committed("staging")
    del values["hrms:cache"]
    with pytest.raises(ConfigError, match=r"Pulumi.staging.yaml: hrms:cache: missing"):
        parse("staging", values)
    values = committed("staging")
    values["hrms:cache"] = "valkey"
    with pytest.raises(ConfigError, match=r"hrms:cache: expected an object"):
        parse("staging", values)


def test_unknown_environment_and_region() -> None:
    values = committed("staging")
    values["hrms:environment"] = "qa"
    with pytest.raises(ConfigError, match=r"hrms:environment: 'qa' is not one of staging, prod"):
        parse("staging", values)
    values = committed("staging")
    values["aws:region"] = "moon-base-1a"
    with pytest.raises(ConfigError, match=r"aws:region: 'moon-base-1a' is not an AWS region"):
        parse("staging", values)


def test_open_endpoint_allowed_only_outside_prod() -> None:
    values = mutate("staging", _set("cluster", "publicAccessCidrs", ["0.0.0.0/0"]))
    assert parse("staging", values).cluster.public_access_cidrs == ("0.0.0.0/0",)


def test_program_fails_before_any_resource_is_declared() -> None:
    from stacks.program import main

    raw = load_stack_config("prod")
    cluster = json.loads(raw["hrms:cluster"])
    cluster["publicAccessCidrs"] = ["0.0.0.0/0"]
    config = {**raw, "hrms:cluster": json.dumps(cluster)}
    recorded: list[Any] = []

    with pytest.raises(ConfigError, match=r"Pulumi.prod.yaml: hrms:cluster.publicAccessCidrs"):
        recorded.append(synthesize(main, stack="prod", config=config))
    assert recorded == []
    # And the same program with the committed config synthesizes.
    plan = synthesize(main, stack="prod", config=raw)
    assert plan.by_type("aws:eks/cluster:Cluster")


def test_the_program_reads_its_own_stacks_config_and_every_key_it_sets() -> None:
    from stacks import config as stack_config

    raw = load_stack_config("prod")
    seen: list[StackConfig] = []
    synthesize(lambda: seen.append(stack_config.load_stack_config()), stack="prod", config=raw)
    assert seen == [parse("prod", committed("prod"))]
    # A key the stack sets that nothing reads fails: a typo would otherwise fall back silently.
    with pytest.raises(
        ConfigError,
        match=r"^Pulumi\.prod\.yaml: hrms:databse: unknown key; did you mean 'database'\?$",
    ):
        synthesize(
            stack_config.load_stack_config, stack="prod", config={**raw, "hrms:databse": "{}"}
        )


def test_image_digest_may_be_left_out_until_the_first_image_is_pushed() -> None:
    values = committed("staging")
    del values["hrms:workload"]["imageDigest"]
    assert parse("staging", values).workload.image_digest is None


def test_prod_can_never_be_disposable() -> None:
    values = committed("prod")
    values["hrms:disposable"] = "true"
    with pytest.raises(ConfigError, match=r"Pulumi.prod.yaml: hrms:disposable: prod keeps"):
        parse("prod", values)


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ("database", "deletionProtection"),
        ("database", "finalSnapshot"),
        ("loadBalancer", "deletionProtection"),
    ],
)
def test_a_disposable_stack_has_nothing_that_stops_a_destroy(section: str, key: str) -> None:
    values = committed("staging")
    values[f"hrms:{section}"][key] = True
    with pytest.raises(ConfigError) as excinfo:
        parse("staging", values)
    assert str(excinfo.value) == (
        f"Pulumi.staging.yaml: hrms:{section}.{key}: must be false in a disposable stack "
        "(hrms:disposable: true), or `make destroy` stops at it"
    )
