#!/usr/bin/env bash
# The Pulumi CLI ($PULUMI_VERSION) and a Node.js language host next to it.
#   1. `pulumi` already on PATH at $PULUMI_VERSION, or the cached binary -> found.
#   2. The official installer (get.pulumi.com), one short attempt.
#   3. Build from the Go module proxy: toolchain/pulumi-cli pins pkg/v3 + sdk/v3.
# The language host: the official one if the installer provided it, else this
# project's minimal host built from toolchain/language-nodejs (the proxy refuses the
# official module). Both land in $VSTACK_CACHE/pulumi-$PULUMI_VERSION/, linked into $VSTACK_BIN.
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
t0=$(date +%s)

dest="$VSTACK_CACHE/pulumi-$PULUMI_VERSION"
cli_src="$ROOT_DIR/toolchain/pulumi-cli"
host_src="$ROOT_DIR/toolchain/language-nodejs"

# "v3.274.1" -> matches $PULUMI_VERSION?
cli_version_ok() { [ "$("$1" version 2>/dev/null | tr -d '[:space:]')" = "v$PULUMI_VERSION" ]; }

link_cli() {
  ln -sfn "$dest/pulumi" "$VSTACK_BIN/pulumi"
  if [ -x "$dest/pulumi-language-nodejs" ]; then ln -sfn "$dest/pulumi-language-nodejs" "$VSTACK_BIN/pulumi-language-nodejs"; fi
}

# --- language host -----------------------------------------------------------------------
# Ours is a cached build (cached_build in common.sh): rebuilt when its stamp
# (pulumi-language-nodejs.stamp: sources, version, flags) no longer matches.
ensure_language_host() {
  local t1 bin="$dest/pulumi-language-nodejs" version="$PULUMI_VERSION+vaultstack.minimal"
  t1=$(date +%s)
  if [ -x "$bin" ] && [ -f "$dest/.official" ]; then
    link_cli; result language-nodejs "$PULUMI_VERSION (official)" found $(( $(date +%s) - t1 )); return
  fi
  cached_build language-nodejs "$version" "$host_src" "$bin" build_go -trimpath -ldflags "-X main.version=$version"
  link_cli
  "$bin" -version >/dev/null || die "the language host $bin does not run"
  if [ "$BUILD_SOURCE" = built ]; then log "language host: $("$bin" -version)"; fi
  # Nothing to do for a current cached build: the host is found.
  result language-nodejs "$version" "${BUILD_SOURCE/cached/found}" $(( $(date +%s) - t1 ))
}

# --- 1. already there ------------------------------------------------------------------------
if [ -x "$dest/pulumi" ] && cli_version_ok "$dest/pulumi"; then
  link_cli
  result pulumi-cli "$PULUMI_VERSION" found $(( $(date +%s) - t0 ))
  ensure_language_host
  exit 0
fi
sys=$(command -v pulumi || true)
if [ -n "$sys" ] && [ "$(readlink -f "$sys")" != "$(readlink -f "$VSTACK_BIN/pulumi" 2>/dev/null || true)" ] \
  && cli_version_ok "$sys"; then
  # A CLI installed some other way: use it, with the host next to it if it has one.
  mkdir -p "$dest"
  ln -sfn "$(readlink -f "$sys")" "$dest/pulumi"
  sysdir=$(dirname "$(readlink -f "$sys")")
  if [ -x "$sysdir/pulumi-language-nodejs" ]; then
    ln -sfn "$sysdir/pulumi-language-nodejs" "$dest/pulumi-language-nodejs"; touch "$dest/.official"
  fi
  link_cli
  result pulumi-cli "$PULUMI_VERSION" found $(( $(date +%s) - t0 ))
  ensure_language_host
  exit 0
fi

mkdir -p "$dest"

# --- 2. official installer (unreachable on the project's build machines) -----------------------
if command -v curl >/dev/null 2>&1 && curl -fsS --max-time 10 -o "$dest/install.sh.partial" https://get.pulumi.com/install.sh 2>/dev/null; then
  log "get.pulumi.com reachable: running the official installer for v$PULUMI_VERSION"
  if sh "$dest/install.sh.partial" --version "$PULUMI_VERSION" --install-root "$dest/official" --no-edit-path \
      >"$VSTACK_LOGS/pulumi-cli-install.log" 2>&1 && cli_version_ok "$dest/official/bin/pulumi"; then
    rm -f "$dest/install.sh.partial"
    ln -sfn "$dest/official/bin/pulumi" "$dest/pulumi"
    ln -sfn "$dest/official/bin/pulumi-language-nodejs" "$dest/pulumi-language-nodejs"
    touch "$dest/.official"
    link_cli
    result pulumi-cli "$PULUMI_VERSION" installed $(( $(date +%s) - t0 ))
    ensure_language_host
    exit 0
  fi
  log "the official installer failed (log: $VSTACK_LOGS/pulumi-cli-install.log); building instead"
else
  log "get.pulumi.com not reachable (10 s timeout); building the CLI from the Go module proxy"
fi
rm -f "$dest/install.sh.partial"

# --- 3. build ------------------------------------------------------------------------------------
ensure_go
log "building pulumi v$PULUMI_VERSION from github.com/pulumi/pulumi/pkg/v3 (takes a while on a cold Go cache)"
go_build_logged pulumi-cli "$cli_src" -trimpath -tags osusergo,grpcnotrace \
  -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
  -o "$dest/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
mv -f "$dest/pulumi.tmp" "$dest/pulumi"
rm -f "$dest/.official"
cli_version_ok "$dest/pulumi" || die "the built pulumi reports '$("$dest/pulumi" version 2>&1 | head -1)', not v$PULUMI_VERSION"
link_cli
log "pulumi $("$VSTACK_BIN/pulumi" version) at $dest/pulumi ($(du -h "$dest/pulumi" | cut -f1))"
result pulumi-cli "$PULUMI_VERSION" built $(( $(date +%s) - t0 ))
ensure_language_host
