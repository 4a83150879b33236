"""``manage.py seed_demo [--json]``: demo tenants (one per tier) with working credentials."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from dataclasses import asdict
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connections
from django.db.migrations.executor import MigrationExecutor

from app.tenants.demo import demo_seed


def _pending_migrations(database: str) -> int:
    executor = MigrationExecutor(connections[database])
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


class Command(BaseCommand):
    help = (
        "Create or refresh one demo tenant per tier; rotates and prints the demo credentials. "
        "Applies pending migrations first, so it works on a fresh checkout."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--json", action="store_true", help="print credentials as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        pending = _pending_migrations("default")
        if pending:
            # stderr, so that --json output stays machine-readable.
            self.stderr.write(f"seed_demo: applying {pending} pending migration(s) first")
            call_command("migrate", interactive=False, verbosity=0, stdout=self.stderr)
        tenants = demo_seed()
        if options["json"]:
            self.stdout.write(json.dumps({"tenants": [asdict(t) for t in tenants]}, indent=2))
            return
        for t in tenants:
            self.stdout.write(f"{t.slug} ({t.tier})\n  X-API-Key: {t.api_key}")
            for role, token in t.tokens.items():
                self.stdout.write(f"  Bearer ({role}): {token}")
