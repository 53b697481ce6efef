#!/usr/bin/env bash
# The Pulumi resource plugins the npm SDKs ask for, all through one function:
#   ensure_plugin NAME VERSION BUILD_FN
# Run as a script it does that for one plugin (what scripts/setup.sh does for each):
#   bash scripts/lib/plugins.sh docker 5.2.0 build_bridged
# Order of attempts, first that works wins (SOURCE column of the setup table):
#   found      `pulumi plugin ls` lists resource NAME VERSION, and it is not this project's build
#              (an official plugin) or it is byte for byte our cached build with a current stamp;
#   installed  the official route: `pulumi plugin install resource NAME VERSION` (downloads from
#              get.pulumi.com / GitHub; bounded by VSTACK_PLUGIN_DOWNLOAD_TIMEOUT seconds, 0 skips it);
#   cached     our build of the current sources from $VSTACK_CACHE/plugins/NAME-VERSION/ (stamp
#              current, see cached_build in common.sh), installed with `--file`;
#   built      BUILD_FN builds it there from toolchain/provider-NAME, then it is installed with `--file`.
# The official plugin modules are refused by the Go module proxy, so the build route builds this
# project's own plugins: docker, vault and random bridged from the upstream Terraform providers
# (build_bridged), command this project's implementation of its local subset (build_go).
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"

PULUMI_PLUGIN_DIR="${PULUMI_HOME:-$HOME/.pulumi}/plugins"

# plugin_listed NAME VERSION: `pulumi plugin ls` lists resource NAME VERSION.
plugin_listed() {
  pulumi plugin ls 2>/dev/null | awk -v n="$1" -v v="$2" '$1==n && $2=="resource" && $3==v {f=1} END {exit !f}'
}

# plugin_go_flags NAME VERSION: sets GO_FLAGS, the `go build` flags of plugin NAME (part of its stamp).
plugin_go_flags() {
  local version_var=main.version
  # toolchain/provider-command/main.go spells its variable `Version`.
  if [ "$1" = command ]; then version_var=main.Version; fi
  GO_FLAGS=(-trimpath -ldflags "-s -w -X $version_var=$2")
  # docker: leave out docker_compose (plugin framework, not bridged).
  if [ "$1" = docker ]; then GO_FLAGS+=(-tags no_compose); fi
}

# plugin_download NAME VERSION: the official route, one bounded attempt.
plugin_download() {
  local limit=${VSTACK_PLUGIN_DOWNLOAD_TIMEOUT:-20} logf="$VSTACK_LOGS/plugin-$1-download.log"
  [ "$limit" != 0 ] || return 1
  log "pulumi plugin install resource $1 $2 (official download, at most $limit s)"
  local rc=0 why
  timeout -k 5 "$limit" pulumi plugin install resource "$1" "$2" --reinstall >"$logf" 2>&1 || rc=$?
  if [ "$rc" = 0 ] && plugin_listed "$1" "$2"; then return 0; fi
  # The reason: the last download error (`Get "https://get.pulumi.com/...": dial tcp: ... no such host`).
  if [ "$rc" = 124 ]; then
    why="timed out"
  else
    why=$( (grep 'Error downloading' "$logf" || grep -v '^\s*$' "$logf") | tail -n 1 | sed 's/^warning: //' | cut -c1-220)
  fi
  log "no official download ($why; log: $logf); building this project's plugin"
  return 1
}

# ensure_plugin NAME VERSION BUILD_FN: resource plugin NAME at VERSION installed for the Pulumi CLI.
ensure_plugin() {
  local name=$1 version=$2 build_fn=$3 t0
  t0=$(date +%s)
  local component="plugin-$name" src="$ROOT_DIR/toolchain/provider-$name"
  local bin="$VSTACK_CACHE/plugins/$name-$version/pulumi-resource-$name"
  local installed="$PULUMI_PLUGIN_DIR/resource-$name-v$version/pulumi-resource-$name"
  declare -F "$build_fn" >/dev/null || die "ensure_plugin $name: no build function '$build_fn'"
  [ -d "$src" ] || die "ensure_plugin $name: no sources at $src"
  command -v pulumi >/dev/null 2>&1 || die "the Pulumi CLI is needed first (scripts/toolchain/pulumi-cli.sh)"
  plugin_go_flags "$name" "$version"

  # 1. installed already
  if plugin_listed "$name" "$version"; then
    local why=""
    if stamp_ok "$bin" "$(stamp_text "$component" "$version" "$src" "$build_fn" "${GO_FLAGS[@]}")" \
      && cmp -s "$bin" "$installed"; then
      why="this project's build of the current sources"
    elif ! grep -qa "vaultstack.local/toolchain/provider-$name" "$installed" 2>/dev/null; then
      why="not this project's build"
    fi
    if [ -n "$why" ]; then
      log "pulumi plugin ls lists resource $name $version: $why"
      result "$component" "$version" found $(( $(date +%s) - t0 ))
      return 0
    fi
    log "the installed $name $version is this project's build of other sources: replacing it"
  fi

  # 2. the official route
  if plugin_download "$name" "$version"; then
    result "$component" "$version" installed $(( $(date +%s) - t0 ))
    return 0
  fi

  # 3. this project's build, from the cache or built now
  cached_build "$component" "$version" "$src" "$bin" "$build_fn" "${GO_FLAGS[@]}"
  local got; got=$("$bin" -version 2>/dev/null || true)
  [ "$got" = "$version" ] || die "the $name plugin at $bin reports version '$got', not $version"
  log "pulumi plugin install resource $name $version --file $bin"
  pulumi plugin install resource "$name" "$version" --file "$bin" --reinstall >"$VSTACK_LOGS/$component-install.log" 2>&1 \
    || { tail -n 20 "$VSTACK_LOGS/$component-install.log" >&2; die "installing the $name plugin failed"; }
  plugin_listed "$name" "$version" || die "pulumi plugin ls does not list resource $name $version after installing it"
  result "$component" "$version" "$BUILD_SOURCE" $(( $(date +%s) - t0 ))
}

# build_bridged SRC OUT GO_FLAGS...: a plugin bridged with pulumi-terraform-bridge; the Pulumi schema
# lands next to OUT as schema.json.
#   SDKv2 providers (docker, vault; SRC has a placeholder schema-embed.json): pass 1 builds a binary
#   that writes the schema, pass 2 embeds it with `go build -overlay` (only main recompiles).
#   Plugin-framework providers (random): one pass; the schema is generated in-process on demand,
#   checked once here.
build_bridged() {
  local src=$1 out=$2; shift 2
  local schema dir build_name=$BUILD_NAME
  dir=$(dirname "$out")
  schema="$dir/schema.json"
  if [ -f "$src/schema-embed.json" ]; then
    BUILD_NAME="$build_name-pass1"
    build_go "$src" "$dir/schemagen" "$@"
    emit_schema "$dir/schemagen" "$schema"
    rm -f "$dir/schemagen"
    printf '{"Replace":{"%s":"%s"}}\n' "$src/schema-embed.json" "$schema" >"$dir/overlay.json"
    BUILD_NAME=$build_name
    build_go "$src" "$out" "$@" -overlay "$dir/overlay.json"
  else
    build_go "$src" "$out" "$@"
    emit_schema "$out" "$schema"
  fi
  log "schema $schema ($(du -h "$schema" | cut -f1))"
}

# emit_schema PLUGIN FILE: the plugin writes its Pulumi schema to FILE.
emit_schema() {
  "$1" -emit-schema "$2" 2>"$VSTACK_LOGS/$BUILD_NAME-schema.log" \
    || { tail -n 20 "$VSTACK_LOGS/$BUILD_NAME-schema.log" >&2; die "$1 cannot write its schema"; }
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  [ $# = 3 ] || die "usage: bash scripts/lib/plugins.sh NAME VERSION BUILD_FN (see scripts/setup.sh)"
  check_versions
  ensure_plugin "$@"
fi
