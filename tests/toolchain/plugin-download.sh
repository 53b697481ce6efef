#!/usr/bin/env bash
# The plugin steps' official route, run on this machine (part of `npm test`, scripts/test.sh).
#
# The official download (`pulumi plugin install resource NAME VERSION`) fetches
#   https://github.com/pulumi/pulumi-NAME/releases/download/vVERSION/pulumi-resource-NAME-vVERSION-OS-ARCH.tar.gz
# and falls back to
#   https://get.pulumi.com/releases/plugins/pulumi-resource-NAME-vVERSION-OS-ARCH.tar.gz
# PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES ('regexp=URL', the regexp unanchored) sends it to
#   URL/pulumi-resource-NAME-vVERSION-OS-ARCH.tar.gz
# (pulumi/pulumi sdk/go/common/workspace/plugins.go: standardAssetName, PluginDescriptor.GetSource,
# httpSource.Download). Neither host answers here, so this test serves the four plugins under those
# names from 127.0.0.1 and points the override at it.
#
# Real: the Pulumi CLI and Node from the set-up's cache, `bash scripts/setup.sh plugin-...` (the
# set-up's own plugin steps, ensure_plugin in scripts/lib/plugins.sh) and `pulumi plugin install`'s
# own download code. Served locally: the tarballs, packed from the plugins installed here (this
# project's builds) under the official file names. Go is hidden (PATH without it, VSTACK_GO_DIR
# empty), PULUMI_HOME and VSTACK_CACHE are empty throwaway directories (nothing "found" or "cached").
#
#   1. served: every plugin step reports `downloaded`, the server saw one GET per plugin,
#      `pulumi plugin ls` in that PULUMI_HOME lists all four at the versions.env versions, and the
#      installed binaries are the served ones.
#   2. server down: the set-up fails within seconds with the message naming the plugin, the
#      official download tried and its error, and the ways out (Go, --file, the download).
# Prints `ok`/`not ok` lines and `plugin-download.sh: N passed, N failed` (a case passes when all its
# checks do); VSTACK_TEST_COUNTS=FILE also gets "PASSED FAILED" (scripts/test.sh prints them as
# `toolchain: ...` and adds them to the total). VSTACK_TEST_VERBOSE=1 shows the set-up's output.
# Exit status 1 when a case failed.
# shellcheck disable=SC2016,SC2317 # the Node server is one single-quoted script; check runs functions indirectly
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../../toolchain/versions.env
. "$ROOT/toolchain/versions.env"
REAL_CACHE=${VSTACK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vault-stack}
REAL_PLUGINS=${PULUMI_HOME:-$HOME/.pulumi}/plugins
export PATH="$REAL_CACHE/bin:$PATH"
PLUGINS=(command="$COMMAND_PLUGIN_VERSION" random="$RANDOM_PLUGIN_VERSION" docker="$DOCKER_PLUGIN_VERSION" vault="$VAULT_PLUGIN_VERSION")
STEPS=(plugin-command plugin-random plugin-docker plugin-vault)
case $(uname -m) in x86_64) ARCH=amd64 ;; aarch64 | arm64) ARCH=arm64 ;; *) ARCH=$(uname -m) ;; esac
OS=$(uname -s | tr '[:upper:]' '[:lower:]')

T=$(mktemp -d)
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$T"
}
trap cleanup EXIT

passed=0 failed=0 case_ok=1
check() { # check DESCRIPTION COMMAND...: one check of the current case
  if "${@:2}"; then printf 'ok      %s\n' "$1"; else printf 'not ok  %s\n' "$1"; case_ok=0; fi
}
end_case() { # end_case NAME
  if [ "$case_ok" = 1 ]; then passed=$((passed + 1)); printf 'PASS %s\n\n' "$1"
  else failed=$((failed + 1)); printf 'FAIL %s\n\n' "$1"; fi
  case_ok=1
}
finish() {
  echo "plugin-download.sh: $passed passed, $failed failed"
  if [ -n "${VSTACK_TEST_COUNTS:-}" ]; then echo "$passed $failed" >"$VSTACK_TEST_COUNTS"; fi
  [ "$failed" = 0 ]
  exit
}
has() { grep -qF -- "$2" "$1"; }
lacks() { ! grep -qF -- "$2" "$1"; }

# --- the tarballs, under the official names ---------------------------------------------------------
t0=$(date +%s)
mkdir -p "$T/srv"
for p in "${PLUGINS[@]}"; do
  name=${p%=*} version=${p#*=}
  bin="$REAL_PLUGINS/resource-$name-v$version/pulumi-resource-$name"
  [ -x "$bin" ] || bin="$REAL_CACHE/plugins/$name-$version/pulumi-resource-$name"
  if [ ! -x "$bin" ]; then
    echo "not ok  no pulumi-resource-$name $version here to serve (run \`npm run setup\` first)"
    failed=2; finish
  fi
  mkdir -p "$T/src/$name" && ln -s "$bin" "$T/src/$name/pulumi-resource-$name"
  (tar -h -C "$T/src/$name" -cf - "pulumi-resource-$name" | gzip -1 -n >"$T/srv/pulumi-resource-$name-v$version-$OS-$ARCH.tar.gz") &
done
wait
echo "packed $(find "$T/srv" -name '*.tar.gz' | wc -l) tarballs in $(($(date +%s) - t0)) s: $(cd "$T/srv" && echo ./*.tar.gz)"

# --- a static file server on 127.0.0.1 (Node: the set-up provides it) -------------------------------
node -e '
const http = require("http"), fs = require("fs"), path = require("path");
const dir = process.argv[1];
const srv = http.createServer((req, res) => {
  const file = path.join(dir, path.basename(decodeURIComponent(req.url.split("?")[0])));
  fs.stat(file, (err, st) => {
    if (err || !st.isFile()) { res.writeHead(404); res.end(); console.log(`GET ${req.url} 404`); return; }
    res.writeHead(200, { "Content-Type": "application/gzip", "Content-Length": st.size });
    res.on("finish", () => console.log(`GET ${req.url} 200`));
    fs.createReadStream(file).pipe(res);
  });
});
srv.listen(0, "127.0.0.1", () => console.log(`port ${srv.address().port}`));
' "$T/srv" >"$T/server.log" 2>&1 &
SERVER_PID=$!
port=""
for _ in $(seq 1 50); do
  port=$(sed -n 's/^port \([0-9]*\)$/\1/p' "$T/server.log")
  [ -n "$port" ] && break
  sleep 0.1
done
if [ -z "$port" ]; then echo "not ok  the local server did not start: $(cat "$T/server.log")"; failed=2; finish; fi
URL="http://127.0.0.1:$port"
echo "serving $T/srv at $URL"

# --- a PATH without Go ---------------------------------------------------------------------------------
nogo_path="$REAL_CACHE/bin:/usr/sbin:/usr/bin:/sbin:/bin"
if PATH=$nogo_path command -v go >/dev/null 2>&1; then
  # Go in a system directory: the same directories as symbolic links, without go and gofmt.
  mkdir -p "$T/sysbin"
  for d in /usr/sbin /usr/bin /sbin /bin; do cp -s "$d"/* "$T/sysbin/" 2>/dev/null || true; done
  rm -f "$T/sysbin/go" "$T/sysbin/gofmt"
  nogo_path="$REAL_CACHE/bin:$T/sysbin"
fi

# run_plugin_steps CASE: the set-up's four plugin steps with empty PULUMI_HOME and VSTACK_CACHE, no
# Go, the download sent to $URL; output in $T/CASE.log, status in $T/CASE.rc, seconds in $T/CASE.s.
run_plugin_steps() {
  local home="$T/$1-pulumi-home" cache="$T/$1-cache" t1 rc=0
  mkdir -p "$home" "$cache"
  t1=$(date +%s)
  env -u VSTACK_RESULTS -u VSTACK_VERSIONS_CHECKED -u PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION \
    PATH="$nogo_path" VSTACK_GO_DIR="" PULUMI_HOME="$home" VSTACK_CACHE="$cache" \
    VSTACK_PLUGIN_DOWNLOAD_TIMEOUT=60 PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES=".*=$URL" \
    timeout -k 5 300 bash "$ROOT/scripts/setup.sh" "${STEPS[@]}" >"$T/$1.log" 2>&1 || rc=$?
  echo "$rc" >"$T/$1.rc"
  echo $(($(date +%s) - t1)) >"$T/$1.s"
}
table_row() { # table_row LOG NAME VERSION SOURCE: the setup table has that plugin row
  awk -v c="plugin-$2" -v v="$3" -v s="$4" '$1==c && $2==v && $3==s {f=1} END {exit !f}' "$1"
}
listed() { # listed FILE NAME VERSION: `pulumi plugin ls` output in FILE lists it
  awk -v n="$2" -v v="$3" '$1==n && $2=="resource" && $3==v {f=1} END {exit !f}' "$1"
}
show_log() { sed 's/^/    | /' "$1"; }

# --- case 1: the official route, served -------------------------------------------------------------
echo "== case 1: official download from $URL, no Go, nothing installed or cached"
check "go is not on the set-up's PATH ($nogo_path) and VSTACK_GO_DIR is empty" \
  bash -c "! PATH='$nogo_path' command -v go"
run_plugin_steps served
log="$T/served.log"
check "the four plugin steps succeed (exit $(cat "$T/served.rc"), $(cat "$T/served.s") s)" [ "$(cat "$T/served.rc")" = 0 ]
PULUMI_HOME="$T/served-pulumi-home" pulumi plugin ls >"$T/served-ls.txt" 2>&1
for p in "${PLUGINS[@]}"; do
  name=${p%=*} version=${p#*=} file="pulumi-resource-$name-v$version-$OS-$ARCH.tar.gz"
  check "setup table: plugin-$name $version downloaded" table_row "$log" "$name" "$version" downloaded
  check "the server sent $file" has "$T/server.log" "GET /$file 200"
  check "pulumi plugin ls (PULUMI_HOME=$T/served-pulumi-home) lists $name resource $version" \
    listed "$T/served-ls.txt" "$name" "$version"
  check "the installed pulumi-resource-$name is the one served" \
    cmp -s "$T/src/$name/pulumi-resource-$name" "$T/served-pulumi-home/plugins/resource-$name-v$version/pulumi-resource-$name"
done
check "nothing was built or taken from a cache" lacks "$log" "falling back to this project's build"
check "no 'Go is needed'" lacks "$log" "Go is needed"
if [ "$case_ok" = 0 ] || [ -n "${VSTACK_TEST_VERBOSE:-}" ]; then show_log "$log"; show_log "$T/served-ls.txt"; fi
end_case "official download route: each plugin downloaded from the served official file names, Go hidden"

# --- case 2: the official route down, no Go -----------------------------------------------------------
kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""
echo "== case 2: the same with nothing listening at $URL"
run_plugin_steps down
log="$T/down.log"
first=${PLUGINS[0]%=*} first_v=${PLUGINS[0]#*=}
check "the set-up fails (exit $(cat "$T/down.rc"))" [ "$(cat "$T/down.rc")" != 0 ]
check "within 30 s (took $(cat "$T/down.s") s)" [ "$(cat "$T/down.s")" -le 30 ]
check "the message names the plugin" has "$log" "the $first plugin $first_v could not be had"
check "... the official download tried" has "$log" "\`pulumi plugin install resource $first $first_v\` failed"
check "... and its error" has "$log" "connection refused"
check "... how to get Go" has "$log" "install Go"
check "... or the plugin" has "$log" "pulumi plugin install resource $first $first_v --file"
check "the set-up stopped at that step" has "$log" "step plugin-$first failed"
check "nothing was built" lacks "$log" "falling back to this project's build"
if [ "$case_ok" = 0 ] || [ -n "${VSTACK_TEST_VERBOSE:-}" ]; then show_log "$log"; fi
end_case "official download route down and no Go: fails fast naming the plugin, the download and the fixes"

finish
