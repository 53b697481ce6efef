#!/usr/bin/env bash
# Runs an operator command (up, preview, destroy, unseal, verify, keys, generate-root, backup, restore) on the project's Node
# with the toolchain on PATH. `up` runs the set-up first (seconds when everything is cached).
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${VSTACK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vault-stack}"
if [ "${1:-}" = "up" ] || [ "${1:-}" = "generate-root" ] || [ ! -f "$cache/env.sh" ] || [ ! -d node_modules ]; then
  bash scripts/setup.sh
fi
. "$cache/env.sh"
exec node -r ts-node/register/transpile-only cli/main.ts "$@"
