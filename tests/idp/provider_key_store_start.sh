#!/usr/bin/env bash
# Hub mode's provider key store at start-up, through `certme idp`: a
# key-encryption key that is missing, another one than the keys were sealed
# under, or not a key at all stops the start with one error line naming the
# file; with the right key back the bridge starts again and makes no new
# key (the sealed one opens: nothing was lost or replaced).
# Usage: provider_key_store_start.sh PATH/TO/certme
set -euo pipefail
CERTME=$(realpath "$1")
CLAIMS=$(realpath "$(dirname "$0")/../../config/claims.yaml")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/certme-kek-start-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
unset CERTME_CONFIG
fail() {
  echo "provider_key_store_start: FAILED: $*" >&2
  exit 1
}
cat >clients.yaml <<'YAML'
clients:
  - client_id: hub-rp
    client_secret: hub-rp-secret-0123456789abcdef0123456789
    names: {ro: "Serviciu", ru: "Сервис", en: "Service"}
    redirect_uris: ["http://127.0.0.1:9/callback"]
    grant_types: [authorization_code]
    token_endpoint_auth_method: client_secret_basic
    scopes: [openid]
    attributes: [first_name]
YAML
"$CERTME" ledger init >/dev/null
KEK=$WORK/var/provider.kek
export CERTME_LOGIN_DEV_LOGIN=false CERTME_LOGIN_WALLET_LOGIN=true CERTME_SERVER_PORT=0 \
  CERTME_LEDGER_PROVIDER_ACCOUNTS=hub CERTME_LEDGER_PROVIDER_KEK_FILE=$KEK \
  CERTME_OIDC_DEV_CLIENTS_FILE=$WORK/clients.yaml CERTME_OIDC_CLAIMS_FILE=$CLAIMS

# starts: runs the bridge until it listens, stops it, prints the address
# the service's provider account has.
starts() {
  "$CERTME" idp >run.log 2>&1 &
  local pid=$!
  for _ in $(seq 300); do grep -q '"msg":"certme idp listening"' run.log && break; sleep 0.1; done
  kill "$pid" 2>/dev/null || true
  wait "$pid" || true
  grep -q '"msg":"certme idp listening"' run.log || fail "the bridge did not start:"$'\n'"$(cat run.log)"
  grep -oE '"provider accounts \(hub mode\)"' run.log >/dev/null || fail "no hub-mode line:"$'\n'"$(cat run.log)"
}
# refused WHAT PATTERN: the start fails, with exactly one error line, naming the file.
refused() {
  local rc=0
  timeout 30 "$CERTME" idp >run.log 2>&1 || rc=$?
  ((rc != 0 && rc != 124)) || fail "$1: the bridge started (exit $rc)"
  local errors
  errors=$(grep '"level":"error"' run.log || true)
  [[ $(grep -c . <<<"$errors") == 1 ]] || fail "$1: expected one error line, got:"$'\n'"$(cat run.log)"
  grep -qF "$KEK" <<<"$errors" || fail "$1: the error does not name $KEK: $errors"
  grep -qE "$2" <<<"$errors" || fail "$1: expected /$2/ in: $errors"
  echo "refused ($1): $(python3 -c 'import json, sys; print(json.loads(sys.stdin.read())["error"])' <<<"$errors")"
}

refused "no key-encryption key yet" 'cannot read the key-encryption key'
openssl rand -hex 32 >"$KEK"
starts
# The service's key was made at this start (sealed in the store).
ADDRESS=$(grep '"service":"hub-rp"' run.log | grep -oE '0x[0-9a-fA-F]{40}' || true)
ADDRESS=${ADDRESS%%$'\n'*}
[[ -n $ADDRESS ]] || fail "no provider key made for hub-rp:"$'\n'"$(cat run.log)"
cp "$KEK" kek.saved

rm "$KEK"
refused "key-encryption key missing" 'cannot read the key-encryption key'
openssl rand -hex 32 >"$KEK"
refused "another key-encryption key" 'service \\"hub-rp\\" does not open'
echo "not a key" >"$KEK"
refused "not a key" 'must hold 64 hex digits'

cp kek.saved "$KEK"
starts
grep -q '"created":0' run.log || fail "a key was made again:"$'\n'"$(cat run.log)"
echo "provider_key_store_start: all steps passed (hub-rp keeps $ADDRESS)"
