#!/usr/bin/env bash
# Vault-compatible server image. Present -> found; else one short pull of the
# configured image -> pulled; else build Vault v$VAULT_SERVER_VERSION (MPL-2.0,
# never a BUSL release) from Go modules and an image FROM scratch around it
# with Debian's static busybox -> built. Needs the Docker engine
# (scripts/toolchain/docker-engine.sh) and Go.
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/../lib" && pwd)/common.sh"

T0=$(date +%s)
TAG="$SERVER_IMAGE"
VER="$VAULT_SERVER_VERSION"
PULL_IMAGE="${VAULT_PULL_IMAGE:-hashicorp/vault:1.17}"
PULL_TIMEOUT="${VAULT_PULL_TIMEOUT:-15}"
SRC_DIR="$ROOT_DIR/toolchain/server-image"
MOD_DIR="$ROOT_DIR/toolchain/vault-server"
BIN_DIR="$VSTACK_CACHE/vault-server-$VER"
BIN="$BIN_DIR/vault"
CTX="$VSTACK_CACHE/server-image-$VER/context"
# Vault v1.14.8's release time: a fixed build date keeps the binary reproducible.
BUILD_DATE="${VAULT_BUILD_DATE:-2023-12-05T21:14:34Z}"

docker info >/dev/null 2>&1 || die "the Docker engine does not answer; run scripts/toolchain/docker-engine.sh first"

if docker image inspect "$TAG" >/dev/null 2>&1; then
  log "image $TAG present: found"
  result server-image "$TAG" found $(( $(date +%s) - T0 ))
  exit 0
fi

# One short attempt at the configured registry image. Registries are usually
# unreachable here; a pulled image is used under its own name (SERVER_IMAGE
# then has to name it), never retagged as the local MPL build.
if [ "${VAULT_SKIP_PULL:-}" != 1 ]; then
  if timeout "$PULL_TIMEOUT" docker pull -q "$PULL_IMAGE" >"$VSTACK_LOGS/server-image-pull.log" 2>&1; then
    log "pulled $PULL_IMAGE; set SERVER_IMAGE=$PULL_IMAGE to use it (not tagging it as $TAG)"
    result server-image "$PULL_IMAGE" pulled $(( $(date +%s) - T0 ))
    exit 0
  fi
  log "pull of $PULL_IMAGE failed within ${PULL_TIMEOUT}s ($(tail -n 1 "$VSTACK_LOGS/server-image-pull.log" | cut -c1-160)); building $TAG locally"
fi

# 1. The server binary (cached by version).
if [ -x "$BIN" ] && "$BIN" version 2>/dev/null | grep -q "^Vault v$VER"; then
  log "vault binary $BIN cached"
else
  ensure_go
  mkdir -p "$BIN_DIR"
  t_build=$(date +%s)
  # Vault v1.14.8 was built against its release branch's sdk folder, which has a few
  # symbols the tagged sdk v0.9.2 lacks (Go refuses -overlay for files in the module
  # cache). So the build runs in a copy of toolchain/vault-server under $BIN_DIR/build
  # whose go.mod replaces the sdk with a copy of sdk v0.9.2 plus our own minimal
  # equivalents from toolchain/vault-server/sdk-additions, and without one start-up
  # assertion the release branch never had (see the .patch). Nothing of it goes into git.
  build="$BIN_DIR/build"
  (cd "$MOD_DIR" && go mod download github.com/hashicorp/vault/sdk) || die "go mod download github.com/hashicorp/vault/sdk failed"
  sdk_dir="$(cd "$MOD_DIR" && go list -m -f '{{.Dir}}' github.com/hashicorp/vault/sdk)"
  [ -d "$sdk_dir" ] || die "cannot locate github.com/hashicorp/vault/sdk in the module cache"
  rm -rf "$build" && mkdir -p "$build"
  cp "$MOD_DIR/go.mod" "$MOD_DIR/go.sum" "$build/"
  cp -r "$sdk_dir" "$build/sdk" && chmod -R u+w "$build/sdk"
  cp "$MOD_DIR/sdk-additions/logical_vaultstack.go.in" "$build/sdk/logical/zz_vaultstack.go"
  cp "$MOD_DIR/sdk-additions/physical_vaultstack.go.in" "$build/sdk/physical/zz_vaultstack.go"
  (cd "$build/sdk" && git apply "$MOD_DIR/sdk-additions/framework-no-create-existence-panic.patch") \
    || die "could not apply sdk-additions/framework-no-create-existence-panic.patch to sdk $(basename "$sdk_dir")"
  (cd "$build" && go mod edit -replace github.com/hashicorp/vault/sdk=./sdk)
  # -mod=mod (common.sh) lets go.sum grow if Go needs more checksums.
  go_build_logged vault-server "$build" -trimpath \
    -ldflags "-s -w -X github.com/hashicorp/vault/version.BuildDate=$BUILD_DATE" \
    -o "$BIN.tmp" github.com/hashicorp/vault
  mv -f "$BIN.tmp" "$BIN"
  log "built $("$BIN" version) in $(( $(date +%s) - t_build ))s ($(du -h "$BIN" | cut -f1))"
fi
"$BIN" version | grep -q "^Vault v$VER" || die "$BIN does not report version $VER"

# 2. Static busybox from Debian (sh, chown, su, stat, id, wget for health checks).
BB_DIR="$VSTACK_CACHE/busybox-static"
if [ ! -x "$BB_DIR/bin/busybox" ]; then
  log "fetching Debian's busybox-static package"
  command -v apt-get >/dev/null 2>&1 || die "apt-get is needed to fetch busybox-static"
  tmp=$(mktemp -d)
  if ! (cd "$tmp" && apt-get download busybox-static) >"$VSTACK_LOGS/busybox-download.log" 2>&1; then
    apt-get update -qq >>"$VSTACK_LOGS/busybox-download.log" 2>&1 || true
    (cd "$tmp" && apt-get download busybox-static) >>"$VSTACK_LOGS/busybox-download.log" 2>&1 \
      || { tail -n 5 "$VSTACK_LOGS/busybox-download.log" >&2; die "apt-get download busybox-static failed"; }
  fi
  rm -rf "$BB_DIR.tmp" && mkdir -p "$BB_DIR.tmp"
  dpkg-deb -x "$tmp"/busybox-static_*.deb "$BB_DIR.tmp"
  dpkg-deb -f "$tmp"/busybox-static_*.deb Version >"$BB_DIR.tmp/VERSION"
  rm -rf "$tmp" "$BB_DIR" && mv "$BB_DIR.tmp" "$BB_DIR"
fi
BB_VERSION=$(cat "$BB_DIR/VERSION")

# 3. The build context (outside git): rootfs/ and vault/ next to the Dockerfile.
log "assembling build context in $CTX"
rm -rf "$CTX" && mkdir -p "$CTX/rootfs/bin" "$CTX/rootfs/sbin" "$CTX/rootfs/etc" \
  "$CTX/rootfs/usr/local/bin" "$CTX/rootfs/usr/share/doc/vault" "$CTX/rootfs/usr/share/doc/busybox-static" \
  "$CTX/rootfs/tmp" "$CTX/rootfs/root" "$CTX/rootfs/home" "$CTX/home-vault" \
  "$CTX/vault/config" "$CTX/vault/data" "$CTX/vault/file" "$CTX/vault/logs"
chmod 1777 "$CTX/rootfs/tmp"; chmod 700 "$CTX/rootfs/root"
cp "$SRC_DIR/Dockerfile" "$CTX/Dockerfile"
install -m 0755 "$SRC_DIR/docker-entrypoint.sh" "$CTX/rootfs/usr/local/bin/docker-entrypoint.sh"
install -m 0644 "$SRC_DIR/rootfs/etc/passwd" "$SRC_DIR/rootfs/etc/group" "$CTX/rootfs/etc/"
install -m 0755 "$BIN" "$CTX/rootfs/bin/vault"
install -m 0755 "$BB_DIR/bin/busybox" "$CTX/rootfs/bin/busybox"
for applet in $("$BB_DIR/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$CTX/rootfs/bin/$applet"
done
ln -s ../bin/busybox "$CTX/rootfs/sbin/nologin"
vault_src="$(go env GOMODCACHE 2>/dev/null || echo "$HOME/go/pkg/mod")/github.com/hashicorp/vault@v$VER"
if [ -f "$vault_src/LICENSE" ]; then install -m 0644 "$vault_src/LICENSE" "$CTX/rootfs/usr/share/doc/vault/LICENSE"; fi
install -m 0644 "$BB_DIR/usr/share/doc/busybox-static/copyright" "$CTX/rootfs/usr/share/doc/busybox-static/copyright"

# 4. The image (no registry needed: FROM scratch). The legacy builder and
# BuildKit both accept this Dockerfile.
log "building image $TAG"
if ! docker build -t "$TAG" --build-arg "VAULT_VERSION=$VER" --build-arg "BUSYBOX_VERSION=$BB_VERSION" \
     "$CTX" >"$VSTACK_LOGS/server-image-build.log" 2>&1; then
  tail -n 30 "$VSTACK_LOGS/server-image-build.log" >&2
  die "docker build of $TAG failed; full log in $VSTACK_LOGS/server-image-build.log"
fi
docker run --rm "$TAG" vault version | grep -q "^Vault v$VER" || die "the image $TAG does not run vault $VER"
log "image $TAG built ($(docker image inspect -f '{{.Size}}' "$TAG" | awk '{printf "%.1f MB", $1/1e6}'))"
result server-image "$TAG" built $(( $(date +%s) - T0 ))
