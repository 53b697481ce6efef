#!/usr/bin/env bash
# The full test suite on a fresh machine: set-up (cached after the first run), type check,
# lint, unit tests (mocks), then the end-to-end suite (real engine, Docker, server).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. "${VSTACK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vault-stack}/env.sh"
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
t0=$(date +%s)
echo "== typecheck" >&2
npx tsc --noEmit
echo "== lint" >&2
npx eslint .
npx prettier --check .
echo "== build (the ops adapter the command resources run)" >&2
npx tsc -p tsconfig.ops.json
echo "== unit tests" >&2
npx jest --selectProjects unit --json --outputFile="$results/unit.json"
echo "== end-to-end tests" >&2
npx jest --selectProjects e2e --runInBand --json --outputFile="$results/e2e.json"
# One closing line with the counts jest reported.
node -e '
const r = process.argv.slice(1).map((f) => require(f));
const sum = (k) => r.reduce((n, x) => n + x[k], 0);
console.log(`unit: ${r[0].numPassedTests} passed, ${r[0].numFailedTests} failed`);
console.log(`e2e: ${r[1].numPassedTests} passed, ${r[1].numFailedTests} failed`);
console.log(`total: ${sum("numPassedTests")} passed, ${sum("numFailedTests")} failed, ${sum("numPendingTests")} skipped`);
' "$results/unit.json" "$results/e2e.json"
echo "test suite wall time: $(( $(date +%s) - t0 ))s" >&2
