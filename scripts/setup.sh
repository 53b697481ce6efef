#!/usr/bin/env bash
# One setup command: makes the Docker engine, Node >= 22, the Pulumi CLI, the four provider
# plugins and a Vault-compatible server image available, preferring what is already there.
# Idempotent; the second run builds nothing. Ends with a table: component, version, source, time.
#   bash scripts/setup.sh                     every step, then writes $VSTACK_CACHE/env.sh
#   bash scripts/setup.sh STEP...             only the steps named (e.g. plugin-docker), no env.sh
#                                             (tests/toolchain/plugin-download.sh runs the plugin steps)
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
cd "$ROOT_DIR"

# Before anything is built: versions.env, package.json and the plugins' go.mod files agree.
check_versions

VSTACK_RESULTS=$(mktemp)
export VSTACK_RESULTS
trap 'rm -f "$VSTACK_RESULTS"' EXIT
t_all=$(date +%s)

# Order matters: the engine and Node first, then the CLI the plugins are installed with, then
# the project's npm packages, the plugins and the server image. A step: its name, then the
# script it runs in its own bash process, with arguments. Every plugin goes through one
# function, `ensure_plugin NAME VERSION BUILD_FN` (scripts/lib/plugins.sh).
steps=(
  "docker-engine  scripts/toolchain/docker-engine.sh"
  "node           scripts/toolchain/node.sh"
  "pulumi-cli     scripts/toolchain/pulumi-cli.sh"
  "npm-packages   scripts/toolchain/npm-packages.sh"
  "plugin-command scripts/lib/plugins.sh command $COMMAND_PLUGIN_VERSION build_go"
  "plugin-random  scripts/lib/plugins.sh random $RANDOM_PLUGIN_VERSION build_bridged"
  "plugin-docker  scripts/lib/plugins.sh docker $DOCKER_PLUGIN_VERSION build_bridged"
  "plugin-vault   scripts/lib/plugins.sh vault $VAULT_PLUGIN_VERSION build_bridged"
  "server-image   scripts/toolchain/server-image.sh"
)
# Only the steps named on the command line, when any are.
if [ $# -gt 0 ]; then
  known=" $(for step in "${steps[@]}"; do printf '%s ' "${step%% *}"; done)"
  for want in "$@"; do
    [[ $known == *" $want "* ]] || die "no step '$want'; the steps are:$known"
  done
fi
for step in "${steps[@]}"; do
  read -r name script args <<<"$step"
  if [ $# -gt 0 ] && [[ " $* " != *" $name "* ]]; then continue; fi
  [ -f "$script" ] || die "missing $script"
  log "== $name"
  # shellcheck disable=SC2086 # args: words without spaces
  if ! bash "$script" $args | sed '/^RESULT|/d' >&2; then
    die "step $name failed (see above); nothing after it was set up"
  fi
done

total=$(( $(date +%s) - t_all ))
{
  printf '\n%-16s %-40s %-10s %s\n' COMPONENT VERSION SOURCE SECONDS
  while IFS='|' read -r c v s t; do printf '%-16s %-40s %-10s %s\n' "$c" "$v" "$s" "$t"; done <"$VSTACK_RESULTS"
  printf '%-16s %-40s %-10s %s\n' total "" "" "$total"
} >&2
[ $# = 0 ] || exit 0

# For the caller: the environment the tools need (Node 24 and the CLI first on PATH).
# Pulumi's automatic plugin acquisition (the engine downloading a plugin it misses, without a
# time limit) stays at Pulumi's default, on, where every plugin is the official one: there the
# official download works, as on any Pulumi machine. It is turned off where any plugin is this
# project's build: there the official download failed just now or earlier, and the engine's own
# attempt could only fail too, after retries, or hang where the network drops packets; a missing
# plugin is then reported at once and `npm run setup` installs it.
acquisition="# Pulumi's automatic plugin acquisition: on (Pulumi's default; every plugin is the official one)"
if grep -q "^plugin-[^|]*|[^|]*($OURS_LABEL)|" "$VSTACK_RESULTS"; then
  acquisition="export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true # plugins built here: no official download"
fi
cat >"$VSTACK_CACHE/env.sh" <<ENV
export PATH="$VSTACK_BIN:\$PATH"
export PULUMI_SKIP_UPDATE_CHECK=true
$acquisition
export SERVER_IMAGE="$SERVER_IMAGE"
ENV
