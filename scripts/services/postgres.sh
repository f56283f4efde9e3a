#!/usr/bin/env bash
# Starts a private PostgreSQL server for Cairn's tests (not the system cluster) and prints the
# setting the PostgreSQL suites read:
#
#   eval "$(scripts/services/postgres.sh)"        # start (idempotent) and export CAIRN_TEST_PG_URL
#   scripts/services/postgres.sh stop             # stop it
#
# Data, socket and log live in ${CAIRN_SERVICES_DIR:-/tmp/cairn-services}/postgres; the server
# listens on 127.0.0.1:${CAIRN_PG_PORT:-5433} only. Run as root on Debian, it installs the
# `postgresql` package when no server binaries are present and runs the server as `postgres`
# (initdb refuses root); run as another user, it needs the binaries and runs the server as that user.
# Progress goes to stderr; stdout carries only the export line.
set -euo pipefail

PORT="${CAIRN_PG_PORT:-5433}"
BASE="${CAIRN_SERVICES_DIR:-/tmp/cairn-services}/postgres"
DATA="$BASE/data"
SOCKETS="$BASE/run"
LOG="$BASE/server.log"
ROLE=cairn
PASSWORD=cairn
DATABASE=cairn_test

say() { echo "postgres.sh: $*" >&2; }

find_bindir() {
  local initdb
  initdb="$(ls -1d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)"
  if [[ -n "$initdb" ]]; then
    dirname "$initdb"
  elif command -v initdb >/dev/null 2>&1; then
    dirname "$(command -v initdb)"
  fi
}

BINDIR="$(find_bindir)"
if [[ -z "$BINDIR" ]]; then
  if [[ "${1:-start}" == stop ]]; then
    say "no PostgreSQL server binaries installed; nothing to stop"
    exit 0
  fi
  if [[ "$(id -u)" -ne 0 ]]; then
    say "no PostgreSQL server binaries found; install the 'postgresql' package (as root: apt-get install -y postgresql)"
    exit 1
  fi
  say "installing the postgresql package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y postgresql >&2
  BINDIR="$(find_bindir)"
  [[ -n "$BINDIR" ]] || { say "postgresql installed but no initdb found under /usr/lib/postgresql"; exit 1; }
fi

# Runs a command as the server's owner: `postgres` when we are root, ourselves otherwise.
if [[ "$(id -u)" -eq 0 ]]; then
  OWNER=postgres
  as_owner() { runuser -u postgres -- "$@"; }
else
  OWNER="$(id -un)"
  as_owner() { "$@"; }
fi

pg_ctl_() { as_owner "$BINDIR/pg_ctl" -D "$DATA" "$@"; }
running() { [[ -f "$DATA/PG_VERSION" ]] && pg_ctl_ status >/dev/null 2>&1; }

if [[ "${1:-start}" == stop ]]; then
  if running; then
    say "stopping the server in $DATA"
    pg_ctl_ stop -m fast -w >&2
  else
    say "not running ($DATA)"
  fi
  exit 0
fi
[[ "${1:-start}" == start ]] || { say "usage: $0 [start|stop]"; exit 2; }

mkdir -p "$BASE"
if [[ "$(id -u)" -eq 0 ]]; then
  chown "$OWNER" "$BASE"
  chmod 0755 "$BASE"
fi
if ! as_owner test -w "$BASE"; then
  say "$OWNER cannot write $BASE; set CAIRN_SERVICES_DIR to a directory every user can traverse"
  exit 1
fi

if [[ ! -f "$DATA/PG_VERSION" ]]; then
  say "creating a cluster in $DATA with $BINDIR/initdb"
  as_owner mkdir -p "$DATA" "$SOCKETS"
  as_owner "$BINDIR/initdb" -D "$DATA" -U postgres --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 --no-sync >&2
  echo "include_if_exists = 'cairn.conf'" | as_owner tee -a "$DATA/postgresql.conf" >/dev/null
fi
as_owner mkdir -p "$SOCKETS"

# Test settings, rewritten on every start so a changed port or tuning takes effect.
# fsync off: a crash loses the test database, which is disposable.
as_owner tee "$DATA/cairn.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$SOCKETS'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 128MB
max_locks_per_transaction = 256
password_encryption = 'scram-sha-256'
EOF

if running; then
  say "already running ($DATA)"
else
  say "starting on 127.0.0.1:$PORT (log: $LOG)"
  as_owner touch "$LOG" 2>/dev/null || true
  if ! pg_ctl_ start -w -t 30 -l "$LOG" >&2; then
    say "the server did not start (waited up to 30 s); last lines of $LOG:"
    tail -n 40 "$LOG" >&2 || true
    exit 1
  fi
fi

psql_() { as_owner "$BINDIR/psql" -h "$SOCKETS" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA "$@"; }

if [[ "$(psql_ -c "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != 1 ]]; then
  say "creating role $ROLE"
  psql_ -c "CREATE ROLE $ROLE LOGIN SUPERUSER PASSWORD '$PASSWORD'" >&2
fi
if [[ "$(psql_ -c "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" != 1 ]]; then
  say "creating database $DATABASE"
  psql_ -c "CREATE DATABASE $DATABASE OWNER $ROLE" >&2
fi

echo "export CAIRN_TEST_PG_URL=postgresql://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DATABASE"
