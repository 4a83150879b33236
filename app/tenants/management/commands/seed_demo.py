"""``manage.py seed_demo [--json]``: demo tenants (one per tier) with working credentials."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand

from app.tenants.demo import demo_seed


class Command(BaseCommand):
    help = "Create or refresh one demo tenant per tier; rotates and prints the demo credentials."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--json", action="store_true", help="print credentials as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        tenants = demo_seed()
        if options["json"]:
            self.stdout.write(json.dumps({"tenants": [asdict(t) for t in tenants]}, indent=2))
            return
        for t in tenants:
            self.stdout.write(
                f"{t.slug} ({t.tier})\n  X-API-Key: {t.api_key}\n  Bearer: {t.admin_token}"
            )
