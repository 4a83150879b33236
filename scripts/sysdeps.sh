#!/usr/bin/env bash
# Installs the PostgreSQL and Redis server binaries the test suite starts, when missing.
set -euo pipefail

have_pg() {
  command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1
}
have_redis() { command -v redis-server >/dev/null 2>&1; }

missing=()
have_pg || missing+=(postgresql)
have_redis || missing+=(redis-server)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "sysdeps: installing ${missing[*]} from Debian packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The suite starts its own servers on private ports; the packaged services stay off.
  for svc in redis-server postgresql; do
    service "$svc" stop >/dev/null 2>&1 || true
  done
  exit 0
fi

echo "sysdeps: missing ${missing[*]}." >&2
echo "  Install them with your package manager (Debian: apt-get install ${missing[*]})," >&2
echo "  or run 'make test' as root on Debian/Ubuntu to install them automatically." >&2
exit 1
