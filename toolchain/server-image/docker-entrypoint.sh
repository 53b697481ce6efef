#!/bin/sh
# Entrypoint of the locally built Vault-compatible server image. It mirrors the
# official hashicorp/vault image's entrypoint: flags or `server` run Vault with
# the config directory; as root it fixes ownership of the mounted directories
# and drops privileges to the `vault` user before exec. Runs under busybox sh.
set -e

# Prevent core dumps (they could hold unseal keys or tokens).
ulimit -c 0

VAULT_CONFIG_DIR=/vault/config

# Like the official image: configuration JSON can be passed in the environment.
if [ -n "$VAULT_LOCAL_CONFIG" ]; then
  echo "$VAULT_LOCAL_CONFIG" > "$VAULT_CONFIG_DIR/local.json"
fi

# Arguments that start with a dash are flags for `vault`.
case "${1:-}" in
  -*) set -- vault "$@" ;;
esac

if [ "${1:-}" = server ]; then
  shift
  if [ -n "$VAULT_DEV_ROOT_TOKEN_ID" ] || [ -n "$VAULT_DEV_LISTEN_ADDRESS" ]; then
    set -- vault server -config="$VAULT_CONFIG_DIR" \
      -dev-root-token-id="$VAULT_DEV_ROOT_TOKEN_ID" \
      -dev-listen-address="${VAULT_DEV_LISTEN_ADDRESS:-0.0.0.0:8200}" "$@"
  else
    set -- vault server -config="$VAULT_CONFIG_DIR" "$@"
  fi
elif [ "${1:-}" = version ]; then
  set -- vault "$@"
fi

if [ "${1:-}" = vault ]; then
  shift
  set -- /bin/vault "$@"
fi

if [ "${1:-}" = /bin/vault ]; then
  vault_uid=$(id -u vault)
  if [ "$(id -u)" = 0 ] && [ -z "$SKIP_CHOWN" ]; then
    # Mounted directories (bind mounts, fresh volumes) may belong to root.
    for d in /vault/data /vault/file /vault/logs; do
      if [ -d "$d" ] && [ "$(stat -c %u "$d")" != "$vault_uid" ]; then
        chown -R vault:vault "$d"
      fi
    done
    if [ -d "$VAULT_CONFIG_DIR" ] && [ "$(stat -c %u "$VAULT_CONFIG_DIR")" != "$vault_uid" ]; then
      chown -R vault:vault "$VAULT_CONFIG_DIR" 2>/dev/null \
        || echo "Could not chown $VAULT_CONFIG_DIR (may be read-only); continuing" >&2
    fi
  fi
  # SKIP_SETCAP: the official image grants the binary cap_ipc_lock with setcap.
  # This image has no setcap and its binary carries no file capabilities, so
  # there is nothing to skip; configure `disable_mlock = true`.
  : "${SKIP_SETCAP:=}"
  if [ "$(id -u)" = 0 ]; then
    # busybox su: as root no password is asked; -p keeps the environment
    # (VAULT_* variables), -s overrides the account's nologin shell.
    export HOME=/home/vault
    exec su -p -s /bin/sh -c 'exec "$0" "$@"' -- vault "$@"
  fi
fi

exec "$@"
