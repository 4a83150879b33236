"""``manage.py db_roles [--apply] [--runtime-auth iam|password]``: owner, runtime, backup roles.

Connects with the default database settings, which for ``--apply`` must be the RDS
master user (or a local superuser). Without ``--apply`` it only reports what it would
change. Idempotent: the migration Job runs it before every ``migrate``.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from app.core.db_roles import RoleLayoutError, roles_bootstrap
from app.core.grants import role_layout


class Command(BaseCommand):
    help = (
        "Create or update the schema owner and runtime database roles and their grants "
        "(dry run unless --apply)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--apply", action="store_true", help="make the changes")
        parser.add_argument(
            "--runtime-auth",
            choices=("iam", "password"),
            default="password",
            help="iam: the runtime role logs in with RDS IAM tokens only (grants rds_iam)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError(f"db_roles needs PostgreSQL, not {connection.vendor}")
        layout = role_layout()
        iam = options["runtime_auth"] == "iam"
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user, current_database()")
            user, database = cursor.fetchone()
            cursor.execute(
                "SELECT rolname FROM pg_roles WHERE rolname = ANY(%s) ORDER BY rolname",
                [[layout.owner, layout.runtime, layout.backup]],
            )
            existing = {row[0] for row in cursor.fetchall()}
        plan = [
            f"{'check' if role in existing else 'create'} role {role} ({what})"
            for role, what in ((layout.owner, "schema owner, NOLOGIN"), (layout.runtime, "runtime"))
        ]
        if layout.backup is not None:
            verb = "check" if layout.backup in existing else "create"
            plan.append(f"{verb} role {layout.backup} (backup: BYPASSRLS, SELECT only)")
        plan += [
            f"let {user} act as {layout.owner}; CONNECT on {database}; schema public: "
            f"USAGE+CREATE to {layout.owner}, USAGE to {layout.runtime}",
            f"hand every table, sequence and function in public to {layout.owner}",
            f"default privileges and exact table grants for {layout.runtime}"
            + (f" and {layout.backup} (SELECT)" if layout.backup is not None else ""),
        ]
        if iam:
            iam_roles = [r for r in (layout.runtime, layout.backup) if r is not None]
            plan.append(f"grant rds_iam to {', '.join(iam_roles)} (IAM token login only)")
        if not options["apply"]:
            self.stdout.write("db_roles: dry run (--apply to make the changes):")
            for step in plan:
                self.stdout.write(f"  would {step}")
            return
        try:
            with connection.cursor():
                # Django's own transaction handling stays out of it: autocommit statements.
                roles_bootstrap(connection.connection, layout, runtime_iam=iam)
        except RoleLayoutError as exc:
            raise CommandError(str(exc)) from exc
        for step in plan:
            self.stdout.write(f"  done: {step}")
        self.stdout.write(
            f"db_roles: {layout.owner} owns the schema, {layout.runtime} has DML only "
            f"(database {database}, applied as {user})"
        )
