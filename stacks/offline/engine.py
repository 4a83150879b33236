"""Offline engine: run a Pulumi program under strict mocks and record what it would create."""

from __future__ import annotations

import asyncio
import gc
import json
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from google.protobuf import json_format
from pulumi.runtime.mocks import MockEngine, MockMonitor, Mocks, MockSettings

from stacks.offline.invokes import (
    DEFAULT_REGION,
    InvokeContext,
    InvokeFailedError,
    handle_invoke,
)
from stacks.offline.option_paths import OptionPathError, check_option_paths
from stacks.offline.plan import (
    REDACTED,
    STACK_TYPE,
    UNKNOWN,
    Plan,
    PlanResource,
    resource_options,
)
from stacks.offline.resources import mock_state

REPO_ROOT = Path(__file__).resolve().parents[2]

# What a ``secure:`` config value becomes offline. Long and plain so that config validation
# (length, charset) accepts it; it never reaches a plan because secret inputs are redacted.
SECRET_PLACEHOLDER = "offline-preview-redacted-secret-0000"  # noqa: S105 - a marker, not a secret

# Pulumi wire-format signatures (pulumi.runtime.rpc); matched to redact and simplify values.
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105 - a type tag, not a secret
_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
_ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
_ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

# The Pulumi runtime keeps its settings in process-wide state; one synthesis at a time.
_RUN_LOCK = threading.Lock()


class StackConfigError(ValueError):
    """A Pulumi project or stack file is missing or malformed."""


def available_stacks(root: Path = REPO_ROOT) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml"))


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise StackConfigError(f"{path} not found") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise StackConfigError(f"{path} is not valid YAML: {exc}") from exc


def _config_value(value: Any, *, key: str, path: Path) -> tuple[str, bool]:
    """Render one config value the way the Pulumi CLI hands it to a program; flag secrets."""
    if isinstance(value, Mapping) and set(value) == {"secure"}:
        return SECRET_PLACEHOLDER, True
    if isinstance(value, str):
        return value, False
    if isinstance(value, bool):
        return ("true" if value else "false"), False
    if isinstance(value, int | float):
        return json.dumps(value), False
    if isinstance(value, Mapping | list):
        secret = False

        def strip(node: Any) -> Any:
            nonlocal secret
            if isinstance(node, Mapping):
                if set(node) == {"secure"}:
                    secret = True
                    return SECRET_PLACEHOLDER
                return {str(k): strip(v) for k, v in node.items()}
            if isinstance(node, list):
                return [strip(v) for v in node]
            return node

        return json.dumps(strip(value)), secret
    if value is None:
        raise StackConfigError(f"{path}: config key '{key}' has no value")
    raise StackConfigError(
        f"{path}: config key '{key}' has unsupported type {type(value).__name__}"
    )


def _qualify(key: Any, project: str, path: Path) -> str:
    if not isinstance(key, str) or not key:
        raise StackConfigError(f"{path}: config keys must be non-empty strings, got {key!r}")
    return key if ":" in key else f"{project}:{key}"


def load_stack_config_with_secrets(
    stack: str, root: Path = REPO_ROOT
) -> tuple[str, dict[str, str], list[str]]:
    """(project, config, secret keys) of ``stack`` from Pulumi.yaml and Pulumi.<stack>.yaml."""
    project_file = root / "Pulumi.yaml"
    project_doc = _read_yaml(project_file)
    if not isinstance(project_doc, Mapping) or not isinstance(project_doc.get("name"), str):
        raise StackConfigError(f"{project_file}: must be a mapping with a string 'name'")
    project = project_doc["name"]
    stack_file = root / f"Pulumi.{stack}.yaml"
    if not stack_file.is_file():
        known = ", ".join(available_stacks(root)) or "none"
        raise StackConfigError(f"unknown stack '{stack}': {stack_file} not found (stacks: {known})")
    stack_doc = _read_yaml(stack_file)
    if stack_doc is None:
        stack_doc = {}
    if not isinstance(stack_doc, Mapping):
        raise StackConfigError(f"{stack_file}: must be a mapping")
    raw = stack_doc.get("config") or {}
    if not isinstance(raw, Mapping):
        raise StackConfigError(f"{stack_file}: 'config' must be a mapping")

    config: dict[str, str] = {}
    secrets: list[str] = []
    # Project-level defaults (``config: {key: {default: ...}}`` in Pulumi.yaml) apply first.
    project_config = project_doc.get("config") or {}
    if not isinstance(project_config, Mapping):
        raise StackConfigError(f"{project_file}: 'config' must be a mapping")
    for key, spec in project_config.items():
        full = _qualify(key, project, project_file)
        if isinstance(spec, Mapping) and ("default" in spec or "value" in spec):
            value = spec.get("value", spec.get("default"))
            config[full], secret = _config_value(value, key=full, path=project_file)
            if secret:
                secrets.append(full)
    for key, value in raw.items():
        full = _qualify(key, project, stack_file)
        config[full], secret = _config_value(value, key=full, path=stack_file)
        if secret:
            secrets.append(full)
    return project, config, sorted(set(secrets))


def load_stack_config(stack: str, root: Path = REPO_ROOT) -> dict[str, str]:
    """Config of ``stack`` keyed ``<namespace>:<key>``, the form ``set_all_config`` wants."""
    return load_stack_config_with_secrets(stack, root)[1]


def _number(value: float) -> int | float:
    return int(value) if value.is_integer() else value


def _clean(node: Any) -> Any:
    """Wire-format properties -> plain JSON: secrets redacted, resource references as URNs."""
    if isinstance(node, dict):
        sig = node.get(_SIG_KEY)
        if sig == _SECRET_SIG:
            return _redact(node.get("value"))
        if sig == _RESOURCE_SIG:
            return str(node.get("urn", ""))
        if sig == _ASSET_SIG:
            return {"asset": node.get("path") or node.get("uri") or node.get("text")}
        if sig == _ARCHIVE_SIG:
            return {"archive": node.get("path") or node.get("uri") or "assets"}
        return {k: _clean(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_clean(v) for v in node]
    if isinstance(node, float):
        return _number(node)
    if node == _UNKNOWN_VALUE:
        return UNKNOWN
    return node


# Provider inputs that carry credentials in plain text (e.g. a kubeconfig with a token).
_SENSITIVE_PROVIDER_INPUTS = frozenset(
    {"kubeconfig", "token", "password", "accessKey", "secretKey", "sessionToken"}
)


def _redact_provider_inputs(type_: str, inputs: dict[str, Any]) -> dict[str, Any]:
    if not type_.startswith("pulumi:providers:"):
        return inputs
    return {k: (REDACTED if k in _SENSITIVE_PROVIDER_INPUTS else v) for k, v in inputs.items()}


def _redact(value: Any) -> Any:
    """Hide a secret's values but keep its shape (keys, list lengths) so schemas still apply."""
    if isinstance(value, dict):
        if value.get(_SIG_KEY) == _SECRET_SIG:
            return _redact(value.get("value"))
        return {k: _redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    if value == _UNKNOWN_VALUE:
        return UNKNOWN
    return REDACTED


def _provider_urn(reference: str) -> str | None:
    # Provider references are "<urn>::<id>"; the URN itself contains "::".
    if not reference:
        return None
    return reference.rsplit("::", 1)[0]


def _alias(alias: Any) -> Any:
    """An alias as the engine gets it: a URN, or the spec (name, type, parent, ...) as a dict."""
    if alias.WhichOneof("alias") == "urn":
        return str(alias.urn)
    return json_format.MessageToDict(alias.spec, preserving_proto_field_name=False)


def _options(request: Any) -> dict[str, Any]:
    """The resource options a RegisterResourceRequest carries, under the engine's names."""
    from_inputs = {urn for deps in request.propertyDependencies.values() for urn in deps.urns}
    timeouts = request.customTimeouts
    return resource_options(
        aliases=[_alias(a) for a in request.aliases] + sorted(request.aliasURNs),
        customTimeouts={
            op: getattr(timeouts, op)
            for op in ("create", "update", "delete")
            if getattr(timeouts, op)
        },
        deleteBeforeReplace=bool(request.deleteBeforeReplace),
        dependsOn=sorted(set(request.dependencies) - from_inputs),
        ignoreChanges=list(request.ignoreChanges),
        protect=bool(request.protect),
        provider=_provider_urn(request.provider),
        replaceOnChanges=list(request.replaceOnChanges),
        retainOnDelete=bool(request.retainOnDelete),
    )


class _StrictMocks(Mocks):
    """Mocks whose invokes come from the INVOKES table and whose resources get computed outputs."""

    def __init__(self, ctx: InvokeContext) -> None:
        self.ctx = ctx
        # Explicit AWS providers' regions by provider id: their resources live there.
        self.provider_regions: dict[str, str] = {}

    def call(self, args: Any) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        try:
            return handle_invoke(args.token, args.args, self.ctx), []
        except InvokeFailedError as exc:
            # As the provider answers: a failure the program's invoke call raises, which the
            # program may catch (an exception here would fail the whole run instead).
            return {}, [("", exc.reason)]

    def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
        if args.typ.startswith("pulumi:providers:"):
            provider_id = f"{args.name}-provider-id"
            region = args.inputs.get("region")
            if args.typ == "pulumi:providers:aws" and isinstance(region, str) and region:
                self.provider_regions[provider_id] = region
            return provider_id, dict(args.inputs)
        provider_id = (args.provider or "").rsplit("::", 1)[-1]
        return mock_state(
            args.typ,
            args.name,
            args.inputs,
            self.ctx,
            provider_region=self.provider_regions.get(provider_id),
        )

    def register_transform(self, transform: Any) -> None:
        return None

    def register_invoke_transform(self, transform: Any) -> None:
        return None


class RecordingMonitor(MockMonitor):
    """MockMonitor that also records each registration and the stack's outputs."""

    def __init__(self, mocks: _StrictMocks) -> None:
        super().__init__(mocks)
        self.records: list[PlanResource] = []
        self.stack_urn: str | None = None
        self.stack_outputs: dict[str, Any] = {}
        self._lock = threading.Lock()

    def RegisterResource(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == STACK_TYPE:
            self.stack_urn = urn
        record = PlanResource(
            urn=urn,
            type=request.type,
            name=request.name,
            parent=request.parent or None,
            provider=_provider_urn(request.provider),
            dependencies=tuple(sorted(set(request.dependencies))),
            property_dependencies={
                prop: tuple(sorted(set(deps.urns)))
                for prop, deps in sorted(request.propertyDependencies.items())
                if deps.urns
            },
            custom=bool(request.custom),
            inputs=_redact_provider_inputs(
                request.type, _clean(json_format.MessageToDict(request.object))
            ),
            options=_options(request),
        )
        with self._lock:
            self.records.append(record)
        return super().RegisterResource(request)  # type: ignore[no-untyped-call]

    def RegisterResourceOutputs(self, request: Any) -> Any:
        if request.urn and request.urn == self.stack_urn:
            with self._lock:
                self.stack_outputs = _clean(json_format.MessageToDict(request.outputs))
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]


# Exceptions synthesize() already raised to its caller; the runtime's abandoned futures holding
# the same exception would otherwise log it again as "never retrieved". Kept (bounded) rather
# than their ids so an id can't be reused by an unrelated exception.
_RAISED: deque[BaseException] = deque(maxlen=64)


def _quiet_reraised_futures() -> None:
    loop = asyncio.get_event_loop()
    default = loop.get_exception_handler()
    if getattr(default, "_offline_filter", False):
        return

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if exc is not None and any(exc is seen for seen in _RAISED):
            return
        if default is not None:
            default(loop, context)
        else:
            loop.default_exception_handler(context)

    handler._offline_filter = True  # type: ignore[attr-defined]
    loop.set_exception_handler(handler)


# Young-generation threshold while a program runs. Everything the runtime creates for a
# resource (outputs, futures, registrations) stays alive until the run ends, so each full
# collection re-scans a heap that only grows: with the default (700, 10, 10) the full
# collections made the per-resource cost grow with N (1.1 ms at 100 resources, 2.2 ms at 3000,
# half of it GC). Collecting the young generations less often defers the full ones past the
# run; cyclic garbage is still reclaimed by the young collections.
_SYNTHESIS_GC_THRESHOLD = (10_000, 20, 20)


@contextmanager
def _deferred_full_collections() -> Iterator[None]:
    previous = gc.get_threshold()
    gc.set_threshold(*_SYNTHESIS_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def synthesize(
    program: Callable[[], None],
    *,
    stack: str,
    project: str = "hrms",
    config: Mapping[str, str] | None = None,
    secret_keys: list[str] | None = None,
    pushed_images: frozenset[str] | None = None,
    iam_roles: frozenset[str] | None = None,
) -> Plan:
    """Run ``program`` as stack ``stack`` under strict mocks and return everything it registered.

    Raises ``OptionPathError`` when an ignoreChanges / replaceOnChanges path names no input.

    Each call resets the runtime's root stack, settings and config, so calls can be repeated in
    one process (tests do so many times); calls are serialised because that state is global.
    """
    from pulumi.runtime import config as pulumi_config
    from pulumi.runtime import settings
    from pulumi.runtime.stack import run_in_stack
    from pulumi.runtime.sync_await import _sync_await

    values = dict(config or {})
    secrets = list(secret_keys or [k for k, v in values.items() if v == SECRET_PLACEHOLDER])
    ctx = InvokeContext(
        stack=stack,
        project=project,
        region=values.get("aws:region", DEFAULT_REGION),
        config=values,
        # What the account holds; by default what the stack expects (see InvokeContext).
        pushed_images=pushed_images,
        iam_roles=iam_roles,
    )
    mocks = _StrictMocks(ctx)
    with _RUN_LOCK, _deferred_full_collections():
        monitor = RecordingMonitor(mocks)
        pulumi_config.set_all_config(values, secrets)
        settings.ROOT.set(None)
        settings.configure(
            MockSettings(  # type: ignore[no-untyped-call]
                monitor=monitor,
                monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),  # type: ignore[no-untyped-call]
                engine=MockEngine(None),
                project=project,
                stack=stack,
                dry_run=False,
                organization="organization",
                callbacks=None,
            )
        )
        settings.SETTINGS.outputs.clear()
        try:
            _sync_await(run_in_stack(program))
        except BaseException as exc:
            _RAISED.append(exc)
            _quiet_reraised_futures()
            raise
        finally:
            settings.ROOT.set(None)
            settings.SETTINGS.outputs.clear()
        records = sorted(monitor.records, key=lambda r: r.urn)
        # A path that names no input is a silent no-op in a real deployment: fail instead.
        findings = check_option_paths(records)
        if findings:
            raise OptionPathError(findings)
        return Plan(
            stack=stack, project=project, resources=tuple(records), outputs=monitor.stack_outputs
        )


def preview_stack(stack: str, root: Path = REPO_ROOT) -> Plan:
    """The plan of the real program (``stacks.program.main``) for ``stack``'s committed config."""
    project, config, secrets = load_stack_config_with_secrets(stack, root)
    from stacks.program import main  # type: ignore[import-not-found,unused-ignore]

    return synthesize(main, stack=stack, project=project, config=config, secret_keys=secrets)
