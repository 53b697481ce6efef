#!/usr/bin/env bash
# Smoke test of the locally built server image ($SERVER_IMAGE): file storage on
# a named volume, init (5 shares, threshold 3), unseal, KV v2 write/read, a
# restart that seals it, unseal again, data still there, server runs as the
# `vault` user, the vault CLI works inside. Loopback only. Removes everything
# it creates. Throwaway keys and token stay in a mode-700 temp dir, never argv.
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/../lib" && pwd)/common.sh"

IMAGE="${1:-$SERVER_IMAGE}"
for t in curl jq; do
  command -v "$t" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$t" >/dev/null; }
done
NAME="vstack-smoke-$$"
VOL="vstack-smoke-data-$$"
TMP=$(mktemp -d); chmod 700 "$TMP"
cleanup() {
  docker rm -f -v "$NAME" >/dev/null 2>&1 || true
  docker volume rm "$VOL" >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT

ok() { printf 'ok   %s\n' "$*"; }
fail() { printf 'FAIL %s\n' "$*"; docker logs "$NAME" 2>&1 | tail -n 20 >&2 || true; exit 1; }

docker run --rm "$IMAGE" vault version | grep -q "^Vault v$VAULT_SERVER_VERSION" \
  && ok "docker run --rm $IMAGE vault version -> $(docker run --rm "$IMAGE" vault version)" || fail "vault version"

mkdir -p "$TMP/config"
cat >"$TMP/config/vault.hcl" <<'HCL'
storage "file" {
  path = "/vault/data"
}
listener "tcp" {
  address     = "0.0.0.0:8200"
  tls_disable = 1
}
api_addr      = "http://127.0.0.1:8200"
ui            = true
disable_mlock = true
HCL
chmod 755 "$TMP/config"; chmod 644 "$TMP/config/vault.hcl"

docker volume create "$VOL" >/dev/null
docker run -d --name "$NAME" -p 127.0.0.1::8200 --cap-add IPC_LOCK \
  -v "$TMP/config:/vault/config:ro" -v "$VOL:/vault/data" \
  -e VAULT_ADDR=http://127.0.0.1:8200 "$IMAGE" server >/dev/null
# The published host port is ephemeral: it changes when the container restarts.
set_url() { URL="http://127.0.0.1:$(docker port "$NAME" 8200/tcp | head -n1 | sed 's/.*://')"; }
set_url

health() { curl -s -o /dev/null -w '%{http_code}' "$URL/v1/sys/health"; }
wait_code() { # wait_code CODE: health endpoint answers CODE within 30 s
  local c=""
  for _ in $(seq 1 60); do c=$(health || true); [ "$c" = "$1" ] && return 0; sleep 0.5; done
  fail "health: expected $1, last answer ${c:-none}"
}

wait_code 501 && ok "GET /v1/sys/health on $URL -> 501 (not initialised)"

curl -s -X PUT -d '{"secret_shares":5,"secret_threshold":3}' "$URL/v1/sys/init" >"$TMP/init.json"
[ "$(jq '.keys | length' "$TMP/init.json")" = 5 ] && jq -e '.root_token | length > 0' "$TMP/init.json" >/dev/null \
  && ok "PUT /v1/sys/init -> 5 keys, keys_base64, root_token" || fail "init"
printf 'X-Vault-Token: %s\n' "$(jq -r .root_token "$TMP/init.json")" >"$TMP/hdr"

unseal() {
  local i
  for i in 0 1 2; do
    jq -c "{key: .keys[$i]}" "$TMP/init.json" >"$TMP/key.json"
    curl -s -X POST -d @"$TMP/key.json" "$URL/v1/sys/unseal" >"$TMP/unseal.json"
  done
  rm -f "$TMP/key.json"
  [ "$(jq -r .sealed "$TMP/unseal.json")" = false ] || fail "unseal"
}
wait_code 503 && ok "initialised and sealed -> 503"
unseal; wait_code 200 && ok "unsealed with 3 of 5 keys -> 200"

curl -s -H @"$TMP/hdr" -X POST -d '{"type":"kv","options":{"version":"2"}}' "$URL/v1/sys/mounts/secret" -o "$TMP/out" -w '%{http_code}' | grep -q '^204$' \
  && ok "kv-v2 enabled at secret/" || fail "enable kv-v2: $(cat "$TMP/out")"
code=""
for _ in $(seq 1 20); do # the kv-v2 upgrade runs asynchronously right after mounting
  code=$(curl -s -H @"$TMP/hdr" -X POST -d '{"data":{"colour":"teal"}}' "$URL/v1/secret/data/smoke" -o "$TMP/out" -w '%{http_code}')
  [ "$code" = 200 ] && break; sleep 0.5
done
[ "$code" = 200 ] && ok "wrote secret/smoke (version $(jq .data.version "$TMP/out"))" || fail "write: $code $(cat "$TMP/out")"
read_secret() { curl -s -H @"$TMP/hdr" "$URL/v1/secret/data/smoke" | jq -r .data.data.colour; }
[ "$(read_secret)" = teal ] && ok "read secret/smoke -> colour=teal" || fail "read"

user=$(docker top "$NAME" -eo pid,user,args | awk '/vault server/ && !/awk/ {print $2; exit}')
uid=$(docker exec "$NAME" sh -c 'for p in /proc/[0-9]*; do if grep -q "^/bin/vault" $p/cmdline 2>/dev/null; then awk "/^Uid:/{print \$2}" $p/status; fi; done' | head -n1)
[ "$uid" = "$(docker exec "$NAME" id -u vault)" ] && [ "$uid" != 0 ] \
  && ok "server process runs as uid $uid (vault; host sees user '$user')" || fail "server uid is '$uid'"
[ "$(docker exec "$NAME" stat -c %U /vault/data)" = vault ] && ok "/vault/data owned by vault" || fail "/vault/data owner"

docker exec "$NAME" vault status >"$TMP/status" 2>&1 && grep -q 'Sealed *false' "$TMP/status" \
  && ok "docker exec $NAME vault status (VAULT_ADDR=http://127.0.0.1:8200) -> Sealed false" || fail "vault status: $(cat "$TMP/status")"
docker exec "$NAME" wget -q -O /dev/null 'http://127.0.0.1:8200/v1/sys/health?standbyok=true&sealedcode=200&uninitcode=200' \
  && ok "busybox wget health check inside the container" || fail "wget health check"

docker restart "$NAME" >/dev/null
set_url
wait_code 503 && ok "docker restart -> sealed (503)"
unseal; wait_code 200 && ok "unsealed again -> 200"
[ "$(read_secret)" = teal ] && ok "secret/smoke survived the restart" || fail "data lost after restart"

echo "server-image smoke test passed for $IMAGE"
