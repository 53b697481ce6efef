#!/usr/bin/env bash
# The least any tool could do on this machine, with docker and curl only: the same work as the
# program (network, volumes, container, init, unseal, KV v2, the secrets, audit, policy, token).
#   baseline.sh cold  NAME IMAGE PORT EXTRA   start from nothing
#   baseline.sh check NAME IMAGE PORT EXTRA   the no-op: confirm everything is in place
#   baseline.sh clean NAME IMAGE PORT EXTRA   remove what `cold` made
# Fake values only; the keys live in a 0600 file in a temp dir removed by `clean`.
set -euo pipefail
mode=$1 name=$2 image=$3 port=$4 extra=${5:-0}
addr="http://127.0.0.1:$port"
state="${TMPDIR:-/tmp}/vault-baseline-$name"
api() { curl -sS -f -H "X-Vault-Token: ${TOKEN:-}" "$@"; }
field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"; }

paths() {
  echo 'openrouter {"api_key":"fake-or"}'
  echo 'telegram {"bot_token":"fake-bot","chat_id":"fake-chat"}'
  echo 'github {"token":"fake-gh"}'
  echo 'database {"host":"127.0.0.1","port":"5432","name":"oa_system","user":"oa_admin","password":"fake-db"}'
  echo 'cockpit {"jwt_secret":"fake-jwt","admin_password":"fake-admin"}'
  for i in $(seq 1 "$extra"); do echo "extra/p$i {\"value\":\"fake-$i\"}"; done
}

case "$mode" in
cold)
  mkdir -p "$state" && chmod 700 "$state"
  docker network create "$name-net" >/dev/null
  docker volume create "$name-data" >/dev/null
  docker volume create "$name-logs" >/dev/null
  printf 'storage "file" {\n  path = "/vault/data"\n}\nlistener "tcp" {\n  address = "0.0.0.0:8200"\n  tls_disable = 1\n}\napi_addr = "%s"\nui = true\ndisable_mlock = true\n' "$addr" >"$state/vault.hcl"
  docker create --name "$name" --network "$name-net" -p "127.0.0.1:$port:8200" --cap-add IPC_LOCK \
    -e VAULT_ADDR=http://127.0.0.1:8200 -v "$name-data:/vault/data" -v "$name-logs:/vault/logs" \
    --entrypoint /bin/sh "$image" -c 'chown -R vault:vault /vault/data /vault/logs && exec docker-entrypoint.sh "$@"' x \
    server -config=/vault/stack/vault.hcl >/dev/null
  tar -C "$state" -cf - vault.hcl --transform 's,^,vault/stack/,' | docker cp - "$name:/"
  docker start "$name" >/dev/null
  until curl -s -o /dev/null "$addr/v1/sys/health"; do sleep 0.2; done
  init=$(curl -sS -f -X PUT -d '{"secret_shares":5,"secret_threshold":3}' "$addr/v1/sys/init")
  echo "$init" >"$state/init.json" && chmod 600 "$state/init.json"
  for k in $(echo "$init" | sed 's/.*"keys_base64":\[\([^]]*\)\].*/\1/' | tr -d '"' | tr ',' ' ' | cut -d' ' -f1-3); do
    curl -sS -f -X POST -d "{\"key\":\"$k\"}" "$addr/v1/sys/unseal" >/dev/null
  done
  TOKEN=$(echo "$init" | field root_token)
  api -X POST -d '{"type":"kv","options":{"version":"2"}}' "$addr/v1/sys/mounts/secret" >/dev/null
  api -X PUT -d '{"type":"file","options":{"file_path":"/vault/logs/audit.log"}}' "$addr/v1/sys/audit/file" >/dev/null
  policy=""
  while read -r p data; do
    api -X POST -d "{\"data\":$data}" "$addr/v1/secret/data/$p" >/dev/null
    policy="${policy}path \\\"secret/data/$p\\\" { capabilities = [\\\"read\\\"] }\\n"
  done < <(paths)
  api -X PUT -d "{\"policy\":\"$policy\"}" "$addr/v1/sys/policies/acl/openclaw-app-read" >/dev/null
  api -X POST -d '{"display_name":"openclaw-app","ttl":"720h","renewable":true,"policies":["openclaw-app-read"]}' "$addr/v1/auth/token/create-orphan" >/dev/null
  ;;
check)
  TOKEN=$(field root_token <"$state/init.json")
  [ "$(docker inspect -f '{{.State.Running}}' "$name")" = true ]
  curl -sS -f "$addr/v1/sys/seal-status" | grep -q '"sealed":false'
  api "$addr/v1/sys/mounts/secret/tune" >/dev/null
  while read -r p _; do api "$addr/v1/secret/data/$p" >/dev/null; done < <(paths)
  api "$addr/v1/sys/policies/acl/openclaw-app-read" >/dev/null
  ;;
clean)
  docker rm -f "$name" >/dev/null 2>&1 || true
  docker volume rm -f "$name-data" "$name-logs" >/dev/null 2>&1 || true
  docker network rm "$name-net" >/dev/null 2>&1 || true
  rm -rf "$state"
  ;;
*) echo "usage: baseline.sh cold|check|clean NAME IMAGE PORT [EXTRA]" >&2; exit 2 ;;
esac
