#!/usr/bin/env bash
# The full test suite on a fresh machine: set-up (cached after the first run), the set-up's
# plugin download route (tests/toolchain/plugin-download.sh), type check,
# lint, unit tests (mocks), then the end-to-end suite (real engine, Docker, server).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. "${VSTACK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vault-stack}/env.sh"
# The key-holder e2e makes real PGP keys and decrypts shares with GnuPG (Debian's gnupg).
if ! command -v gpg >/dev/null 2>&1; then
  echo "== installing gnupg (key-holder tests)" >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gnupg; } >&2 \
    || { echo "could not install gnupg: apt-get install gnupg" >&2; exit 1; }
fi
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
t0=$(date +%s)
# The set-up's official plugin download route, served from 127.0.0.1 (docs/toolchain.md). A failure
# is counted and fails the run at the end, after the other suites.
echo "== toolchain tests" >&2
t1=$(date +%s)
VSTACK_TEST_COUNTS="$results/toolchain.counts" bash tests/toolchain/plugin-download.sh >&2 || true
echo "toolchain tests: $(( $(date +%s) - t1 ))s" >&2
[ -s "$results/toolchain.counts" ] || echo "0 1" >"$results/toolchain.counts"
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
# Two files at a time: each file has its own scratch stacks, names and free ports, and most of a
# file's time is spent waiting on the engine, Docker and the server (VSTACK_E2E_WORKERS=1 runs
# them one by one).
npx jest --selectProjects e2e --maxWorkers="${VSTACK_E2E_WORKERS:-2}" --json --outputFile="$results/e2e.json"
# Closing lines with the counts jest and the toolchain test reported.
node -e '
const fs = require("fs");
const [unit, e2e] = process.argv.slice(1, 3).map((f) => require(f));
const [tp, tf] = fs.readFileSync(process.argv[3], "utf8").trim().split(/\s+/).map(Number);
const sum = (k) => unit[k] + e2e[k];
console.log(`unit: ${unit.numPassedTests} passed, ${unit.numFailedTests} failed`);
console.log(`e2e: ${e2e.numPassedTests} passed, ${e2e.numFailedTests} failed`);
console.log(`toolchain: ${tp} passed, ${tf} failed`);
console.log(`total: ${sum("numPassedTests") + tp} passed, ${sum("numFailedTests") + tf} failed, ${sum("numPendingTests")} skipped`);
' "$results/unit.json" "$results/e2e.json" "$results/toolchain.counts"
echo "test suite wall time: $(( $(date +%s) - t0 ))s" >&2
read -r _ toolchain_failed <"$results/toolchain.counts"
[ "$toolchain_failed" = 0 ] || { echo "toolchain tests failed (see '== toolchain tests' above)" >&2; exit 1; }
