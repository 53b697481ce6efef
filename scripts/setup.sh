#!/usr/bin/env bash
# One setup command: makes the Docker engine, Node >= 22, the Pulumi CLI, the four provider
# plugins and a Vault-compatible server image available, preferring what is already there.
# Idempotent; the second run builds nothing. Ends with a table: component, version, source, time.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

VSTACK_RESULTS=$(mktemp)
export VSTACK_RESULTS
trap 'rm -f "$VSTACK_RESULTS"' EXIT
t_all=$(date +%s)

# Order matters: the engine and Node first, then the CLI the plugins are installed with, then
# the project's npm packages, the plugins and the server image.
steps=(docker-engine node pulumi-cli npm-packages plugin-command plugin-random plugin-docker plugin-vault server-image)
for step in "${steps[@]}"; do
  script="$ROOT_DIR/scripts/toolchain/$step.sh"
  [ -f "$script" ] || die "missing $script"
  log "== $step"
  if ! bash "$script" | sed '/^RESULT|/d' >&2; then
    die "step $step failed (see above); nothing after it was set up"
  fi
done

total=$(( $(date +%s) - t_all ))
{
  printf '\n%-16s %-40s %-10s %s\n' COMPONENT VERSION SOURCE SECONDS
  while IFS='|' read -r c v s t; do printf '%-16s %-40s %-10s %s\n' "$c" "$v" "$s" "$t"; done <"$VSTACK_RESULTS"
  printf '%-16s %-40s %-10s %s\n' total "" "" "$total"
} >&2
# For the caller: the environment the tools need (Node 24 and the CLI first on PATH).
cat >"$VSTACK_CACHE/env.sh" <<ENV
export PATH="$VSTACK_BIN:\$PATH"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export SERVER_IMAGE="$SERVER_IMAGE"
ENV
