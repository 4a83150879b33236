"""Database roles: the schema owner migrations run as, and the app's least-privileged runtime role.

Deployed and local layouts are the same (docs/app.md, "Database roles"):

* the **owner** owns every table, sequence and function in ``public``; only migrations
  act as it. It is not a superuser and has no BYPASSRLS (FORCE ROW LEVEL SECURITY
  binds it too).
* the **runtime** role the app connects as has SELECT/INSERT/UPDATE/DELETE on the app's
  tables and nothing else: no ownership, so no TRUNCATE, ALTER, trigger or policy
  changes; the audit table is INSERT/SELECT only; the migration ledger is read-only.
* the **backup** role (optional) logical backups run as: BYPASSRLS, because a dump made
  by a role row-level security binds would silently hold one tenant or none; SELECT on
  every table and sequence and nothing else, so it can read everything and change nothing.

Two entry points, both idempotent:

* :func:`roles_bootstrap` runs as the RDS master user (or a local superuser) before
  migrations: creates or checks both roles, lets the caller act as the owner, grants the
  database and schema, hands anything in ``public`` not owned by the owner over to it,
  then applies :func:`runtime_grants`.
* :func:`runtime_grants` runs as the owner (after every ``migrate``, from the
  ``post_migrate`` signal): default privileges, so tables a later migration creates are
  granted automatically, and the per-table grants above.

Pure psycopg, no Django: the local service scripts call it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

SCHEMA = "public"
RUNTIME_TABLE_PRIVILEGES: tuple[str, ...] = ("SELECT", "INSERT", "UPDATE", "DELETE")
# Tables the runtime role may not change freely: the audit log is append-only (its
# trigger refuses UPDATE/DELETE too; the grant makes the refusal not depend on it), and
# only migrations may record what schema is applied.
RESTRICTED_TABLES: dict[str, tuple[str, ...]] = {
    "audit_auditevent": ("SELECT", "INSERT"),
    "django_migrations": ("SELECT",),
}
# nextval() needs USAGE; SELECT lets currval()/lastval() read what this session drew.
RUNTIME_SEQUENCE_PRIVILEGES: tuple[str, ...] = ("USAGE", "SELECT")
# The role RDS checks for IAM database authentication; members can no longer use passwords.
RDS_IAM_ROLE = "rds_iam"


class RoleLayoutError(RuntimeError):
    """A role exists with attributes that would defeat the layout (e.g. superuser)."""


# What pg_dump needs: reading rows and sequence values; nothing that writes.
BACKUP_TABLE_PRIVILEGES: tuple[str, ...] = ("SELECT",)
BACKUP_SEQUENCE_PRIVILEGES: tuple[str, ...] = ("SELECT",)


@dataclass(frozen=True, kw_only=True)
class RoleLayout:
    owner: str
    runtime: str
    backup: str | None = None

    def __post_init__(self) -> None:
        if not self.owner or not self.runtime or self.owner == self.runtime:
            raise ValueError("owner and runtime must be two different, non-empty role names")
        if self.backup is not None and self.backup in ("", self.owner, self.runtime):
            raise ValueError("backup must be a non-empty role name distinct from owner/runtime")


def runtime_privileges(table: str) -> tuple[str, ...]:
    return RESTRICTED_TABLES.get(table, RUNTIME_TABLE_PRIVILEGES)


def _privileges(names: tuple[str, ...]) -> sql.Composable:
    return sql.SQL(", ").join(sql.SQL(name) for name in names)


def _execute_all(conn: psycopg.Connection[Any], statements: list[sql.Composable]) -> None:
    # One round trip: after every migrate and test flush this must stay cheap.
    if statements:
        conn.execute(sql.SQL(";\n").join(statements))


def _role_attributes(conn: psycopg.Connection[Any], role: str) -> dict[str, bool] | None:
    cur = conn.cursor()
    row = cur.execute(
        "SELECT rolsuper, rolbypassrls, rolcreaterole, rolreplication, rolcreatedb, rolcanlogin "
        "FROM pg_roles WHERE rolname = %s",
        [role],
    ).fetchone()
    if row is None:
        return None
    keys = ("superuser", "bypassrls", "createrole", "replication", "createdb", "login")
    return dict(zip(keys, (bool(v) for v in row), strict=True))


def _role_exists(conn: psycopg.Connection[Any], role: str) -> bool:
    return _role_attributes(conn, role) is not None


def _ensure_role(conn: psycopg.Connection[Any], role: str, *, login: bool) -> None:
    ident = sql.Identifier(role)
    if not _role_exists(conn, role):
        # A fresh role gets no password: the owner never logs in when deployed, and the
        # runtime role authenticates with IAM tokens (locally, the caller sets one).
        conn.execute(
            sql.SQL(
                "CREATE ROLE {} {} NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOREPLICATION "
                "NOCREATEDB INHERIT"
            ).format(ident, sql.SQL("LOGIN" if login else "NOLOGIN"))
        )
    elif login:
        conn.execute(sql.SQL("ALTER ROLE {} LOGIN").format(ident))
    # SUPERUSER, BYPASSRLS and REPLICATION can only be changed by a real superuser, which
    # the RDS master is not: check them instead of setting them.
    attributes = _role_attributes(conn, role) or {}
    granted = [k for k in ("superuser", "bypassrls", "createrole", "replication") if attributes[k]]
    if granted:
        raise RoleLayoutError(
            f"role {role} has {', '.join(a.upper() for a in granted)}: row-level security "
            "and the privilege split would not bind it; remove them as a superuser"
        )


def _ensure_backup_role(conn: psycopg.Connection[Any], role: str) -> None:
    """A login role that bypasses row-level security and holds nothing but SELECT grants.

    Creating (or altering) a role with BYPASSRLS takes a superuser, or on PostgreSQL 16+ a
    role that itself has BYPASSRLS; the error then says who must run it once.
    """
    ident = sql.Identifier(role)
    attributes = _role_attributes(conn, role)
    try:
        if attributes is None:
            conn.execute(
                sql.SQL(
                    "CREATE ROLE {} LOGIN BYPASSRLS NOSUPERUSER NOCREATEROLE NOREPLICATION "
                    "NOCREATEDB INHERIT"
                ).format(ident)
            )
        elif not attributes["bypassrls"] or not attributes["login"]:
            conn.execute(sql.SQL("ALTER ROLE {} LOGIN BYPASSRLS").format(ident))
    except psycopg.errors.InsufficientPrivilege as exc:
        raise RoleLayoutError(
            f"cannot give {role} BYPASSRLS as this user ({exc.diag.message_primary}): run "
            f"'CREATE ROLE {role} LOGIN BYPASSRLS' once as a user that may, then re-run"
        ) from exc
    attributes = _role_attributes(conn, role) or {}
    if attributes["createdb"]:
        conn.execute(sql.SQL("ALTER ROLE {} NOCREATEDB").format(ident))
    granted = [k for k in ("superuser", "createrole", "replication") if attributes[k]]
    if granted:
        raise RoleLayoutError(
            f"backup role {role} has {', '.join(a.upper() for a in granted)}: it must only read"
        )


def _grant_iam(conn: psycopg.Connection[Any], role: str) -> None:
    if not _role_exists(conn, RDS_IAM_ROLE):
        raise RoleLayoutError(
            f"role {RDS_IAM_ROLE} does not exist: IAM database authentication needs RDS"
        )
    conn.execute(
        sql.SQL("GRANT {} TO {}").format(sql.Identifier(RDS_IAM_ROLE), sql.Identifier(role))
    )


def roles_bootstrap(
    conn: psycopg.Connection[Any], layout: RoleLayout, *, runtime_iam: bool
) -> None:
    """Create or update the roles and every grant; run as the master user, before migrate.

    ``conn`` must be in autocommit mode or the caller commits. ``runtime_iam`` makes the
    runtime (and backup) role authenticate with RDS IAM tokens (then no password works).
    """
    _ensure_role(conn, layout.owner, login=False)
    _ensure_role(conn, layout.runtime, login=True)
    if layout.backup is not None:
        _ensure_backup_role(conn, layout.backup)
    owner, runtime = sql.Identifier(layout.owner), sql.Identifier(layout.runtime)
    runtime_attributes = _role_attributes(conn, layout.runtime) or {}
    if runtime_attributes["createdb"]:
        conn.execute(sql.SQL("ALTER ROLE {} NOCREATEDB").format(runtime))
    if runtime_iam:
        _grant_iam(conn, layout.runtime)
        if layout.backup is not None:
            _grant_iam(conn, layout.backup)
    cur = conn.cursor()
    row = cur.execute("SELECT current_user, current_database()").fetchone()
    assert row is not None  # noqa: S101 - a SELECT without FROM always returns a row
    caller, database = str(row[0]), str(row[1])
    statements: list[sql.Composable] = []
    if caller != layout.owner:
        # The master acts as the owner for migrations (SET ROLE) and to hand objects over.
        statements.append(sql.SQL("GRANT {} TO {}").format(owner, sql.Identifier(caller)))
    db = sql.Identifier(database)
    statements += [
        sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(db, owner),
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(db, runtime),
        # PostgreSQL 15+ already withholds CREATE from PUBLIC; older clusters did not.
        sql.SQL("REVOKE CREATE ON SCHEMA {} FROM PUBLIC").format(sql.Identifier(SCHEMA)),
        sql.SQL("GRANT USAGE, CREATE ON SCHEMA {} TO {}").format(sql.Identifier(SCHEMA), owner),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(SCHEMA), runtime),
    ]
    if layout.backup is not None:
        backup = sql.Identifier(layout.backup)
        statements += [
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(db, backup),
            sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(SCHEMA), backup),
        ]
    _execute_all(conn, statements)
    _execute_all(conn, _ownership_transfer(conn, layout))
    runtime_grants(conn, layout)


def _ownership_transfer(conn: psycopg.Connection[Any], layout: RoleLayout) -> list[sql.Composable]:
    """Hand tables, views, free-standing sequences and functions in ``public`` to the owner.

    A database migrated before the split has everything owned by the master user; an
    identity or serial sequence follows its table, so only the others are moved.
    """
    cur = conn.cursor()
    relations = cur.execute(
        "SELECT c.relname, c.relkind FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'S') "
        "AND pg_get_userbyid(c.relowner) <> %s "
        "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
        "AND d.objid = c.oid AND d.deptype IN ('a', 'i'))",
        [SCHEMA, layout.owner],
    ).fetchall()
    kinds = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE"}
    owner = sql.Identifier(layout.owner)
    statements: list[sql.Composable] = [
        sql.SQL("ALTER {} {} OWNER TO {}").format(
            sql.SQL(kinds[str(kind)]), sql.Identifier(SCHEMA, str(name)), owner
        )
        for name, kind in relations
    ]
    functions = cur.execute(
        "SELECT p.oid::regprocedure::text FROM pg_proc p "
        "JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = %s AND pg_get_userbyid(p.proowner) <> %s",
        [SCHEMA, layout.owner],
    ).fetchall()
    # regprocedure's text form is already a quoted, schema-resolvable signature.
    statements += [
        sql.SQL("ALTER FUNCTION {} OWNER TO {}").format(sql.SQL(str(signature)), owner)
        for (signature,) in functions
    ]
    return statements


def runtime_grants(conn: psycopg.Connection[Any], layout: RoleLayout) -> None:
    """Default privileges plus exact grants on every table and sequence the owner has.

    Runs as the owner or a member of it; every table is first stripped of whatever the
    runtime role held, so a re-run converges on the layout rather than adding to it.
    """
    owner, runtime = sql.Identifier(layout.owner), sql.Identifier(layout.runtime)
    schema = sql.Identifier(SCHEMA)
    statements: list[sql.Composable] = [
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT {} ON TABLES TO {}"
        ).format(owner, schema, _privileges(RUNTIME_TABLE_PRIVILEGES), runtime),
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT {} ON SEQUENCES TO {}"
        ).format(owner, schema, _privileges(RUNTIME_SEQUENCE_PRIVILEGES), runtime),
    ]
    # A database laid out before the backup role existed simply has none to grant to.
    has_backup = layout.backup is not None and _role_exists(conn, layout.backup)
    backup = sql.Identifier(layout.backup) if has_backup and layout.backup else None
    if backup is not None:
        statements += [
            sql.SQL(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT {} ON TABLES TO {}"
            ).format(owner, schema, _privileges(BACKUP_TABLE_PRIVILEGES), backup),
            sql.SQL(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT {} ON SEQUENCES TO {}"
            ).format(owner, schema, _privileges(BACKUP_SEQUENCE_PRIVILEGES), backup),
        ]
    cur = conn.cursor()
    for name, kind in cur.execute(
        "SELECT c.relname, c.relkind FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'S') "
        "AND pg_get_userbyid(c.relowner) = %s ORDER BY c.relname",
        [SCHEMA, layout.owner],
    ).fetchall():
        target = sql.Identifier(SCHEMA, str(name))
        is_sequence = kind == "S"
        privileges = RUNTIME_SEQUENCE_PRIVILEGES if is_sequence else runtime_privileges(str(name))
        keyword = sql.SQL("SEQUENCE" if is_sequence else "TABLE")
        statements += [
            sql.SQL("REVOKE ALL ON {} {} FROM {}").format(keyword, target, runtime),
            sql.SQL("GRANT {} ON {} {} TO {}").format(
                _privileges(privileges), keyword, target, runtime
            ),
        ]
        if backup is not None:
            read = BACKUP_SEQUENCE_PRIVILEGES if is_sequence else BACKUP_TABLE_PRIVILEGES
            statements += [
                sql.SQL("REVOKE ALL ON {} {} FROM {}").format(keyword, target, backup),
                sql.SQL("GRANT {} ON {} {} TO {}").format(
                    _privileges(read), keyword, target, backup
                ),
            ]
    _execute_all(conn, statements)
