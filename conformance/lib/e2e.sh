# Shared steps of the end-to-end shell scripts (conformance/*/…_e2e.sh and
# the load generator's wallet smoke test). Source it, then:
#   e2e_workdir NAME   a fresh work folder (the current directory from then
#                      on), no CERTME_* variable inherited, and on exit every
#                      pid in PIDS stopped and the folder removed (kept when
#                      KEEP_WORK is set)
#   e2e_ledger [ANVIL] the ledger of the run: the embedded one, or with the
#                      path of anvil the registry contract deployed on a
#                      local chain it starts (a free port, no fees)
#   e2e_roles          the validator and the provider keys made and authorized
#                      on the configured ledger: VALIDATOR, PROVIDER
#   e2e_enrolled_user ATTR...
#                      the default wallet created and its user enrolled with
#                      the `--attr k=v` / `--loa` arguments: USER_ADDR
#   e2e_npm_user ATTR...
#                      a second user whose key is a plain key file, for the
#                      npm-only wallet (conformance/wallet/login.mjs), enrolled
#                      and issued: NPM_ADDR, NPM_KEY (its private key, 0x…);
#                      the enrollment hand-over in npm-enrollment.json
#   e2e_free_port      prints a free TCP port of 127.0.0.1
#   e2e_wallet_bridge [NAME=VALUE...]
#                      `certme idp` with the wallet login only (no development
#                      login), its store and keys in the work folder, the
#                      clients of ./clients.yaml, plus the given settings; on
#                      PORT (a free one when unset); waits for /healthz.
#                      Sets BASE and BRIDGE_PID
#   fail MESSAGE       says which script failed, shows the end of each file
#                      named in E2E_LOGS (default: idp.log serve.log), exit 1
#   certme ARGS...     the binary in CERTME

PIDS=()
e2e_cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  if [[ -n ${KEEP_WORK:-} ]]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}

e2e_workdir() {
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/certme-$1-XXXXXX")
  trap e2e_cleanup EXIT
  cd "$WORK"
  local v
  for v in $(env | grep -o '^CERTME_[A-Z_]*' || true); do unset "$v"; done
  unset PORT BASE  # e2e_wallet_bridge takes PORT when the script set it
}

e2e_ledger() {
  local anvil=${1:-}
  if [[ -z $anvil ]]; then
    certme ledger init >/dev/null
    return
  fi
  [[ -x $anvil ]] || fail "anvil not found at $anvil (scripts/deps installs it)"
  "$anvil" --host 127.0.0.1 --port 0 --base-fee 0 --gas-price 0 --accounts 1 >anvil.log 2>&1 &
  PIDS+=($!)
  for _ in $(seq 600); do grep -q 'Listening on' anvil.log && break; sleep 0.1; done
  local port
  port=$(grep -oE 'Listening on 127\.0\.0\.1:[0-9]+' anvil.log | grep -oE '[0-9]+$') || fail "anvil did not start"
  export CERTME_LEDGER_BACKEND=evm CERTME_LEDGER_EVM_RPC_URL="http://127.0.0.1:$port"
  export CERTME_LEDGER_EVM_PRIORITY_FEE_WEI=0 CERTME_LEDGER_EVM_POLL_INTERVAL_MS=100
  CERTME_LEDGER_REGISTRY_ADDRESS=$(certme ledger deploy 2>/dev/null) || fail "ledger deploy"
  export CERTME_LEDGER_REGISTRY_ADDRESS
}

e2e_roles() {
  VALIDATOR=$(certme ledger keygen --out var/ledger/validator.key)
  PROVIDER=$(certme ledger keygen --out var/ledger/provider.key)
  certme admin authorize-validator "$VALIDATOR" >/dev/null
  certme admin authorize-provider "$PROVIDER" >/dev/null
}

e2e_enrolled_user() {
  USER_ADDR=$(certme wallet create)
  certme validator enroll --user "$USER_ADDR" "$@" --out enrollment.json >/dev/null
  certme wallet approve-enrolment enrollment.json --out enrolment.sig >/dev/null 2>&1
  certme validator issue enrollment.json --consent enrolment.sig >/dev/null
  certme wallet import enrollment.json >/dev/null
}

e2e_npm_user() {
  NPM_ADDR=$(certme ledger keygen --out npm-user.key)
  NPM_KEY=$(sed -n 's/.*"private_key": *"\(0x[0-9a-fA-F]*\)".*/\1/p' npm-user.key)
  [[ -n $NPM_KEY ]] || fail "no private key in npm-user.key"
  certme validator enroll --user "$NPM_ADDR" "$@" --out npm-enrollment.json >/dev/null
  # The key is a plain key file (the npm wallet holds it): it signs the enrolment.
  certme wallet approve-enrolment npm-enrollment.json --key npm-user.key --out npm-enrolment.sig >/dev/null 2>&1
  certme validator issue npm-enrollment.json --consent npm-enrolment.sig >/dev/null
}

E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

e2e_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

e2e_wallet_bridge() {
  PORT=${PORT:-$(e2e_free_port)}
  BASE="http://127.0.0.1:$PORT"
  env CERTME_SERVER_PORT="$PORT" CERTME_SERVER_PUBLIC_URL="$BASE" CERTME_STORE_SQLITE_PATH="$WORK/idp.db" \
    CERTME_LOGIN_DEV_LOGIN=false CERTME_LOGIN_WALLET_LOGIN=true CERTME_OIDC_DEV_CLIENTS_FILE="$WORK/clients.yaml" \
    CERTME_OIDC_CLAIMS_FILE="$E2E_ROOT/config/claims.yaml" CERTME_KEYS_DEV_KEY_DIR="$WORK/dev-keys" \
    CERTME_LEDGER_ANSWER_TIMEOUT_SECONDS=20 "$@" "$CERTME" idp >idp.log 2>&1 &
  BRIDGE_PID=$!
  PIDS+=("$BRIDGE_PID")
  for _ in $(seq 300); do curl -sf "$BASE/healthz" >/dev/null 2>&1 && return 0; sleep 0.1; done
  fail "bridge did not start"
}

E2E_LOGS=(idp.log serve.log)
fail() {
  echo "$(basename "$0" .sh): FAILED: $*" >&2
  local f
  for f in "${E2E_LOGS[@]}"; do [[ -f $f ]] && { echo "--- $f" >&2; tail -30 "$f" >&2; }; done
  exit 1
}

certme() { "$CERTME" "$@"; }
