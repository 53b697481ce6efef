#!/usr/bin/env bash
# The Pulumi resource plugins the npm SDKs ask for, all through one function:
#   ensure_plugin NAME VERSION BUILD_FN
# Run as a script it does that for one plugin (what scripts/setup.sh does for each):
#   bash scripts/lib/plugins.sh docker 5.2.0 build_bridged
# Order of attempts, first that works wins (SOURCE column of the setup table):
#   found      `pulumi plugin ls` lists resource NAME VERSION, and it is not this project's build
#              (an official plugin) or it is byte for byte our cached build with a current stamp;
#              for our build the official download is tried again once a day (see below);
#   downloaded the official route: `pulumi plugin install resource NAME VERSION` (GitHub releases,
#              then get.pulumi.com; PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES redirects it), bounded by
#              VSTACK_PLUGIN_DOWNLOAD_TIMEOUT seconds (default 60; 0 skips it);
#   cached     our build of the current sources from $VSTACK_CACHE/plugins/NAME-VERSION/ (stamp
#              current, see cached_build in common.sh), installed with `--file`;
#   built      BUILD_FN builds it there from toolchain/provider-NAME (needs Go), then it is
#              installed with `--file`. Without Go and without a cached build the step stops with
#              one message naming the plugin, the download's error and the ways out.
# The VERSION column says "(this project's build)" for every plugin that is ours, not the official one.
# A failed official download is recorded in $VSTACK_CACHE/plugins/NAME-VERSION/official-download.failed;
# while our build is installed it is tried again when that record is older than
# VSTACK_PLUGIN_RETRY_HOURS (default 24; 0: every run) or missing (our build installed by an older set-up).
# The official plugin modules are refused by the Go module proxy, so the build route builds this
# project's own plugins: docker, vault and random bridged from the upstream Terraform providers
# (build_bridged), command this project's implementation of its local subset (build_go).
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"

PULUMI_PLUGIN_DIR="${PULUMI_HOME:-$HOME/.pulumi}/plugins"

# plugin_listed NAME VERSION: `pulumi plugin ls` lists resource NAME VERSION.
plugin_listed() {
  pulumi plugin ls 2>/dev/null | awk -v n="$1" -v v="$2" '$1==n && $2=="resource" && $3==v {f=1} END {exit !f}'
}

# plugin_is_ours FILE: FILE is a plugin this project built (its Go module path is in the binary).
plugin_is_ours() { grep -qa "vaultstack.local/toolchain/provider-" "$1" 2>/dev/null; }

# plugin_go_flags NAME VERSION: sets GO_FLAGS, the `go build` flags of plugin NAME (part of its stamp).
plugin_go_flags() {
  local version_var=main.version
  # toolchain/provider-command/main.go spells its variable `Version`.
  if [ "$1" = command ]; then version_var=main.Version; fi
  GO_FLAGS=(-trimpath -ldflags "-s -w -X $version_var=$2")
  # docker: leave out docker_compose (plugin framework, not bridged).
  if [ "$1" = docker ]; then GO_FLAGS+=(-tags no_compose); fi
}

# plugin_download NAME VERSION RECORD: the official route, one bounded attempt. On failure
# DOWNLOAD_WHY holds the reason and RECORD (official-download.failed) records it; on success
# RECORD goes.
plugin_download() {
  local limit=${VSTACK_PLUGIN_DOWNLOAD_TIMEOUT:-60} logf="$VSTACK_LOGS/plugin-$1-download.log" record=$3
  DOWNLOAD_WHY="skipped (VSTACK_PLUGIN_DOWNLOAD_TIMEOUT=0)"
  [ "$limit" != 0 ] || return 1
  log "pulumi plugin install resource $1 $2 (official download, at most $limit s)"
  local rc=0
  timeout -k 5 "$limit" pulumi plugin install resource "$1" "$2" --reinstall >"$logf" 2>&1 || rc=$?
  if [ "$rc" = 0 ] && plugin_listed "$1" "$2"; then
    rm -f "$record"
    return 0
  fi
  # The reason: the last download error (`Get "https://get.pulumi.com/...": dial tcp: ... no such host`).
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    DOWNLOAD_WHY="timed out after $limit s (VSTACK_PLUGIN_DOWNLOAD_TIMEOUT)"
  else
    DOWNLOAD_WHY=$( (grep 'Error downloading' "$logf" || grep -v '^\s*$' "$logf") | tail -n 1 | sed 's/^warning: //' | cut -c1-220)
  fi
  mkdir -p "$(dirname "$record")"
  printf '%s %s\n' "$(date -u +%FT%TZ)" "$DOWNLOAD_WHY" >"$record"
  log "no official download ($DOWNLOAD_WHY; log: $logf)"
  return 1
}

# retry_due RECORD: the official download is to be tried again (no record, or older than
# VSTACK_PLUGIN_RETRY_HOURS hours).
retry_due() {
  [ -f "$1" ] && [ "${VSTACK_PLUGIN_RETRY_HOURS:-24}" != 0 ] || return 0
  [ -n "$(find "$1" -mmin +$(( ${VSTACK_PLUGIN_RETRY_HOURS:-24} * 60 )) 2>/dev/null)" ]
}

# no_go_message NAME VERSION BIN SRC: why the plugin cannot be had on a machine without Go, and the ways out.
no_go_message() {
  local name=$1 version=$2 bin=$3 src=$4 gov
  gov=$(sed -n 's/^go \([0-9.]*\).*/\1/p' "$src/go.mod")
  cat <<MSG
the $name plugin $version could not be had on this machine:
  official download: \`pulumi plugin install resource $name $version\` failed: $DOWNLOAD_WHY
                     (log: $VSTACK_LOGS/plugin-$name-download.log)
  cached build:      none current at $bin
  build:             needs Go >= $gov, which is $(go_where)
Any one of these fixes it; then run \`npm run setup\` again:
  - let the official download through: https://github.com/pulumi/pulumi-$name/releases or
    https://get.pulumi.com/releases/plugins (a mirror: PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES='.*=https://MIRROR';
    a slow link: VSTACK_PLUGIN_DOWNLOAD_TIMEOUT=SECONDS);
  - install the plugin yourself: \`pulumi plugin install resource $name $version --file PATH/pulumi-resource-$name\`;
  - install Go $gov or newer (https://go.dev/dl/, into /usr/local/go) and let the set-up build it.
MSG
}

# ensure_plugin NAME VERSION BUILD_FN: resource plugin NAME at VERSION installed for the Pulumi CLI.
ensure_plugin() {
  local name=$1 version=$2 build_fn=$3 t0
  t0=$(date +%s)
  local component="plugin-$name" src="$ROOT_DIR/toolchain/provider-$name"
  local bin="$VSTACK_CACHE/plugins/$name-$version/pulumi-resource-$name"
  local record="$VSTACK_CACHE/plugins/$name-$version/official-download.failed"
  local installed="$PULUMI_PLUGIN_DIR/resource-$name-v$version/pulumi-resource-$name"
  local ours="$version ($OURS_LABEL)"
  declare -F "$build_fn" >/dev/null || die "ensure_plugin $name: no build function '$build_fn'"
  [ -d "$src" ] || die "ensure_plugin $name: no sources at $src"
  command -v pulumi >/dev/null 2>&1 || die "the Pulumi CLI is needed first (scripts/toolchain/pulumi-cli.sh)"
  plugin_go_flags "$name" "$version"
  local text; text=$(stamp_text "$component" "$version" "$src" "$build_fn" "${GO_FLAGS[@]}")

  # 1. installed already
  local tried=""
  if plugin_listed "$name" "$version"; then
    if ! plugin_is_ours "$installed"; then
      log "pulumi plugin ls lists resource $name $version: not this project's build"
      result "$component" "$version" found $(( $(date +%s) - t0 ))
      return 0
    fi
    if stamp_ok "$bin" "$text" && cmp -s "$bin" "$installed"; then
      # Ours, current. The official plugin is better: try it now and then (a failed try leaves ours in place).
      if retry_due "$record"; then
        log "pulumi plugin ls lists resource $name $version: this project's build; trying the official download"
        if plugin_download "$name" "$version" "$record"; then
          result "$component" "$version" downloaded $(( $(date +%s) - t0 ))
          return 0
        fi
        tried=1
      fi
      # After a failed try ours is normally untouched (the CLI downloads to a temporary file first).
      if [ -z "$tried" ] || cmp -s "$bin" "$installed"; then
        local when="official download skipped"
        if [ -f "$record" ]; then
          when="official download failed $(cut -d' ' -f1 "$record"); tried again ${VSTACK_PLUGIN_RETRY_HOURS:-24} h after that"
        fi
        log "pulumi plugin ls lists resource $name $version: this project's build of the current sources ($when)"
        result "$component" "$ours" found $(( $(date +%s) - t0 ))
        return 0
      fi
    fi
    log "the installed $name $version is this project's build, but not of the current sources: replacing it"
  fi

  # 2. the official route
  if [ -z "$tried" ]; then
    if plugin_download "$name" "$version" "$record"; then
      result "$component" "$version" downloaded $(( $(date +%s) - t0 ))
      return 0
    fi
  fi

  # 3. this project's build, from the cache or built now; without Go and without a cached build, stop here.
  if ! stamp_ok "$bin" "$text" && ! find_go; then
    die "$(no_go_message "$name" "$version" "$bin" "$src")"
  fi
  log "falling back to this project's build of the $name plugin (cached, else built now)"
  cached_build "$component" "$version" "$src" "$bin" "$build_fn" "${GO_FLAGS[@]}"
  local got; got=$("$bin" -version 2>/dev/null || true)
  [ "$got" = "$version" ] || die "the $name plugin at $bin reports version '$got', not $version"
  log "pulumi plugin install resource $name $version --file $bin"
  pulumi plugin install resource "$name" "$version" --file "$bin" --reinstall >"$VSTACK_LOGS/$component-install.log" 2>&1 \
    || { tail -n 20 "$VSTACK_LOGS/$component-install.log" >&2; die "installing the $name plugin failed"; }
  plugin_listed "$name" "$version" || die "pulumi plugin ls does not list resource $name $version after installing it"
  result "$component" "$ours" "$BUILD_SOURCE" $(( $(date +%s) - t0 ))
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
