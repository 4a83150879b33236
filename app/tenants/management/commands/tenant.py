"""``manage.py tenant <subcommand>``: the tenant lifecycle from a shell (``lifecycle.py``).

With ``--stack STACK`` (and ``--endpoint-url`` for a sandbox) each subcommand also brings
the tenant's API Gateway keys in line with the app. Every subcommand can be re-run: after
a failure half-way the same command converges. Runbook: ``docs/runbooks/tenants.md``.
"""

from __future__ import annotations

import getpass
import json
import os
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from app.core.errors import DomainError
from app.tenants import lifecycle
from app.tenants.edge import EdgeError, TenantEdge
from app.tenants.models import Role
from app.tenants.offboarding import owner_url_resolve
from app.tenants.tiers import TierName

TIERS = [t.value for t in TierName]


def _common(parser: ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--operator",
        default=os.environ.get("HRMS_OPERATOR") or getpass.getuser(),
        help="who runs this, for the audit trail (default: $HRMS_OPERATOR or the OS user)",
    )


def _edge_options(parser: ArgumentParser) -> None:
    parser.add_argument("--stack", help="also sync API Gateway of this stack (staging, prod)")
    parser.add_argument(
        "--endpoint-url", help="API Gateway endpoint (a sandbox); default: the AWS endpoint"
    )


class Command(BaseCommand):
    help = "Tenant lifecycle: onboard, change-tier, suspend, resume, keys, tokens, offboard."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)

        p = sub.add_parser("onboard", help="a tenant, its first admin and token, one API key")
        _common(p)
        p.add_argument("--slug", required=True)
        p.add_argument("--name", required=True)
        p.add_argument("--tier", required=True, choices=TIERS)
        p.add_argument("--admin-email", required=True)
        _edge_options(p)

        p = sub.add_parser("change-tier", help="move the tenant (and its keys) to another tier")
        _common(p)
        p.add_argument("--slug", required=True)
        p.add_argument("--tier", required=True, choices=TIERS)
        p.add_argument("--force", action="store_true", help="downgrade even if it does not fit")
        _edge_options(p)

        for name, text in (("suspend", "refuse the tenant's requests"), ("resume", "undo suspend")):
            p = sub.add_parser(name, help=text)
            _common(p)
            p.add_argument("--slug", required=True)
            _edge_options(p)

        p = sub.add_parser("issue-key", help="a new API key (shown once)")
        _common(p)
        p.add_argument("--slug", required=True)
        p.add_argument("--name", default="issued", help="label for the key")
        _edge_options(p)

        p = sub.add_parser("revoke-key", help="revoke an API key by its prefix")
        _common(p)
        p.add_argument("--slug", required=True)
        p.add_argument("--prefix", required=True)
        _edge_options(p)

        p = sub.add_parser("issue-token", help="a user token for a role (shown once)")
        _common(p)
        p.add_argument("--slug", required=True)
        p.add_argument("--email", required=True)
        p.add_argument("--role", required=True, choices=Role.values)

        p = sub.add_parser("sync", help="bring the edge in line with the app (no app change)")
        _common(p)
        p.add_argument("--slug", required=True)
        _edge_options(p)

        p = sub.add_parser("offboard", help="export, then erase the tenant and its edge keys")
        _common(p)
        p.add_argument("--slug", required=True)
        target = p.add_mutually_exclusive_group(required=True)
        target.add_argument("--export", type=Path, help="directory for the export (JSON Lines)")
        target.add_argument(
            "--no-export", action="store_true", help="erase without exporting (explicitly)"
        )
        p.add_argument(
            "--owner-url",
            help="schema owner's database URL (default: $DATABASE_OWNER_URL, "
            "then build/serve/services.json)",
        )
        _edge_options(p)

    def handle(self, *args: Any, **options: Any) -> None:
        edge = None
        if options.get("stack"):
            edge = TenantEdge(stack=options["stack"], endpoint_url=options.get("endpoint_url"))
        elif options.get("endpoint_url"):
            raise CommandError("--endpoint-url needs --stack")
        try:
            result = self._run(options["subcommand"], options, edge)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        except EdgeError as exc:
            raise CommandError(
                f"edge: {exc}. The app side is done; re-run the same command to finish."
            ) from exc
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2))
        else:
            for key, value in result.items():
                self.stdout.write(f"{key}: {value}")

    def _run(self, name: str, o: dict[str, Any], edge: TenantEdge | None) -> dict[str, Any]:
        op = o["operator"]
        if name == "onboard":
            out = lifecycle.tenant_onboard(
                slug=o["slug"],
                name=o["name"],
                tier=o["tier"],
                admin_email=o["admin_email"],
                operator=op,
                edge=edge,
            )
            if not out.changed:
                self.stderr.write(
                    f"tenant {out.tenant.slug!r} is already onboarded; nothing issued "
                    "(use issue-key / issue-token)"
                )
            return {
                "slug": out.tenant.slug,
                "tier": out.tenant.tier,
                "api_key": out.secrets.get("api_key"),
                "admin_token": out.secrets.get("admin_token"),
            }
        if name == "change-tier":
            out = lifecycle.tenant_change_tier(
                slug=o["slug"], tier=o["tier"], operator=op, force=o["force"], edge=edge
            )
        elif name == "suspend":
            out = lifecycle.tenant_suspend(slug=o["slug"], operator=op, edge=edge)
        elif name == "resume":
            out = lifecycle.tenant_resume(slug=o["slug"], operator=op, edge=edge)
        elif name == "issue-key":
            out = lifecycle.tenant_key_issue(slug=o["slug"], operator=op, name=o["name"], edge=edge)
        elif name == "revoke-key":
            out = lifecycle.tenant_key_revoke(
                slug=o["slug"], prefix=o["prefix"], operator=op, edge=edge
            )
        elif name == "issue-token":
            out = lifecycle.tenant_token_issue(
                slug=o["slug"], email=o["email"], role=o["role"], operator=op
            )
        elif name == "sync":
            if edge is None:
                raise CommandError("sync needs --stack")
            tenant = lifecycle.tenant_require(slug=o["slug"])
            report = lifecycle.tenant_edge_sync(tenant=tenant, edge=edge)
            return {"slug": tenant.slug, "tier": tenant.tier, "edge": report.as_dict()}
        elif name == "offboard":
            out = lifecycle.tenant_offboard(
                slug=o["slug"],
                operator=op,
                export_dir=None if o["no_export"] else o["export"],
                owner_url=owner_url_resolve(o.get("owner_url")),
                edge=edge,
            )
        else:  # pragma: no cover - argparse restricts the choices
            raise CommandError(f"unknown subcommand {name}")
        result: dict[str, Any] = {
            "slug": out.tenant.slug,
            "tier": out.tenant.tier,
            "status": out.tenant.status,
            "changed": out.changed,
            **out.details,
            **out.secrets,
        }
        if out.edge is not None:
            result["edge"] = out.edge.as_dict()
            if out.edge.missing:
                self.stderr.write(
                    f"keys active in the app but absent at the edge: {out.edge.missing}; "
                    "rotate them (issue-key, then revoke-key), see docs/runbooks/tenants.md"
                )
        return result
