#!/usr/bin/env bash
# Starts a local MinIO (S3-compatible) server for the S3 test suites, building it from its Go module
# the first time. Prints `export CAIRN_TEST_S3_…=…` lines on stdout, progress on stderr:
#
#   eval "$(scripts/services/minio.sh)"     # start (or reuse) the server
#   scripts/services/minio.sh stop          # stop it
#
# Settings: CAIRN_MINIO_PORT (default 9100; the console, if any, uses the next port),
# CAIRN_SERVICES_DIR (data, log, pid; default /tmp/cairn-services),
# CAIRN_SERVICES_CACHE (built binaries; default ~/.cache/cairn-services).
set -euo pipefail

# Pinned: the binary in the cache is reused only when it was built from exactly this version.
MINIO_MODULE=github.com/minio/minio
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c

PORT=${CAIRN_MINIO_PORT:-9100}
CONSOLE_PORT=$((PORT + 1))
ROOT_USER=cairn
ROOT_PASSWORD=cairn-secret-key
CACHE_DIR=${CAIRN_SERVICES_CACHE:-$HOME/.cache/cairn-services}
BIN_DIR=$CACHE_DIR/minio-$MINIO_VERSION
BIN=$BIN_DIR/minio
STATE_DIR=${CAIRN_SERVICES_DIR:-/tmp/cairn-services}/minio
DATA_DIR=$STATE_DIR/data
LOG=$STATE_DIR/minio.log
PID_FILE=$STATE_DIR/minio.pid
ENDPOINT=http://127.0.0.1:$PORT
START_TIMEOUT=60

say() { printf 'minio: %s\n' "$*" >&2; }

print_env() {
  printf 'export CAIRN_TEST_S3_ENDPOINT=%s\n' "$ENDPOINT"
  printf 'export CAIRN_TEST_S3_ACCESS_KEY=%s\n' "$ROOT_USER"
  printf 'export CAIRN_TEST_S3_SECRET_KEY=%s\n' "$ROOT_PASSWORD"
}

healthy() { curl -fsS -o /dev/null --max-time 2 "$ENDPOINT/minio/health/live" 2>/dev/null; }

# The pid in the pid file, if that process is alive and is a MinIO server (pids get reused).
running_pid() {
  [[ -f $PID_FILE ]] || return 1
  local pid
  pid=$(<"$PID_FILE")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'minio server' || return 1
  printf '%s\n' "$pid"
}

ensure_binary() {
  [[ -x $BIN ]] && return 0
  command -v go >/dev/null || {
    say "go is not installed; it is needed once to build MinIO ($MINIO_MODULE@$MINIO_VERSION)"
    exit 1
  }
  say "building $MINIO_MODULE@$MINIO_VERSION into $BIN_DIR (takes several minutes the first time)"
  # Build into a scratch directory and move the result, so an interrupted build never leaves a
  # half-written binary at the cached path.
  local tmp
  mkdir -p "$CACHE_DIR"
  tmp=$(mktemp -d "$CACHE_DIR/.minio-build.XXXXXX")
  if ! GOBIN=$tmp go install "$MINIO_MODULE@$MINIO_VERSION" >&2; then
    rm -rf "$tmp"
    say "building MinIO failed (see the go output above)"
    exit 1
  fi
  mkdir -p "$BIN_DIR"
  mv "$tmp/minio" "$BIN"
  rm -rf "$tmp"
}

wait_healthy() {
  local pid=$1 deadline=$((SECONDS + START_TIMEOUT))
  until healthy; do
    if ! kill -0 "$pid" 2>/dev/null; then
      say "the server exited during start-up; last lines of $LOG:"
      tail -n 30 "$LOG" >&2 || true
      rm -f "$PID_FILE"
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      say "no answer from $ENDPOINT/minio/health/live after ${START_TIMEOUT}s; last lines of $LOG:"
      tail -n 30 "$LOG" >&2 || true
      exit 1
    fi
    sleep 0.2
  done
}

start() {
  local pid
  if pid=$(running_pid); then
    wait_healthy "$pid"
    say "already running (pid $pid) at $ENDPOINT"
    print_env
    return 0
  fi
  rm -f "$PID_FILE"
  if healthy; then
    say "something else already answers at $ENDPOINT; stop it or set CAIRN_MINIO_PORT to a free port"
    exit 1
  fi
  ensure_binary
  mkdir -p "$DATA_DIR"
  say "starting MinIO at $ENDPOINT (data in $DATA_DIR, log in $LOG)"
  # Loopback only, no browser console, no update checks. The server's output goes to the log so
  # that `eval "$(…)"` does not wait on its stdout.
  MINIO_ROOT_USER=$ROOT_USER MINIO_ROOT_PASSWORD=$ROOT_PASSWORD MINIO_BROWSER=off MINIO_UPDATE=off \
    setsid "$BIN" server --address "127.0.0.1:$PORT" --console-address "127.0.0.1:$CONSOLE_PORT" \
    --certs-dir "$STATE_DIR/certs" "$DATA_DIR" >>"$LOG" 2>&1 </dev/null &
  pid=$!
  printf '%s\n' "$pid" >"$PID_FILE"
  wait_healthy "$pid"
  say "ready (pid $pid)"
  print_env
}

stop() {
  local pid
  if ! pid=$(running_pid); then
    rm -f "$PID_FILE"
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
  rm -f "$PID_FILE"
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
