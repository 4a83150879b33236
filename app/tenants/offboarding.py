"""Offboarding: export a tenant's data (JSON Lines + manifest), then erase it as the schema owner.

Tenant-owned tables are found from the models, not listed: every concrete model with a
``tenant_id`` column is exported and erased, so a new table is covered automatically
(a test compares this with the database's own catalog).

Erasure runs on a separate connection as the schema owner, never by widening the
runtime role: the audit log is append-only through a trigger, and only a table's owner
may ``ALTER TABLE ... DISABLE TRIGGER``. The trigger is disabled and re-enabled inside
the erasure transaction, so no other session ever sees it off, and a runtime-role
connection fails at that statement before anything is deleted.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from django.apps import apps
from django.contrib.auth.models import User
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from app.core.errors import ConflictError
from app.core.rls import SETTING, tenant_scope
from app.tenants.models import Membership, Tenant, TenantErasure, TenantStatus

MANIFEST = "manifest.json"
SERVICES_FILE = Path("build/serve/services.json")
# Hashes of keys and tokens are ours, not the customer's data, and help nobody offline.
_NOT_EXPORTED = frozenset({"key_hash"})
_USER_FIELDS = ("id", "username", "email", "first_name", "last_name", "date_joined")


@dataclass(frozen=True, kw_only=True)
class ExportManifest:
    path: Path
    sha256: str  # of manifest.json itself, recorded in the tombstone
    counts: dict[str, int]


def tenant_owned_models() -> list[type[models.Model]]:
    """Every concrete model with a ``tenant_id`` column, in a stable order."""
    owned = [
        model
        for model in apps.get_models()
        if not model._meta.proxy
        and any(f.column == "tenant_id" for f in model._meta.concrete_fields)
    ]
    return sorted(owned, key=lambda m: m._meta.label_lower)


# ---------------------------------------------------------------------------- export


def _lines(model: type[models.Model], tenant: Tenant) -> list[str]:
    queryset = model._default_manager.filter(tenant_id=tenant.pk).order_by("pk")
    lines = []
    for obj in serializers.serialize("python", queryset):
        fields = {k: v for k, v in obj["fields"].items() if k not in _NOT_EXPORTED}
        row = {"model": obj["model"], "pk": obj["pk"], "fields": fields}
        lines.append(json.dumps(row, cls=DjangoJSONEncoder, sort_keys=True))
    return lines


def _user_lines(tenant: Tenant) -> list[str]:
    user_ids = Membership.objects.for_tenant(tenant).values_list("user_id", flat=True)
    users = User.objects.filter(pk__in=list(user_ids)).order_by("pk").values(*_USER_FIELDS)
    return [json.dumps(dict(u), cls=DjangoJSONEncoder, sort_keys=True) for u in users]


def _private(path: Path) -> None:
    """Owner-only before any byte is written (also for a file left by an earlier run)."""
    path.touch(mode=0o600)
    path.chmod(0o600)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tenant_export(*, tenant: Tenant, directory: Path, operator: str) -> ExportManifest:
    """One ``<app>.<model>.jsonl`` per tenant-owned model (plus tenant and users) and a manifest.

    Read in one transaction bound to the tenant (row-level security applies), then
    checked by reading the files back; raises instead of returning a partial export.
    """
    labels = ["tenants.tenant", "auth.user", *(m._meta.label_lower for m in tenant_owned_models())]
    ours = {MANIFEST, *(f"{label}.jsonl" for label in labels)}
    # Personal data: readable by the operator only.
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    directory.chmod(0o700)
    manifest_path = directory / MANIFEST
    if manifest_path.exists():
        previous = json.loads(manifest_path.read_text())
        if previous.get("tenant") != tenant.slug:
            raise ConflictError(f"{directory} holds the export of {previous.get('tenant')!r}")
    strangers = sorted(p.name for p in directory.iterdir() if p.name not in ours)
    if strangers:
        # Files of an interrupted export of this tenant are overwritten; anything else is not ours.
        raise ConflictError(f"{directory} holds other files ({strangers[:3]}); use a new directory")
    manifest_path.unlink(missing_ok=True)  # a manifest only ever describes complete files

    entities: dict[str, list[str]] = {}
    with tenant_scope(tenant.pk):  # one transaction, bound to the tenant
        tenant_row = serializers.serialize("python", [Tenant.objects.get(pk=tenant.pk)])[0]
        entities["tenants.tenant"] = [json.dumps(tenant_row, cls=DjangoJSONEncoder, sort_keys=True)]
        entities["auth.user"] = _user_lines(tenant)
        for model in tenant_owned_models():
            entities[model._meta.label_lower] = _lines(model, tenant)

    files: dict[str, dict[str, Any]] = {}
    for label, lines in entities.items():
        path = directory / f"{label}.jsonl"
        _private(path)
        path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        files[label] = {"file": path.name, "count": len(lines), "sha256": _sha256(path)}
    manifest = {
        "tenant": tenant.slug,
        "tenant_id": tenant.pk,
        "exported_at": timezone.now().isoformat(),
        "exported_by": operator,
        "format": "jsonl",
        "entities": files,
    }
    _private(manifest_path)
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    counts = export_verify(directory=directory)
    return ExportManifest(path=manifest_path, sha256=_sha256(manifest_path), counts=counts)


def export_verify(*, directory: Path) -> dict[str, int]:
    """Re-read an export: every file's line count and SHA-256 must match its manifest."""
    manifest = json.loads((directory / MANIFEST).read_text())
    counts: dict[str, int] = {}
    for label, entry in manifest["entities"].items():
        path = directory / entry["file"]
        if not path.is_file() or _sha256(path) != entry["sha256"]:
            raise ConflictError(f"export file {path} does not match its manifest")
        lines = path.read_text(encoding="utf-8").splitlines()
        for line in lines:
            json.loads(line)
        if len(lines) != entry["count"]:
            raise ConflictError(f"export file {path} does not match its manifest")
        counts[label] = len(lines)
    return counts


# ---------------------------------------------------------------------------- erasure


def owner_url_resolve(explicit: str | None, *, services_file: Path = SERVICES_FILE) -> str | None:
    """``--owner-url``, else ``DATABASE_OWNER_URL``, else the local services file's owner URL."""
    if explicit:
        return explicit
    env = os.environ.get("DATABASE_OWNER_URL", "").strip()
    if env:
        return env
    if services_file.is_file():
        data = json.loads(services_file.read_text())
        url = data.get("database", {}).get("owner_url")
        return str(url) if url else None
    return None


def _tables() -> list[str]:
    return [m._meta.db_table for m in tenant_owned_models()]


def tenant_erase(
    *, tenant: Tenant, owner_url: str | None, operator: str, export_manifest_sha256: str = ""
) -> dict[str, int]:
    """Delete every row of ``tenant`` in every tenant-owned table; keep a tombstone.

    Also deletes the users who belonged to no other tenant (their names and emails are
    personal data). Returns rows erased per table. One transaction: all or nothing.
    """
    if connection.vendor == "postgresql":
        if not owner_url:
            raise ConflictError(
                "erasure runs as the schema owner: pass --owner-url, set DATABASE_OWNER_URL, "
                f"or start the local services so {SERVICES_FILE} names the owner",
                field="owner_url",
            )
        return _erase_postgres(
            tenant=tenant, owner_url=owner_url, tombstone=(operator, export_manifest_sha256)
        )
    return _erase_plain(tenant=tenant, tombstone=(operator, export_manifest_sha256))


def _erase_postgres(
    *, tenant: Tenant, owner_url: str, tombstone: tuple[str, str]
) -> dict[str, int]:
    tables = _tables()
    expected_db = connection.settings_dict["NAME"]
    counts: dict[str, int] = {}
    with psycopg.connect(owner_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT current_database()")
        row = cur.fetchone()
        if row is None or row[0] != expected_db:
            raise ConflictError(
                f"owner URL points at database {row!r}, the app uses {expected_db!r}"
            )
        cur.execute("SELECT slug FROM tenants_tenant WHERE id = %s", [tenant.pk])
        row = cur.fetchone()
        if row is None or row[0] != tenant.slug:
            raise ConflictError(f"owner connection sees tenant {tenant.pk} as {row!r}")
        # Same-tenant keys are checked per statement; delete in any order, check at the end.
        cur.execute("SET CONSTRAINTS ALL DEFERRED")
        # The owner is bound by FORCE ROW LEVEL SECURITY too: scope it to this tenant.
        cur.execute("SELECT set_config(%s, %s, true)", [SETTING, str(tenant.pk)])
        cur.execute("SELECT user_id FROM tenants_membership WHERE tenant_id = %s", [tenant.pk])
        user_ids = [r[0] for r in cur.fetchall()]
        cur.execute(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND t.tgenabled <> 'D' AND c.relname = ANY(%s)",
            [tables],
        )
        triggers = cur.fetchall()
        for table, trigger in triggers:
            # Only the table owner may do this; the runtime role fails here, before any delete.
            cur.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER "{trigger}"')
        for table in tables:
            cur.execute(f'DELETE FROM "{table}" WHERE tenant_id = %s', [tenant.pk])  # noqa: S608
            counts[table] = cur.rowcount
        for table, trigger in triggers:
            cur.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER "{trigger}"')
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        counts["auth_user"] = 0
        for user_id in user_ids:
            # A user still referenced elsewhere (another tenant's membership or audit
            # trail, checked by the foreign keys, which see past row-level security) stays.
            try:
                with conn.transaction():
                    cur.execute(
                        "DELETE FROM auth_user WHERE id = %s AND NOT is_staff AND NOT is_superuser",
                        [user_id],
                    )
                    counts["auth_user"] += cur.rowcount
            except psycopg.errors.ForeignKeyViolation:
                continue
        cur.execute(
            "UPDATE tenants_tenant SET status = %s WHERE id = %s",
            [TenantStatus.OFFBOARDED.value, tenant.pk],
        )
        # The tombstone commits with the erasure, or neither happens.
        operator, manifest_sha = tombstone
        cur.execute(
            "INSERT INTO tenants_tenanterasure (tenant_slug, tenant_pk, erased_by, erased_at, "
            "row_counts, export_manifest_sha256) VALUES (%s, %s, %s, now(), %s::jsonb, %s) "
            "ON CONFLICT (tenant_slug) DO UPDATE SET erased_by = EXCLUDED.erased_by, "
            "erased_at = EXCLUDED.erased_at, row_counts = EXCLUDED.row_counts, "
            "export_manifest_sha256 = EXCLUDED.export_manifest_sha256",
            [tenant.slug, tenant.pk, operator, json.dumps(counts), manifest_sha],
        )
    return counts


def _erase_plain(*, tenant: Tenant, tombstone: tuple[str, str]) -> dict[str, int]:
    """SQLite (``make serve``): no roles, no row-level security, no trigger."""
    counts: dict[str, int] = {}
    with transaction.atomic(), connection.cursor() as cur:
        user_ids = list(
            Membership.objects.filter(tenant_id=tenant.pk).values_list("user_id", flat=True)
        )
        for table in _tables():
            cur.execute(f'DELETE FROM "{table}" WHERE tenant_id = %s', [tenant.pk])  # noqa: S608
            counts[table] = cur.rowcount
        orphans = User.objects.filter(
            pk__in=user_ids, is_staff=False, is_superuser=False, memberships__isnull=True
        )
        counts["auth_user"] = len(orphans.values_list("pk", flat=True))
        orphans.delete()
        Tenant.objects.filter(pk=tenant.pk).update(status=TenantStatus.OFFBOARDED)
        TenantErasure.objects.update_or_create(
            tenant_slug=tenant.slug,
            defaults={
                "tenant_pk": tenant.pk,
                "erased_by": tombstone[0],
                "erased_at": timezone.now(),
                "row_counts": counts,
                "export_manifest_sha256": tombstone[1],
            },
        )
    return counts
