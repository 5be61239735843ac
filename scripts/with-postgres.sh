#!/usr/bin/env bash
# Runs a command with TWINMETRICS_TEST_PG set to the admin DSN of a
# PostgreSQL server (≥ 15) that the tests may create and drop databases on:
#
#   scripts/with-postgres.sh make test-pg
#
# - TWINMETRICS_TEST_PG already set: that server, as it is.
# - Else the server on 127.0.0.1:$TWINMETRICS_PG_PORT (default 5432), as
#   user postgres with trust authentication, when it answers.
# - Else a throwaway cluster: Debian's PostgreSQL server binaries
#   (installed with apt-get when missing and the script runs as root),
#   initdb in a temporary folder, started on a free port of 127.0.0.1 with
#   settings for tests (no fsync), and stopped and removed when the command
#   ends. PostgreSQL refuses to run as root, so as root the cluster runs
#   as the `postgres` user that Debian's package creates.
#
# The command's exit status is the script's.
set -euo pipefail

[ "$#" -gt 0 ] || { echo "usage: $0 COMMAND [ARG...]" >&2; exit 2; }

say() { echo "with-postgres: $*" >&2; }

# answers DSN: true when a PostgreSQL server at DSN accepts a query.
answers() { command -v psql >/dev/null && psql "$1" -XAtqc 'SELECT 1' >/dev/null 2>&1; }

if [ -n "${TWINMETRICS_TEST_PG:-}" ]; then
  say "using TWINMETRICS_TEST_PG as set"
  exec "$@"
fi

port="${TWINMETRICS_PG_PORT:-5432}"
dsn="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
if answers "$dsn"; then
  say "using the server on 127.0.0.1:$port"
  export TWINMETRICS_TEST_PG="$dsn"
  exec "$@"
fi
say "nothing answers on 127.0.0.1:$port: starting a throwaway cluster"

# Debian's server binaries are not on PATH: pg_config --bindir names
# their folder (postgresql-common diverts pg_config for that), else the
# newest installed version's.
bindir() {
  local d
  if command -v pg_config >/dev/null && d="$(pg_config --bindir 2>/dev/null)" && [ -x "$d/initdb" ]; then
    echo "$d"; return
  fi
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && { echo "$d"; return; }
  done
  return 1
}
if ! PGBIN="$(bindir)"; then
  if [ "$(id -u)" -ne 0 ]; then
    say "no PostgreSQL server binaries (initdb) here: install Debian's postgresql package (apt-get install postgresql) or set TWINMETRICS_TEST_PG"
    exit 1
  fi
  say "installing Debian's postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=300 postgresql
  PGBIN="$(bindir)" || { say "postgresql installed, but no initdb found"; exit 1; }
fi

# A free port: the first from 54320 on where nothing listens.
free=""
for p in $(seq 54320 54399); do
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then free="$p"; break; fi
done
[ -n "$free" ] || { say "no free port between 54320 and 54399"; exit 1; }

PGTMP="$(mktemp -d -t twinmetrics-pg.XXXXXX)"
as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || { say "as root the cluster runs as user postgres, which does not exist (Debian's postgresql package creates it)"; exit 1; }
  chown postgres:postgres "$PGTMP"
  as_owner=(runuser -u postgres --)
fi
chmod 700 "$PGTMP"
stop() {
  "${as_owner[@]}" "$PGBIN/pg_ctl" -D "$PGTMP/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PGTMP"
}
trap stop EXIT
# C.UTF-8 sorts text by code point, as SQLite's BINARY collation does.
"${as_owner[@]}" "$PGBIN/initdb" -D "$PGTMP/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$PGTMP/initdb.log" 2>&1 \
  || { cat "$PGTMP/initdb.log" >&2; exit 1; }
if ! "${as_owner[@]}" "$PGBIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $free -k $PGTMP -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null; then
  cat "$PGTMP/log" >&2
  exit 1
fi
export TWINMETRICS_TEST_PG="postgres://postgres@127.0.0.1:$free/postgres?sslmode=disable"
say "throwaway cluster $("$PGBIN/postgres" --version) on 127.0.0.1:$free"
# PostgreSQL's own client tools (pg_dump, pg_restore, psql) of the same
# version come first on PATH.
export PATH="$PGBIN:$PATH"
set +e
"$@"
status=$?
set -e
exit "$status"
