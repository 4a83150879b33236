"""Acknowledged writes: every 2xx write of a run, and the check that each one is still there.

A write is acknowledged when the app answered 2xx; it is lost when afterwards its row is
missing, belongs to another tenant, or no longer holds the state the write set (an
approval that is not ``approved``, a termination that is not ``terminated``). Against the
local app the check reads the database as the superuser (row-level security does not
hide the tenant column from it); against a remote target it asks the API as each
tenant's admin, which also proves the row is visible to its own tenant.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import psycopg

from scripts.load.credentials import TenantCredentials
from scripts.local_services.postgres import PostgresServer

# kind -> (table, state column, API path)
KINDS = {
    "employee": ("people_employee", "employment_status", "/api/v1/employees/{}/"),
    "leave_request": ("leave_leaverequest", "status", "/api/v1/leave-requests/{}/"),
}
API_CHECK_TIMEOUT_S = 600.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Write:
    kind: str  # a KINDS key
    pk: int
    tenant: str
    action: str  # "create", "submit", "approve", "terminate"
    state: str | None = None  # the state the write set, when it set one


@dataclass(frozen=True, kw_only=True)
class WriteCheck:
    acknowledged: int
    lost: list[str]  # what was not found, one line per lost write
    method: str  # "database" or "api"


def _final_states(writes: Sequence[Write]) -> dict[tuple[str, int], str | None]:
    """The last state each entity was acknowledged in (later writes supersede earlier)."""
    final: dict[tuple[str, int], str | None] = {}
    for w in writes:
        if w.state is not None or (w.kind, w.pk) not in final:
            final[(w.kind, w.pk)] = w.state
    return final


def writes_judge(
    writes: Sequence[Write], found: dict[tuple[str, int], tuple[str, str]], method: str
) -> WriteCheck:
    """``found``: (kind, pk) -> (tenant slug, state) for every row that exists."""
    final = _final_states(writes)
    lost = []
    for w in writes:
        row = found.get((w.kind, w.pk))
        if row is None:
            lost.append(f"{w.action} {w.kind} {w.pk} ({w.tenant}): not found")
        elif row[0] != w.tenant:
            lost.append(f"{w.action} {w.kind} {w.pk}: belongs to {row[0]}, not {w.tenant}")
        elif w.state is not None and final[(w.kind, w.pk)] == w.state and row[1] != w.state:
            lost.append(f"{w.action} {w.kind} {w.pk} ({w.tenant}): {row[1]}, not {w.state}")
    return WriteCheck(acknowledged=len(writes), lost=lost, method=method)


def writes_check_database(
    server: PostgresServer, database: str, writes: Sequence[Write]
) -> WriteCheck:
    found: dict[tuple[str, int], tuple[str, str]] = {}
    with psycopg.connect(server.superuser_conninfo(database), autocommit=True) as conn:
        for kind, (table, column, _) in KINDS.items():
            pks = sorted({w.pk for w in writes if w.kind == kind})
            rows = conn.execute(
                f"SELECT r.id, t.slug, r.{column} FROM {table} r "  # noqa: S608 - fixed names
                "JOIN tenants_tenant t ON t.id = r.tenant_id WHERE r.id = ANY(%s)",
                [pks],
            ).fetchall()
            found.update({(kind, int(pk)): (str(slug), str(state)) for pk, slug, state in rows})
    return writes_judge(writes, found, "database")


def _get(base: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, object], float]:
    url = urlsplit(base)
    cls = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    conn = cls(url.netloc, timeout=30)
    try:
        conn.request("GET", url.path.rstrip("/") + path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        retry = float(response.getheader("Retry-After") or 1)
        payload = json.loads(body) if response.status == 200 else {}
        return response.status, payload, retry
    finally:
        conn.close()


def writes_check_api(
    base_url: str, tenants: Sequence[TenantCredentials], writes: Sequence[Write]
) -> WriteCheck:
    """One GET per written entity as its tenant's admin, waiting out 429s (bounded)."""
    by_slug = {t.slug: t for t in tenants}
    found: dict[tuple[str, int], tuple[str, str]] = {}
    deadline = time.monotonic() + API_CHECK_TIMEOUT_S
    for kind, pk, tenant in sorted({(w.kind, w.pk, w.tenant) for w in writes}):
        _, column, path = KINDS[kind]
        while time.monotonic() < deadline:
            status, body, retry = _get(base_url, path.format(pk), by_slug[tenant].headers("admin"))
            if status == 429:
                time.sleep(min(retry, 10.0))
                continue
            if status == 200:
                found[(kind, pk)] = (tenant, str(body.get(column)))
            break
    return writes_judge(writes, found, "api")
