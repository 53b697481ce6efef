#!/usr/bin/env bash
# The full test suite on a fresh machine: set-up (cached after the first run), type check,
# lint, unit tests (mocks), then the end-to-end suite (real engine, Docker, server).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. "${VSTACK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vault-stack}/env.sh"
echo "== typecheck" >&2
npx tsc --noEmit
echo "== lint" >&2
npx eslint .
npx prettier --check .
echo "== unit tests" >&2
npx jest --selectProjects unit
echo "== end-to-end tests" >&2
npx jest --selectProjects e2e --runInBand
