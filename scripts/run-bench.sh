#!/usr/bin/env bash
# The benchmark (bench/run.ts) on the project's toolchain; set-up first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. "${VSTACK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vault-stack}/env.sh"
# `npm run bench` (the single server against docker+curl), `npm run bench:cluster` (3 nodes against 1, backup and restore).
exec node -r ts-node/register/transpile-only "bench/${1:-run}.ts"
