#!/usr/bin/env bash
# The `command` provider plugin, version $COMMAND_PLUGIN_VERSION (= the npm SDK @pulumi/command).
# The official plugin cannot be had here (get.pulumi.com unreachable; the Go module proxy
# refuses github.com/pulumi/pulumi-command/provider and pulumi-go-provider), so this builds
# THIS PROJECT'S implementation of the local subset (toolchain/provider-command, sdk/v3 only):
#   found      `pulumi plugin ls` lists command $V and it is either not ours (an official
#              plugin installed some other way) or our build of the current sources;
#   installed  our cached build of the current sources, (re)installed into the plugin cache;
#   built      compiled into $VSTACK_CACHE/plugins/command-$V/, then installed.
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
t0=$(date +%s)

V="$COMMAND_PLUGIN_VERSION"
src="$ROOT_DIR/toolchain/provider-command"
dest="$VSTACK_CACHE/plugins/command-$V"
bin="$dest/pulumi-resource-command"
stamp="$dest/source.stamp"
marker="vaultstack.local/toolchain/provider-command" # module path, present in our binary
plugin_home="${PULUMI_HOME:-$HOME/.pulumi}/plugins/resource-command-v$V"
installed_bin="$plugin_home/pulumi-resource-command"

command -v pulumi >/dev/null 2>&1 || die "pulumi CLI not found on PATH ($VSTACK_BIN): run scripts/toolchain/pulumi-cli.sh first"

# Hash of the non-test sources: a change rebuilds, a test-only change does not.
src_hash() {
  (cd "$src" && ls ./*.go | grep -v '_test\.go$' | sort | xargs cat go.mod go.sum) | sha256sum | cut -c1-16
}
listed() { pulumi plugin ls 2>/dev/null | awk -v v="$V" '$1=="command" && $2=="resource" && $3==v {f=1} END {exit !f}'; }
ours() { grep -qa "$marker" "$1" 2>/dev/null; }

want="$(src_hash)"
cached_ok() { [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; }

# --- 1. already installed --------------------------------------------------------------------
if listed && [ -x "$installed_bin" ]; then
  if ! ours "$installed_bin"; then
    log "command plugin $V installed (not this project's build): found"
    result plugin-command "$V" found $(( $(date +%s) - t0 ))
    exit 0
  fi
  if cached_ok && cmp -s "$bin" "$installed_bin"; then
    log "command plugin $V (this project's build, sources $want) installed: found"
    result plugin-command "$V" found $(( $(date +%s) - t0 ))
    exit 0
  fi
fi

# --- 2. build if the cache does not hold the current sources ----------------------------------
source=installed
if ! cached_ok; then
  command -v go >/dev/null 2>&1 || export PATH="/usr/local/go/bin:$PATH"
  command -v go >/dev/null 2>&1 || die "Go is needed to build the command plugin (expected /usr/local/go/bin/go)"
  log "building command plugin $V from $src with $(go env GOVERSION)"
  mkdir -p "$dest"
  t1=$(date +%s)
  go_build_logged plugin-command "$src" -trimpath -ldflags "-s -w -X main.Version=$V" -o "$bin.tmp" .
  mv -f "$bin.tmp" "$bin"
  echo "$want" >"$stamp"
  log "built in $(( $(date +%s) - t1 )) s: $bin ($(du -h "$bin" | cut -f1))"
  source=built
fi
got="$("$bin" -version)"
[ "$got" = "$V" ] || die "the built plugin answers version '$got', not $V"

# --- 3. install into the Pulumi plugin cache ---------------------------------------------------
log "pulumi plugin install resource command $V --file $bin"
pulumi plugin install resource command "$V" --file "$bin" --reinstall >"$VSTACK_LOGS/plugin-command-install.log" 2>&1 \
  || { tail -n 20 "$VSTACK_LOGS/plugin-command-install.log" >&2; die "pulumi plugin install of command $V failed"; }
listed || die "pulumi plugin ls does not list command $V after installing it"
result plugin-command "$V" "$source" $(( $(date +%s) - t0 ))
