#!/usr/bin/env bash
# The project's npm packages, installed with the lock file on the project's Node; skipped when
# node_modules already matches the lock.
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
t0=$(date +%s)
cd "$ROOT_DIR"
stamp=node_modules/.vault-stack-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  result npm-packages "lock ${want:0:12}" found $(( $(date +%s) - t0 ))
  exit 0
fi
log "npm ci (log: $VSTACK_LOGS/npm-ci.log)"
# Provider packages' install scripts only try to download plugins; the setup builds those.
if ! npm ci --no-audit --no-fund --ignore-scripts >"$VSTACK_LOGS/npm-ci.log" 2>&1; then
  tail -n 30 "$VSTACK_LOGS/npm-ci.log" >&2
  die "npm ci failed; full log in $VSTACK_LOGS/npm-ci.log"
fi
echo "$want" >"$stamp"
result npm-packages "lock ${want:0:12}" installed $(( $(date +%s) - t0 ))
