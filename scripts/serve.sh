#!/usr/bin/env bash
# Serve the HRMS app locally: migrate, seed demo tenants, collect static, run gunicorn.
# Usage: scripts/serve.sh [PORT]   (SQLite by default; DATABASE_URL / REDIS_URL honoured)
#        DB=postgres scripts/serve.sh [PORT]   (local PostgreSQL + Redis, deployed role layout)
set -euo pipefail

cd "$(dirname "$0")/.."
PORT="${1:-${PORT:-8000}}"
if ! [[ "$PORT" =~ ^[0-9]+$ ]] || [ "$PORT" -lt 1 ] || [ "$PORT" -gt 65535 ]; then
  echo "serve: port must be a number between 1 and 65535, got '$PORT'" >&2
  exit 2
fi
PY=".venv/bin/python"
[ -x "$PY" ] || PY="python3"

if [ "${DB:-}" = "postgres" ] && [ -z "${HRMS_LOCAL_SERVICES:-}" ]; then
  # Starts PostgreSQL and Redis, writes build/serve/services.json, runs this script
  # again against them and stops them when it ends (scripts/local_services/serve.py).
  exec "$PY" -m scripts.local_services.serve "$PORT"
elif [ -n "${DB:-}" ] && [ "${DB}" != "postgres" ] && [ "${DB}" != "sqlite" ]; then
  echo "serve: DB must be postgres or sqlite, got '$DB'" >&2
  exit 2
fi

export DJANGO_SETTINGS_MODULE=app.settings.local
mkdir -p build
RUN_AS=""
if [ "$(id -u)" -eq 0 ]; then
  # gunicorn's workers drop to an unprivileged user (app/gunicorn.conf.py); give that
  # user a SQLite directory it can write to.
  RUN_AS="${GUNICORN_USER:-nobody}"
  if [ -z "${DATABASE_URL:-}" ]; then
    mkdir -p build/serve
    export DATABASE_URL="sqlite:///$PWD/build/serve/hrms-local.sqlite3"
  fi
fi
# Migrations act as the schema owner when there is one; the app runs as DATABASE_URL.
DATABASE_URL="${DATABASE_OWNER_URL:-${DATABASE_URL:-}}" "$PY" app/manage.py migrate --noinput -v 0
CREDS="$("$PY" app/manage.py seed_demo --json)"
"$PY" app/manage.py collectstatic --noinput -v 0

# (Not with DB=postgres: build/serve then holds services.json, which is root's alone.)
if [ -n "$RUN_AS" ] && [ -z "${HRMS_LOCAL_SERVICES:-}" ] && [ -d build/serve ]; then
  chown -R "$RUN_AS" build/serve
fi
printf '%s\n' "$CREDS" >build/demo-credentials.json
chmod 600 build/demo-credentials.json
"$PY" - "$PORT" <<'PYEOF'
import json, sys
port = sys.argv[1]
tenants = json.load(open("build/demo-credentials.json"))["tenants"]
print(f"\nHRMS app on http://127.0.0.1:{port}  (docs: http://127.0.0.1:{port}/api/docs/)")
print("Demo credentials (rotated on every start) are in build/demo-credentials.json.\n")
for t in tenants:
    print(f"# {t['slug']} ({t['tier']})")
    print(f"curl -s -H 'X-API-Key: {t['api_key']}' \\\n"
          f"     -H 'Authorization: Bearer {t['admin_token']}' \\\n"
          f"     http://127.0.0.1:{port}/api/v1/employees/")
print(f"curl -s http://127.0.0.1:{port}/readyz\n")
PYEOF

GUNICORN=".venv/bin/gunicorn"
[ -x "$GUNICORN" ] || GUNICORN="gunicorn"
exec "$GUNICORN" -c app/gunicorn.conf.py --bind "127.0.0.1:${PORT}" --workers "${WEB_CONCURRENCY:-2}" \
  --env DJANGO_SETTINGS_MODULE=app.settings.local
