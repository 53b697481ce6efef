#!/usr/bin/env bash
# Shared helpers for the setup scripts: paths, versions, timed steps, result rows.
# Source it; it defines functions and variables only.

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../../toolchain/versions.env
. "$ROOT_DIR/toolchain/versions.env"

# Everything built or downloaded lives here, keyed by version, outside git.
VSTACK_CACHE="${VSTACK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vault-stack}"
VSTACK_BIN="$VSTACK_CACHE/bin"
VSTACK_LOGS="$VSTACK_CACHE/logs"
mkdir -p "$VSTACK_BIN" "$VSTACK_LOGS"

export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod"
export CGO_ENABLED=0
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PATH="$VSTACK_BIN:$PATH"

_STEP_T0=$(date +%s)

# log MESSAGE: one progress line with the seconds elapsed since the script began.
log() { printf '[%4ss] %s\n' "$(( $(date +%s) - _STEP_T0 ))" "$*" >&2; }

# die MESSAGE: print an error naming what failed and exit non-zero.
die() { printf 'setup: ERROR: %s\n' "$*" >&2; exit 1; }

# result COMPONENT VERSION SOURCE SECONDS: one machine-readable row for the summary table.
result() {
  printf 'RESULT|%s|%s|%s|%s\n' "$1" "$2" "$3" "$4"
  if [ -n "${VSTACK_RESULTS:-}" ]; then printf '%s|%s|%s|%s\n' "$1" "$2" "$3" "$4" >>"$VSTACK_RESULTS"; fi
}

# go_build_logged NAME DIR ARGS...: run `go build` in DIR, output to a log file, tail it on failure.
go_build_logged() {
  local name=$1 dir=$2; shift 2
  local logf="$VSTACK_LOGS/$name-build.log"
  log "building $name (log: $logf)"
  if ! (cd "$dir" && go build "$@") >"$logf" 2>&1; then
    tail -n 40 "$logf" >&2
    die "building $name failed; full log in $logf"
  fi
}
