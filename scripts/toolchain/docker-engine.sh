#!/usr/bin/env bash
# Docker engine: a running engine -> found; an installed dockerd -> started;
# otherwise Debian's docker.io is installed and started. Images are never
# pulled from a registry here, so no registry configuration is needed.
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/../lib" && pwd)/common.sh"

T0=$(date +%s)
SOCK=/var/run/docker.sock

engine_version() { docker version --format '{{.Server.Version}}' 2>/dev/null; }
engine_up() { [ -S "$SOCK" ] && docker info >/dev/null 2>&1; }

if command -v docker >/dev/null 2>&1 && engine_up; then
  v=$(engine_version)
  log "docker engine $v already running: found"
  result docker-engine "$v" found $(( $(date +%s) - T0 ))
  exit 0
fi

source=started
if ! command -v dockerd >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || die "dockerd is not installed and installing docker.io needs root"
  log "dockerd not installed: apt-get install docker.io"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >"$VSTACK_LOGS/docker-engine-apt.log" 2>&1 \
    || { tail -n 20 "$VSTACK_LOGS/docker-engine-apt.log" >&2; die "apt-get update failed"; }
  apt-get install -y -qq --no-install-recommends docker.io iptables ca-certificates \
    >>"$VSTACK_LOGS/docker-engine-apt.log" 2>&1 \
    || { tail -n 20 "$VSTACK_LOGS/docker-engine-apt.log" >&2; die "apt-get install docker.io failed"; }
  source=installed
fi

[ "$(id -u)" = 0 ] || die "dockerd is installed but not running, and starting it needs root"

# A stale pid file from a dead daemon stops dockerd from starting.
if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
  rm -f /var/run/docker.pid
fi
if ! pgrep -x dockerd >/dev/null 2>&1; then
  log "starting dockerd (log: $VSTACK_LOGS/dockerd.log)"
  nohup dockerd >>"$VSTACK_LOGS/dockerd.log" 2>&1 </dev/null &
  disown || true
else
  log "a dockerd process exists; waiting for it to answer"
fi

for _ in $(seq 1 60); do
  engine_up && break
  sleep 0.5
done
if ! engine_up; then
  tail -n 30 "$VSTACK_LOGS/dockerd.log" >&2 || true
  die "dockerd did not answer within 30 s; full log in $VSTACK_LOGS/dockerd.log"
fi

v=$(engine_version)
log "docker engine $v running (storage driver: $(docker info --format '{{.Driver}}'))"
result docker-engine "$v" "$source" $(( $(date +%s) - T0 ))
