#!/usr/bin/env bash
# Shared helpers for the setup scripts: paths, versions, timed steps, result rows, cached Go builds.
# Source it; it defines functions and variables only.

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../../toolchain/versions.env
. "$ROOT_DIR/toolchain/versions.env"

# Everything built or downloaded lives here, keyed by version, outside git.
VSTACK_CACHE="${VSTACK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vault-stack}"
VSTACK_BIN="$VSTACK_CACHE/bin"
VSTACK_LOGS="$VSTACK_CACHE/logs"
mkdir -p "$VSTACK_BIN" "$VSTACK_LOGS"

export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod"
export CGO_ENABLED=0
export PULUMI_SKIP_UPDATE_CHECK=true
# Inside the set-up nothing may download on its own: its one download of a plugin is the explicit,
# time-bounded `pulumi plugin install resource NAME VERSION` (scripts/lib/plugins.sh), which this
# variable does not affect (it only stops the engine's implicit installs). The environment for the
# user's own `pulumi` runs is decided at the end of scripts/setup.sh (env.sh).
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PATH="$VSTACK_BIN:$PATH"

# The VERSION column of the setup table marks a plugin that is this project's build, not the official one.
# shellcheck disable=SC2034 # used by plugins.sh and setup.sh
OURS_LABEL="this project's build"

_STEP_T0=$(date +%s)

# log MESSAGE: one progress line with the seconds elapsed since the script began.
log() { printf '[%4ss] %s\n' "$(( $(date +%s) - _STEP_T0 ))" "$*" >&2; }

# die MESSAGE: print an error naming what failed and exit non-zero.
die() { printf 'setup: ERROR: %s\n' "$*" >&2; exit 1; }

# result COMPONENT VERSION SOURCE SECONDS: one machine-readable row for the summary table.
result() {
  printf 'RESULT|%s|%s|%s|%s\n' "$1" "$2" "$3" "$4"
  if [ -n "${VSTACK_RESULTS:-}" ]; then printf '%s|%s|%s|%s\n' "$1" "$2" "$3" "$4" >>"$VSTACK_RESULTS"; fi
}

# check_versions: toolchain/versions.env and package.json name the same plugin and SDK versions
# (the npm SDK asks the engine for exactly its own version of the plugin), and the bridged
# plugins' go.mod files pin the upstream and bridge versions versions.env names. Cheap; dies
# listing every disagreement. tests/unit/versions.test.ts checks the package.json half too.
# Once per setup: it exports VSTACK_VERSIONS_CHECKED for the steps.
check_versions() {
  [ -z "${VSTACK_VERSIONS_CHECKED:-}" ] || return 0
  local pair var pkg got bad="" name module
  for pair in DOCKER_PLUGIN_VERSION=@pulumi/docker VAULT_PLUGIN_VERSION=@pulumi/vault \
    RANDOM_PLUGIN_VERSION=@pulumi/random COMMAND_PLUGIN_VERSION=@pulumi/command PULUMI_SDK_NPM_VERSION=@pulumi/pulumi; do
    var=${pair%%=*} pkg=${pair#*=}
    got=$(sed -n "s|^ *\"$pkg\": *\"\([^\"]*\)\".*|\1|p" "$ROOT_DIR/package.json" | head -n 1)
    [ "$got" = "${!var}" ] \
      || bad+=$'\n  '"$var=${!var} in toolchain/versions.env but package.json has \"$pkg\": \"${got:-(none)}\""
  done
  for pair in docker=TF_DOCKER_MODULE vault=TF_VAULT_MODULE random=TF_RANDOM_MODULE; do
    name=${pair%%=*} var=${pair#*=}
    module=${!var}
    grep -q "${module%@*} ${module##*@}" "$ROOT_DIR/toolchain/provider-$name/go.mod" \
      || bad+=$'\n  '"toolchain/provider-$name/go.mod does not pin $module ($var)"
    grep -q "pulumi-terraform-bridge/v3 $TF_BRIDGE_VERSION" "$ROOT_DIR/toolchain/provider-$name/go.mod" \
      || bad+=$'\n  '"toolchain/provider-$name/go.mod does not pin pulumi-terraform-bridge/v3 $TF_BRIDGE_VERSION (TF_BRIDGE_VERSION)"
  done
  [ -z "$bad" ] || die "versions disagree (change them together; see docs/toolchain.md):$bad"
  export VSTACK_VERSIONS_CHECKED=1
}

# find_go: Go on PATH, else from VSTACK_GO_DIR (default /usr/local/go/bin, where the official
# tarball puts it; empty: PATH only), which then joins PATH. Fails when there is none.
find_go() {
  command -v go >/dev/null 2>&1 && return 0
  local dir=${VSTACK_GO_DIR-/usr/local/go/bin}
  [ -n "$dir" ] && [ -x "$dir/go" ] || return 1
  export PATH="$dir:$PATH"
}

# go_where: where find_go looked, for messages.
go_where() {
  local dir=${VSTACK_GO_DIR-/usr/local/go/bin}
  if [ -n "$dir" ]; then echo "neither on PATH nor in $dir"; else echo "not on PATH"; fi
}

# ensure_go: Go as find_go finds it, or die.
ensure_go() {
  find_go || die "Go is needed to build ${BUILD_NAME:-this} and is $(go_where) (https://go.dev/dl/)"
  log "using $(go env GOVERSION) ($(command -v go))"
}

# go_build_logged NAME DIR ARGS...: run `go build` in DIR, output to a log file, tail it on failure.
go_build_logged() {
  local name=$1 dir=$2; shift 2
  local logf="$VSTACK_LOGS/$name-build.log"
  log "building $name (log: $logf)"
  if ! (cd "$dir" && go build "$@") >"$logf" 2>&1; then
    tail -n 40 "$logf" >&2
    die "building $name failed; full log in $logf"
  fi
}

# --- cached builds: one stamp format for every binary this project builds from its own sources ---
# A build of SRC (a Go module under toolchain/) into BIN is cached next to it with BIN.stamp, which
# holds the inputs that determine the build, one per line:
#   component plugin-docker
#   version 5.2.0
#   sources toolchain/provider-docker sha256:<hash of every file there but tests and schema-embed.json>
#   build build_bridged -trimpath -ldflags -s -w -X main.version=5.2.0 -tags no_compose
# BIN is reused while its stamp equals the one computed now; any difference rebuilds it.

# source_hash DIR: sha256 over the names and contents of DIR's files; tests (`*_test.go`) and the
# placeholder schema the bridged plugins replace at build time (schema-embed.json) do not count.
source_hash() {
  (cd "$1" && find . -type f ! -name '*_test.go' ! -name schema-embed.json -print0 | LC_ALL=C sort -z \
    | xargs -0 sha256sum) | sha256sum | cut -d' ' -f1
}

# stamp_text COMPONENT VERSION SRC BUILD_FN ARGS...: the stamp of that build.
stamp_text() {
  local component=$1 version=$2 src=$3; shift 3
  printf 'component %s\nversion %s\nsources %s sha256:%s\nbuild %s\n' \
    "$component" "$version" "${src#"$ROOT_DIR"/}" "$(source_hash "$src")" "$*"
}

# stamp_ok BIN TEXT: BIN is there and BIN.stamp holds TEXT.
stamp_ok() {
  [ -x "$1" ] || return 1
  [ "$(cat "$1.stamp" 2>/dev/null)" = "$2" ] || legacy_stamp_ok "$1" "$2"
}

# legacy_stamp_ok BIN TEXT: one-time migration. The scripts before the unified stamp recorded a
# 16-hex source hash of their own kind (plugins/NAME-V/.stamp for the bridged plugins,
# plugins/command-V/source.stamp, "vaultstack-HASH" in pulumi-language-nodejs.stamp). If that hash
# still matches the sources, BIN is adopted: TEXT is written as its stamp and the old file goes.
legacy_stamp_ok() {
  local bin=$1 dir src old h
  # Only while the binary has no stamp of the current format.
  if [ -f "$bin.stamp" ] && ! grep -q '^vaultstack-' "$bin.stamp"; then return 1; fi
  dir=$(dirname "$bin")
  src="$ROOT_DIR/$(sed -n 's/^sources \([^ ]*\) .*/\1/p' <<<"$2")"
  if [ -f "$dir/.stamp" ]; then
    old="$dir/.stamp"
    h=$(cd "$src" && find . -type f ! -name schema-embed.json | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-16)
    grep -q "^$h " "$old" || return 1
  elif [ -f "$dir/source.stamp" ]; then
    old="$dir/source.stamp"
    # shellcheck disable=SC2010 # exactly the old script's hash
    h=$(cd "$src" && ls ./*.go | grep -v '_test\.go$' | sort | xargs cat go.mod go.sum | sha256sum | cut -c1-16)
    [ "$(cat "$old")" = "$h" ] || return 1
  elif grep -q '^vaultstack-' "$bin.stamp" 2>/dev/null; then
    old="$bin.stamp"
    h=$(cat "$src/main.go" "$src/go.mod" "$src/go.sum" | sha256sum | cut -c1-16)
    [ "$(cat "$old")" = "vaultstack-$h" ] || return 1
  else
    return 1
  fi
  rm -f "$old"
  printf '%s\n' "$2" >"$bin.stamp"
  log "adopted $bin: its stamp of the old layout ($(basename "$old")) matches the current sources"
}

# cached_build COMPONENT VERSION SRC BIN BUILD_FN ARGS...: BIN from the cache when its stamp is
# current (BUILD_SOURCE=cached), else built by `BUILD_FN SRC BIN ARGS...` and stamped
# (BUILD_SOURCE=built). BUILD_NAME (COMPONENT) names the build's log files.
# shellcheck disable=SC2034 # BUILD_SOURCE is for the caller
cached_build() {
  local component=$1 version=$2 src=$3 bin=$4; shift 4
  local text; text=$(stamp_text "$component" "$version" "$src" "$@")
  if stamp_ok "$bin" "$text"; then
    log "cached $bin ($(du -h "$bin" | cut -f1); stamp current)"
    BUILD_SOURCE=cached
    return 0
  fi
  BUILD_NAME=$component
  ensure_go
  mkdir -p "$(dirname "$bin")"
  rm -f "$bin.stamp"
  local build_fn=$1; shift
  local t1; t1=$(date +%s)
  "$build_fn" "$src" "$bin" "$@"
  printf '%s\n' "$text" >"$bin.stamp"
  log "built $bin in $(( $(date +%s) - t1 )) s ($(du -h "$bin" | cut -f1))"
  BUILD_SOURCE=built
}

# build_go SRC OUT GO_FLAGS...: a build function for cached_build: one `go build` of SRC's main package.
build_go() {
  local src=$1 out=$2; shift 2
  go_build_logged "$BUILD_NAME" "$src" "$@" -o "$out.tmp" .
  mv -f "$out.tmp" "$out"
}
