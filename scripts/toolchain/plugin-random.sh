#!/usr/bin/env bash
# The `random` Pulumi resource plugin, bridged here from the upstream plugin-framework
# Terraform provider (hashicorp/terraform-provider-random) with pulumi-terraform-bridge.
# The official pulumi-random module is refused by the Go module proxy, so the plugin is
# built from toolchain/provider-random at $RANDOM_PLUGIN_VERSION (= the @pulumi/random npm SDK).
#   1. `pulumi plugin ls` already lists resource random <version>     -> found
#   2. a cached binary built from the same sources: install it        -> installed
#   3. build (one pass; the schema is generated in-process on demand) -> built
# Binary: $VSTACK_CACHE/plugins/random-<version>/pulumi-resource-random.
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/../lib" && pwd)/common.sh"
t0=$(date +%s)

name=random
version=$RANDOM_PLUGIN_VERSION
component="plugin-$name"
src="$ROOT_DIR/toolchain/provider-$name"
dest="$VSTACK_CACHE/plugins/$name-$version"
bin="$dest/pulumi-resource-$name"

command -v pulumi >/dev/null 2>&1 || die "the Pulumi CLI is needed first (scripts/toolchain/pulumi-cli.sh)"

# 1. already installed (by us or any other way)
if pulumi plugin ls --json 2>/dev/null | tr -d ' \n' \
    | grep -q "\"name\":\"$name\",\"kind\":\"resource\",\"version\":\"$version\""; then
  log "pulumi plugin ls lists resource $name $version"
  result "$component" "$version" found $(( $(date +%s) - t0 ))
  exit 0
fi

install_plugin() {
  log "pulumi plugin install resource $name $version --file $bin"
  pulumi plugin install resource "$name" "$version" --file "$bin" >"$VSTACK_LOGS/$component-install.log" 2>&1 \
    || { tail -n 20 "$VSTACK_LOGS/$component-install.log" >&2; die "installing the $name plugin failed"; }
}

# The cached binary is reused only if it was built from the current sources and version.
want="$(cd "$src" && find . -type f | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-16) $version"
stamp="$dest/.stamp"

# 2. cached binary
if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  log "cached $bin ($(du -h "$bin" | cut -f1))"
  install_plugin
  result "$component" "$version" installed $(( $(date +%s) - t0 ))
  exit 0
fi

# 3. build
command -v go >/dev/null 2>&1 || export PATH="/usr/local/go/bin:$PATH"
command -v go >/dev/null 2>&1 || die "Go is needed to build the $name plugin (expected /usr/local/go/bin/go)"
log "building the $name plugin $version from $src with $(go env GOVERSION) (long on a cold Go cache)"
mkdir -p "$dest"
rm -f "$stamp"
go_build_logged "$component" "$src" -trimpath -ldflags "-s -w -X main.version=$version" -o "$bin.tmp" .
got=$("$bin.tmp" -version 2>/dev/null || true)
[ "$got" = "$version" ] || die "the built $name plugin reports version '$got', not $version"
# The schema is generated from the Terraform schema at run time: check it works now.
"$bin.tmp" -emit-schema "$dest/schema.json" 2>"$VSTACK_LOGS/$component-schema.log" \
  || { tail -n 20 "$VSTACK_LOGS/$component-schema.log" >&2; die "the $name plugin cannot generate its schema"; }
mv -f "$bin.tmp" "$bin"
echo "$want" >"$stamp"
log "built $bin ($(du -h "$bin" | cut -f1)); schema $(du -h "$dest/schema.json" | cut -f1)"
install_plugin
result "$component" "$version" built $(( $(date +%s) - t0 ))
