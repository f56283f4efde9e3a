#!/usr/bin/env bash
# Starts a local Temporal development server (SQLite-backed, no web UI) for the distributed
# pipeline tests, building the Temporal CLI from its Go module the first time. Prints
# `export CAIRN_TEST_TEMPORAL_ADDRESS=…` on stdout, progress on stderr:
#
#   eval "$(scripts/services/temporal.sh)"     # start (or reuse) the server
#   scripts/services/temporal.sh stop          # stop it
#
# Settings: CAIRN_TEMPORAL_PORT (default: the first free loopback port from 17233),
# CAIRN_SERVICES_DIR (database, log, pid; default /tmp/cairn-services),
# CAIRN_SERVICES_CACHE (built binaries; default ~/.cache/cairn-services).
set -euo pipefail

# Pinned: later versions carry a `replace` directive in go.mod and cannot be `go install`ed.
CLI_MODULE=github.com/temporalio/cli
CLI_PACKAGE=$CLI_MODULE/cmd/temporal
CLI_VERSION=v1.5.1

CACHE_DIR=${CAIRN_SERVICES_CACHE:-$HOME/.cache/cairn-services}
BIN_DIR=$CACHE_DIR/temporal-cli-$CLI_VERSION
BIN=$BIN_DIR/temporal
STATE_DIR=${CAIRN_SERVICES_DIR:-/tmp/cairn-services}/temporal
DB=$STATE_DIR/temporal.db
LOG=$STATE_DIR/temporal.log
PID_FILE=$STATE_DIR/temporal.pid
PORT_FILE=$STATE_DIR/temporal.port
START_TIMEOUT=90

say() { printf 'temporal: %s\n' "$*" >&2; }

# A cached binary is used only when Go's build information says it came from exactly this
# module version; without Go at hand the version-keyed path is trusted.
built_from_pinned_version() {
  [[ -x $1 ]] || return 1
  command -v go >/dev/null || return 0
  go version -m "$1" 2>/dev/null | grep -Eq "^[[:space:]]+mod[[:space:]]+$CLI_MODULE[[:space:]]+$CLI_VERSION([[:space:]]|$)"
}

ensure_binary() {
  built_from_pinned_version "$BIN" && return 0
  command -v go >/dev/null || {
    say "go is not installed; it is needed once to build the Temporal CLI ($CLI_PACKAGE@$CLI_VERSION)"
    exit 1
  }
  say "building $CLI_PACKAGE@$CLI_VERSION into $BIN_DIR (takes a few minutes the first time)"
  # Build into a scratch directory and move the result, so an interrupted build never leaves a
  # half-written binary at the cached path.
  local tmp
  mkdir -p "$CACHE_DIR"
  tmp=$(mktemp -d "$CACHE_DIR/.temporal-build.XXXXXX")
  if ! GOBIN=$tmp go install "$CLI_PACKAGE@$CLI_VERSION" >&2; then
    rm -rf "$tmp"
    say "building the Temporal CLI failed (see the go output above)"
    exit 1
  fi
  mkdir -p "$BIN_DIR"
  mv "$tmp/temporal" "$BIN"
  rm -rf "$tmp"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
  local port=${CAIRN_TEMPORAL_PORT:-}
  if [[ -n $port ]]; then
    printf '%s\n' "$port"
    return 0
  fi
  for port in $(seq 17233 17333); do
    if ! port_in_use "$port"; then
      printf '%s\n' "$port"
      return 0
    fi
  done
  say "no free port between 17233 and 17333; set CAIRN_TEMPORAL_PORT"
  exit 1
}

# The pid in the pid file, if that process is alive and is a Temporal dev server (pids get reused).
running_pid() {
  [[ -f $PID_FILE ]] || return 1
  local pid
  pid=$(<"$PID_FILE")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'server start-dev' || return 1
  printf '%s\n' "$pid"
}

# Ready when the frontend answers and the default namespace exists (workers poll it at once).
ready() {
  "$BIN" operator namespace describe --namespace default --address "127.0.0.1:$1" \
    --command-timeout 2s >/dev/null 2>&1
}

wait_ready() {
  local pid=$1 port=$2 deadline=$((SECONDS + START_TIMEOUT))
  until ready "$port"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      say "the server exited during start-up; last lines of $LOG:"
      tail -n 30 "$LOG" >&2 || true
      rm -f "$PID_FILE" "$PORT_FILE"
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      say "no answer on 127.0.0.1:$port after ${START_TIMEOUT}s; last lines of $LOG:"
      tail -n 30 "$LOG" >&2 || true
      exit 1
    fi
    sleep 0.3
  done
}

print_env() { printf 'export CAIRN_TEST_TEMPORAL_ADDRESS=127.0.0.1:%s\n' "$1"; }

start() {
  local pid port
  if pid=$(running_pid) && [[ -f $PORT_FILE ]]; then
    port=$(<"$PORT_FILE")
    ensure_binary
    wait_ready "$pid" "$port"
    say "already running (pid $pid) at 127.0.0.1:$port"
    print_env "$port"
    return 0
  fi
  rm -f "$PID_FILE" "$PORT_FILE"
  ensure_binary
  port=$(free_port)
  if port_in_use "$port"; then
    say "something else already listens on 127.0.0.1:$port; stop it or set CAIRN_TEMPORAL_PORT to a free port"
    exit 1
  fi
  mkdir -p "$STATE_DIR"
  say "starting the Temporal dev server at 127.0.0.1:$port (database $DB, log $LOG)"
  # Loopback only and no web UI. The server's output goes to the log so that `eval "$(…)"` does
  # not wait on its stdout.
  setsid "$BIN" server start-dev --headless --ip 127.0.0.1 --port "$port" --db-filename "$DB" \
    --log-level warn >>"$LOG" 2>&1 </dev/null &
  pid=$!
  printf '%s\n' "$pid" >"$PID_FILE"
  printf '%s\n' "$port" >"$PORT_FILE"
  wait_ready "$pid" "$port"
  say "ready (pid $pid)"
  print_env "$port"
}

stop() {
  local pid
  if ! pid=$(running_pid); then
    rm -f "$PID_FILE" "$PORT_FILE"
    say "not running"
    return 0
  fi
  kill "$pid"
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "pid $pid did not stop in 10s; sending SIGKILL"
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$PID_FILE" "$PORT_FILE"
  say "stopped (pid $pid)"
}

case ${1:-start} in
  start) start ;;
  stop) stop ;;
  *)
    say "usage: $0 [start|stop]"
    exit 2
    ;;
esac
