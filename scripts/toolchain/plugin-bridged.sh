#!/usr/bin/env bash
# A Pulumi resource plugin bridged by this project from an upstream Terraform provider:
#   plugin-bridged.sh docker|vault|random
# The official pulumi-docker / pulumi-vault / pulumi-random modules are refused by the Go module
# proxy, so the plugin is built from toolchain/provider-<name> (pulumi-terraform-bridge + the
# upstream provider) at the version the npm SDK asks for (*_PLUGIN_VERSION in versions.env).
#   1. `pulumi plugin ls` already lists resource <name> <version>          -> found
#   2. a cached binary built from the same sources: install it              -> installed
#   3. build, then install                                                  -> built
#      docker, vault (SDKv2): two passes, the binary writes its schema and the second build
#      embeds it through `go build -overlay`; random (plugin framework): one pass, the
#      schema is generated in-process on demand (checked once here).
# Binary: $VSTACK_CACHE/plugins/<name>-<version>/pulumi-resource-<name>.
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/../lib" && pwd)/common.sh"
t0=$(date +%s)

name=${1:-}
case "$name" in
  docker) version=$DOCKER_PLUGIN_VERSION; tf_module=$TF_DOCKER_MODULE; tags=no_compose ;;  # no_compose: leave out docker_compose (plugin-framework, not bridged)
  vault) version=$VAULT_PLUGIN_VERSION; tf_module=$TF_VAULT_MODULE; tags= ;;
  random) version=$RANDOM_PLUGIN_VERSION; tf_module=$TF_RANDOM_MODULE; tags= ;;
  *) die "usage: plugin-bridged.sh docker|vault|random" ;;
esac
component="plugin-$name"
src="$ROOT_DIR/toolchain/provider-$name"
dest="$VSTACK_CACHE/plugins/$name-$version"
bin="$dest/pulumi-resource-$name"

# toolchain/versions.env names the upstream and bridge versions; go.mod must pin the same.
grep -q "${tf_module%@*} v${tf_module#*@v}" "$src/go.mod" \
  || die "$src/go.mod does not pin $tf_module (toolchain/versions.env); update both together"
grep -q "pulumi-terraform-bridge/v3 $TF_BRIDGE_VERSION" "$src/go.mod" \
  || die "$src/go.mod does not pin pulumi-terraform-bridge/v3 $TF_BRIDGE_VERSION (toolchain/versions.env)"

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

# The cached binary is reused only if it was built from the current sources and flags.
want="$(cd "$src" && find . -type f ! -name schema-embed.json | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-16) $version $tags"
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
flags=(-trimpath -ldflags "-s -w -X main.version=$version")
[ -n "$tags" ] && flags+=(-tags "$tags")

if [ "$name" = random ]; then
  go_build_logged "$component" "$src" "${flags[@]}" -o "$bin.tmp" .
  "$bin.tmp" -emit-schema "$dest/schema.json" 2>"$VSTACK_LOGS/$component-schema.log" \
    || { tail -n 20 "$VSTACK_LOGS/$component-schema.log" >&2; die "the $name plugin cannot generate its schema"; }
else
  # Pass 1: a binary with the committed placeholder schema; it writes the real schema.
  go_build_logged "$component-pass1" "$src" "${flags[@]}" -o "$dest/schemagen" .
  log "pass 1 done; generating the Pulumi schema"
  "$dest/schemagen" -emit-schema "$dest/schema.json" 2>"$VSTACK_LOGS/$component-schema.log" \
    || { tail -n 20 "$VSTACK_LOGS/$component-schema.log" >&2; die "generating the $name schema failed"; }
  rm -f "$dest/schemagen"

  # Pass 2: the same build with the schema embedded (only the main package recompiles).
  printf '{"Replace":{"%s":"%s"}}\n' "$src/schema-embed.json" "$dest/schema.json" >"$dest/overlay.json"
  go_build_logged "$component-pass2" "$src" "${flags[@]}" -overlay "$dest/overlay.json" -o "$bin.tmp" .
fi
got=$("$bin.tmp" -version 2>/dev/null || true)
[ "$got" = "$version" ] || die "the built $name plugin reports version '$got', not $version"
mv -f "$bin.tmp" "$bin"
echo "$want" >"$stamp"
log "built $bin ($(du -h "$bin" | cut -f1)); schema $(du -h "$dest/schema.json" | cut -f1)"
install_plugin
result "$component" "$version" built $(( $(date +%s) - t0 ))
